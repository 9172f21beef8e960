import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { PacketPipeline } from "../../analyze/packet-pipeline.js";
import { createDefaultClassifier } from "../../discovery/default-classifier.js";
import { NO_VENDORS } from "../../discovery/vendor-lookup.js";
import type { ByteSource } from "../../packet/byte-source.js";
import { CaptureFileReader } from "../../packet/capture-file-reader.js";
import type { Alert } from "../alert.js";
import { severityRank } from "../alert-sink.js";
import type { DetectorFactory } from "../detector.js";
import { arpSpoofingDetector } from "./arp-spoofing.js";
import { hostSweepDetector } from "./host-sweep.js";
import { macChangeDetector } from "./mac-change.js";
import { portScanDetector } from "./port-scan.js";

const DATA = fileURLToPath(new URL("../../../../../../shared/data/", import.meta.url));
const MINE: DetectorFactory[] = [portScanDetector, hostSweepDetector, arpSpoofingDetector, macChangeDetector];

/** Positional reads over node:fs (core tests may not import the platform package). */
class FileByteSource implements ByteSource {
  private fd: number | undefined;
  constructor(private readonly path: string) {}
  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    this.fd ??= openSync(this.path, "r");
    return readSync(this.fd, target, targetOffset, length, position);
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

interface Result {
  alerts: readonly Alert[];
  firstUs: number;
}

function analyze(relative: string): Result {
  const source = new FileByteSource(DATA + relative);
  const reader = new CaptureFileReader(source, { name: relative });
  const pipeline = new PacketPipeline({
    classifier: createDefaultClassifier(),
    vendors: NO_VENDORS,
    detection: { detectors: MINE },
  });
  let firstUs = Number.POSITIVE_INFINITY;
  for (let b = reader.nextBatch(); b; b = reader.nextBatch()) {
    if (b.count > 0) firstUs = Math.min(firstUs, b.timestampsUs[0]!);
    pipeline.processBatch(b);
  }
  source.close();
  const report = pipeline.finish();
  void report;
  return { alerts: pipeline.detectionEngine.alerts(), firstUs };
}

const table: { capture: string; type: string; severity: string; actor: string; detectS: string; fromStartS: string }[] =
  [];

function record(capture: string, result: Result, alert: Alert | undefined, type: string): void {
  table.push({
    capture,
    type,
    severity: alert?.severity ?? "-",
    actor: alert ? (alert.mac ?? String(alert.evidence.source ?? "")) : "-",
    detectS: alert ? ((alert.time - alert.firstEvidence) / 1000).toFixed(2) : "not detected",
    fromStartS: alert ? (alert.time / 1000 - result.firstUs / 1e6).toFixed(2) : "-",
  });
}

const available = existsSync(DATA);

describe.skipIf(!available)("scan and ARP detectors on real captures", () => {
  afterAll(() => {
    console.log("Time to detect (alert time − first evidence), per capture:");
    console.table(table);
  });

  const scans = [
    "chrissanders/synscan.pcapng",
    "evilfingers-nmap/FIN_SCAN.pcap",
    "evilfingers-nmap/NULL_SCAN.pcap",
    "evilfingers-nmap/TCP_CONNECT_SCAN.pcap",
    "evilfingers-nmap/TCP_SYN_SCAN.pcap",
    "evilfingers-nmap/UDP_SCAN.pcap",
    "evilfingers-nmap/XMAS_TREE_SCAN.pcap",
    "evilfingers-nmap/version_scan.pcap",
  ];
  for (const capture of scans) {
    it(`detects the port scan in ${capture} within 10 s of the first probe`, () => {
      const result = analyze(capture);
      const scan = result.alerts.find((a) => a.type === "port_scan");
      record(capture, result, scan, "port_scan");
      console.log(
        capture,
        result.alerts.map((a) => `${a.type} ${a.severity} ${a.key} ${a.description}`),
      );
      expect(scan).toBeDefined();
      expect(scan!.time - scan!.firstEvidence).toBeLessThanOrEqual(10_000);
      expect(scan!.evidence.kind).toBe("vertical");
    });
  }

  it("ndpi/tcp_scan.pcapng: single probes of each scan type against one host stay under the threshold", () => {
    // One probe per scan type is 6–8 distinct ports: below the 12 of the default sensitivity.
    const result = analyze("ndpi/tcp_scan.pcapng");
    console.log(
      "tcp_scan",
      result.alerts.map((a) => `${a.type} ${a.severity} ${a.description}`),
    );
    record(
      "ndpi/tcp_scan.pcapng",
      result,
      result.alerts.find((a) => a.type === "port_scan"),
      "port_scan",
    );
    expect(result.alerts.filter((a) => a.type === "port_scan")).toHaveLength(0);
  });

  it("slips/test8-malicious.pcap: an ARP sweep", () => {
    const result = analyze("slips/test8-malicious.pcap");
    console.log(
      "test8",
      result.alerts.map((a) => `${a.type} ${a.severity} ${a.key} ${a.description}`),
    );
    const sweep = result.alerts.find((a) => a.type === "host_sweep" && a.evidence.kind === "arp");
    record("slips/test8-malicious.pcap", result, sweep, "host_sweep");
    expect(sweep).toBeDefined();
    expect(sweep!.time - sweep!.firstEvidence).toBeLessThanOrEqual(10_000);
  });

  it("slips/test12-icmp-portscan.pcap: an ICMP sweep", () => {
    const result = analyze("slips/test12-icmp-portscan.pcap");
    console.log(
      "test12",
      result.alerts.map((a) => `${a.type} ${a.severity} ${a.key} ${a.description}`),
    );
    const sweep = result.alerts.find((a) => a.type === "host_sweep" && a.evidence.kind === "icmp");
    record("slips/test12-icmp-portscan.pcap", result, sweep, "host_sweep");
    expect(sweep).toBeDefined();
    expect(sweep!.time - sweep!.firstEvidence).toBeLessThanOrEqual(10_000);
  });

  it("slips/test7-malicious.pcap: Mirai telnet scanning, and no ARP spoofing for the router behind two MACs", () => {
    const result = analyze("slips/test7-malicious.pcap");
    console.log(
      "test7",
      result.alerts.map(
        (a) => `${a.type} ${a.severity} ${a.key} ${(a.time / 1000 - result.firstUs / 1e6).toFixed(1)} ${a.description}`,
      ),
    );
    const scan = result.alerts.find((a) => a.type === "port_scan" && a.mac === "b8:27:eb:c7:e9:c9");
    record("slips/test7-malicious.pcap", result, scan, "port_scan");
    expect(scan).toBeDefined();
    expect(scan!.evidence.kind).toBe("horizontal");
    expect(["tcp/23", "tcp/2323"]).toContain(scan!.evidence.port);
    expect(scan!.time - scan!.firstEvidence).toBeLessThanOrEqual(10_000);
    expect(scan!.time / 1000 - result.firstUs / 1e6).toBeGreaterThan(500);
    expect(result.alerts.filter((a) => a.type === "arp_spoofing")).toEqual([]);
  });

  it("chrissanders/arppoison.pcapng: the gateway's address claimed, critical within 5 s", () => {
    const result = analyze("chrissanders/arppoison.pcapng");
    console.log(
      "arppoison",
      result.alerts.map((a) => `${a.type} ${a.severity} ${a.key} ${a.description}`),
    );
    const spoof = result.alerts.find((a) => a.type === "arp_spoofing");
    record("chrissanders/arppoison.pcapng", result, spoof, "arp_spoofing");
    expect(spoof).toMatchObject({ severity: "critical", mac: "00:25:b3:bf:91:ee" });
    const claimAt = result.firstUs / 1e6 + 4.6;
    expect(spoof!.time / 1000 - claimAt).toBeLessThanOrEqual(5);
  });

  const quiet = [
    "tj-oconnor-iot/ultraloq-hub-01.pcap",
    "tj-oconnor-iot/blink-cam-01.pcap",
    "tj-oconnor-iot/lockly-hub-01.pcap",
    "tj-oconnor-iot/schlage-lock-01.pcap",
    "tj-oconnor-iot/sifely-hub-01.pcap",
    "ndpi/tplink_shp.pcap",
    "ndpi/tuya_lp.pcap",
    // A phone behind two routers (172.16.42.1 and .42), each announcing only its own address.
    "ndpi/alexa-app.pcapng",
  ];
  for (const capture of quiet) {
    it(`${capture}: nothing of medium or higher from these detectors`, () => {
      const result = analyze(capture);
      const loud = result.alerts.filter((a) => severityRank(a.severity) >= severityRank("medium"));
      console.log(
        capture,
        result.alerts.map((a) => `${a.type} ${a.severity} ${a.key} ${a.description}`),
      );
      table.push({
        capture,
        type: "(benign)",
        severity: loud.length === 0 ? "-" : loud.map((a) => a.severity).join(","),
        actor: "-",
        detectS: `${result.alerts.length} alerts, ${loud.length} medium+`,
        fromStartS: "-",
      });
      expect(loud).toEqual([]);
      if (capture.startsWith("ndpi/")) expect(result.alerts).toEqual([]);
    });
  }
});
