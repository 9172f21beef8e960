import type { DomainParser } from "../profile/domain-parser.js";
import type { DetectorFactory } from "./detector.js";
import { arpSpoofingDetector } from "./detectors/arp-spoofing.js";
import { beaconingDetector } from "./detectors/beaconing.js";
import { bruteForceDetector } from "./detectors/brute-force.js";
import { dataExfiltrationDetector } from "./detectors/data-exfiltration.js";
import { dgaDomainDetector } from "./detectors/dga-domain.js";
import { dnsTunnelingDetector } from "./detectors/dns-tunneling.js";
import { hostSweepDetector } from "./detectors/host-sweep.js";
import { icmpTunnelingDetector } from "./detectors/icmp-tunneling.js";
import { macChangeDetector } from "./detectors/mac-change.js";
import { newDeviceDetector } from "./detectors/new-device.js";
import { portScanDetector } from "./detectors/port-scan.js";
import { ThreatIntelStore, threatIntelDetector } from "./detectors/threat-intel.js";
import { trafficSpikeDetector } from "./detectors/traffic-spike.js";
import { unexpectedDestinationDetector } from "./detectors/unexpected-destination.js";
import { unusualPortDetector } from "./detectors/unusual-port.js";
import { unusualTimeDetector } from "./detectors/unusual-time.js";

export interface DefaultDetectorOptions {
  /** Registrable domains for the DNS detectors (the CLI passes the Public Suffix List). */
  domains?: DomainParser;
  /** Blocklists for threat_intel_match (empty by default; the CLI loads --threat-list files). */
  threatIntel?: ThreatIntelStore;
}

/** The detectors Heimdal ships, in the order they run. */
export function defaultDetectors(options: DefaultDetectorOptions = {}): DetectorFactory[] {
  const dns = options.domains ? { domains: options.domains } : {};
  return [
    newDeviceDetector,
    portScanDetector,
    bruteForceDetector,
    hostSweepDetector,
    arpSpoofingDetector,
    macChangeDetector,
    dnsTunnelingDetector(dns),
    dgaDomainDetector(dns),
    icmpTunnelingDetector(),
    beaconingDetector,
    dataExfiltrationDetector,
    unexpectedDestinationDetector,
    unusualPortDetector,
    trafficSpikeDetector,
    unusualTimeDetector,
    threatIntelDetector(options.threatIntel ?? new ThreatIntelStore()),
  ];
}
