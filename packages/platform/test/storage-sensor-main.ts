/**
 * storage-sensor.ts as a process, for the durability test to kill:
 *   node vite-node.mjs --config vitest.config.ts storage-sensor-main.ts -- --db FILE --pcap FILE
 *     [--flush-every SECONDS] [--batch PACKETS]
 * Keep its stdin open: vite-node ends the process when its stdin ends.
 */
import { writeSync } from "node:fs";
import { parseArgs } from "node:util";
import { runStorageSensor } from "./storage-sensor.js";

const { values } = parseArgs({
  options: {
    db: { type: "string" },
    pcap: { type: "string" },
    "flush-every": { type: "string", default: "60" },
    batch: { type: "string", default: "16" },
  },
  allowPositionals: true,
});
if (values.db === undefined || values.pcap === undefined) {
  throw new Error("Usage: storage-sensor-main.ts --db FILE --pcap FILE [--flush-every SECONDS] [--batch PACKETS]");
}
await runStorageSensor(
  {
    db: values.db,
    pcap: values.pcap,
    flushEverySeconds: Number(values["flush-every"]),
    batchSize: Number(values.batch),
  },
  // Synchronous: the line is out before the next packet is read, so a "committed" line is never early.
  (line) => writeSync(1, `${line}\n`),
);
