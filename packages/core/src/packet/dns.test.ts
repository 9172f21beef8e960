import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DNS_MAX_POINTER_JUMPS,
  DNS_MAX_RECORDS,
  type DnsMessage,
  type DnsRecord,
  formatIpv6Bytes,
  parseDns,
  parseDnsOverTcp,
  readUncompressedName,
} from "./dns.js";
import type { Parsed } from "./parsed.js";

// ---------------------------------------------------------------------------------------------
// Helpers

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));
}

function ok<T>(result: Parsed<T>): T {
  if (!result.ok) throw new Error(`expected a parse, got ${result.reason} at ${result.offset}`);
  return result.value;
}

function parse(bytes: Uint8Array): Parsed<DnsMessage> {
  return parseDns(bytes, 0, bytes.length);
}

/** Parses `message` placed between `before` and `after` in one larger buffer. */
function parseEmbedded(message: Uint8Array, before: Uint8Array, after: Uint8Array): Parsed<DnsMessage> {
  const buffer = new Uint8Array(before.length + message.length + after.length);
  buffer.set(before);
  buffer.set(message, before.length);
  buffer.set(after, before.length + message.length);
  return parseDns(buffer, before.length, message.length);
}

function allRecords(m: DnsMessage): DnsRecord[] {
  return [...m.answers, ...m.authorities, ...m.additionals];
}

const utf8 = new TextDecoder();

/** Test-side reference for name text: the documented escaping, written with string operations. */
function referenceLabelText(label: Uint8Array): string {
  let out = "";
  for (const ch of utf8.decode(label)) {
    const c = ch.charCodeAt(0);
    if (ch === ".") out += "\\.";
    else if (ch === "\\") out += "\\\\";
    else if (c >= 0x07 && c <= 0x0d) out += `\\${"abtnvfr"[c - 7]}`;
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, "0")}`;
    else out += ch;
  }
  return out;
}

// A small encoder for building test messages, with optional name compression.
interface RecordSpec {
  name: Uint8Array[];
  type: number;
  class: number;
  ttl: number;
  rdata: (enc: Encoder) => void;
}

class Encoder {
  bytes: number[] = [];
  private suffixes = new Map<string, number>();
  constructor(private readonly compress: boolean) {}
  u8(v: number): void {
    this.bytes.push(v & 0xff);
  }
  u16(v: number): void {
    this.bytes.push((v >>> 8) & 0xff, v & 0xff);
  }
  u32(v: number): void {
    this.u16(v >>> 16);
    this.u16(v & 0xffff);
  }
  raw(b: ArrayLike<number>): void {
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]!);
  }
  name(labels: Uint8Array[]): void {
    for (let i = 0; i < labels.length; i++) {
      const key = labels
        .slice(i)
        .map((l) => Buffer.from(l).toString("hex"))
        .join(".");
      const at = this.suffixes.get(key);
      if (this.compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.bytes.length < 0x3fff) this.suffixes.set(key, this.bytes.length);
      this.u8(labels[i]!.length);
      this.raw(labels[i]!);
    }
    this.u8(0);
  }
}

function buildMessage(
  spec: {
    id?: number;
    flags?: number;
    questions?: { name: Uint8Array[]; type: number; class: number }[];
    answers?: RecordSpec[];
    authorities?: RecordSpec[];
    additionals?: RecordSpec[];
  },
  compress = true,
): Uint8Array {
  const enc = new Encoder(compress);
  const questions = spec.questions ?? [];
  const sections = [spec.answers ?? [], spec.authorities ?? [], spec.additionals ?? []];
  enc.u16(spec.id ?? 0x1234);
  enc.u16(spec.flags ?? 0x8180);
  enc.u16(questions.length);
  for (const s of sections) enc.u16(s.length);
  for (const q of questions) {
    enc.name(q.name);
    enc.u16(q.type);
    enc.u16(q.class);
  }
  for (const s of sections) {
    for (const r of s) {
      enc.name(r.name);
      enc.u16(r.type);
      enc.u16(r.class);
      enc.u32(r.ttl);
      const lengthAt = enc.bytes.length;
      enc.u16(0);
      r.rdata(enc);
      const rdLength = enc.bytes.length - lengthAt - 2;
      enc.bytes[lengthAt] = rdLength >>> 8;
      enc.bytes[lengthAt + 1] = rdLength & 0xff;
    }
  }
  return new Uint8Array(enc.bytes);
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const labelsOf = (name: string): Uint8Array[] => name.split(".").map(ascii);

// ---------------------------------------------------------------------------------------------
// Real messages (payloads from ../shared/data, expected values as tshark 4.0 prints them)

/** dmachard-dns/dnscat2.pcap frame 2: MX response from a dnscat2 tunnel. */
const DNSCAT2_MX = hex(
  "21c8818000010001000000002231343739303162386433646639636334366335396436303030373862333331366365076269696c6c706903636f6d00000f0001c00c000f00010000003c0032000a2236313138303162386433636532333138653335316438666666666435396537343136076269696c6c706903636f6d00",
);
/** dmachard-dns/dnscat2.pcap frame 6: TXT response. */
const DNSCAT2_TXT = hex(
  "179d818000010001000000002262633434303162386433363130316133306431636131303030393930346537626639076269696c6c706903636f6d0000100001c00c001000010000003c00232234383065303162386433303430363535643233653035666666666435396537343136",
);
/** dmachard-dns/iodine.pcap frame 2: NULL response from an iodine tunnel. */
const IODINE_NULL = hex(
  "0aa98500000100010000000006797262307065027431076269696c6c706903636f6d00000a0001c00c000a000100000000003000000000ffffffff55555555aaaaaaaa8163c8d2c77cb2175f4fcec9492d522161a9712025b30673e6d84430795057bf",
);
/** dmachard-dns/dns2tcp.pcap frame 2: TXT response, "=" in a label, two strings. */
const DNS2TCP_TXT = hex(
  "d645858000010001000000000a41414141414837775141053d6175746807646e7332746370036873630266720000100001c00c0010000100000003002220416f6e6341414837774146424c5744524a527a46525130673453445a5457466700",
);
/** ndpi/dns_exfiltration.pcap frame 4: CNAME response with long hex labels. */
const DNSCAT_CNAME = hex(
  "7d1a8180000100010000000006646e736361743c3931663030336635303066363132323138313061656130303030303438363363363931353830656361643636663634616337646462383762383963372639323030383231653532376434653137363332353363323565323937653261613431313364300000050001c00c000500010000003c006c06646e736361743f39623631303366353030656565323062313531356664666666666235353832646263623863363038383837363932316134623631336464393234323235643523333462383364333666326235626534396333333464623333303332616436313865373500",
);
/** ndpi/alexa-app.pcapng frame 16: AAAA answer. */
const ALEXA_AAAA = hex(
  "5d508180000100010000000011636f6e6e6563746976697479636865636b07616e64726f696403636f6d00001c0001c00c001c00010000012b00102607f8b040000813000000000000200e",
);
/** bench/iot-sentinel-all-550-merged.pcap frame 11442: SOA in the authority section. */
const SENTINEL_SOA = hex(
  "8a20818000010000000100000267770000010001c00c000600010000012c002c046777303103646e730270740004696e666f036e6963c00c782a5bad0000546000001c2000278d000000012c",
);
/** bench/iot-sentinel-all-550-merged.pcap frame 7: mDNS announcement of a D-Link camera. */
const DLINK_MDNS = hex(
  "000084000000000500000000086463732d3933356c056c6f63616c0000018001000000780004c0a8001429442d4c696e6b204443532d3933354c20436f6e66696775726174696f6e205574696c69747920283229055f68747470045f746370c01500218001000000780008000000000050c00cc02a0010800100001194000100095f7365727669636573075f646e732d7364045f756470c015000c0001000011940002c054c054000c0001000011940002c02a",
);
/** ndpi/iphone.pcap frame 16: mDNS PTR query. */
const SPOTIFY_QUERY = hex("000000000001000000000000105f73706f746966792d636f6e6e656374045f746370056c6f63616c00000c0001");
/** ndpi/iphone.pcap frame 3: mDNS response of an iMac, UTF-8 names, NSEC and OPT records. */
const IMAC_MDNS = hex(
  "000084000000001e0000000b0d4c756361e280997320694d6163065f6f6469736b045f746370056c6f63616c0000108001000011940034337379733d77614d413d43343a32433a30333a30363a34393a46452c616456463d3078342c616444543d3078332c616443433d30095f7365727669636573075f646e732d7364045f756470c026000c0001000011940002c01ac01a000c0001000011940002c00c0d4c756361e280997320694d61630c5f6465766963652d696e666fc0210010000100001194001a0e6d6f64656c3d694d616331312c330a6f7378766572733d3137095f6b65726265726f730a4c756361732d694d6163c02600100001000011940033324c4b44433a534841312e343932343830433345413832383237373141304432383846313131454639453735314639354136330d4c756361e280997320694d6163045f736d62c0210010800100001194000100c06b000c0001000011940002c141c141000c0001000011940002c1330d4c756361e280997320694d61630b5f6166706f766572746370c0210010800100001194000100c06b000c0001000011940002c17dc17d000c0001000011940002c16f0d4c756361e280997320694d6163045f737368c0210010800100001194000100c06b000c0001000011940002c1c0c1c0000c0001000011940002c1b20d4c756361e280997320694d6163095f736674702d737368c0210010800100001194000100c06b000c0001000011940002c1fcc1fc000c0001000011940002c1eec00c0021800100000078000800000000c000c0e9c133002180010000007800080000000001bdc0e9c16f00218001000000780008000000000224c0e9c1b200218001000000780008000000000016c0e9c1ee00218001000000780008000000000016c0e90d4c756361e280997320694d6163045f6e6673c0210010800100001194000100c06b000c0001000011940002c2a1c2a1000c0001000011940002c293c29300218001000000780008000000000801c0e90d4c756361e280997320694d61630f5f636f6d70616e696f6e2d6c696e6bc0210010800100001194005816727042413d35393a35313a30323a32463a41343a46460a727056723d3135322e3111727048493d303731366430353934346166117270484e3d38623533323433353964376411727048413d323864346265643531373830c06b000c0001000011940002c2f1c2f1000c0001000011940002c2e3c2e30021800100000078000800000000c003c0e9c0e900018001000000780004c0a80201c0e9001c8001000000780010fe80000000000000c42c03fffe606a64c00c002f8001000011940009c00c00050000800040c133002f8001000011940009c13300050000800040c16f002f8001000011940009c16f00050000800040c1b2002f8001000011940009c1b200050000800040c1ee002f8001000011940009c1ee00050000800040c293002f8001000011940009c29300050000800040c2e3002f8001000011940009c2e300050000800040c0e9002f8001000000780008c0e900044000000800002905a00000119400120004000e0000c42c030649fec62c03606a64",
);

const REAL_MESSAGES = [
  DNSCAT2_MX,
  DNSCAT2_TXT,
  IODINE_NULL,
  DNS2TCP_TXT,
  DNSCAT_CNAME,
  ALEXA_AAAA,
  SENTINEL_SOA,
  DLINK_MDNS,
  SPOTIFY_QUERY,
  IMAC_MDNS,
];

describe("parseDns on real messages (compared with tshark 4.0)", () => {
  it("decodes a dnscat2 MX response", () => {
    const m = ok(parse(DNSCAT2_MX));
    expect(m).toMatchObject({ id: 0x21c8, flags: 0x8180, qr: true, opcode: 0, rd: true, ra: true, rcode: 0 });
    expect(m.questions).toEqual([
      { name: "147901b8d3df9cc46c59d600078b3316ce.biillpi.com", type: 15, class: 1, unicastResponse: false },
    ]);
    expect(m.answers).toHaveLength(1);
    expect(m.answers[0]).toMatchObject({ name: "147901b8d3df9cc46c59d600078b3316ce.biillpi.com", type: 15, ttl: 60 });
    expect(m.answers[0]!.data).toEqual({
      kind: "mx",
      preference: 10,
      exchange: "611801b8d3ce2318e351d8ffffd59e7416.biillpi.com",
    });
    expect(m.trailingBytes).toBe(0);
  });

  it("decodes TXT strings (dnscat2, dns2tcp with an empty second string)", () => {
    expect(ok(parse(DNSCAT2_TXT)).answers[0]!.data).toEqual({
      kind: "txt",
      strings: ["480e01b8d3040655d23e05ffffd59e7416"],
    });
    const m = ok(parse(DNS2TCP_TXT));
    expect(m.questions[0]!.name).toBe("AAAAAH7wQA.=auth.dns2tcp.hsc.fr");
    expect(m.aa).toBe(true);
    expect(m.answers[0]!.data).toEqual({ kind: "txt", strings: ["AoncAAH7wAFBLWDRJRzFRQ0g4SDZTWFg", ""] });
  });

  it("reports the size of iodine NULL records", () => {
    const m = ok(parse(IODINE_NULL));
    expect(m.questions[0]!.name).toBe("yrb0pe.t1.biillpi.com");
    expect(m.answers[0]).toMatchObject({ type: 10, ttl: 0, rdataLength: 48, data: { kind: "null", length: 48 } });
    expect(m.answers[0]!.rdataOffset).toBe(IODINE_NULL.length - 48);
  });

  it("decodes a CNAME with 60-character labels", () => {
    const m = ok(parse(DNSCAT_CNAME));
    expect(m.answers[0]!.data).toEqual({
      kind: "name",
      name: "dnscat.9b6103f500eee20b1515fdffffb5582dbcb8c6088876921a4b613dd924225d5.34b83d36f2b5be49c334db33032ad618e75",
    });
  });

  it("prints AAAA the way tshark does", () => {
    const m = ok(parse(ALEXA_AAAA));
    expect(m.answers[0]!.data).toEqual({ kind: "aaaa", address: "2607:f8b0:4000:813::200e" });
    expect(m.answers[0]!.ttl).toBe(299);
  });

  it("decodes an SOA in the authority section", () => {
    const m = ok(parse(SENTINEL_SOA));
    expect(m.questions[0]!.name).toBe("gw");
    expect(m.answers).toEqual([]);
    expect(m.authorities[0]!.data).toEqual({
      kind: "soa",
      mname: "gw01.dns.pt",
      rname: "info.nic.gw",
      serial: 2016041901,
      refresh: 21600,
      retry: 7200,
      expire: 2592000,
      minimum: 300,
    });
  });

  it("decodes an mDNS announcement: cache-flush bits, SRV, empty TXT, PTR", () => {
    const m = ok(parse(DLINK_MDNS));
    expect(m.aa).toBe(true);
    expect(m.answers.map((r) => [r.name, r.type, r.cacheFlush])).toEqual([
      ["dcs-935l.local", 1, true],
      ["D-Link DCS-935L Configuration Utility (2)._http._tcp.local", 33, true],
      ["D-Link DCS-935L Configuration Utility (2)._http._tcp.local", 16, true],
      ["_services._dns-sd._udp.local", 12, false],
      ["_http._tcp.local", 12, false],
    ]);
    expect(m.answers.map((r) => r.data)).toEqual([
      { kind: "a", address: "192.168.0.20" },
      { kind: "srv", priority: 0, weight: 0, port: 80, target: "dcs-935l.local" },
      { kind: "txt", strings: [""] },
      { kind: "name", name: "_http._tcp.local" },
      { kind: "name", name: "D-Link DCS-935L Configuration Utility (2)._http._tcp.local" },
    ]);
    expect(m.answers[0]!.class).toBe(1);
  });

  it("decodes an mDNS query", () => {
    const m = ok(parse(SPOTIFY_QUERY));
    expect(m.qr).toBe(false);
    expect(m.questions).toEqual([{ name: "_spotify-connect._tcp.local", type: 12, class: 1, unicastResponse: false }]);
  });

  it("decodes UTF-8 mDNS names, SRV targets, TXT, AAAA and EDNS0 options", () => {
    const m = ok(parse(IMAC_MDNS));
    expect(m.answers).toHaveLength(30);
    expect(m.additionals).toHaveLength(11);
    const records = allRecords(m);
    expect(records[0]!.name).toBe("Luca’s iMac._odisk._tcp.local");
    expect(records.filter((r) => r.data.kind === "srv").map((r) => r.data.kind === "srv" && r.data.port)).toEqual([
      49152, 445, 548, 22, 22, 2049, 49155,
    ]);
    expect(records.flatMap((r) => (r.data.kind === "aaaa" ? [r.data.address] : []))).toEqual([
      "fe80::c42c:3ff:fe60:6a64",
    ]);
    expect(records.flatMap((r) => (r.data.kind === "a" ? [r.data.address] : []))).toEqual(["192.168.2.1"]);
    expect(records[0]!.data).toEqual({
      kind: "txt",
      strings: ["sys=waMA=C4:2C:03:06:49:FE,adVF=0x4,adDT=0x3,adCC=0"],
    });
    expect(records.filter((r) => r.type === 47).every((r) => r.data.kind === "other")).toBe(true);
    const opt = records[records.length - 1]!;
    expect(opt).toMatchObject({ name: "", type: 41, class: 1440, cacheFlush: false });
    expect(opt.data).toEqual({
      kind: "opt",
      udpPayloadSize: 1440,
      extendedRcode: 0,
      version: 0,
      dnssecOk: false,
      optionCodes: [4],
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe("parseDns on built messages", () => {
  it("decodes header flags", () => {
    const m = ok(parse(buildMessage({ id: 0xbeef, flags: 0b1_0101_1_1_1_1_0_1_1_0011 })));
    expect(m).toMatchObject({
      id: 0xbeef,
      qr: true,
      opcode: 5,
      aa: true,
      tc: true,
      rd: true,
      ra: true,
      ad: true,
      cd: true,
      rcode: 3,
    });
    const q = ok(parse(buildMessage({ flags: 0 })));
    expect(q).toMatchObject({ qr: false, opcode: 0, aa: false, tc: false, rd: false, ra: false, rcode: 0 });
  });

  it("splits the mDNS unicast-response bit from the question class", () => {
    const m = ok(
      parse(buildMessage({ flags: 0, questions: [{ name: labelsOf("a.local"), type: 255, class: 0x8001 }] })),
    );
    expect(m.questions[0]).toEqual({ name: "a.local", type: 255, class: 1, unicastResponse: true });
  });

  it("decodes every supported record type", () => {
    const owner = labelsOf("host.example");
    const m = ok(
      parse(
        buildMessage({
          answers: [
            { name: owner, type: 1, class: 1, ttl: 1, rdata: (e) => e.raw([10, 0, 0, 1]) },
            { name: owner, type: 28, class: 1, ttl: 2, rdata: (e) => e.raw(hex("20010db8000000000000000000000001")) },
            { name: owner, type: 2, class: 1, ttl: 3, rdata: (e) => e.name(labelsOf("ns1.example")) },
            { name: owner, type: 5, class: 1, ttl: 4, rdata: (e) => e.name(labelsOf("alias.example")) },
            { name: owner, type: 12, class: 1, ttl: 5, rdata: (e) => e.name(labelsOf("ptr.example")) },
            { name: owner, type: 39, class: 1, ttl: 5, rdata: (e) => e.name(labelsOf("dname.example")) },
            {
              name: owner,
              type: 15,
              class: 1,
              ttl: 6,
              rdata: (e) => {
                e.u16(20);
                e.name(labelsOf("mx.example"));
              },
            },
            {
              name: owner,
              type: 33,
              class: 1,
              ttl: 7,
              rdata: (e) => {
                e.u16(1);
                e.u16(2);
                e.u16(5060);
                e.name(labelsOf("sip.example"));
              },
            },
            { name: owner, type: 16, class: 1, ttl: 8, rdata: (e) => e.raw([1, 0x61, 0, 2, 0xc3, 0xa9]) },
            {
              name: owner,
              type: 13,
              class: 1,
              ttl: 9,
              rdata: (e) => e.raw([3, 0x41, 0x52, 0x4d, 5, ...ascii("Linux")]),
            },
            { name: owner, type: 10, class: 1, ttl: 10, rdata: (e) => e.raw([1, 2, 3]) },
            { name: owner, type: 99, class: 1, ttl: 11, rdata: (e) => e.raw([1, 2]) },
            { name: owner, type: 1, class: 0x8001, ttl: 0xffffffff, rdata: (e) => e.raw([1, 2, 3]) },
          ],
          additionals: [
            {
              name: [],
              type: 41,
              class: 0x8000,
              ttl: 0x01028000,
              rdata: (e) => e.raw([0, 10, 0, 2, 0xaa, 0xbb, 0, 12, 0, 0]),
            },
          ],
        }),
      ),
    );
    expect(m.answers.map((r) => r.data)).toEqual([
      { kind: "a", address: "10.0.0.1" },
      { kind: "aaaa", address: "2001:db8::1" },
      { kind: "name", name: "ns1.example" },
      { kind: "name", name: "alias.example" },
      { kind: "name", name: "ptr.example" },
      { kind: "name", name: "dname.example" },
      { kind: "mx", preference: 20, exchange: "mx.example" },
      { kind: "srv", priority: 1, weight: 2, port: 5060, target: "sip.example" },
      { kind: "txt", strings: ["a", "", "é"] },
      { kind: "hinfo", cpu: "ARM", os: "Linux" },
      { kind: "null", length: 3 },
      { kind: "other", length: 2 },
      { kind: "malformed", reason: "dns_a_bad_length", length: 3 },
    ]);
    expect(m.answers.map((r) => r.ttl)).toEqual([1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11, 0xffffffff]);
    expect(m.answers[12]).toMatchObject({ class: 1, cacheFlush: true });
    expect(m.additionals[0]).toMatchObject({ name: "", type: 41, class: 0x8000, cacheFlush: false });
    expect(m.additionals[0]!.data).toEqual({
      kind: "opt",
      udpPayloadSize: 0x8000,
      extendedRcode: 1,
      version: 2,
      dnssecOk: true,
      optionCodes: [10, 12],
    });
  });

  it("keeps a record whose data is malformed and goes on with the message", () => {
    const owner = labelsOf("x");
    const m = ok(
      parse(
        buildMessage({
          answers: [
            { name: owner, type: 16, class: 1, ttl: 0, rdata: (e) => e.raw([5, 0x61]) },
            { name: owner, type: 15, class: 1, ttl: 0, rdata: (e) => e.raw([0, 1]) },
            { name: owner, type: 33, class: 1, ttl: 0, rdata: (e) => e.raw([0, 1, 0, 2]) },
            { name: owner, type: 5, class: 1, ttl: 0, rdata: (e) => e.raw([3, 0x61, 0x62]) },
            { name: owner, type: 5, class: 1, ttl: 0, rdata: (e) => e.raw([0xc3, 0xff]) },
            { name: owner, type: 28, class: 1, ttl: 0, rdata: (e) => e.raw([1, 2, 3, 4]) },
            { name: owner, type: 6, class: 1, ttl: 0, rdata: (e) => e.raw([0, 0, 1, 2]) },
            { name: owner, type: 13, class: 1, ttl: 0, rdata: (e) => e.raw([1, 0x61]) },
            { name: owner, type: 41, class: 512, ttl: 0, rdata: (e) => e.raw([0, 1, 0]) },
            { name: owner, type: 1, class: 1, ttl: 0, rdata: (e) => e.raw([192, 0, 2, 1]) },
          ],
        }),
      ),
    );
    expect(m.answers.map((r) => (r.data.kind === "malformed" ? r.data.reason : r.data.kind))).toEqual([
      "dns_txt_string_overrun",
      "dns_mx_too_short",
      "dns_srv_too_short",
      "dns_rdata_name_overrun",
      "dns_name_bad_pointer",
      "dns_aaaa_bad_length",
      "dns_soa_too_short",
      "dns_hinfo_overrun",
      "dns_opt_option_truncated",
      "a",
    ]);
  });

  it("reports bytes after the last record", () => {
    const m = buildMessage({ questions: [{ name: labelsOf("a.b"), type: 1, class: 1 }] });
    const padded = new Uint8Array(m.length + 7);
    padded.set(m);
    expect(ok(parse(padded)).trailingBytes).toBe(7);
  });

  it("uses the empty string for the root name", () => {
    const m = ok(parse(buildMessage({ questions: [{ name: [], type: 2, class: 1 }] })));
    expect(m.questions[0]!.name).toBe("");
  });

  it("escapes dots, backslashes and control bytes in labels, and decodes UTF-8", () => {
    const label = (...b: number[]) => new Uint8Array(b);
    const m = ok(
      parse(
        buildMessage({
          questions: [
            { name: [ascii("a.b"), ascii("com")], type: 1, class: 1 },
            { name: [label(0x78, 0x00, 0x79, 0x7f, 0x01, 0x1b), ascii("org")], type: 1, class: 1 },
            { name: [label(7, 8, 9, 10, 11, 12, 13, 0x20)], type: 1, class: 1 },
            { name: [ascii("back\\sl")], type: 1, class: 1 },
            { name: [label(0xc3, 0xa9, 0x74, 0xc3, 0xa9), ascii("fr")], type: 1, class: 1 },
            { name: [label(0x80, 0x61, 0xff)], type: 1, class: 1 },
          ],
        }),
      ),
    );
    expect(m.questions.map((q) => q.name)).toEqual([
      "a\\.b.com",
      "x\\000y\\177\\001\\033.org",
      "\\a\\b\\t\\n\\v\\f\\r ",
      "back\\\\sl",
      "été.fr",
      "\uFFFDa\uFFFD",
    ]);
  });

  it("accepts a name of exactly 255 bytes and rejects 256", () => {
    // 3 × (1 + 63) + (1 + 61) + root = 255
    const long = [1, 2, 3].map(() => ascii("a".repeat(63)));
    const fits = ok(
      parse(buildMessage({ questions: [{ name: [...long, ascii("b".repeat(61))], type: 1, class: 1 }] })),
    );
    expect(fits.questions[0]!.name).toHaveLength(63 * 3 + 61 + 3);
    const tooLong = parse(buildMessage({ questions: [{ name: [...long, ascii("b".repeat(62))], type: 1, class: 1 }] }));
    expect(tooLong).toEqual({ ok: false, reason: "dns_name_too_long", offset: 12 + 192 });
  });

  it("counts compressed labels against the 255-byte limit", () => {
    // Question 1: 4 × 63-byte labels minus one (at the limit), question 2 prepends a label to it.
    const base = [1, 2, 3].map(() => ascii("a".repeat(63)));
    const first = [...base, ascii("b".repeat(61))];
    const message = buildMessage({
      questions: [
        { name: first, type: 1, class: 1 },
        { name: [ascii("x"), ...first], type: 1, class: 1 },
      ],
    });
    expect(parse(message)).toMatchObject({ ok: false, reason: "dns_name_too_long" });
  });
});

describe("parseDns on hostile messages", () => {
  const header = (qd: number, an = 0, ns = 0, ar = 0) => [0, 1, 0x81, 0x80, 0, qd, 0, an, 0, ns, 0, ar];
  const from = (...b: number[]) => new Uint8Array(b);

  it("rejects a pointer to itself, forward, and mutual pointer loops", () => {
    expect(parse(from(...header(1), 0xc0, 12, 0, 1, 0, 1))).toEqual({
      ok: false,
      reason: "dns_name_bad_pointer",
      offset: 12,
    });
    expect(parse(from(...header(1), 0xc0, 14, 0, 1, 0, 1))).toMatchObject({ reason: "dns_name_bad_pointer" });
    // Label "a" at 12, then a pointer back to 12: the second run starts where the first did.
    expect(parse(from(...header(1), 1, 0x61, 0xc0, 12, 0, 1, 0, 1))).toMatchObject({ reason: "dns_name_bad_pointer" });
    // Two questions: the second points at 20, where a pointer leads back to 20 via 12.
    const loop = from(...header(2), 1, 0x61, 0xc0, 16, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1);
    expect(parse(loop)).toMatchObject({ ok: false, reason: "dns_name_bad_pointer" });
  });

  it("follows a pointer chain up to the jump limit and no further", () => {
    // Answer 1 is a NULL record whose data holds a root label and a chain of pointers, each to
    // the one before; answer 2's name points at the last, so reading it takes pointers + 1 jumps.
    const chained = (pointers: number) => {
      const rdataAt = 12 + 1 + 10;
      const rdata = [0];
      for (let k = 1; k <= pointers; k++) {
        const target = k === 1 ? rdataAt : rdataAt + 1 + 2 * (k - 2);
        rdata.push(0xc0 | (target >>> 8), target & 0xff);
      }
      const last = rdataAt + 1 + 2 * (pointers - 1);
      return from(
        ...header(0, 2),
        ...[0, 0, 10, 0, 1, 0, 0, 0, 0, rdata.length >>> 8, rdata.length & 0xff],
        ...rdata,
        ...[0xc0 | (last >>> 8), last & 0xff, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1],
      );
    };
    const atLimit = ok(parse(chained(DNS_MAX_POINTER_JUMPS - 1)));
    expect(atLimit.answers[1]).toMatchObject({ name: "", data: { kind: "a", address: "192.0.2.1" } });
    expect(parse(chained(DNS_MAX_POINTER_JUMPS))).toMatchObject({ ok: false, reason: "dns_name_too_many_jumps" });
  });

  it("fails fast on counts the message cannot hold", () => {
    const start = performance.now();
    expect(parse(from(...header(0xffff, 0xffff, 0xffff, 0xffff)))).toEqual({
      ok: false,
      reason: "dns_counts_exceed_length",
      offset: 4,
    });
    expect(performance.now() - start).toBeLessThan(50);
  });

  it("refuses more than DNS_MAX_RECORDS records", () => {
    const n = DNS_MAX_RECORDS + 1;
    const bytes = new Uint8Array(12 + n * 5);
    bytes.set(header(0));
    bytes[4] = n >>> 8;
    bytes[5] = n & 0xff;
    for (let i = 0; i < n; i++) bytes.set([0, 0, 1, 0, 1], 12 + i * 5);
    expect(parse(bytes)).toMatchObject({ ok: false, reason: "dns_too_many_records" });
    const atLimit = bytes.subarray(0, 12 + DNS_MAX_RECORDS * 5).slice();
    atLimit[4] = DNS_MAX_RECORDS >>> 8;
    atLimit[5] = DNS_MAX_RECORDS & 0xff;
    expect(ok(parse(atLimit)).questions).toHaveLength(DNS_MAX_RECORDS);
  });

  it("stays fast on the worst message the limits allow", () => {
    // The first question is a 255-byte name of 127 one-byte labels; 1023 more point at it.
    const worst: number[] = [...header(0)];
    worst[4] = DNS_MAX_RECORDS >>> 8;
    worst[5] = DNS_MAX_RECORDS & 0xff;
    for (let i = 0; i < 127; i++) worst.push(1, 0x61);
    worst.push(0, 0, 1, 0, 1);
    for (let i = 1; i < DNS_MAX_RECORDS; i++) worst.push(0xc0, 12, 0, 1, 0, 1);
    const message = from(...worst);
    parse(message); // warm up
    const start = performance.now();
    const m = ok(parse(message));
    expect(performance.now() - start).toBeLessThan(100);
    expect(m.questions).toHaveLength(DNS_MAX_RECORDS);
    expect(m.questions[DNS_MAX_RECORDS - 1]!.name).toHaveLength(253);
  });

  it("rejects extended and reserved label types", () => {
    expect(parse(from(...header(1), 0x41, 0, 0, 0, 1, 0, 1))).toMatchObject({ reason: "dns_name_bad_label_type" });
    expect(parse(from(...header(1), 0x81, 0, 0, 0, 1, 0, 1))).toMatchObject({ reason: "dns_name_bad_label_type" });
  });

  it("names the truncated part", () => {
    expect(parse(from(0, 1, 2))).toEqual({ ok: false, reason: "dns_too_short", offset: 0 });
    expect(parse(from(...header(1), 3, 0x61, 0x62, 0x63, 0, 0, 1, 0))).toMatchObject({
      reason: "dns_question_truncated",
    });
    expect(parse(from(...header(1), 5, 0x61, 0x62, 0x63, 0, 0, 1, 0, 1))).toMatchObject({
      reason: "dns_name_truncated",
    });
    expect(parse(from(...header(0, 1), 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1))).toMatchObject({
      reason: "dns_rdata_truncated",
    });
    const rr = from(...header(0, 1), 0, 0, 1, 0, 1, 0, 0, 0, 0, 0);
    expect(parse(rr)).toMatchObject({ reason: "dns_counts_exceed_length" });
  });

  it("rejects windows outside the buffer instead of throwing", () => {
    const b = new Uint8Array(20);
    expect(parseDns(b, 10, 20)).toEqual({ ok: false, reason: "bad_window", offset: 0 });
    expect(parseDns(b, -1, 5)).toMatchObject({ reason: "bad_window" });
    expect(parseDns(b, 0.5, 5)).toMatchObject({ reason: "bad_window" });
    expect(parseDns(b, 0, Number.NaN)).toMatchObject({ reason: "bad_window" });
  });
});

describe("parseDnsOverTcp", () => {
  it("reads the message behind the length prefix and ignores what follows", () => {
    const message = DNSCAT2_MX;
    const stream = new Uint8Array(2 + message.length + 2 + ALEXA_AAAA.length);
    stream[0] = message.length >>> 8;
    stream[1] = message.length & 0xff;
    stream.set(message, 2);
    stream[2 + message.length] = 0;
    stream[3 + message.length] = ALEXA_AAAA.length;
    stream.set(ALEXA_AAAA, 4 + message.length);
    const first = ok(parseDnsOverTcp(stream, 0, stream.length));
    expect(first.length).toBe(message.length);
    expect(first.answers[0]!.data).toMatchObject({ kind: "mx" });
    const second = ok(parseDnsOverTcp(stream, 2 + first.length, stream.length - 2 - first.length));
    expect(second.answers[0]!.data).toEqual({ kind: "aaaa", address: "2607:f8b0:4000:813::200e" });
  });

  it("says when the message is not all there, and shifts failure offsets past the prefix", () => {
    const stream = new Uint8Array([0, 20, ...DNSCAT2_MX.subarray(0, 10)]);
    expect(parseDnsOverTcp(stream, 0, stream.length)).toEqual({ ok: false, reason: "dns_tcp_incomplete", offset: 0 });
    expect(parseDnsOverTcp(stream, 0, 1)).toEqual({ ok: false, reason: "dns_tcp_too_short", offset: 0 });
    const short = new Uint8Array([0, 3, 1, 2, 3]);
    expect(parseDnsOverTcp(short, 0, 5)).toEqual({ ok: false, reason: "dns_too_short", offset: 2 });
  });
});

describe("formatIpv6Bytes", () => {
  // Expected strings are what tshark 4.0 prints for these AAAA records.
  const cases: [string, string][] = [
    ["00000000000000000000ffff01020304", "::ffff:1.2.3.4"],
    ["00000000000000000000000001020304", "::1.2.3.4"],
    ["20010db8000000000000000000000001", "2001:db8::1"],
    ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
    ["20010000000000010000000000000001", "2001:0:0:1::1"],
    ["20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"],
    ["00000000000000000000000000000000", "::"],
    ["00000000000000000000000000000001", "::1"],
    ["fe800000000000000000000000000000", "fe80::"],
    ["00010000000000000000000000000000", "1::"],
    ["00000000000000000000ffff00000000", "::ffff:0.0.0.0"],
    ["00000000000000000000000200030004", "::2:3:4"],
    ["00000000000000000000000000010002", "::0.1.0.2"],
    ["0064ff9b000000000000000001020304", "64:ff9b::102:304"],
    ["00000000000000000000000000000002", "::2"],
  ];
  it.each(cases)("%s prints as %s", (bytes, text) => {
    expect(formatIpv6Bytes(hex(bytes), 0)).toBe(text);
  });

  it("agrees with the WHATWG URL serializer (RFC 5952) when no IPv4 is embedded", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 6 }),
        (address, zeroGroups) => {
          for (const g of zeroGroups) {
            address[2 * g] = 0;
            address[2 * g + 1] = 0;
          }
          const text = formatIpv6Bytes(address, 0);
          const groups = Array.from({ length: 8 }, (_, g) => (address[2 * g]! << 8) | address[2 * g + 1]!);
          const leadingZeros = groups.findIndex((g) => g !== 0);
          const embeds = (leadingZeros === 6 && groups[6] !== 0) || (leadingZeros === 5 && groups[5] === 0xffff);
          if (embeds) {
            expect(text).toMatch(/^::(ffff:)?\d+\.\d+\.\d+\.\d+$/);
          } else {
            expect(text).toBe(new URL(`http://[${text}]/`).hostname.slice(1, -1));
            expect(new URL(`http://[${text}]/`).hostname).toBe(
              new URL(`http://[${groups.map((g) => g.toString(16)).join(":")}]/`).hostname,
            );
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("readUncompressedName", () => {
  it("reads full and partial names and rejects pointers", () => {
    const full = hex("03777777076578616d706c6503636f6d00");
    expect(readUncompressedName(full, 0, full.length)).toBe("www.example.com");
    expect(readUncompressedName(full, 0, full.length - 1)).toBe("www.example.com");
    expect(readUncompressedName(hex("00"), 0, 1)).toBe("");
    expect(readUncompressedName(hex("03777777c00c"), 0, 6)).toBeUndefined();
    expect(readUncompressedName(hex("0577777700"), 0, 5)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const labelArb = fc.uint8Array({ minLength: 1, maxLength: 20 });
const nameArb = fc.array(labelArb, { maxLength: 5 });
const recordArb = fc.oneof(
  fc.record({
    kind: fc.constant("a" as const),
    name: nameArb,
    ttl: fc.nat(),
    address: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant("aaaa" as const),
    name: nameArb,
    ttl: fc.nat(),
    address: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant("cname" as const), name: nameArb, ttl: fc.nat(), target: nameArb }),
  fc.record({
    kind: fc.constant("txt" as const),
    name: nameArb,
    ttl: fc.nat(),
    strings: fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant("srv" as const),
    name: nameArb,
    ttl: fc.nat(),
    port: fc.integer({ min: 0, max: 65535 }),
    target: nameArb,
  }),
);
const messageArb = fc.record({
  id: fc.integer({ min: 0, max: 65535 }),
  flags: fc.integer({ min: 0, max: 65535 }),
  questions: fc.array(fc.record({ name: nameArb, type: fc.integer({ min: 0, max: 65535 }), qu: fc.boolean() }), {
    maxLength: 4,
  }),
  records: fc.array(fc.tuple(recordArb, fc.boolean()), { maxLength: 8 }),
  compress: fc.boolean(),
});
type MessageSpec = typeof messageArb extends fc.Arbitrary<infer T> ? T : never;

function encodeSpec(spec: MessageSpec): Uint8Array {
  return buildMessage(
    {
      id: spec.id,
      flags: spec.flags,
      questions: spec.questions.map((q) => ({ name: q.name, type: q.type, class: q.qu ? 0x8001 : 1 })),
      answers: spec.records.map(([r, flush]) => ({
        name: r.name,
        type: { a: 1, aaaa: 28, cname: 5, txt: 16, srv: 33 }[r.kind],
        class: flush ? 0x8001 : 1,
        ttl: r.ttl,
        rdata: (e: Encoder) => {
          switch (r.kind) {
            case "a":
            case "aaaa":
              e.raw(r.address);
              return;
            case "cname":
              e.name(r.target);
              return;
            case "txt":
              for (const s of r.strings) {
                e.u8(s.length);
                e.raw(s);
              }
              return;
            case "srv":
              e.u16(0);
              e.u16(0);
              e.u16(r.port);
              e.name(r.target);
              return;
          }
        },
      })),
    },
    spec.compress,
  );
}

const nameText = (labels: Uint8Array[]) => labels.map(referenceLabelText).join(".");

describe("parseDns properties", () => {
  it("round-trips built messages", () => {
    fc.assert(
      fc.property(messageArb, (spec) => {
        const m = ok(parse(encodeSpec(spec)));
        expect(m.id).toBe(spec.id);
        expect(m.flags).toBe(spec.flags);
        expect(m.questions).toEqual(
          spec.questions.map((q) => ({ name: nameText(q.name), type: q.type, class: 1, unicastResponse: q.qu })),
        );
        expect(m.answers).toHaveLength(spec.records.length);
        spec.records.forEach(([r, flush], i) => {
          const got = m.answers[i]!;
          expect(got.name).toBe(nameText(r.name));
          expect(got.ttl).toBe(r.ttl);
          expect(got.cacheFlush).toBe(flush);
          switch (r.kind) {
            case "a":
              expect(got.data).toEqual({ kind: "a", address: Array.from(r.address).join(".") });
              break;
            case "aaaa":
              expect(got.data).toEqual({ kind: "aaaa", address: formatIpv6Bytes(r.address, 0) });
              break;
            case "cname":
              expect(got.data).toEqual({ kind: "name", name: nameText(r.target) });
              break;
            case "txt":
              expect(got.data).toEqual({ kind: "txt", strings: r.strings.map((s) => utf8.decode(s)) });
              break;
            case "srv":
              expect(got.data).toEqual({
                kind: "srv",
                priority: 0,
                weight: 0,
                port: r.port,
                target: nameText(r.target),
              });
              break;
          }
        });
        expect(m.trailingBytes).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on random bytes, and reads only its window", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        (message, before, after) => {
          const alone = parse(message);
          expect(parseEmbedded(message, before, after)).toEqual(alone);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never throws on mutated real and built messages, and reads only its window", () => {
    const seeds = fc.oneof(fc.constantFrom(...REAL_MESSAGES), messageArb.map(encodeSpec));
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        seeds,
        mutation,
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        (seed, edits, cut, pad) => {
          const message = seed.slice();
          for (const [at, value] of edits) message[at % message.length] = value;
          const length = cut % (message.length + 1);
          const window = message.subarray(0, length).slice();
          const start = performance.now();
          const alone = parse(window);
          expect(performance.now() - start).toBeLessThan(100);
          // The rest of the real message follows the window: reading past it would change the result.
          expect(parseEmbedded(window, pad, message.subarray(length))).toEqual(alone);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("gives the same result for every prefix whether or not the rest of the message follows", () => {
    for (const message of REAL_MESSAGES) {
      for (let length = 0; length <= message.length; length++) {
        const alone = parse(message.slice(0, length));
        expect(parseDns(message, 0, length)).toEqual(alone);
        if (length === message.length) expect(alone.ok).toBe(true);
      }
    }
  });
});
