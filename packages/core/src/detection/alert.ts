/** Alerts: what a detector concluded about one device, explained for a person. */

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Alert types, named as the detection issue names them (a stable part of the JSON contract). */
export const ALERT_TYPES = [
  "new_device",
  "unexpected_destination",
  "unusual_port",
  "traffic_spike",
  "unusual_time",
  "data_exfiltration",
  "port_scan",
  "host_sweep",
  "arp_spoofing",
  "mac_change",
  "dns_tunneling",
  "dga_domain",
  "beaconing",
  "icmp_tunneling",
  "threat_intel_match",
  /** An addition to the list: password guessing against a login service. */
  "brute_force",
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** What a detector hands to the alert sink. */
export interface AlertInput {
  type: AlertType;
  severity: Severity;
  /** 0..1: how sure the detector is that this is what it says. */
  confidence: number;
  /** The device the alert is about (the actor: the scanner, the spoofer, the uploader). */
  deviceId: string | null;
  mac: string | null;
  /** Milliseconds since the epoch, packet time: when the evidence became complete. */
  time: number;
  /** When the first evidence was seen (time to detect = time − firstEvidence). */
  firstEvidence: number;
  /** Deduplication key within the type: the same key in the cooldown is the same alert. */
  key: string;
  /** One sentence a non-expert understands. */
  description: string;
  /** What is normal for this device, in words ("talks to 3 cloud services, all seen for 7 days"). */
  normal: string;
  /** What was observed instead. */
  observed: string;
  /** Facts behind it: counts, names, addresses, ports, sample flows. */
  evidence: Record<string, unknown>;
}

export interface Alert extends AlertInput {
  /** Stable across replays: derived from type, key and time, so storing twice stores once. */
  id: string;
  /** Alerts folded into this one while it cooled down (same type and key). */
  repeats: number;
}
