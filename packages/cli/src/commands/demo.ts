import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeSimulatedCapture } from "../capture-file-writer.js";
import { formatReportText } from "../report-text.js";
import { UsageError } from "../usage-error.js";
import { analyzeFiles } from "./analyze.js";

/**
 * The embedded default: needs no network, no privileges and no external service. It
 * generates an hour of a small home network and analyzes it like any capture.
 */
export async function runDemo(argv: string[]): Promise<number> {
  let values: { format?: string | undefined; keep?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { format: { type: "string" }, keep: { type: "boolean" } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const directory = mkdtempSync(join(tmpdir(), "heimdal-demo-"));
  const path = join(directory, "home-network.pcap");
  try {
    const { devices, packets } = writeSimulatedCapture(path, { devices: 8, durationSeconds: 3600, seed: 7 });
    const report = analyzeFiles([], [path]);
    if (values.format === "json") {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`Generated ${packets.toLocaleString("en-US")} packets of a simulated home network: ${path}\n`);
    for (const d of devices)
      process.stdout.write(`  ${d.persona.padEnd(10)} ${d.hostname.padEnd(16)} ${d.mac}  ${d.ip}\n`);
    process.stdout.write(`\n${formatReportText(report)}`);
    return 0;
  } finally {
    if (!values.keep) rmSync(directory, { recursive: true, force: true });
  }
}
