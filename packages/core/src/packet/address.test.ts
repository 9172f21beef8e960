import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatIp,
  formatIpv4,
  formatIpv6Groups,
  formatMac,
  isGroupMac,
  isLocallyAdministeredMac,
  isLocalUnicast,
  isMappedIpv4,
  isPrivateIpv4,
  parseIpv4,
  parseMac,
} from "./address.js";

const TWO_32 = 4294967296;
const macArb = fc.integer({ min: 0, max: 2 ** 48 - 1 });
const ipv4Arb = fc.integer({ min: 0, max: 0xffffffff });
/** Groups with many zeros, so runs of every length and position occur. */
const groupsArb = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
  minLength: 8,
  maxLength: 8,
});

/** The WHATWG URL serializer compresses IPv6 as RFC 5952 says: an independent reference. */
function urlIpv6(groups: readonly number[]): string {
  const text = groups.map((g) => g.toString(16)).join(":");
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

function words(groups: readonly number[]): number[] {
  return [0, 2, 4, 6].map((i) => ((groups[i]! << 16) | groups[i + 1]!) >>> 0);
}

describe("MAC addresses", () => {
  it("formats and parses", () => {
    expect(formatMac(0)).toBe("00:00:00:00:00:00");
    expect(formatMac(2 ** 48 - 1)).toBe("ff:ff:ff:ff:ff:ff");
    expect(formatMac(0x0011_2233_4455)).toBe("00:11:22:33:44:55");
    expect(formatMac(0xa4cf_1232_5b88)).toBe("a4:cf:12:32:5b:88");
    expect(parseMac("A4-CF-12-32-5B-88")).toBe(0xa4cf_1232_5b88);
    for (const bad of [
      "",
      "a4:cf:12:32:5b",
      "a4:cf:12:32:5b:88:00",
      "a4:cf:12:32:5b:8",
      "a4:cf:12:32:5b:8g",
      "a4cf.1232.5b88",
    ]) {
      expect(parseMac(bad)).toBeUndefined();
    }
  });

  it("splits a 48-bit MAC at 2^32 correctly", () => {
    expect(formatMac(TWO_32)).toBe("00:01:00:00:00:00");
    expect(formatMac(TWO_32 - 1)).toBe("00:00:ff:ff:ff:ff");
  });

  it("round-trips every 48-bit value", () => {
    fc.assert(
      fc.property(macArb, (mac) => {
        const text = formatMac(mac);
        expect(text).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        expect(parseMac(text)).toBe(mac);
      }),
    );
  });

  it("reads the group and locally administered bits of the first octet", () => {
    expect(isGroupMac(0xffff_ffff_ffff)).toBe(true);
    expect(isGroupMac(0x0100_5e00_00fb)).toBe(true);
    expect(isGroupMac(0x3333_0000_0001)).toBe(true);
    expect(isGroupMac(0x0011_2233_4455)).toBe(false);
    expect(isLocallyAdministeredMac(0x0242_ac11_0002)).toBe(true);
    expect(isLocallyAdministeredMac(0xa4cf_1232_5b88)).toBe(false);
    fc.assert(
      fc.property(macArb, (mac) => {
        const first = Number.parseInt(formatMac(mac).slice(0, 2), 16);
        expect(isGroupMac(mac)).toBe((first & 1) !== 0);
        expect(isLocallyAdministeredMac(mac)).toBe((first & 2) !== 0);
      }),
    );
  });
});

describe("IPv4 addresses", () => {
  it("formats and parses", () => {
    expect(formatIpv4(0)).toBe("0.0.0.0");
    expect(formatIpv4(0xffffffff)).toBe("255.255.255.255");
    expect(formatIpv4(0xc0a80101)).toBe("192.168.1.1");
    expect(parseIpv4("10.0.0.255")).toBe(0x0a0000ff);
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "1.2.3.-4",
      "a.b.c.d",
      "1.2.3.4 ",
      "1..3.4",
      "1234.1.1.1",
    ]) {
      expect(parseIpv4(bad)).toBeUndefined();
    }
  });

  it("round-trips every 32-bit value", () => {
    fc.assert(
      fc.property(ipv4Arb, (address) => {
        expect(parseIpv4(formatIpv4(address))).toBe(address);
      }),
    );
  });

  it("reads the group and local bits of any MAC number as the division did (property)", () => {
    const mac = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 31 }), fc.nat({ max: 2 ** 48 - 1 }));
    const bigMac = fc.tuple(fc.nat({ max: 0xffff }), fc.nat({ max: 0xffffffff })).map(([hi, lo]) => hi * 2 ** 32 + lo);
    fc.assert(
      fc.property(fc.oneof(mac, bigMac), (m) => {
        expect(isGroupMac(m)).toBe((Math.floor(m / 1099511627776) & 0x01) !== 0);
        expect(isLocallyAdministeredMac(m)).toBe((Math.floor(m / 1099511627776) & 0x02) !== 0);
      }),
      { numRuns: 2000 },
    );
  });

  it("parses exactly what the split-and-match definition accepts (property)", () => {
    // The definition the character parser replaced: four parts of 1–3 ASCII digits, each ≤ 255.
    const definition = (text: string): number | undefined => {
      const parts = text.split(".");
      if (parts.length !== 4) return undefined;
      let value = 0;
      for (const part of parts) {
        if (!/^\d{1,3}$/.test(part)) return undefined;
        const n = Number(part);
        if (n > 255) return undefined;
        value = value * 256 + n;
      }
      return value;
    };
    const quadLike = fc
      .array(fc.oneof(fc.stringMatching(/^[0-9]{0,4}$/), fc.constantFrom("", "x", "٣", " 1", "+1")), {
        minLength: 1,
        maxLength: 6,
      })
      .map((parts) => parts.join("."));
    fc.assert(
      fc.property(fc.oneof(quadLike, fc.string(), fc.string({ unit: "grapheme" })), (text) => {
        expect(parseIpv4(text)).toBe(definition(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("knows the LAN ranges at their edges", () => {
    const cases: [string, boolean][] = [
      ["9.255.255.255", false],
      ["10.0.0.0", true],
      ["10.255.255.255", true],
      ["11.0.0.0", false],
      ["172.15.255.255", false],
      ["172.16.0.0", true],
      ["172.31.255.255", true],
      ["172.32.0.0", false],
      ["192.167.255.255", false],
      ["192.168.0.0", true],
      ["192.168.255.255", true],
      ["192.169.0.0", false],
      ["169.253.255.255", false],
      ["169.254.0.0", true],
      ["169.255.0.0", false],
      ["100.63.255.255", false],
      ["100.64.0.0", true],
      ["100.127.255.255", true],
      ["100.128.0.0", false],
      ["127.0.0.1", true],
      ["128.0.0.0", false],
      ["8.8.8.8", false],
    ];
    for (const [text, expected] of cases) expect([text, isPrivateIpv4(parseIpv4(text)!)]).toEqual([text, expected]);
  });

  it("agrees with a CIDR table on every address", () => {
    const ranges: [number, number][] = [
      ["10.0.0.0", 8],
      ["172.16.0.0", 12],
      ["192.168.0.0", 16],
      ["169.254.0.0", 16],
      ["100.64.0.0", 10],
      ["127.0.0.0", 8],
    ].map(([base, bits]) => [parseIpv4(base as string)!, bits as number]);
    const inTable = (a: number) =>
      ranges.some(([base, bits]) => Math.floor(a / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
    fc.assert(
      fc.property(ipv4Arb, (address) => {
        expect(isPrivateIpv4(address)).toBe(inTable(address));
      }),
      { numRuns: 5000 },
    );
  });
});

describe("IPv6 text", () => {
  it("follows RFC 5952", () => {
    const cases: [number[], string][] = [
      [[0, 0, 0, 0, 0, 0, 0, 0], "::"],
      [[0, 0, 0, 0, 0, 0, 0, 1], "::1"],
      [[0xfe80, 0, 0, 0, 0, 0, 0, 0], "fe80::"],
      [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], "2001:db8::1:0:0:1"], // first of equal runs
      [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], "2001:db8:0:1:1:1:1:1"], // a single zero group stays
      [[0x2001, 0, 0, 1, 0, 0, 0, 1], "2001:0:0:1::1"], // the longest run wins
      [[0x2001, 0xdb8, 0xabcd, 0x12, 0xffff, 0xa, 0xb, 0xc], "2001:db8:abcd:12:ffff:a:b:c"],
    ];
    for (const [groups, text] of cases) expect(formatIpv6Groups(groups)).toBe(text);
  });

  it("agrees with the WHATWG URL serializer on random addresses", () => {
    fc.assert(
      fc.property(groupsArb, (groups) => {
        expect(formatIpv6Groups(groups)).toBe(urlIpv6(groups));
      }),
      { numRuns: 5000 },
    );
  });

  it("formats four words as IPv4 when they hold a mapped address, else as IPv6", () => {
    expect(formatIp([0, 0, 0xffff, 0xc0a80001])).toBe("192.168.0.1");
    expect(isMappedIpv4([0, 0, 0xffff, 1])).toBe(true);
    expect(isMappedIpv4([0, 0, 0xfffe, 1])).toBe(false);
    expect(formatIp([0x20010db8, 0, 0, 1])).toBe("2001:db8::1");
    expect(formatIp([0, 0, 0, 1])).toBe("::1");
    fc.assert(
      fc.property(groupsArb, (groups) => {
        const w = words(groups);
        fc.pre(!isMappedIpv4(w));
        expect(formatIp(w)).toBe(urlIpv6(groups));
      }),
    );
  });
});

describe("isLocalUnicast", () => {
  const mapped = (text: string) => [0, 0, 0xffff, parseIpv4(text)!];
  const v6 = (top: number) => [top * 65536, 0, 0, 1];

  it("accepts LAN hosts and rejects the rest", () => {
    expect(isLocalUnicast(mapped("192.168.1.20"))).toBe(true);
    expect(isLocalUnicast(mapped("10.0.0.1"))).toBe(true);
    expect(isLocalUnicast(mapped("192.168.1.255"))).toBe(false); // subnet broadcast
    expect(isLocalUnicast(mapped("0.0.0.0"))).toBe(false);
    expect(isLocalUnicast(mapped("8.8.8.8"))).toBe(false);
    expect(isLocalUnicast(v6(0xfe80))).toBe(true);
    expect(isLocalUnicast(v6(0xfebf))).toBe(true);
    expect(isLocalUnicast(v6(0xfec0))).toBe(false); // deprecated site-local
    expect(isLocalUnicast(v6(0xfc00))).toBe(true);
    expect(isLocalUnicast(v6(0xfdff))).toBe(true);
    expect(isLocalUnicast(v6(0xfe00))).toBe(false);
    expect(isLocalUnicast(v6(0xfb00))).toBe(false);
    expect(isLocalUnicast(v6(0x2001))).toBe(false);
    expect(isLocalUnicast(v6(0xff02))).toBe(false);
  });
});
