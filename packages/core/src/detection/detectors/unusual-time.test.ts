import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DAY,
  type Frame,
  HOUR,
  ip,
  LOCK,
  MINUTE,
  newPipeline,
  normalWeek,
  PHONE,
  PLUG,
  replay,
  SECOND,
  T0,
  tcpConnection,
} from "./behaviour-harness.test-util.js";
import { sustainedThresholds, unusualTimeDetector } from "./unusual-time.js";

const PLUG_CLOUD = ip(54, 230, 10, 20);
const DAY8 = T0 + 7 * DAY;

/** The usual week plus a smart plug that is only on from 07:00 to 19:00 (a keep-alive every 5 minutes). */
function week(days = 7): Frame[] {
  const frames = normalWeek(days);
  for (let d = 0; d < days; d++)
    for (let t = T0 + d * DAY + 7 * HOUR; t < T0 + d * DAY + 19 * HOUR; t += 5 * MINUTE)
      tcpConnection(frames, t + 3 * SECOND, PLUG, PLUG_CLOUD, 443, 400, 300);
  return frames;
}

const LEARNED = week();

function learned(sensitivity?: number) {
  const pipeline = newPipeline([unusualTimeDetector], sensitivity === undefined ? undefined : { global: sensitivity });
  pipeline.startLearning();
  replay(pipeline, LEARNED);
  pipeline.beginAnalysis();
  return pipeline;
}

/** `host` busy for `minutes` minutes from `start`: a 20 kB exchange every minute. */
function busy(out: Frame[], start: number, host: typeof PLUG, minutes: number, remote = ip(198, 51, 100, 7)) {
  for (let m = 0; m < minutes; m++) tcpConnection(out, start + m * MINUTE, host, remote, 443, 15_000, 5_000);
}

const unusual = (pipeline: ReturnType<typeof newPipeline>) =>
  pipeline.finish().alerts.filter((a) => a.type === "unusual_time");

describe("unusual_time", () => {
  it("thresholds fall with sensitivity", () => {
    expect(sustainedThresholds(0.5)).toEqual({ minutes: 10, bytes: 100_000 });
    for (let s = 0; s < 1; s += 0.1) {
      expect(sustainedThresholds(s + 0.1).minutes).toBeLessThanOrEqual(sustainedThresholds(s).minutes);
      expect(sustainedThresholds(s + 0.1).bytes).toBeLessThanOrEqual(sustainedThresholds(s).bytes);
    }
  });

  it("flags the plug busy for 15 minutes at 03:00 as medium, after its tenth active minute", () => {
    const pipeline = learned();
    const frames: Frame[] = [];
    const start = DAY8 + 3 * HOUR + 2 * MINUTE;
    busy(frames, start, PLUG, 15);
    replay(pipeline, frames);
    const alerts = unusual(pipeline);
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a.severity).toBe("medium");
    expect(a.evidence).toMatchObject({ hourOfDay: 3, activeMinutes: 10, activeDaysThisHour: 0 });
    expect((a.evidence.usualHours as number[]).includes(3)).toBe(false);
    const seconds = (Date.parse(a.time) - Date.parse(a.firstEvidence)) / 1000;
    expect(seconds).toBeLessThan(11 * 60);
  });

  it("is only low for the phone up at night", () => {
    const pipeline = learned();
    const frames: Frame[] = [];
    busy(frames, DAY8 + 2 * HOUR, PHONE, 20);
    replay(pipeline, frames);
    expect(unusual(pipeline).map((a) => a.severity)).toEqual(["low"]);
  });

  it("stays quiet for short blips, usual hours, and devices busy around the clock", () => {
    const pipeline = learned(0.5);
    const frames: Frame[] = [...normalWeek(1, DAY8)];
    busy(frames, DAY8 + 3 * HOUR, PLUG, 5); // a 5-minute blip (firmware check)
    busy(frames, DAY8 + 10 * HOUR, PLUG, 30); // busy, but in its usual hours
    busy(frames, DAY8 + 2 * HOUR, LOCK, 30); // the lock talks every hour: no quiet hours
    replay(pipeline, frames);
    expect(unusual(pipeline)).toEqual([]);
  });

  it("needs a learned baseline", () => {
    const pipeline = newPipeline([unusualTimeDetector]);
    const frames: Frame[] = [];
    busy(frames, T0 + 3 * HOUR, PLUG, 30);
    replay(pipeline, frames);
    expect(unusual(pipeline)).toEqual([]);
  });

  it("is monotone in sensitivity and never throws", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(PLUG, PHONE, LOCK),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (hour, minutes, host, s1, s2) => {
          const [low, high] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const count = (sensitivity: number) => {
            const pipeline = learned(sensitivity);
            const frames: Frame[] = [];
            busy(frames, DAY8 + hour * HOUR, host, minutes);
            replay(pipeline, frames);
            return unusual(pipeline).length;
          };
          expect(count(high)).toBeGreaterThanOrEqual(count(low));
        },
      ),
      { numRuns: 8 },
    );
  });
});
