import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bulkUpload,
  CAMERA,
  DAY,
  type Frame,
  ip,
  LOCK,
  MINUTE,
  newPipeline,
  normalWeek,
  PHONE,
  replay,
  SECOND,
  T0,
  tcpConnection,
} from "./behaviour-harness.test-util.js";
import { dataExfiltrationDetector } from "./data-exfiltration.js";

const DROP = ip(185, 220, 101, 9);
const DAY8 = T0 + 7 * DAY + 14 * 3600e6;

function learnedWeek(sensitivity?: number) {
  const pipeline = newPipeline(
    [dataExfiltrationDetector],
    sensitivity === undefined ? undefined : { global: sensitivity },
  );
  pipeline.startLearning();
  replay(pipeline, normalWeek());
  pipeline.beginAnalysis();
  return pipeline;
}

const exfiltrations = (pipeline: ReturnType<typeof newPipeline>) =>
  pipeline.finish().alerts.filter((a) => a.type === "data_exfiltration");

describe("data_exfiltration", () => {
  it("catches a 150 MB upload to a new destination within 5 minutes", () => {
    const pipeline = learnedWeek();
    const frames: Frame[] = [];
    bulkUpload(frames, DAY8, LOCK, DROP, 443, 150_000_000, 4 * MINUTE);
    replay(pipeline, frames);
    const alerts = exfiltrations(pipeline);
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    const first = alerts[0]!;
    expect(["medium", "high"]).toContain(first.severity);
    expect(first.evidence).toMatchObject({ destination: "185.220.101.9", port: "tcp/443" });
    const seconds = (Date.parse(first.time) - Date.parse(first.firstEvidence)) / 1000;
    expect(seconds).toBeLessThan(5 * 60);
    expect(Date.parse(first.firstEvidence)).toBe(Math.floor(DAY8 / 1000));
    expect(alerts.some((a) => a.severity === "high")).toBe(true);
  });

  it("leaves the camera's uploads to its cloud and a two-way video call alone", () => {
    const pipeline = learnedWeek(1);
    const frames: Frame[] = [...normalWeek(1, T0 + 7 * DAY)];
    bulkUpload(frames, DAY8, CAMERA, ip(3, 227, 188, 171), 443, 200_000_000, 5 * MINUTE);
    // A call: as much down as up.
    for (let t = DAY8; t < DAY8 + 30 * MINUTE; t += 10 * SECOND)
      tcpConnection(frames, t, PHONE, ip(170, 114, 52, 2), 443, 150_000, 150_000, 50100, 5 * SECOND);
    replay(pipeline, frames);
    expect(exfiltrations(pipeline)).toEqual([]);
  });

  it("does not wake anyone for a camera's modest upload to a new address", () => {
    const pipeline = learnedWeek();
    const frames: Frame[] = [];
    bulkUpload(frames, DAY8, CAMERA, DROP, 443, 60_000_000, 3 * MINUTE);
    replay(pipeline, frames);
    expect(exfiltrations(pipeline)).toEqual([]);
  });

  it("is only low on day one, without a baseline", () => {
    const pipeline = newPipeline([dataExfiltrationDetector]);
    const frames: Frame[] = [];
    bulkUpload(frames, T0, LOCK, DROP, 443, 150_000_000, 4 * MINUTE);
    replay(pipeline, frames);
    expect(exfiltrations(pipeline).map((a) => a.severity)).toEqual(["low"]);
  });

  it("never throws and is monotone in sensitivity", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (upMb, downMb, s1, s2) => {
          const [low, high] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const count = (sensitivity: number) => {
            const pipeline = newPipeline([dataExfiltrationDetector], { global: sensitivity });
            const frames: Frame[] = [];
            bulkUpload(frames, T0, LOCK, DROP, 443, upMb * 1e6, MINUTE);
            if (downMb > 0)
              tcpConnection(frames, T0 + 2 * SECOND, LOCK, DROP, 443, 0, downMb * 1e5, 47000, 50 * SECOND);
            replay(pipeline, frames);
            return exfiltrations(pipeline).length;
          };
          expect(count(high)).toBeGreaterThanOrEqual(count(low));
        },
      ),
      { numRuns: 15 },
    );
  });
});
