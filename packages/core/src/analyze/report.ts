import type { BaselineSummary } from "../baseline/device-baseline.js";
import type { DeviceFingerprint } from "../discovery/device-record.js";

/**
 * The JSON contract of `heimdal analyze --format json` (documented in docs/analyze-json.md).
 * Fields are only ever added, never renamed or removed.
 */
export interface AnalysisReport {
  /** Schema version of this object; bumped when fields are added. */
  version: 4;
  /** What was analyzed: file paths or "interface:NAME". */
  sources: string[];
  /** Packets read (malformed ones included). */
  packets: number;
  /** Bytes on the wire (from each packet's original length, not its captured length). */
  bytes: number;
  /** Malformed packets by reason; each was counted and skipped. */
  malformed: Record<string, number>;
  /** Packets whose headers were cut by the capture's snap length (decoded as far as present). */
  truncatedPackets: number;
  /** Packets skipped because their link type is unsupported. */
  skippedPackets: number;
  /** Packets lost by live capture before we saw them (always zero for files). */
  dropped: DropReport;
  /** Problems met in the capture files (truncation, corruption, unsupported link types). */
  captureProblems: CaptureProblemReport[];
  /** Packet time from the first to the last packet. */
  durationSeconds: number;
  /** First and last packet time, ISO 8601 UTC; null without packets. */
  startTime: string | null;
  endTime: string | null;
  devices: DeviceReport[];
  /** Device events in packet-time order: device_new, device_online, device_offline, device_changed. */
  events: DeviceEventReport[];
  /** Alerts raised on the analyzed files (never on --learn files), oldest first. */
  alerts: AlertReport[];
  /** Alerts of one device close in time, told as one story. */
  incidents: IncidentReport[];
  /** Quarantines requested for critical incidents (only when automatic enforcement is configured). */
  enforcementRequests: EnforcementRequestReport[];
  /** Exclusions that suppressed alerts, with how many each suppressed. */
  exclusionHits: { id: string; comment: string; hits: number }[];
  /** Application messages that failed to parse, by protocol and reason ("dns:name_loop"); counted and skipped. */
  malformedMessages: Record<string, number>;
  flows: FlowSummaryReport;
}

export interface DropReport {
  byKernel: number;
  byInterface: number;
  byHeimdal: number;
}

export interface CaptureProblemReport {
  source: string;
  kind: string;
  message: string;
  byteOffset: number;
}

export interface DeviceReport {
  /** Stable device id (survives address changes and randomized-MAC rotation). */
  id: string;
  /** The MAC the device used last. */
  mac: string;
  /** Every MAC linked to this device (a randomized-MAC device may have several). */
  macs: string[];
  ips: string[];
  /** IEEE OUI registry organisation; null when unregistered or randomized. */
  vendor: string | null;
  /** The name a person would recognise (DHCP, then mDNS, NetBIOS, …); null when none seen. */
  hostname: string | null;
  hostnames: { name: string; source: string }[];
  type: string;
  typeConfidence: number;
  /** Rules that decided the type, with the evidence they matched. */
  typeEvidence: string[];
  model: string | null;
  os: string | null;
  /** Identity evidence seen on the wire (DHCP options, mDNS, SSDP, user agents, TLS, DNS names). */
  fingerprint: DeviceFingerprint;
  /** "device", "gateway" or "sensor". */
  role: string;
  randomizedMac: boolean;
  online: boolean;
  firstSeen: string;
  lastSeen: string;
  packets: number;
  bytes: number;
  /** What the device did in this analysis (null when it made no connection). */
  profile: ProfileReport | null;
  /** What is normal for it: learned over the rolling window, learn files included (null before any connection). */
  baseline: BaselineSummary | null;
}

export interface ProfileReport {
  bytesUp: number;
  bytesDown: number;
  connections: number;
  protocols: Record<string, number>;
  /** Registrable domain (or address without a name), by bytes. */
  topDestinations: { destination: string; bytes: number; connections: number }[];
  /** Ports the device connected to, and ports others connected to on it. */
  remotePorts: { port: string; connections: number }[];
  localPorts: { port: string; connections: number }[];
  /** Bytes by hour of day (UTC unless an offset is configured). */
  hourlyActivity: number[];
}

export interface DeviceEventReport {
  type: "device_new" | "device_online" | "device_offline" | "device_changed";
  time: string;
  deviceId: string;
  mac: string;
  changes?: { field: string; from: string | null; to: string | null }[];
}

export interface FlowSummaryReport {
  /** Flows seen in all (a flow restarted by the active timeout counts again). */
  count: number;
  /** Flows ended early because the table was full. */
  evicted: number;
  byProtocol: Record<string, number>;
  /** Hosts by bytes sent plus received, largest first. */
  topTalkers: TalkerReport[];
}

export interface TalkerReport {
  ip: string;
  bytes: number;
  bytesOut: number;
  bytesIn: number;
  packets: number;
  flows: number;
}

export interface AlertReport {
  id: string;
  type: string;
  severity: "info" | "low" | "medium" | "high" | "critical";
  confidence: number;
  mac: string | null;
  deviceId: string | null;
  /** When the evidence was complete (the alert was raised), ISO 8601 UTC. */
  time: string;
  /** The first packet of the evidence: time − firstEvidence is the time to detect. */
  firstEvidence: string;
  description: string;
  /** What is normal for this device. */
  normal: string;
  /** What was observed instead. */
  observed: string;
  evidence: Record<string, unknown>;
  /** What makes two alerts of a type the same (a scanner and its direction, a device and a domain). */
  key: string;
  /** Further occurrences folded into this alert during its cooldown. */
  repeats: number;
}

export interface IncidentReport {
  id: string;
  deviceId: string | null;
  mac: string | null;
  start: string;
  end: string;
  severity: string;
  alerts: string[];
  timeline: { time: string; type: string; severity: string; description: string }[];
}

export interface EnforcementRequestReport {
  deviceId: string | null;
  mac: string;
  incidentId: string;
  reason: string;
  requestedAt: string;
  expiresAt: string | null;
}
