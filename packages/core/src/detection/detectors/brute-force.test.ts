import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ethernetFrame, ipv4Packet, tcpSegment } from "../../simulate/frame-builder.js";
import { bruteForceDetector } from "./brute-force.js";
import { type Frame, GATEWAY, ip, LAPTOP, runDetectors, T0 } from "./detector-harness.test-util.js";

const NAS = { mac: 0x001132000001, ip: ip(192, 168, 1, 30) };

/** `count` connection attempts (SYNs from fresh source ports) `gapMs` apart. */
function attempts(count: number, port: number, gapMs: number, from = LAPTOP, to = NAS): Frame[] {
  return Array.from({ length: count }, (_, i) => {
    const syn = tcpSegment(from.ip, to.ip, { srcPort: 40000 + i, dstPort: port, seq: i, ack: 0, flags: 0x02 });
    return [
      T0 + i * gapMs * 1000,
      ethernetFrame(to.mac, from.mac, 0x0800, ipv4Packet({ src: from.ip, dst: to.ip, protocol: 6 }, syn)),
    ];
  });
}

describe("brute_force", () => {
  it("raises high on 20 SSH logins in a minute, with the source and the service", () => {
    const alerts = runDetectors(attempts(25, 22, 500), [bruteForceDetector]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: "brute_force", severity: "high", mac: "f8:bc:12:00:00:01" });
    expect(alerts[0]!.evidence).toMatchObject({ port: "tcp/22", service: "SSH", attempts: 20 });
    // Evidence complete at the 20th attempt, 9.5 s after the first.
    expect(alerts[0]!.time - alerts[0]!.firstEvidence).toBe(9500);
  });

  it("stays quiet for a person logging in, for slow reconnects, and for web ports", () => {
    expect(runDetectors(attempts(3, 22, 2000), [bruteForceDetector])).toEqual([]);
    expect(runDetectors(attempts(30, 22, 10_000), [bruteForceDetector])).toEqual([]);
    expect(runDetectors(attempts(60, 443, 100, LAPTOP, GATEWAY), [bruteForceDetector])).toEqual([]);
  });

  it("never raises fewer alerts at a higher sensitivity (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 10, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (count, gap, a, b) => {
          const frames = attempts(count, 3389, gap);
          const [low, high] = a <= b ? [a, b] : [b, a];
          expect(runDetectors(frames, [bruteForceDetector], high).length).toBeGreaterThanOrEqual(
            runDetectors(frames, [bruteForceDetector], low).length,
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});
