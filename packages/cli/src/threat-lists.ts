import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { ThreatIntelStore } from "@heimdal/core";

/**
 * Loads blocklists for threat_intel_match. The format comes from the content: abuse.ch CSV
 * (a quoted header naming dst_ip, url or ioc), a hosts file (lines of "0.0.0.0 name"), or a
 * plain list of addresses and networks. Bad lines are reported on stderr by line number.
 */
export function loadThreatLists(paths: readonly string[]): ThreatIntelStore {
  const store = new ThreatIntelStore();
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new Error(`Cannot read threat list "${path}": ${(error as NodeJS.ErrnoException).code ?? error}`, {
        cause: error,
      });
    }
    const name = basename(path);
    const sample = text
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"))
      .slice(0, 20);
    const report = sample.some((l) => l.includes('","') || l.startsWith('"'))
      ? store.loadAbuseChCsv(text, name)
      : sample.some((l) => /^\s*(0\.0\.0\.0|127\.0\.0\.1|::1?)\s+\S/.test(l))
        ? store.loadHosts(text, name)
        : store.loadIpList(text, name);
    process.stderr.write(
      `threat list ${name}: ${report.loaded} entries${report.malformedCount > 0 ? `, ${report.malformedCount} lines skipped` : ""}\n`,
    );
    for (const bad of report.malformed.slice(0, 5)) process.stderr.write(`  ${path}:${bad.line}: ${bad.reason}\n`);
  }
  return store;
}
