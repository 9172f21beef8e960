import { closeSync, openSync, readSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PacketPipeline } from "../analyze/packet-pipeline.js";
import { createDefaultClassifier } from "../discovery/default-classifier.js";
import { NO_VENDORS } from "../discovery/vendor-lookup.js";
import { CaptureFileReader } from "../packet/capture-file-reader.js";
import { defaultDetectors } from "./default-detectors.js";
import type { QuarantineRequest } from "./enforcement.js";

const capture = resolve(import.meta.dirname, "../../../../../shared/data/chrissanders/arppoison.pcapng");

function replay(enforcement: { enabled: boolean } | undefined) {
  const requests: QuarantineRequest[] = [];
  const detection = {
    detectors: defaultDetectors(),
    ...(enforcement
      ? {
          enforcement: { ...enforcement, requester: { requestQuarantine: (r: QuarantineRequest) => requests.push(r) } },
        }
      : {}),
  };
  const pipeline = new PacketPipeline({ classifier: createDefaultClassifier(), vendors: NO_VENDORS, detection });
  const fd = openSync(capture, "r");
  const reader = new CaptureFileReader({ read: (t, o, l, p) => readSync(fd, t, o, l, p), close: () => closeSync(fd) });
  for (let b = reader.nextBatch(); b; b = reader.nextBatch()) pipeline.processBatch(b);
  reader.close();
  return { report: pipeline.finish(), requests };
}

describe("automatic enforcement", () => {
  it("is off by default: a critical incident requests nothing", () => {
    const { report, requests } = replay(undefined);
    expect(report.incidents.some((i) => i.severity === "critical")).toBe(true);
    expect(requests).toEqual([]);
    expect(report.enforcementRequests).toEqual([]);
  });

  it("when enabled, asks once to quarantine the device of a critical incident, with its reason and expiry", () => {
    const { report, requests } = replay({ enabled: true });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      mac: "00:25:b3:bf:91:ee",
      reason: expect.stringContaining("critical arp_spoofing"),
    });
    expect(requests[0]!.expiresAt! - requests[0]!.requestedAt).toBe(3_600_000);
    expect(report.enforcementRequests).toHaveLength(1);
    expect(report.enforcementRequests[0]!.mac).toBe("00:25:b3:bf:91:ee");
  });

  it("a configured but disabled policy requests nothing", () => {
    expect(replay({ enabled: false }).requests).toEqual([]);
  });
});
