import { describe, expect, it } from "vitest";
import { evaluate } from "./detection.js";

// The evaluation of the detection issue, asserted: what `npm run eval` prints.
describe("detection evaluation on real captures", () => {
  const result = evaluate();

  it("detects the attacks, fast", () => {
    const missed = result.attacks.filter((a) => !a.detected).map((a) => a.scenario.name);
    expect(missed).toEqual([]);
    expect(result.detectionRate).toBe(1);
    expect(result.medianTimeToDetect).not.toBeNull();
    expect(result.medianTimeToDetect!).toBeLessThanOrEqual(5);
    for (const attack of result.attacks.filter((a) => a.detected)) {
      // Scans ≤ 10 s, ARP spoofing ≤ 5 s, DNS tunnels ≤ 60 s (DETECTION.md).
      expect(attack.timeToDetect!, attack.scenario.name).toBeLessThanOrEqual(10);
    }
  });

  it("stays quiet on benign traffic", () => {
    const loud = result.benign.flatMap((b) =>
      b.falsePositives.map((a) => `${b.scenario.name}: ${a.type}/${a.severity}`),
    );
    expect(loud).toEqual([]);
    expect(result.falsePositivesPer10DeviceDays).toBeLessThanOrEqual(1);
    expect(result.deviceDays).toBeGreaterThan(30);
  });
});
