import type { DomainParser } from "../profile/domain-parser.js";
import type { DetectorFactory } from "./detector.js";
import { dgaDomainDetector } from "./detectors/dga-domain.js";
import { dnsTunnelingDetector } from "./detectors/dns-tunneling.js";
import { icmpTunnelingDetector } from "./detectors/icmp-tunneling.js";
import { newDeviceDetector } from "./detectors/new-device.js";

export interface DefaultDetectorOptions {
  /** Registrable domains for the DNS detectors (the CLI passes the Public Suffix List). */
  domains?: DomainParser;
}

/** The detectors Heimdal ships, in the order they run. */
export function defaultDetectors(options: DefaultDetectorOptions = {}): DetectorFactory[] {
  const dns = options.domains ? { domains: options.domains } : {};
  return [newDeviceDetector, dnsTunnelingDetector(dns), dgaDomainDetector(dns), icmpTunnelingDetector()];
}
