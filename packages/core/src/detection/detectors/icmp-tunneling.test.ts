import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { echo, type Frame, ip, randomBytes, runDetectors, T0 } from "./detector-harness.test-util.js";
import { byteEntropy, icmpEchoCount, icmpTunnelingDetector } from "./icmp-tunneling.js";

const PEER = ip(198, 51, 100, 7);

describe("icmp_tunneling", () => {
  it("alerts on echoes of varying size carrying encrypted data", () => {
    const frames: Frame[] = [];
    for (let i = 0; i < 40; i++) {
      frames.push(echo(T0 + i * 200_000, 8, PEER, i, randomBytes(i + 1, 100 + ((i * 37) % 900))));
      frames.push(echo(T0 + i * 200_000 + 5000, 0, PEER, i, randomBytes(i + 99, 100 + ((i * 53) % 900))));
    }
    const alerts = runDetectors(frames, [icmpTunnelingDetector()]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: "icmp_tunneling", key: "f8:bc:12:00:00:01|198.51.100.7" });
  });

  it("stays quiet on ordinary ping: one size, a counting pattern", () => {
    const pattern = Uint8Array.from({ length: 56 }, (_, i) => i);
    const frames: Frame[] = [];
    for (let i = 0; i < 200; i++) {
      frames.push(echo(T0 + i * 1_000_000, 8, PEER, i, pattern));
      frames.push(echo(T0 + i * 1_000_000 + 9000, 0, PEER, i, pattern));
    }
    expect(runDetectors(frames, [icmpTunnelingDetector()])).toEqual([]);
  });

  it("has a monotone threshold and a bounded entropy", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) =>
        a <= b ? icmpEchoCount(b) <= icmpEchoCount(a) : icmpEchoCount(a) <= icmpEchoCount(b),
      ),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const h = byteEntropy(bytes, 0, bytes.length);
        return h >= 0 && h <= 8;
      }),
    );
  });
});
