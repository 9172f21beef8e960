import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PacketPipeline } from "../../analyze/packet-pipeline.js";
import { UNKNOWN_TYPE } from "../../discovery/device-classifier.js";
import { NO_VENDORS } from "../../discovery/vendor-lookup.js";
import type { ByteSource } from "../../packet/byte-source.js";
import { CaptureFileReader } from "../../packet/capture-file-reader.js";
import type { Alert } from "../alert.js";
import { dgaDomainDetector } from "./dga-domain.js";
import { dnsTunnelingDetector } from "./dns-tunneling.js";
import { icmpTunnelingDetector } from "./icmp-tunneling.js";

const DATA = join(import.meta.dirname, "../../../../../../shared/data");

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
  alerts: Alert[];
  /** Packet time of the first DNS query in the capture (ms). */
  firstPacketMs: number;
}

function analyze(file: string): Result {
  const pipeline = new PacketPipeline({
    classifier: { classify: () => ({ type: UNKNOWN_TYPE, model: null, os: null }) },
    vendors: NO_VENDORS,
    detection: { detectors: [dnsTunnelingDetector(), dgaDomainDetector(), icmpTunnelingDetector()] },
  });
  const reader = new CaptureFileReader(new FileByteSource(join(DATA, file)), { name: file });
  let firstPacketMs = Number.NaN;
  try {
    for (let b = reader.nextBatch(); b; b = reader.nextBatch()) {
      if (Number.isNaN(firstPacketMs) && b.count > 0) firstPacketMs = b.timestampsUs[0]! / 1000;
      pipeline.processBatch(b);
    }
  } finally {
    reader.close();
  }
  pipeline.finish();
  return { alerts: [...pipeline.detectionEngine.alerts()], firstPacketMs };
}

const has = (file: string) => existsSync(join(DATA, file));
const ours = new Set(["dns_tunneling", "dga_domain", "icmp_tunneling"]);

describe("DNS detectors on real captures", () => {
  const tunnels = [
    "dmachard-dns/iodine.pcap",
    "dmachard-dns/dnscat2.pcap",
    "dmachard-dns/dns2tcp.pcap",
    "dmachard-dns/dnsextrator.pcap",
    "ndpi/dns_exfiltration.pcap",
  ];
  for (const file of tunnels) {
    it.skipIf(!has(file))(`finds the tunnel in ${file}`, () => {
      const { alerts, firstPacketMs } = analyze(file);
      const found = alerts.filter((a) => a.type === "dns_tunneling");
      const first = found[0];
      console.log(
        `${file}: ${found.length} dns_tunneling alert(s)`,
        first
          ? `${first.severity} on ${String(first.evidence.destination)} after ${String(first.evidence.uniqueNames)} names, ${(first.time - firstPacketMs) / 1000} s from the first tunnel query`
          : "",
      );
      expect(first).toBeDefined();
      expect(first!.time - first!.firstEvidence).toBeLessThanOrEqual(60_000);
      expect(first!.evidence.uniqueNames as number).toBeLessThanOrEqual(30);
    });
  }

  it.skipIf(!has("malcolm/log4j-dns_exfil.pcap"))(
    "stays quiet on the Log4Shell probe: four TXT lookups of one bare name are a callback, not a tunnel",
    () => {
      const { alerts } = analyze("malcolm/log4j-dns_exfil.pcap");
      console.log(
        "malcolm/log4j-dns_exfil.pcap:",
        alerts.map((a) => `${a.type}/${a.severity}`).join(", ") || "no alerts",
      );
      expect(alerts.filter((a) => ours.has(a.type))).toEqual([]);
    },
  );

  const benign = [
    "tj-oconnor-iot/blink-cam-01.pcap",
    "tj-oconnor-iot/lockly-hub-01.pcap",
    "tj-oconnor-iot/schlage-lock-01.pcap",
    "tj-oconnor-iot/sifely-hub-01.pcap",
    "tj-oconnor-iot/ultraloq-hub-01.pcap",
    "ndpi/iphone.pcap",
    "ndpi/android.pcap",
    "ndpi/alexa-app.pcapng",
    "bench/iot-sentinel-all-550-merged.pcap",
  ];
  for (const file of benign) {
    it.skipIf(!has(file))(`raises nothing medium or higher on benign ${file}`, { timeout: 120_000 }, () => {
      const { alerts } = analyze(file);
      const mine = alerts.filter((a) => ours.has(a.type));
      console.log(`${file}: ${mine.map((a) => `${a.type}/${a.severity} ${a.key}`).join(", ") || "no alerts"}`);
      expect(mine.filter((a) => a.severity !== "info" && a.severity !== "low")).toEqual([]);
    });
  }
});
