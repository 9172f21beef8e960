import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CAMERA,
  DAY,
  type Frame,
  ip,
  LOCK,
  MINUTE,
  newPipeline,
  normalWeek,
  PHONE,
  PLUG,
  replay,
  T0,
  tcpConnection,
  udpExchange,
} from "./behaviour-harness.test-util.js";
import { unusualPortDetector } from "./unusual-port.js";

const DAY8 = T0 + 7 * DAY + 11 * 3600e6;
const REMOTE = ip(45, 33, 32, 156);

function learned(sensitivity?: number) {
  const pipeline = newPipeline([unusualPortDetector], sensitivity === undefined ? undefined : { global: sensitivity });
  pipeline.startLearning();
  replay(pipeline, normalWeek());
  pipeline.beginAnalysis();
  return pipeline;
}
const ports = (pipeline: ReturnType<typeof newPipeline>) =>
  pipeline.finish().alerts.filter((a) => a.type === "unusual_port");

describe("unusual_port", () => {
  it("flags telnet from a plug even without a baseline", () => {
    const pipeline = newPipeline([unusualPortDetector]);
    const frames: Frame[] = [];
    // A minute of ordinary traffic first: the plug is classified once its identity settles.
    udpExchange(frames, T0, PLUG, ip(129, 6, 15, 28), 123);
    tcpConnection(frames, T0 + MINUTE, PLUG, REMOTE, 23, 50, 50);
    replay(pipeline, frames);
    expect(ports(pipeline)).toMatchObject([{ severity: "high", evidence: { port: "tcp/23" } }]);
  });

  it("flags a new service port of a lock with a ready baseline, not its usual ones", () => {
    const pipeline = learned();
    const frames: Frame[] = [...normalWeek(1, T0 + 7 * DAY)];
    tcpConnection(frames, DAY8, LOCK, REMOTE, 9001, 300, 300);
    replay(pipeline, frames);
    expect(ports(pipeline)).toMatchObject([{ severity: "medium", evidence: { port: "tcp/9001" } }]);
  });

  it("leaves DNS to the gateway, high UDP ports and a phone's new port below medium", () => {
    const pipeline = learned(1);
    const frames: Frame[] = [];
    udpExchange(frames, DAY8, PHONE, ip(77, 1, 2, 3), 51_820);
    udpExchange(frames, DAY8 + MINUTE, CAMERA, ip(77, 1, 2, 3), 40_001);
    tcpConnection(frames, DAY8 + 2 * MINUTE, PHONE, REMOTE, 5222, 300, 300);
    replay(pipeline, frames);
    const alerts = ports(pipeline);
    expect(alerts.every((a) => a.severity === "low")).toBe(true);
    expect(alerts.map((a) => (a.evidence as { port: string }).port)).toEqual(["tcp/5222"]);
  });

  it("never throws and is monotone in sensitivity", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 8 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (list, s1, s2) => {
          const [low, high] = s1 <= s2 ? [s1, s2] : [s2, s1];
          const count = (sensitivity: number) => {
            const pipeline = newPipeline([unusualPortDetector], { global: sensitivity });
            pipeline.startLearning();
            replay(pipeline, normalWeek(3));
            pipeline.beginAnalysis();
            const frames: Frame[] = [];
            for (const [i, port] of list.entries())
              tcpConnection(frames, T0 + 3 * DAY + i * MINUTE, LOCK, REMOTE, port, 10, 10);
            replay(pipeline, frames);
            return ports(pipeline).length;
          };
          expect(count(high)).toBeGreaterThanOrEqual(count(low));
        },
      ),
      { numRuns: 6 },
    );
  });
});
