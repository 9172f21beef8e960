#!/usr/bin/env node
// Cost of recording recent traffic (what `heimdal analyze --db` adds to the pipeline): the
// CLI's pipeline replaying each capture with and without the traffic recorder, alternating,
// five rounds, best and median wall time in-process. Usage: node scripts/bench/traffic-recorder.mjs FILE...
import { performance } from "node:perf_hooks";
import { replayFile } from "../../packages/cli/dist/commands/analyze.js";
import { createPipeline } from "../../packages/cli/dist/pipeline-factory.js";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node scripts/bench/traffic-recorder.mjs CAPTURE...");
  process.exit(2);
}
for (const file of files) {
  const times = { off: [], on: [] };
  let minutes = 0;
  let connections = 0;
  for (let round = 0; round < 5; round++) {
    for (const mode of ["off", "on"]) {
      const pipeline = createPipeline(mode === "on" ? { traffic: {} } : {});
      const start = performance.now();
      replayFile(file, pipeline);
      pipeline.finish();
      const drained = pipeline.trafficRecorder.drainAll();
      times[mode].push(performance.now() - start);
      if (mode === "on") {
        minutes = drained.minutes.length;
        connections = pipeline.profileEngine.connectionsSeen;
      }
    }
  }
  const best = (t) => Math.min(...t).toFixed(0);
  const median = (t) => [...t].sort((a, b) => a - b)[2].toFixed(0);
  console.log(
    `${file.split("/").pop()}: without ${best(times.off)} ms best, ${median(times.off)} median; ` +
      `with ${best(times.on)} ms best, ${median(times.on)} median; ${connections} connections, ${minutes} device-minutes`,
  );
}
