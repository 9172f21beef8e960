#!/usr/bin/env node
// The hot path in-process, per stage, after a warm-up pass: read only; read + decode;
// read + decode + flow table; the whole pipeline. One core, one thread. The cost of each
// detector is detector-cost.mjs's (run.mjs runs it after this).
import { closeSync, openSync, readSync } from "node:fs";
import {
  CaptureFileReader,
  createDefaultClassifier,
  DecodedPacket,
  decodePacket,
  defaultDetectors,
  FlowTable,
  NO_VENDORS,
  PacketPipeline,
} from "../../packages/core/dist/index.js";

const files = process.argv.slice(2);
// "pipeline" is decode, flows, discovery and profiles; "pipeline+detectors" adds every shipped detector.
const stages = ["read", "decode", "decode+flows", "pipeline", "pipeline+detectors"];
const classifier = createDefaultClassifier();
const rows = [];
for (const file of files) {
  for (const stage of stages) {
    let best = Number.POSITIVE_INFINITY;
    let packets = 0;
    let heapMiB = 0;
    for (let round = 0; round < 3; round++) {
      const fd = openSync(file, "r");
      const reader = new CaptureFileReader(
        { read: (t, o, l, p) => readSync(fd, t, o, l, p), close: () => closeSync(fd) },
        { windowBytes: 1 << 22 },
      );
      const packet = new DecodedPacket();
      const flows = new FlowTable();
      const pipeline = new PacketPipeline({
        classifier,
        vendors: NO_VENDORS,
        detection: { detectors: stage === "pipeline+detectors" ? defaultDetectors() : [] },
      });
      const start = process.hrtime.bigint();
      let n = 0;
      for (let batch = reader.nextBatch(); batch; batch = reader.nextBatch()) {
        n += batch.count;
        if (stage.startsWith("pipeline")) {
          pipeline.processBatch(batch);
          continue;
        }
        if (stage === "read") continue;
        const { data, offsets, capturedLengths, wireLengths, linkTypes, timestampsUs } = batch;
        for (let i = 0; i < batch.count; i++) {
          decodePacket(data, offsets[i], capturedLengths[i], wireLengths[i], linkTypes[i], timestampsUs[i], packet);
          if (stage === "decode+flows") flows.update(packet);
        }
        if (stage === "decode+flows" && batch.count > 0) flows.expire(timestampsUs[batch.count - 1]);
      }
      if (stage.startsWith("pipeline")) pipeline.finish();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      reader.close();
      best = Math.min(best, seconds);
      packets = n;
      heapMiB = Math.max(heapMiB, process.memoryUsage().heapUsed / 1048576);
    }
    rows.push({
      input: file.split("/").pop(),
      stage,
      packets,
      bestSeconds: best.toFixed(3),
      Mpps: (packets / best / 1e6).toFixed(2),
      heapMiB: heapMiB.toFixed(0),
    });
  }
}
console.log("\n## Hot path in-process (best of 3, JIT warm)\n");
console.table(rows);
console.log(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
