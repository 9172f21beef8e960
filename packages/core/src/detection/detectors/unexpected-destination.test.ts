import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CAMERA,
  DAY,
  dnsLookup,
  type Frame,
  ip,
  LOCK,
  MINUTE,
  newPipeline,
  normalWeek,
  PHONE,
  replay,
  T0,
  tcpConnection,
} from "./behaviour-harness.test-util.js";
import { unexpectedDestinationDetector } from "./unexpected-destination.js";

const DAY8 = T0 + 7 * DAY + 11 * 3600e6;
const STRANGER = ip(45, 33, 32, 156);

function learned(days = 7, sensitivity?: number) {
  const pipeline = newPipeline(
    [unexpectedDestinationDetector],
    sensitivity === undefined ? undefined : { global: sensitivity },
  );
  pipeline.startLearning();
  replay(pipeline, normalWeek(days));
  pipeline.beginAnalysis();
  return pipeline;
}

const unexpected = (pipeline: ReturnType<typeof newPipeline>) =>
  pipeline.finish().alerts.filter((a) => a.type === "unexpected_destination");

describe("unexpected_destination", () => {
  it("flags a lock reaching an address outside its ready baseline", () => {
    const pipeline = learned();
    const frames: Frame[] = [];
    tcpConnection(frames, DAY8, LOCK, STRANGER, 6667, 400, 300);
    replay(pipeline, frames);
    const alerts = unexpected(pipeline);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      severity: "medium",
      evidence: { destination: "45.33.32.156", port: "tcp/6667" },
    });
    expect(alerts[0]!.normal).toContain("amazonaws.com (6 of 6 days)");
  });

  it("accepts a new address of a known domain, a phone's new website, and the rest of the home's destinations", () => {
    const pipeline = learned(7, 1);
    const frames: Frame[] = [];
    dnsLookup(frames, DAY8, LOCK, "other-endpoint.iot.us-west-2.amazonaws.com", ip(54, 1, 2, 3));
    tcpConnection(frames, DAY8 + 1000, LOCK, ip(54, 1, 2, 3), 8883, 300, 300);
    dnsLookup(frames, DAY8 + MINUTE, PHONE, "brand-new-site.example", ip(93, 184, 216, 34));
    tcpConnection(frames, DAY8 + MINUTE + 1000, PHONE, ip(93, 184, 216, 34), 443, 3000, 90_000);
    replay(pipeline, frames);
    expect(unexpected(pipeline)).toEqual([]);
  });

  it("says nothing while the baseline is learning", () => {
    const pipeline = learned(3, 1);
    const frames: Frame[] = [];
    tcpConnection(frames, T0 + 3 * DAY + 3600e6, CAMERA, STRANGER, 23, 400, 300);
    replay(pipeline, frames);
    expect(unexpected(pipeline)).toEqual([]);
  });

  it("never throws and is monotone in sensitivity", () => {
    const base = (() => {
      const frames = normalWeek(7);
      return frames;
    })();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 1, max: 65535 })), { maxLength: 6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (targets, s1, s2) => {
          const [low, high] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const count = (sensitivity: number) => {
            const pipeline = newPipeline([unexpectedDestinationDetector], { global: sensitivity });
            pipeline.startLearning();
            replay(pipeline, [...base]);
            pipeline.beginAnalysis();
            const frames: Frame[] = [];
            targets.forEach(([host, port], i) => {
              tcpConnection(frames, DAY8 + i * MINUTE, i % 2 === 0 ? LOCK : PHONE, ip(45, 33, 7, host), port, 100, 100);
            });
            replay(pipeline, frames);
            return unexpected(pipeline).length;
          };
          expect(count(high)).toBeGreaterThanOrEqual(count(low));
        },
      ),
      { numRuns: 4 },
    );
  });
});
