import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  type AnalysisReport,
  defaultDetectors,
  type EnforcementRequester,
  type Exclusion,
  type PacketPipeline,
  parseExclusions,
  parseSensitivity,
  UserSettings,
} from "@heimdal/core";
import { CaptureFileProvider } from "@heimdal/platform";
import { AnalysisStore } from "../analysis-store.js";
import { FirewallEnforcer } from "../firewall-enforcer.js";
import type { LiveAnalysisOptions } from "../live-analysis.js";
import { createPipeline, publicSuffixDomains } from "../pipeline-factory.js";
import { formatReportText } from "../report-text.js";
import { stateDir } from "../state-dir.js";
import { loadThreatLists } from "../threat-lists.js";
import { UsageError } from "../usage-error.js";

const HELP = `Usage: heimdal analyze [--learn FILE]... FILE... [--db FILE] [--format json|text]
       heimdal analyze --interface IFACE --duration SECONDS [--filter BPF] [--offline-after S]
                       [--active-scan] [--format json|text]

Replays capture files (classic pcap or pcapng, detected from the magic number) through the
packet pipeline and prints what it found. JSON output is a stable contract (docs/analyze-json.md).

  --learn FILE        a capture to learn from before FILE (repeatable; raises nothing itself)
  --format json|text  output format (default text)
  --threat-list FILE  a blocklist for threat_intel_match (repeatable): addresses and CIDRs one per
                      line, a hosts file, or an abuse.ch CSV (Feodo Tracker, URLhaus, ThreatFox)
  --sensitivity S     detection sensitivity 0..1 (default 0.5): "0.7" for all, "port_scan=0.8"
                      for one detector, "device:ID=0.2" for one device (repeatable)
  --exclusions FILE   alerts not to raise, as JSON (docs/detection.md)
  --enforce           automatic enforcement: a critical incident quarantines its device through
                      nftables for an hour, recorded in the block list (heimdal block list)
  --state-dir DIR     where the block list lives (default $HEIMDAL_STATE_DIR or /var/lib/heimdal)
  --db FILE           the sensor's SQLite database: start from the devices and baselines
                      stored there, and store what this analysis learned (created if absent)
  --interface IFACE   capture live from IFACE instead of files
  --duration SECONDS  how long to capture live (required with --interface)
  --filter BPF        BPF filter for live capture (tcpdump syntax)
  --offline-after S   seconds of silence before a device is offline (default 300)
  --active-scan       with --interface: also ask who is there (an ARP request to every
                      address of the interface's IPv4 subnet, at most /22, 50 per second; an
                      mDNS service query; an SSDP M-SEARCH), at the start and every 30 minutes,
                      then asks each station found, once a day, for the TCP ports the type
                      rules read (one SYN each: RTSP, JetDirect, vendors' LAN APIs);
                      marks the default route's gateway (see docs/cli.md)
  --no-service-probe  with --active-scan: send no SYNs to the devices' service ports`;

export async function runAnalyze(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const format = values.format ?? "text";
  if (format !== "json" && format !== "text")
    throw new UsageError(`--format must be "json" or "text", got "${format}"`);
  let report: AnalysisReport;
  const enforcer = values.enforce ? new FirewallEnforcer(stateDir(values["state-dir"])) : undefined;
  const offlineAfter = positiveNumber("--offline-after", values["offline-after"]);
  if (values.interface !== undefined) {
    if (positionals.length > 0) throw new UsageError("give either capture files or --interface, not both");
    const duration = Number(values.duration);
    if (values.duration === undefined || !Number.isFinite(duration) || duration <= 0) {
      throw new UsageError(
        `--duration must be a positive number of seconds with --interface, got "${values.duration ?? ""}"`,
      );
    }
    const { analyzeLive } = await import("../live-analysis.js");
    const live: LiveAnalysisOptions = {
      interface: values.interface,
      durationSeconds: duration,
      filter: values.filter ?? "",
    };
    if (offlineAfter !== undefined) live.offlineAfterSeconds = offlineAfter;
    if (values["active-scan"]) live.activeScan = true;
    if (values["no-service-probe"]) {
      if (!values["active-scan"]) throw new UsageError("--no-service-probe goes with --active-scan");
      live.serviceProbe = false;
    }
    if (enforcer) live.enforcement = enforcer;
    report = await analyzeLive(live);
  } else {
    if (values["active-scan"]) throw new UsageError("--active-scan needs --interface (it scans a live network)");
    if (positionals.length === 0)
      throw new UsageError("analyze needs a capture FILE (or --interface IFACE --duration S)");
    const options: AnalyzeFilesOptions = {
      threatLists: values["threat-list"] ?? [],
      sensitivity: values.sensitivity ?? [],
    };
    if (offlineAfter !== undefined) options.offlineAfterSeconds = offlineAfter;
    if (values.db !== undefined) options.databasePath = values.db;
    if (values.exclusions !== undefined) options.exclusionsPath = values.exclusions;
    if (enforcer) options.enforcement = enforcer;
    report = analyzeFiles(values.learn ?? [], positionals, options);
  }
  await enforcer?.settle();
  process.stdout.write(format === "json" ? `${JSON.stringify(report, null, 2)}\n` : formatReportText(report));
  return 0;
}

function positiveNumber(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${flag} must be a positive number of seconds, got "${raw}"`);
  return value;
}

function parseOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        learn: { type: "string", multiple: true },
        format: { type: "string" },
        interface: { type: "string" },
        duration: { type: "string" },
        filter: { type: "string" },
        "offline-after": { type: "string" },
        db: { type: "string" },
        "threat-list": { type: "string", multiple: true },
        sensitivity: { type: "string", multiple: true },
        exclusions: { type: "string" },
        "active-scan": { type: "boolean" },
        "no-service-probe": { type: "boolean" },
        enforce: { type: "boolean" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Replays learn files, then the analyzed ones. Learn files teach baselines (per-device
 * destinations, ports, hours) and known devices; the report counts only the analyzed files.
 */
export interface AnalyzeFilesOptions {
  offlineAfterSeconds?: number;
  databasePath?: string;
  threatLists?: readonly string[];
  /** Sensitivity settings as given on the command line ("0.7", "port_scan=0.8", "device:ID=0.2"). */
  sensitivity?: readonly string[];
  exclusionsPath?: string;
  /** Quarantines for critical incidents go here (automatic enforcement, off unless given). */
  enforcement?: EnforcementRequester;
}

export function analyzeFiles(
  learnFiles: readonly string[],
  files: readonly string[],
  options: AnalyzeFilesOptions = {},
): AnalysisReport {
  const { offlineAfterSeconds, databasePath } = options;
  const discovery = offlineAfterSeconds === undefined ? {} : { offlineAfterSeconds };
  const threatIntel = loadThreatLists(options.threatLists ?? []);
  const store = databasePath === undefined ? undefined : new AnalysisStore(databasePath);
  try {
    // Settings the user changed through the API live in the database; the command line's
    // sensitivity comes after them, so it wins, and its exclusions add to the stored ones.
    const stored = store === undefined ? undefined : new UserSettings(store.repositories.kv);
    const pipeline = createPipeline({
      discovery,
      // Recent traffic only when a database will keep it.
      ...(store && { traffic: {} }),
      detection: {
        detectors: defaultDetectors({ domains: publicSuffixDomains, threatIntel }),
        sensitivity: parseSensitivity([...(stored?.sensitivity() ?? []), ...(options.sensitivity ?? [])]),
        exclusions: [
          ...(stored?.exclusions() ?? []),
          ...(options.exclusionsPath === undefined ? [] : readExclusions(options.exclusionsPath)),
        ],
        ...(options.enforcement && { enforcement: { enabled: true, requester: options.enforcement } }),
      },
    });
    store?.restoreInto(pipeline);
    // One pipeline: learn files fill the device map and the baselines, then the report starts
    // afresh, so they add nothing to it but what is normal.
    if (learnFiles.length > 0) pipeline.startLearning();
    for (const file of learnFiles) replayFile(file, pipeline);
    if (learnFiles.length > 0) pipeline.beginAnalysis();
    for (const file of files) replayFile(file, pipeline);
    const report = pipeline.finish();
    if (store) {
      const captures = [...learnFiles, ...files];
      if (store.alreadyIngested(captures)) {
        process.stderr.write(`heimdal: ${databasePath} already holds these captures; nothing new stored\n`);
      } else store.save(pipeline, captures);
    }
    return report;
  } finally {
    store?.close();
  }
}

function readExclusions(path: string): Exclusion[] {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`Cannot read exclusions file "${path}": ${(error as Error).message}`, { cause: error });
  }
  return parseExclusions(document, path);
}

/** Feeds one file synchronously: no await per batch on the hot path. */
export function replayFile(path: string, pipeline: PacketPipeline): void {
  const provider = new CaptureFileProvider(path);
  try {
    for (let batch = provider.nextBatch(); batch; batch = provider.nextBatch()) pipeline.processBatch(batch);
    pipeline.addSource(path, provider.problems, provider.skippedPackets);
  } finally {
    void provider.close();
  }
}
