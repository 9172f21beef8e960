import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PacketPipeline } from "../../analyze/packet-pipeline.js";
import type { AlertReport } from "../../analyze/report.js";
import { createDefaultClassifier } from "../../discovery/default-classifier.js";
import { NO_VENDORS } from "../../discovery/vendor-lookup.js";
import { replayCapture } from "../../test-support/capture-replay.test-util.js";
import type { DetectorFactory } from "../detector.js";
import { ThreatIntelStore, threatIntelDetector } from "./threat-intel.js";
import { trafficSpikeDetector } from "./traffic-spike.js";
import { unusualTimeDetector } from "./unusual-time.js";

/** A threat list of C2s these hubs never talk to (abuse.ch Feodo style), plus a hosts blocklist. */
const STORE = new ThreatIntelStore();
STORE.loadAbuseChCsv(
  '# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n"2026-10-01 10:00:00","185.220.101.9","443","online","2026-11-01","QakBot"\n',
  "feodo",
);
STORE.loadIpList("203.0.113.0/24\n198.51.100.23\n", "drop");
STORE.loadHosts("0.0.0.0 c2.botnet.example\n", "hosts");

/** The time and volume detectors under test (with threat intel), not the whole default set. */
const DETECTORS: DetectorFactory[] = [trafficSpikeDetector, unusualTimeDetector, threatIntelDetector(STORE)];

const DATA = join(import.meta.dirname, "../../../../../../shared/data");
const HUBS = [
  "blink-cam-01.pcap",
  "lockly-hub-01.pcap",
  "schlage-lock-01.pcap",
  "sifely-hub-01.pcap",
  "ultraloq-hub-01.pcap",
];
const _DAY_US = 86_400e6;

/** Replays a capture; with `learnDays`, those first days are learned and the rest analysed. */
function analyse(path: string, learnDays?: number, sensitivity = 0.5): AlertReport[] {
  const pipeline = new PacketPipeline({
    classifier: createDefaultClassifier(),
    vendors: NO_VENDORS,
    detection: { detectors: DETECTORS, sensitivity: { global: sensitivity } },
  });
  replayCapture(path, pipeline, learnDays);
  return pipeline.finish().alerts;
}

const mediumPlus = (a: AlertReport) => a.severity === "medium" || a.severity === "high" || a.severity === "critical";
const summary = (alerts: AlertReport[]) => alerts.map((a) => `${a.type}/${a.severity} ${a.key}`);

const SENSITIVITIES = [0.5, 1];

describe.skipIf(!existsSync(join(DATA, "tj-oconnor-iot")))("time and volume detectors on real captures", () => {
  for (const hub of HUBS) {
    for (const sensitivity of SENSITIVITIES) {
      it(`${hub}: six days learned, the seventh raises nothing medium or higher (sensitivity ${sensitivity})`, () => {
        const alerts = analyse(join(DATA, "tj-oconnor-iot", hub), 6, sensitivity);
        expect(summary(alerts.filter(mediumPlus))).toEqual([]);
      });
    }

    it(`${hub}: the whole week without learning raises nothing medium or higher`, () => {
      const alerts = analyse(join(DATA, "tj-oconnor-iot", hub));
      expect(summary(alerts.filter(mediumPlus))).toEqual([]);
    });
  }
});
