import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bulkUpload,
  CAMERA,
  DAY,
  type Frame,
  HOUR,
  ip,
  LOCK,
  MINUTE,
  newPipeline,
  normalWeek,
  replay,
  T0,
} from "./behaviour-harness.test-util.js";
import { spikeThreshold, trafficSpikeDetector } from "./traffic-spike.js";

const DROP = ip(185, 220, 101, 9);
const DAY8 = T0 + 7 * DAY;

function learnedWeek(sensitivity?: number, days = 7) {
  const pipeline = newPipeline([trafficSpikeDetector], sensitivity === undefined ? undefined : { global: sensitivity });
  pipeline.startLearning();
  replay(pipeline, normalWeek(days));
  pipeline.beginAnalysis();
  return pipeline;
}

const spikes = (pipeline: ReturnType<typeof newPipeline>) =>
  pipeline.finish().alerts.filter((a) => a.type === "traffic_spike");

describe("traffic_spike", () => {
  it("thresholds fall as sensitivity rises and never go below the floor", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (median, mad, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(spikeThreshold(median, mad, hi)).toBeLessThanOrEqual(spikeThreshold(median, mad, lo));
          expect(spikeThreshold(median, mad, hi)).toBeGreaterThanOrEqual(2.5e6);
        },
      ),
    );
    expect(spikeThreshold(0, 0, 0.5)).toBe(5e6);
    expect(spikeThreshold(1e6, 0, 0.5)).toBe(1e7);
  });

  it("flags the lock moving 40 MB in an hour it usually moves kilobytes, within the hour", () => {
    const pipeline = learnedWeek();
    const frames: Frame[] = [];
    const start = DAY8 + 14 * HOUR + 5 * MINUTE;
    bulkUpload(frames, start, LOCK, DROP, 443, 40_000_000, 20 * MINUTE);
    replay(pipeline, frames);
    const alerts = spikes(pipeline);
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a.severity).toBe("high");
    expect(a.evidence).toMatchObject({ thresholdBytes: 5_000_000, basis: "hour_of_day", samples: 7 });
    // Crossed 5 MB after about an eighth of the upload; escalated later within the same alert.
    expect(Date.parse(a.firstEvidence)).toBe(Math.floor(start / 1000));
    expect(a.repeats).toBe(1);
  });

  it("is medium for a moderate spike, and nothing below the 5 MB floor", () => {
    const pipeline = learnedWeek();
    const frames: Frame[] = [];
    bulkUpload(frames, DAY8 + 10 * HOUR, LOCK, DROP, 443, 8_000_000, 10 * MINUTE);
    bulkUpload(frames, DAY8 + 12 * HOUR, LOCK, DROP, 443, 4_000_000, 10 * MINUTE);
    replay(pipeline, frames);
    expect(spikes(pipeline).map((a) => a.severity)).toEqual(["medium"]);
  });

  it("leaves a normal day and the camera's usual clip hours alone", () => {
    const pipeline = learnedWeek(1);
    const frames: Frame[] = [...normalWeek(1, DAY8)];
    // Camera clips are 2 MB at 03:00, 09:00, ...: 10 MB at 09:00 is within 10 × its median at sensitivity 0.5.
    bulkUpload(frames, DAY8 + 9 * HOUR + 10 * MINUTE, CAMERA, ip(3, 227, 188, 171), 443, 10_000_000, 5 * MINUTE);
    replay(pipeline, frames);
    expect(spikes(pipeline)).toEqual([]);
  });

  it("takes a camera's motion clip at an odd hour as normal, but not 40 MB", () => {
    const pipeline = learnedWeek();
    const frames: Frame[] = [];
    bulkUpload(frames, DAY8 + 1 * HOUR, CAMERA, ip(3, 227, 188, 171), 443, 6_000_000, 2 * MINUTE);
    bulkUpload(frames, DAY8 + 2 * HOUR, CAMERA, DROP, 443, 40_000_000, 10 * MINUTE);
    replay(pipeline, frames);
    const alerts = spikes(pipeline);
    expect(alerts.map((a) => a.severity)).toEqual(["medium"]);
    expect(alerts[0]!.evidence).toMatchObject({ thresholdBytes: 20_000_000 });
    expect(alerts[0]!.key.endsWith(String(Math.floor((DAY8 + 2 * HOUR) / HOUR)))).toBe(true);
  });

  it("needs a baseline: nothing on day one or after a single day", () => {
    for (const days of [0, 1]) {
      const pipeline = days === 0 ? newPipeline([trafficSpikeDetector]) : learnedWeek(undefined, days);
      const frames: Frame[] = [];
      bulkUpload(frames, T0 + days * DAY + 2 * HOUR, LOCK, DROP, 443, 40_000_000, 5 * MINUTE);
      replay(pipeline, frames);
      expect(spikes(pipeline)).toEqual([]);
    }
  });

  it("is monotone in sensitivity and never throws", () => {
    const week = normalWeek(3);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 23 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (mb, hour, s1, s2) => {
          const [low, high] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const count = (sensitivity: number) => {
            const pipeline = newPipeline([trafficSpikeDetector], { global: sensitivity });
            pipeline.startLearning();
            replay(pipeline, week);
            pipeline.beginAnalysis();
            const frames: Frame[] = [];
            bulkUpload(frames, T0 + 3 * DAY + hour * HOUR, CAMERA, DROP, 443, mb * 1e6, 10 * MINUTE);
            replay(pipeline, frames);
            return spikes(pipeline).length;
          };
          expect(count(high)).toBeGreaterThanOrEqual(count(low));
        },
      ),
      { numRuns: 8 },
    );
  });
});
