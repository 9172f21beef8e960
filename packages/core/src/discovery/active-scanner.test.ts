import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIpv4, formatMac, parseIpv4 } from "../packet/address.js";
import { DecodedPacket } from "../packet/decoded-packet.js";
import { decodePacket } from "../packet/decoder.js";
import { parseDns } from "../packet/dns.js";
import { parseHttpHead } from "../packet/http-head.js";
import { LinkType } from "../packet/link-type.js";
import { internetChecksum } from "../packet/test-support/bytes.js";
import { FakeClock } from "../test-support/fake-clock.test-util.js";
import {
  ACTIVE_SCAN_DEFAULTS,
  ActiveScanner,
  type ActiveScannerOptions,
  arpRequestFrame,
  type KnownHost,
  mdnsServicesQueryFrame,
  planSweep,
  serviceProbeFrame,
  ssdpSearchFrame,
  sweepTargets,
} from "./active-scanner.js";
import type { NetworkInfo } from "./network-info.js";

const OUR_MAC = "00:1b:21:3a:4f:10";
const HOME: NetworkInfo = {
  interfaceName: "eth0",
  mac: OUR_MAC,
  ipv4: { address: "192.168.1.23", prefixLength: 24 },
  gateway: { ipv4: "192.168.1.1", mac: "00:24:b2:aa:bb:cc" },
  dnsServers: ["192.168.1.1"],
  ipv6Router: null,
};

interface Sent {
  at: number;
  frame: Uint8Array;
}

function scannerOn(
  network: NetworkInfo,
  options: ActiveScannerOptions = {},
  clock = new FakeClock(),
  knownHosts?: () => readonly KnownHost[],
) {
  const sent: Sent[] = [];
  const errors: Error[] = [];
  const scanner = new ActiveScanner(
    {
      network,
      clock,
      injector: { inject: (frame) => sent.push({ at: clock.now(), frame: frame.slice() }) },
      onError: (error) => errors.push(error),
      ...(knownHosts ? { knownHosts } : {}),
    },
    options,
  );
  return { scanner, clock, sent, errors };
}

function decode(frame: Uint8Array): DecodedPacket {
  const p = new DecodedPacket();
  decodePacket(frame, 0, frame.length, frame.length, LinkType.ETHERNET, 0, p);
  expect(p.malformed).toBe(0);
  return p;
}

/** ARP target addresses of the frames, in order (other frames skipped). */
function arpTargets(sent: readonly Sent[]): number[] {
  return sent.map((s) => decode(s.frame)).flatMap((p) => (p.isArp ? [p.arpTargetIp] : []));
}

const ip = (text: string) => parseIpv4(text)!;
const SECOND = 1000;

describe("active scan frames", () => {
  const mac = 0x001b213a4f10;
  const us = ip("192.168.1.23");

  it("an ARP request is a broadcast who-has from our MAC and address", () => {
    const frame = arpRequestFrame(mac, us, ip("192.168.1.77"));
    const p = decode(frame);
    expect(frame.length).toBe(60); // padded to the Ethernet minimum
    expect(p).toMatchObject({
      isArp: true,
      arpOperation: 1,
      dstMac: 0xffffffffffff,
      srcMac: mac,
      arpSenderMac: mac,
      arpSenderIp: us,
      arpTargetMac: 0,
      arpTargetIp: ip("192.168.1.77"),
    });
  });

  it("the mDNS query asks 224.0.0.251:5353 for the DNS-SD service types, from port 5353 with TTL 255", () => {
    const frame = mdnsServicesQueryFrame(mac, us);
    const p = decode(frame);
    expect(formatMac(p.dstMac)).toBe("01:00:5e:00:00:fb");
    expect(p).toMatchObject({ srcMac: mac, ipVersion: 4, srcIp4: us, ttl: 255, protocol: 17 });
    expect(formatIpv4(p.dstIp4)).toBe("224.0.0.251");
    expect([p.srcPort, p.dstPort]).toEqual([5353, 5353]);
    expect(internetChecksum(frame.subarray(14, 34))).toBe(0);
    expectUdpChecksumValid(frame, p);
    const dns = parseDns(frame, p.payloadOffset, p.payloadCapturedLength);
    expect(dns.ok).toBe(true);
    if (!dns.ok) return;
    expect(dns.value).toMatchObject({ id: 0, qr: false, opcode: 0, answers: [], authorities: [], additionals: [] });
    expect(dns.value.questions).toEqual([
      { name: "_services._dns-sd._udp.local", type: 12, class: 1, unicastResponse: false },
    ]);
  });

  it("the SSDP M-SEARCH goes to 239.255.255.250:1900 from port 1900 with TTL 2, ST ssdp:all and MX 2", () => {
    const frame = ssdpSearchFrame(mac, us);
    const p = decode(frame);
    expect(formatMac(p.dstMac)).toBe("01:00:5e:7f:ff:fa");
    expect(p).toMatchObject({ srcMac: mac, ipVersion: 4, srcIp4: us, ttl: 2, protocol: 17 });
    expect(formatIpv4(p.dstIp4)).toBe("239.255.255.250");
    expect([p.srcPort, p.dstPort]).toEqual([1900, 1900]);
    expect(internetChecksum(frame.subarray(14, 34))).toBe(0);
    expectUdpChecksumValid(frame, p);
    const head = parseHttpHead(frame, p.payloadOffset, p.payloadCapturedLength);
    expect(head.ok).toBe(true);
    if (!head.ok || head.value.kind !== "request") throw new Error("not a request");
    expect(head.value).toMatchObject({ method: "M-SEARCH", path: "*", version: "HTTP/1.1", complete: true });
    expect(head.value.headers).toEqual([
      { name: "host", value: "239.255.255.250:1900" },
      { name: "man", value: '"ssdp:discover"' },
      { name: "mx", value: "2" },
      { name: "st", value: "ssdp:all" },
    ]);
    expect(new TextDecoder().decode(frame.subarray(p.payloadOffset, p.payloadOffset + p.payloadLength))).toBe(
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: ssdp:all\r\n\r\n',
    );
  });
});

/** Recomputes the UDP checksum over the pseudo-header (RFC 768): a valid datagram sums to zero. */
function expectUdpChecksumValid(frame: Uint8Array, p: DecodedPacket): void {
  const udp = frame.subarray(p.l4Offset, p.l4Offset + (p.ipLength - 20));
  const pseudo = [...frame.subarray(26, 34), 0, 17, udp.length >> 8, udp.length & 0xff];
  expect(internetChecksum([...pseudo, ...udp, ...(udp.length % 2 ? [0] : [])])).toBe(0);
}

describe("sweep targets", () => {
  it("a /24 sweep asks for every host but the network, broadcast and our own address, in order", () => {
    const targets = [...sweepTargets(planSweep(HOME))].map(formatIpv4);
    const expected = Array.from({ length: 254 }, (_, i) => `192.168.1.${i + 1}`).filter((a) => a !== "192.168.1.23");
    expect(targets).toEqual(expected);
  });

  it("a /31 has no network or broadcast address: the peer is the one target; a /32 has none", () => {
    const p2p = (address: string, prefixLength: number) => ({ ...HOME, ipv4: { address, prefixLength } });
    expect([...sweepTargets(planSweep(p2p("10.0.0.0", 31)))].map(formatIpv4)).toEqual(["10.0.0.1"]);
    expect([...sweepTargets(planSweep(p2p("10.0.0.1", 31)))].map(formatIpv4)).toEqual(["10.0.0.0"]);
    expect([...sweepTargets(planSweep(p2p("10.0.0.1", 32)))]).toEqual([]);
    expect([...sweepTargets(planSweep(p2p("10.0.0.1", 30)))].map(formatIpv4)).toEqual(["10.0.0.2"]);
  });

  it("refuses a subnet larger than the limit, naming it and the limit; a larger limit allows it", () => {
    const big = { ...HOME, ipv4: { address: "10.1.77.5", prefixLength: 21 } };
    expect(() => planSweep(big)).toThrow(RangeError);
    expect(() => planSweep(big)).toThrow(
      'Cannot sweep 10.1.72.0/21 on "eth0": its 2048 addresses are more than the limit of 1024 (maxSubnetSize); passive discovery still runs',
    );
    expect(planSweep({ ...big, ipv4: { address: "10.1.77.5", prefixLength: 22 } }).network).toBe(ip("10.1.76.0"));
    expect(planSweep(big, 2048).broadcast).toBe(ip("10.1.79.255"));
    const { scanner, sent } = scannerOn(big);
    expect(() => scanner.start()).toThrow(RangeError);
    expect(scanner.health().running).toBe(false);
    expect(sent).toEqual([]);
  });

  it("refuses an interface without a MAC or with a bad address", () => {
    expect(() => planSweep({ ...HOME, interfaceName: "wg0", mac: null })).toThrow(
      'Cannot scan from "wg0": it has no Ethernet MAC address (none)',
    );
    expect(() => planSweep({ ...HOME, ipv4: { address: "192.168.1", prefixLength: 24 } })).toThrow(
      'Cannot scan from "eth0": "192.168.1" is not an IPv4 address',
    );
    expect(() => planSweep({ ...HOME, ipv4: { address: "192.168.1.2", prefixLength: 33 } })).toThrow(
      "prefix length 33 is not between 0 and 32",
    );
  });

  const networkInfo = fc
    .record({
      address: fc.integer({ min: 0, max: 0xffffffff }),
      prefixLength: fc.integer({ min: 0, max: 32 }),
      mac: fc.integer({ min: 0, max: 0xffffffffff }).map((m) => m * 256), // unicast, any OUI
    })
    .map(
      ({ address, prefixLength, mac }): NetworkInfo => ({
        ...HOME,
        mac: formatMac(mac),
        ipv4: { address: formatIpv4(address), prefixLength },
      }),
    );

  it("property: a round asks only for subnet hosts, each once, never the network, broadcast or our own address", () => {
    fc.assert(
      fc.property(networkInfo, (network) => {
        const address = ip(network.ipv4.address);
        const prefix = network.ipv4.prefixLength;
        const size = 2 ** (32 - prefix);
        const first = Math.floor(address / size) * size;
        const last = first + size - 1;
        const { scanner, clock, sent } = scannerOn(network, { packetsPerSecond: 1000 });
        if (size > ACTIVE_SCAN_DEFAULTS.maxSubnetSize) {
          expect(() => scanner.start()).toThrow(RangeError);
          return;
        }
        scanner.start();
        clock.advance(size + 10);
        scanner.stop();
        const targets = arpTargets(sent);
        for (const target of targets) {
          expect(target).toBeGreaterThanOrEqual(first);
          expect(target).toBeLessThanOrEqual(last);
          expect(target).not.toBe(address);
          if (prefix <= 30) expect([first, last]).not.toContain(target);
        }
        expect(new Set(targets).size).toBe(targets.length);
        const excluded = new Set(prefix <= 30 ? [first, last, address] : [address]);
        expect(targets).toHaveLength(size - excluded.size);
        for (const s of sent)
          expect(decode(s.frame).srcMac).toBe(Number.parseInt(network.mac!.replaceAll(":", ""), 16));
      }),
      { numRuns: 150 },
    );
  });
});

describe("ActiveScanner", () => {
  it("sends the mDNS query, the SSDP search, then the ARP sweep, at 50 frames a second by default", () => {
    const { scanner, clock, sent } = scannerOn(HOME);
    scanner.start();
    expect(sent).toHaveLength(1); // the first frame goes at once
    clock.advance(10 * SECOND);
    expect(sent).toHaveLength(2 + 253);
    expect(decode(sent[0]!.frame).dstPort).toBe(5353);
    expect(decode(sent[1]!.frame).dstPort).toBe(1900);
    expect(arpTargets(sent).map(formatIpv4)).toEqual([...sweepTargets(planSweep(HOME))].map(formatIpv4));
    const gaps = sent.slice(1).map((s, i) => s.at - sent[i]!.at);
    expect(new Set(gaps)).toEqual(new Set([20]));
    expect(sent.at(-1)!.at).toBe(254 * 20); // 255 frames, 20 ms apart: 5.08 s for a /24
    expect(scanner.health()).toEqual({ running: true, rounds: 1, framesSent: 255, hostsProbed: 0, lastError: null });
    scanner.stop();
  });

  it("property: any second holds at most packetsPerSecond frames, even with late or early timers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 24, max: 30 }),
        fc.array(fc.integer({ min: -3, max: 40 }), { minLength: 1, maxLength: 16 }),
        (pps, prefixLength, jitter) => {
          let turn = 0;
          const clock = new FakeClock(() => jitter[turn++ % jitter.length]!);
          const network = { ...HOME, ipv4: { address: "10.9.8.7", prefixLength } };
          const { scanner, sent } = scannerOn(network, { packetsPerSecond: pps }, clock);
          scanner.start();
          const frames = 2 + 2 ** (32 - prefixLength) - 3;
          clock.advance(Math.min(frames * (Math.ceil(1000 / pps) + 40), 600_000));
          scanner.stop();
          // pps + 1 consecutive frames never fit in one second.
          for (let i = 0; i + pps < sent.length; i++) {
            expect(sent[i + pps]!.at - sent[i]!.at).toBeGreaterThanOrEqual(1000);
          }
          for (let i = 1; i < sent.length; i++) {
            expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(Math.ceil(1000 / Math.min(pps, 1000)));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("repeats every 30 minutes by default, counted from the start of the previous round", () => {
    const { scanner, clock, sent } = scannerOn(HOME);
    scanner.start();
    clock.advance(30 * 60 * SECOND - 1);
    expect(sent).toHaveLength(255);
    clock.advance(1);
    expect(sent).toHaveLength(256);
    expect(sent[255]!.at).toBe(30 * 60 * SECOND);
    clock.advance(30 * 60 * SECOND); // round 2 completes, round 3 starts at exactly 60 minutes
    expect(sent).toHaveLength(2 * 255 + 1);
    expect(scanner.health().rounds).toBe(3);
    scanner.stop();
  });

  it("never runs two rounds at once: a round longer than the interval is followed at once by the next", () => {
    const { scanner, clock, sent } = scannerOn(HOME, { intervalSeconds: 1, packetsPerSecond: 100 });
    scanner.start();
    clock.advance(2550 + 10); // one round: 255 frames 10 ms apart
    expect(scanner.health().rounds).toBe(2);
    const roundStarts = sent.filter((s) => decode(s.frame).dstPort === 5353).map((s) => s.at);
    expect(roundStarts[0]).toBe(0);
    expect(roundStarts[1]).toBeGreaterThanOrEqual(2540);
    scanner.stop();
  });

  it("start and stop are idempotent; stop ends a round at once and start begins a fresh one", () => {
    const { scanner, clock, sent } = scannerOn(HOME, { packetsPerSecond: 10 });
    scanner.start();
    scanner.start();
    clock.advance(950);
    expect(sent).toHaveLength(10);
    scanner.stop();
    scanner.stop();
    expect(clock.pending).toBe(0);
    clock.advance(3600 * SECOND);
    expect(sent).toHaveLength(10);
    scanner.start();
    expect(sent).toHaveLength(11);
    expect(decode(sent[10]!.frame).dstPort).toBe(5353);
    expect(scanner.health()).toMatchObject({ running: true, rounds: 2, framesSent: 11 });
    scanner.stop();
  });

  it("leaves out the mDNS and SSDP frames when told to", () => {
    const { scanner, clock, sent } = scannerOn(HOME, { mdnsQuery: false, ssdpSearch: false });
    scanner.start();
    clock.advance(10 * SECOND);
    expect(sent.every((s) => decode(s.frame).isArp)).toBe(true);
    expect(sent).toHaveLength(253);
    scanner.stop();
  });

  it("probes given addresses at once, only inside the subnet, never itself, at most 64 per call", () => {
    const { scanner, sent } = scannerOn(HOME, { mdnsQuery: false, ssdpSearch: false });
    expect(scanner.probe([ip("192.168.1.30")])).toBe(0); // not running: nothing
    scanner.start();
    sent.length = 0;
    const asked = [ip("192.168.1.30"), ip("10.0.0.1"), ip("192.168.1.0"), ip("192.168.1.255"), ip(HOME.ipv4.address)];
    expect(scanner.probe(asked)).toBe(1);
    expect(arpTargets(sent)).toEqual([ip("192.168.1.30")]);
    const many = Array.from({ length: 200 }, (_, i) => ip("192.168.1.1") + i);
    expect(scanner.probe(many)).toBe(64);
    scanner.stop();
  });

  it("a send failure ends the round, is reported once, and the next round runs on schedule", () => {
    const clock = new FakeClock();
    const errors: Error[] = [];
    let calls = 0;
    const scanner = new ActiveScanner({
      network: HOME,
      clock,
      injector: {
        inject: () => {
          calls++;
          if (calls === 3) throw new Error('Cannot inject a 60-byte frame on "eth0": Network is down');
        },
      },
      onError: (error) => errors.push(error),
    });
    scanner.start();
    clock.advance(10 * SECOND);
    expect(calls).toBe(3);
    expect(errors.map((e) => e.message)).toEqual(['Cannot inject a 60-byte frame on "eth0": Network is down']);
    expect(scanner.health()).toMatchObject({ running: true, rounds: 1, framesSent: 2, lastError: errors[0]!.message });
    clock.advance(30 * 60 * SECOND);
    expect(scanner.health()).toMatchObject({ rounds: 2, framesSent: 2 + 255, lastError: null });
    expect(errors).toHaveLength(1);
    scanner.stop();
  });

  describe("service probe", () => {
    const camera: KnownHost = { mac: 0x3c49370317db, ip: ip("192.168.1.40") };
    const printer: KnownHost = { mac: 0x0018fe6cbcf7, ip: ip("192.168.1.41") };
    const quiet = { mdnsQuery: false, ssdpSearch: false };
    /** The SYNs among the frames, as "address:port". */
    const syns = (sent: readonly Sent[]) =>
      sent
        .map((s) => decode(s.frame))
        .filter((p) => p.protocol === 6)
        .map((p) => `${formatIpv4(p.dstAddress[3]!)}:${p.dstPort}`);

    it("a probe is a TCP SYN from our MAC and address to the station's MAC, address and port", () => {
      const frame = serviceProbeFrame(0x001b213a4f10, ip("192.168.1.23"), camera.mac, camera.ip, 61_001, 554, 1234);
      const p = decode(frame);
      expect(p).toMatchObject({
        srcMac: 0x001b213a4f10,
        dstMac: camera.mac,
        protocol: 6,
        srcPort: 61_001,
        dstPort: 554,
        tcpFlags: 0x02,
        tcpSeq: 1234,
      });
      expect(formatIpv4(p.srcAddress[3]!)).toBe("192.168.1.23");
      expect(formatIpv4(p.dstAddress[3]!)).toBe("192.168.1.40");
      // Valid checksums, or the station's kernel drops the SYN without a word.
      expect(internetChecksum(frame.subarray(14, 34))).toBe(0);
    });

    it("after the sweep, asks every station found for every port, once a day by default", () => {
      const { scanner, clock, sent } = scannerOn(HOME, { ...quiet, servicePorts: [554, 9100] }, undefined, () => [
        camera,
        printer,
      ]);
      scanner.start();
      clock.advance(10 * SECOND);
      expect(sent.slice(0, 253).every((s) => decode(s.frame).isArp)).toBe(true); // the sweep first
      expect(syns(sent)).toEqual(["192.168.1.40:554", "192.168.1.40:9100", "192.168.1.41:554", "192.168.1.41:9100"]);
      expect(scanner.health()).toMatchObject({ framesSent: 253 + 4, hostsProbed: 2 });
      // The next round (30 min later) sweeps again but does not ask the same stations again.
      sent.length = 0;
      clock.advance(30 * 60 * SECOND);
      expect(arpTargets(sent)).toHaveLength(253);
      expect(syns(sent)).toEqual([]);
      // A day after the first probe, they are asked again.
      sent.length = 0;
      clock.advance(24 * 60 * 60 * SECOND);
      expect(syns(sent)).toHaveLength(4);
      scanner.stop();
    });

    it("asks the stations known when the sweep ends, so that those the sweep found are among them", () => {
      let hosts: KnownHost[] = [];
      const { scanner, clock, sent } = scannerOn(HOME, { ...quiet, servicePorts: [554] }, undefined, () => hosts);
      scanner.start();
      clock.advance(2 * SECOND); // mid-sweep: the camera answers
      hosts = [camera];
      clock.advance(8 * SECOND);
      expect(syns(sent)).toEqual(["192.168.1.40:554"]);
      scanner.stop();
    });

    it("never asks outside the subnet, the network or broadcast address, or itself", () => {
      const outside: KnownHost[] = [
        { mac: 0x020000000001, ip: ip("10.0.0.5") },
        { mac: 0x020000000002, ip: ip("192.168.1.0") },
        { mac: 0x020000000003, ip: ip("192.168.1.255") },
        { mac: 0x020000000004, ip: ip(HOME.ipv4.address) },
        { mac: 0x001b213a4f10, ip: ip("192.168.1.99") }, // our own MAC under another address
      ];
      const { scanner, clock, sent } = scannerOn(HOME, { ...quiet, servicePorts: [554] }, undefined, () => outside);
      scanner.start();
      clock.advance(10 * SECOND);
      expect(syns(sent)).toEqual([]);
      scanner.stop();
    });

    it("property: SYNs go only to subnet stations, each port once per station per interval, paced like the sweep", () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 40 }),
          fc.uniqueArray(fc.integer({ min: 1, max: 65_535 }), { minLength: 1, maxLength: 6 }),
          (lastOctets, ports) => {
            const hosts = lastOctets.map((o, i) => ({ mac: 0x0a0000000000 + i, ip: ip("192.168.1.0") + o }));
            const { scanner, clock, sent } = scannerOn(
              HOME,
              { ...quiet, servicePorts: ports, packetsPerSecond: 200 },
              undefined,
              () => hosts,
            );
            scanner.start();
            clock.advance(60 * SECOND);
            scanner.stop();
            const asked = syns(sent);
            const eligible = hosts.filter((h) => h.ip > ip("192.168.1.0") && h.ip < ip("192.168.1.255"));
            const expected = eligible
              .filter((h) => h.ip !== ip(HOME.ipv4.address))
              .flatMap((h) => ports.map((port) => `${formatIpv4(h.ip)}:${port}`));
            expect(asked).toEqual(expected);
            const gaps = sent.slice(1).map((s, i) => s.at - sent[i]!.at);
            expect(gaps.every((g) => g >= 5)).toBe(true);
          },
        ),
        { numRuns: 50 },
      );
    });

    it("rejects ports that are not TCP ports and a probe interval that is not positive", () => {
      expect(() => scannerOn(HOME, { servicePorts: [554, 0] }).scanner.start()).toThrow(
        "Active scan servicePorts must be TCP ports from 1 to 65535, got 0",
      );
      expect(() => scannerOn(HOME, { servicePorts: [70_000] }).scanner.start()).toThrow("got 70000");
      expect(() => scannerOn(HOME, { serviceProbeIntervalSeconds: -1 }).scanner.start()).toThrow(
        "Active scan serviceProbeIntervalSeconds must be a positive number, got -1",
      );
    });
  });

  it("rejects a rate or an interval that is not a positive number", () => {
    expect(() => scannerOn(HOME, { packetsPerSecond: 0 }).scanner.start()).toThrow(
      "Active scan packetsPerSecond must be a positive number, got 0",
    );
    expect(() => scannerOn(HOME, { intervalSeconds: Number.NaN }).scanner.start()).toThrow(
      "Active scan intervalSeconds must be a positive number, got NaN",
    );
  });
});
