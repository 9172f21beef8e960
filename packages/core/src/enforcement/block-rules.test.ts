import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockRuleActive, expiryFrom, validateBlockMac, validateDestination } from "./block-rules.js";
import { blockingAllowed, parseProductEdition } from "./feature-gate.js";

describe("validateDestination", () => {
  it("classifies addresses, CIDR blocks and domains, canonicalised", () => {
    expect(validateDestination(" 203.0.113.7 ")).toEqual({ value: "203.0.113.7", kind: "ipv4" });
    expect(validateDestination("203.0.113.0/24")).toEqual({ value: "203.0.113.0/24", kind: "cidr" });
    expect(validateDestination("Tracker.Example.COM")).toEqual({ value: "tracker.example.com", kind: "domain" });
    expect(() => validateDestination("203.0.113.0/33", "body.destination")).toThrow(
      /body.destination: "203.0.113.0\/33" has a prefix length outside 0-32/,
    );
    expect(() => validateDestination("localhost")).toThrow(/neither an IPv4 address/);
  });

  it("property: whatever it accepts holds only characters safe in a firewall rule", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        try {
          expect(validateDestination(text).value).toMatch(/^[a-z0-9./-]+$/);
        } catch (error) {
          expect((error as Error).message).toMatch(/^destination: /);
        }
      }),
    );
  });
});

describe("validateBlockMac", () => {
  it("accepts unicast MACs in either notation, refuses group addresses and text", () => {
    expect(validateBlockMac("02-00-00-00-00-0A")).toBe("02:00:00:00:00:0a");
    expect(() => validateBlockMac("ff:ff:ff:ff:ff:ff")).toThrow(/broadcast or multicast/);
    expect(() => validateBlockMac("$(reboot)", "device")).toThrow(/^device: "\$\(reboot\)" is not a MAC address/);
  });
});

describe("expiry", () => {
  it("computes ISO expiry, refuses nonsense, and tells whether a rule is in force", () => {
    expect(expiryFrom(Date.UTC(2026, 0, 1), 3600)).toBe("2026-01-01T01:00:00.000Z");
    expect(expiryFrom(0, null)).toBeNull();
    expect(() => expiryFrom(0, -5)).toThrow(/expires: -5 must be a whole number/);
    const rule = {
      kind: "device" as const,
      id: "b1",
      mac: "02:00:00:00:00:0a",
      ips: [],
      decidedBy: "test",
      reason: "",
      createdAt: "2026-01-01T00:00:00.000Z",
      expiresAt: "2026-01-01T01:00:00.000Z",
    };
    expect(blockRuleActive(rule, Date.UTC(2026, 0, 1, 0, 59))).toBe(true);
    expect(blockRuleActive(rule, Date.UTC(2026, 0, 1, 1, 0))).toBe(false);
  });
});

describe("blockingAllowed", () => {
  it("allows blocking on the hardware sensor and desktop Pro and above, not on Free", () => {
    expect(blockingAllowed("hardware")).toBe(true);
    expect(blockingAllowed("desktop-pro")).toBe(true);
    expect(blockingAllowed("desktop-enterprise")).toBe(true);
    expect(blockingAllowed("desktop-free")).toBe(false);
    expect(() => parseProductEdition("desktop-gold")).toThrow(/edition: "desktop-gold" is not one of hardware/);
  });
});
