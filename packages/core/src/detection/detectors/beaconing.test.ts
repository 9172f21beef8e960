import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEVERITIES } from "../alert.js";
import { beaconingDetector, beaconScore } from "./beaconing.js";
import {
  CLOUD,
  DAY,
  type Frame,
  ip,
  LOCK,
  MINUTE,
  newPipeline,
  normalWeek,
  PLUG,
  replay,
  SECOND,
  seeded,
  T0,
  tcpConnection,
} from "./behaviour-harness.test-util.js";

const C2 = ip(203, 0, 113, 50);
const DAY8 = T0 + 7 * DAY + 10 * 3600e6;

function learnedWeek(sensitivity?: number) {
  const pipeline = newPipeline([beaconingDetector], sensitivity === undefined ? undefined : { global: sensitivity });
  pipeline.startLearning();
  replay(pipeline, normalWeek());
  pipeline.beginAnalysis();
  return pipeline;
}

/** A beacon every `period` s ± `jitter` (fraction) from `start` for `count` check-ins. */
function beacon(start: number, count: number, period = 60, jitter = 0.2, seed = 1, size = 310): Frame[] {
  const out: Frame[] = [];
  const random = seeded(seed);
  let t = start;
  for (let i = 0; i < count; i++) {
    tcpConnection(out, t, LOCK, C2, 443, size + Math.floor(random() * 8), 250);
    t += Math.round(period * (1 + jitter * (2 * random() - 1)) * SECOND);
  }
  return out;
}

const mediumPlus = (severity: string) => SEVERITIES.indexOf(severity as never) >= SEVERITIES.indexOf("medium");

describe("beaconing", () => {
  it("finds a 60 s beacon with ±20 % jitter to a fresh destination within 30 minutes", () => {
    const pipeline = learnedWeek();
    replay(pipeline, [...normalWeek(1, T0 + 7 * DAY), ...beacon(DAY8, 30)]);
    const report = pipeline.finish();
    const alerts = report.alerts.filter((a) => a.type === "beaconing");
    expect(alerts).toHaveLength(1);
    const alert = alerts[0]!;
    expect(mediumPlus(alert.severity)).toBe(true);
    expect(alert.evidence).toMatchObject({ destination: "203.0.113.50", port: "tcp/443" });
    const detectSeconds = (Date.parse(alert.time) - DAY8 / 1000) / 1000;
    expect(detectSeconds).toBeLessThan(30 * 60);
    expect(Date.parse(alert.firstEvidence)).toBe(DAY8 / 1000);
    expect(alert.normal).toContain("amazonaws.com");
  });

  it("stays quiet for keep-alives, NTP and browsing the baseline knows", () => {
    const pipeline = learnedWeek(1);
    replay(pipeline, normalWeek(1, T0 + 7 * DAY));
    expect(pipeline.finish().alerts.filter((a) => a.type === "beaconing")).toEqual([]);
  });

  it("says low, not medium, on day one when the device has no history", () => {
    const pipeline = newPipeline([beaconingDetector]);
    replay(pipeline, normalWeek(1));
    const alerts = pipeline.finish().alerts.filter((a) => a.type === "beaconing");
    expect(alerts.every((a) => !mediumPlus(a.severity))).toBe(true);
  });

  it("ignores irregular traffic and TCP retries after a failure", () => {
    const pipeline = learnedWeek();
    const frames: Frame[] = [];
    const random = seeded(3);
    // Irregular: gaps anywhere from 10 s to 20 min.
    for (let t = DAY8, i = 0; i < 40; i++, t += Math.round((10 + random() * 1200) * SECOND))
      tcpConnection(frames, t, PLUG, C2, 443, 200 + Math.floor(random() * 5000), 300);
    // Retries: SYNs of the same source port a second apart.
    for (let i = 0; i < 40; i++)
      tcpConnection(frames, DAY8 + 3 * 3600e6 + i * SECOND, LOCK, ip(198, 51, 100, 7), 443, 0, 0, 50000);
    replay(pipeline, frames);
    expect(pipeline.finish().alerts.filter((a) => a.type === "beaconing")).toEqual([]);
  });

  it("scores a regular beacon near 1 and uniform noise low", () => {
    const regular = Float64Array.from({ length: 20 }, (_, i) => 60 + ((i * 7) % 11) - 5);
    const sizes = Float64Array.from({ length: 10 }, () => 300);
    expect(beaconScore(regular, 20, sizes, 10).score).toBeGreaterThan(0.9);
    const random = seeded(9);
    const noise = Float64Array.from({ length: 32 }, () => 10 + random() ** 3 * 3000);
    expect(beaconScore(noise, 32, sizes, 0).score).toBeLessThan(0.7);
  });

  it("never throws and is monotone in sensitivity", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 5, maxLength: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (gaps, s1, s2) => {
          const [low, high] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const count = (sensitivity: number) => {
            const pipeline = newPipeline([beaconingDetector], { global: sensitivity });
            const frames: Frame[] = [];
            tcpConnection(frames, T0, LOCK, CLOUD, 443, 10, 10);
            let t = T0 + MINUTE;
            for (const gap of gaps) {
              tcpConnection(frames, t, LOCK, C2, 443, 300, 200);
              t += gap * SECOND;
            }
            replay(pipeline, frames);
            return pipeline.finish().alerts.filter((a) => a.type === "beaconing").length;
          };
          expect(count(high)).toBeGreaterThanOrEqual(count(low));
        },
      ),
      { numRuns: 25 },
    );
  });
});
