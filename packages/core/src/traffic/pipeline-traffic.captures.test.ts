import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PacketPipeline } from "../analyze/packet-pipeline.js";
import { createDefaultClassifier } from "../discovery/default-classifier.js";
import { NO_VENDORS } from "../discovery/vendor-lookup.js";
import { replayCapture } from "../test-support/capture-replay.test-util.js";
import { MINUTE_MS } from "./traffic-sample.js";

const NEST = join(import.meta.dirname, "../../../../../shared/data/ndpi/nest_log_sink.pcap");

function replay(traffic: boolean) {
  const pipeline = new PacketPipeline({
    classifier: createDefaultClassifier(),
    vendors: NO_VENDORS,
    ...(traffic && { traffic: {} }),
  });
  replayCapture(NEST, pipeline);
  const report = pipeline.finish();
  return { report, drained: pipeline.trafficRecorder.drainAll() };
}

describe("the pipeline's recent traffic (a Nest device's 1.9 h of log-sink sessions)", () => {
  it("accounts every attributed byte to the device's minutes, in the capture's time range", () => {
    const { report, drained } = replay(true);
    const device = report.devices.find((d) => d.bytes > 0 && drained.minutes.some((m) => m.deviceId === d.id))!;
    const minutes = drained.minutes.filter((m) => m.deviceId === device.id);
    const start = Date.parse(report.startTime!);
    const end = Date.parse(report.endTime!);
    expect(minutes.length).toBeGreaterThan(10);
    for (const m of minutes) {
      expect(m.minute).toBeGreaterThanOrEqual(Math.floor(start / MINUTE_MS) * MINUTE_MS);
      expect(m.minute).toBeLessThanOrEqual(end);
    }
    // The minutes add up to what the device's profile holds: the same connections.
    const sent = minutes.reduce((sum, m) => sum + m.bytesUp + m.bytesDown, 0);
    const destinations = drained.destinations.filter((d) => d.deviceId === device.id);
    expect(destinations.reduce((sum, d) => sum + d.bytesUp + d.bytesDown, 0)).toBe(sent);
    expect(destinations.some((d) => d.port === 11095 && d.direction === "out")).toBe(true);
    expect(drained.events.length).toBeGreaterThan(0);
    expect(drained.events.length).toBeLessThanOrEqual(60);
  });

  it("records nothing unless asked (no store, no minutes piling up)", () => {
    const { drained } = replay(false);
    expect(drained).toEqual({ minutes: [], destinations: [], events: [] });
  });
});
