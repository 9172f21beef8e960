import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DhcpMessage, type Dhcpv6Message, parseDhcp, parseDhcpv6 } from "./dhcp.js";
import type { Parsed } from "./parsed.js";

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));
}

/** Hex with `00*N` standing for N zero bytes, to keep BOOTP's empty fields short. */
function zhex(text: string): Uint8Array {
  return hex(text.replace(/00\*(\d+)/g, (_, n: string) => "00".repeat(Number(n))));
}

function ok<T>(result: Parsed<T>): T {
  if (!result.ok) throw new Error(`expected a parse, got ${result.reason} at ${result.offset}`);
  return result.value;
}

const parse = (b: Uint8Array) => parseDhcp(b, 0, b.length);
const parse6 = (b: Uint8Array) => parseDhcpv6(b, 0, b.length);

function embedded<T>(
  parser: (b: Uint8Array, o: number, l: number) => Parsed<T>,
  message: Uint8Array,
  before: Uint8Array,
  after: Uint8Array,
): Parsed<T> {
  const buffer = new Uint8Array(before.length + message.length + after.length);
  buffer.set(before);
  buffer.set(message, before.length);
  buffer.set(after, before.length + message.length);
  return parser(buffer, before.length, message.length);
}

// ---------------------------------------------------------------------------------------------
// Real messages (UDP payloads from ../shared/data; expected values as tshark 4.0 prints them)

/** chrissanders/dhcp_nolease_initialization.pcapng frame 1: Discover from "ubuntu2". */
const UBUNTU_DISCOVER = zhex(
  "01010600696ddc66 00*20 000c2959fd21 00*202 638253633501013204c0a864810c077562756e747532370d011c02030f06770c2c2f1a792aff 00*26",
);
/** Same capture, frame 4: the server's ACK. */
const UBUNTU_ACK = zhex(
  "02010600696ddc660000000000000000c0a8010ac0a8010500000000000c2959fd21 00*202 638253633501053604c0a801053304000002580104ffffff001c04c0a801ff0304c0a801fe0f106d79646f6d61696e2e6578616d706c650608c0a80101c0a80102ff",
);
/** ndpi/alexa-app.pcapng frame 7: Request from an Android phone (dhcpcd, client id). */
const ANDROID_REQUEST = zhex(
  "010106007c6d7f31 00*20 78f882d3fbc2 00*202 638253633501033d070178f882d3fbc23204ac102ad8390205dc3c0c6468637063642d352e352e360c18616e64726f69642d31633133333565633935613237333138370a012103060f1a1c333a3bff",
);
/** bench/iot-sentinel-all-550-merged.pcap frame 16113: Discover from a Philips Hue bridge. */
const HUE_DISCOVER = zhex(
  "01010600042ff5b6 00*20 0017882476ff 00*202 638253633501013204c0a801013902024037070103060c0f1c2a3c0c756468637020312e31392e340c0b5068696c6970732d687565ff 00*64",
);
/** ndpi/android.pcap frame 150: DHCPv6 Solicit. */
const ANDROID_SOLICIT = hex(
  "01d8e4fe0001000e0001000125e5148e4c6af69ff6270003000c0e0008ca00000000000000000008000200000006000400170018",
);
/** Built, then checked with tshark: Solicit with ORO, elapsed time, vendor class and FQDN. */
const BUILT_SOLICIT = hex(
  "011234560001000e000100012a2b2c2d00112233445500060006001700180027000800020064001000130000013700084d53465420352e3000036162630027001501066c6170746f70076578616d706c6503636f6d00",
);
/** The same Solicit inside a Relay-forw. */
const BUILT_RELAY = hex(
  "0c0120010db8000000000000000000000001fe80000000000000000000000000000200090056011234560001000e000100012a2b2c2d00112233445500060006001700180027000800020064001000130000013700084d53465420352e3000036162630027001501066c6170746f70076578616d706c6503636f6d00",
);

const REAL_V4 = [UBUNTU_DISCOVER, UBUNTU_ACK, ANDROID_REQUEST, HUE_DISCOVER];
const REAL_V6 = [ANDROID_SOLICIT, BUILT_SOLICIT, BUILT_RELAY];

describe("parseDhcp on real messages (compared with tshark 4.0)", () => {
  it("decodes a Discover with hostname and parameter request list", () => {
    const m = ok(parse(UBUNTU_DISCOVER));
    expect(m).toMatchObject({
      op: 1,
      htype: 1,
      hlen: 6,
      xid: 0x696ddc66,
      broadcast: false,
      chaddr: "00:0c:29:59:fd:21",
      ciaddr: "0.0.0.0",
      yiaddr: "0.0.0.0",
      dhcp: true,
      messageType: 1,
      messageTypeName: "Discover",
      hostname: "ubuntu2",
      requestedIp: "192.168.100.129",
      parameterRequestList: [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42],
      parameterRequestListText: "1,28,2,3,15,6,119,12,44,47,26,121,42",
      optionCodes: [53, 50, 12, 55],
      serverName: "",
      bootFile: "",
      overload: 0,
    });
    expect(m.vendorClass).toBeUndefined();
  });

  it("decodes the server's ACK", () => {
    expect(ok(parse(UBUNTU_ACK))).toMatchObject({
      op: 2,
      messageTypeName: "ACK",
      yiaddr: "192.168.1.10",
      siaddr: "192.168.1.5",
      serverId: "192.168.1.5",
      leaseTime: 600,
      subnetMask: "255.255.255.0",
      routers: ["192.168.1.254"],
      dnsServers: ["192.168.1.1", "192.168.1.2"],
      domainName: "mydomain.example",
      optionCodes: [53, 54, 51, 1, 28, 3, 15, 6],
    });
  });

  it("decodes vendor class and client id", () => {
    expect(ok(parse(ANDROID_REQUEST))).toMatchObject({
      messageTypeName: "Request",
      chaddr: "78:f8:82:d3:fb:c2",
      clientId: "0178f882d3fbc2",
      vendorClass: "dhcpcd-5.5.6",
      hostname: "android-1c1335ec95a27318",
      requestedIp: "172.16.42.216",
      parameterRequestListText: "1,33,3,6,15,26,28,51,58,59",
      optionCodes: [53, 61, 50, 57, 60, 12, 55],
    });
    expect(ok(parse(HUE_DISCOVER))).toMatchObject({
      hostname: "Philips-hue",
      vendorClass: "udhcp 1.19.4",
      parameterRequestListText: "1,3,6,12,15,28,42",
    });
  });
});

describe("parseDhcpv6", () => {
  it("decodes a real Solicit", () => {
    const m = ok(parse6(ANDROID_SOLICIT));
    expect(m).toEqual({
      messageType: 1,
      messageTypeName: "Solicit",
      transactionId: 0xd8e4fe,
      optionCodes: [1, 3, 8, 6],
      clientDuid: "0001000125e5148e4c6af69ff627",
      elapsedTime: 0,
      oro: [23, 24],
    } satisfies Dhcpv6Message);
  });

  it("decodes vendor class and FQDN (tshark: enterprise 311, laptop.example.com.)", () => {
    expect(ok(parse6(BUILT_SOLICIT))).toEqual({
      messageType: 1,
      messageTypeName: "Solicit",
      transactionId: 0x123456,
      optionCodes: [1, 6, 8, 16, 39],
      clientDuid: "000100012a2b2c2d001122334455",
      oro: [23, 24, 39],
      elapsedTime: 100,
      vendorClassEnterprise: 311,
      vendorClassData: ["MSFT 5.0", "abc"],
      fqdnFlags: 1,
      fqdn: "laptop.example.com",
    } satisfies Dhcpv6Message);
  });

  it("decodes relay messages and the message they carry", () => {
    const m = ok(parse6(BUILT_RELAY));
    expect(m).toMatchObject({
      messageType: 12,
      messageTypeName: "Relay-forw",
      transactionId: 0,
      hopCount: 1,
      linkAddress: "2001:db8::1",
      peerAddress: "fe80::2",
      optionCodes: [9],
    });
    expect(m.relayed).toEqual(ok(parse6(BUILT_SOLICIT)));
  });

  it("bounds relay nesting", () => {
    let message = BUILT_SOLICIT;
    for (let i = 0; i < 40; i++) {
      const outer = new Uint8Array(34 + 4 + message.length);
      outer[0] = 12;
      outer[35] = 9;
      outer[36] = message.length >>> 8;
      outer[37] = message.length & 0xff;
      outer.set(message, 38);
      message = outer;
    }
    expect(parse6(message)).toMatchObject({ ok: false, reason: "dhcpv6_relay_too_deep" });
  });

  it("names malformed messages", () => {
    expect(parse6(hex("0112"))).toEqual({ ok: false, reason: "dhcpv6_too_short", offset: 0 });
    expect(parse6(hex("00123456"))).toMatchObject({ reason: "dhcpv6_bad_message_type" });
    expect(parse6(hex("0c00"))).toMatchObject({ reason: "dhcpv6_too_short" });
    expect(parse6(hex("0c000000"))).toMatchObject({ reason: "dhcpv6_relay_too_short" });
    expect(parse6(hex("01123456000100"))).toEqual({ ok: false, reason: "dhcpv6_option_truncated", offset: 4 });
    expect(parse6(hex("011234560001000501"))).toEqual({ ok: false, reason: "dhcpv6_option_truncated", offset: 4 });
    expect(parse6(hex("0b123456"))).toMatchObject({ ok: true, value: { messageTypeName: "Information-request" } });
    expect(parse6(hex("63123456"))).toMatchObject({ ok: true, value: { messageTypeName: "Unknown" } });
  });
});

// ---------------------------------------------------------------------------------------------

/** Builds a BOOTREQUEST with the given options area (bytes after the magic cookie). */
function request(
  options: number[],
  fixed: Partial<{ htype: number; hlen: number; sname: number[]; file: number[] }> = {},
) {
  const bytes = new Uint8Array(240 + options.length);
  bytes[0] = 1;
  bytes[1] = fixed.htype ?? 1;
  bytes[2] = fixed.hlen ?? 6;
  bytes.set([0xde, 0xad, 0xbe, 0xef], 4);
  bytes[10] = 0x80;
  bytes.set([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 28);
  bytes.set(fixed.sname ?? [], 44);
  bytes.set(fixed.file ?? [], 108);
  bytes.set([99, 130, 83, 99], 236);
  bytes.set(options, 240);
  return bytes;
}
const text = (s: string) => Array.from(new TextEncoder().encode(s));

describe("parseDhcp on built messages", () => {
  it("reads plain BOOTP without options", () => {
    const bytes = request([]).subarray(0, 300).slice();
    bytes.fill(0, 236, 240);
    bytes.set(text("tftp-server"), 44);
    bytes.set(text("pxelinux.0"), 108);
    expect(ok(parse(bytes))).toMatchObject({
      dhcp: false,
      optionCodes: [],
      broadcast: true,
      xid: 0xdeadbeef,
      serverName: "tftp-server",
      bootFile: "pxelinux.0",
    });
    expect(ok(parse(bytes.subarray(0, 236)))).toMatchObject({ dhcp: false });
  });

  it("formats chaddr from hlen", () => {
    expect(ok(parse(request([255], { htype: 6, hlen: 8 }))).chaddr).toBe("aa:bb:cc:dd:ee:ff:01:02");
    expect(ok(parse(request([255], { hlen: 40 }))).chaddr).toBe("aa:bb:cc:dd:ee:ff:01:02:03:04:05:06:07:08:09:0a");
    expect(ok(parse(request([255], { hlen: 0 }))).chaddr).toBe("");
  });

  it("skips pads, stops at end, and accepts a missing end option", () => {
    const m = ok(parse(request([0, 0, 53, 1, 3, 0, 255, 12, 3, 0x61, 0x62, 0x63])));
    expect(m.optionCodes).toEqual([53]);
    expect(m.hostname).toBeUndefined();
    expect(ok(parse(request([53, 1, 8, 12, 1, 0x78]))).hostname).toBe("x");
  });

  it("strips trailing NULs from text options and keeps the first occurrence", () => {
    const m = ok(parse(request([12, 5, ...text("cam"), 0, 0, 12, 3, ...text("two"), 60, 2, 0, 0, 255])));
    expect(m.hostname).toBe("cam");
    expect(m.vendorClass).toBe("");
  });

  it("leaves a field unset when its option has the wrong size", () => {
    const m = ok(
      parse(request([50, 3, 1, 2, 3, 54, 5, 1, 2, 3, 4, 5, 53, 2, 1, 1, 3, 6, 1, 2, 3, 4, 5, 6, 51, 0, 1, 0, 255])),
    );
    expect(m).toMatchObject({ optionCodes: [50, 54, 53, 3, 51, 1] });
    expect(m.requestedIp ?? m.serverId ?? m.messageType ?? m.routers ?? m.leaseTime ?? m.subnetMask).toBeUndefined();
    expect(ok(parse(request([53, 1, 200, 255]))).messageTypeName).toBe("Unknown");
    expect(ok(parse(request([53, 1, 18, 255]))).messageTypeName).toBe("TLS");
  });

  it("decodes option 81 in both encodings", () => {
    const wire = ok(parse(request([81, 3 + 13, 0x05, 0, 0, 5, ...text("phone"), 4, ...text("home"), 0, 255])));
    expect(wire.clientFqdn).toBe("phone.home");
    const ascii = ok(parse(request([81, 3 + 10, 0x01, 0, 0, ...text("phone.home"), 255])));
    expect(ascii.clientFqdn).toBe("phone.home");
    const broken = ok(parse(request([81, 3 + 2, 0x04, 0, 0, 9, 0x61, 255])));
    expect(broken.clientFqdn).toBeUndefined();
  });

  it("reads options from overloaded file and sname fields, file first", () => {
    const file = [12, 4, ...text("host"), 255];
    const sname = [60, 6, ...text("vendor"), 12, 2, ...text("no"), 255];
    const both = ok(parse(request([53, 1, 1, 52, 1, 3, 255], { file, sname })));
    expect(both).toMatchObject({
      overload: 3,
      optionCodes: [53, 52, 12, 60, 12],
      hostname: "host",
      vendorClass: "vendor",
      serverName: "",
      bootFile: "",
    });
    const fileOnly = ok(parse(request([52, 1, 1, 255], { file, sname: text("srv") })));
    expect(fileOnly).toMatchObject({ overload: 1, hostname: "host", serverName: "srv", bootFile: "" });
    // An overload option inside an overloaded field is ignored.
    const nested = ok(parse(request([52, 1, 1, 255], { file: [52, 1, 2, 255], sname: [12, 1, 0x61] })));
    expect(nested).toMatchObject({ overload: 1, optionCodes: [52, 52] });
    expect(nested.hostname).toBeUndefined();
    // An option running past its field fails like one running past the message.
    expect(parse(request([52, 1, 2, 255], { sname: [...Array(62).fill(0), 12, 9] }))).toEqual({
      ok: false,
      reason: "dhcp_option_truncated",
      offset: 44 + 62,
    });
  });

  it("names malformed messages", () => {
    expect(parse(new Uint8Array(235))).toEqual({ ok: false, reason: "dhcp_too_short", offset: 0 });
    const badOp = request([255]);
    badOp[0] = 3;
    expect(parse(badOp)).toMatchObject({ reason: "dhcp_bad_op" });
    expect(parse(request([53, 1, 1, 12, 10, 0x61]))).toEqual({
      ok: false,
      reason: "dhcp_option_truncated",
      offset: 243,
    });
    expect(parse(request([53, 1, 1, 12]))).toMatchObject({ reason: "dhcp_option_truncated" });
    expect(parseDhcp(new Uint8Array(10), 5, 10)).toMatchObject({ reason: "bad_window" });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const textArb = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.endsWith("\0"));
const v4Arb = fc.record({
  op: fc.constantFrom(1, 2),
  xid: fc.nat({ max: 0xffffffff }),
  mac: fc.uint8Array({ minLength: 6, maxLength: 6 }),
  yiaddr: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  type: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
  hostname: fc.option(textArb, { nil: undefined }),
  vendorClass: fc.option(textArb, { nil: undefined }),
  prl: fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: undefined }),
  clientId: fc.option(fc.uint8Array({ minLength: 1, maxLength: 20 }), { nil: undefined }),
  routers: fc.option(fc.array(fc.uint8Array({ minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 4 }), {
    nil: undefined,
  }),
  pads: fc.nat({ max: 4 }),
});
type V4Spec = typeof v4Arb extends fc.Arbitrary<infer T> ? T : never;

function encodeV4(spec: V4Spec): Uint8Array {
  const options: number[] = [];
  const add = (code: number, value: ArrayLike<number>) => {
    for (let i = 0; i < spec.pads; i++) options.push(0);
    options.push(code, value.length, ...Array.from(value));
  };
  if (spec.type !== undefined) add(53, [spec.type]);
  if (spec.hostname !== undefined) add(12, text(spec.hostname));
  if (spec.vendorClass !== undefined) add(60, text(spec.vendorClass));
  if (spec.prl !== undefined) add(55, spec.prl);
  if (spec.clientId !== undefined) add(61, spec.clientId);
  if (spec.routers !== undefined)
    add(
      3,
      spec.routers.flatMap((r) => Array.from(r)),
    );
  options.push(255);
  const bytes = request(options);
  bytes[0] = spec.op;
  bytes.set([spec.xid >>> 24, (spec.xid >>> 16) & 0xff, (spec.xid >>> 8) & 0xff, spec.xid & 0xff], 4);
  bytes.set(spec.mac, 28);
  bytes.set(spec.yiaddr, 16);
  return bytes;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("parseDhcp properties", () => {
  it("round-trips built messages", () => {
    fc.assert(
      fc.property(v4Arb, (spec) => {
        const m: DhcpMessage = ok(parse(encodeV4(spec)));
        expect(m.op).toBe(spec.op);
        expect(m.xid).toBe(spec.xid);
        expect(m.chaddr).toBe(Array.from(spec.mac, (b) => b.toString(16).padStart(2, "0")).join(":"));
        expect(m.yiaddr).toBe(Array.from(spec.yiaddr).join("."));
        expect(m.messageType).toBe(spec.type);
        expect(m.hostname).toBe(spec.hostname);
        expect(m.vendorClass).toBe(spec.vendorClass);
        expect(m.parameterRequestList).toEqual(spec.prl === undefined ? undefined : Array.from(spec.prl));
        expect(m.parameterRequestListText).toBe(spec.prl === undefined ? undefined : Array.from(spec.prl).join(","));
        expect(m.clientId).toBe(spec.clientId === undefined ? undefined : hexOf(spec.clientId));
        expect(m.routers).toEqual(spec.routers?.map((r) => Array.from(r).join(".")));
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on random bytes and reads only its window", () => {
    const v4ish = fc.tuple(fc.uint8Array({ minLength: 240, maxLength: 400 }), fc.boolean()).map(([b, cookie]) => {
      b[0] = 1 + (b[0]! & 1);
      if (cookie) b.set([99, 130, 83, 99], 236);
      return b;
    });
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 400 }), v4ish),
        fc.uint8Array({ maxLength: 32 }),
        fc.uint8Array({ maxLength: 32 }),
        (message, before, after) => {
          expect(embedded(parseDhcp, message, before, after)).toEqual(parse(message));
          expect(embedded(parseDhcpv6, message, before, after)).toEqual(parse6(message));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("never throws on mutated messages and reads only its window", () => {
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });
    const check = <T>(
      parser: (b: Uint8Array, o: number, l: number) => Parsed<T>,
      seeds: fc.Arbitrary<Uint8Array>,
    ): void => {
      fc.assert(
        fc.property(
          seeds,
          mutation,
          fc.nat(),
          fc.uint8Array({ minLength: 1, maxLength: 16 }),
          (seed, edits, cut, pad) => {
            const message = seed.slice();
            for (const [at, value] of edits) message[at % message.length] = value;
            const length = cut % (message.length + 1);
            const window = message.slice(0, length);
            const start = performance.now();
            const alone = parser(window, 0, window.length);
            expect(performance.now() - start).toBeLessThan(100);
            expect(embedded(parser, window, pad, message.subarray(length))).toEqual(alone);
          },
        ),
        { numRuns: 1500 },
      );
    };
    check(parseDhcp, fc.oneof(fc.constantFrom(...REAL_V4), v4Arb.map(encodeV4)));
    check(parseDhcpv6, fc.constantFrom(...REAL_V6));
  });

  it("gives the same result for every prefix whether or not the rest follows", () => {
    for (const message of REAL_V4) {
      for (let n = 0; n <= message.length; n++) expect(parseDhcp(message, 0, n)).toEqual(parse(message.slice(0, n)));
    }
    for (const message of REAL_V6) {
      for (let n = 0; n <= message.length; n++) expect(parseDhcpv6(message, 0, n)).toEqual(parse6(message.slice(0, n)));
    }
  });
});
