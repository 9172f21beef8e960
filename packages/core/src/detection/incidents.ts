import type { Alert, Severity } from "./alert.js";
import { severityRank } from "./alert-sink.js";

/** Alerts of a device within this long of the incident's last one join it (30 minutes). */
export const DEFAULT_INCIDENT_WINDOW_SECONDS = 1800;

export interface Incident {
  id: string;
  deviceId: string | null;
  mac: string | null;
  /** Milliseconds since the epoch, packet time. */
  start: number;
  end: number;
  /** The highest severity of its alerts. */
  severity: Severity;
  alertIds: string[];
  /** The story in order: one line per alert. */
  timeline: { time: number; type: string; severity: Severity; description: string }[];
}

/** The subject alerts of one incident share: their device, else their MAC, else the network. */
export function incidentSubject(alert: Pick<Alert, "deviceId" | "mac">): string {
  return alert.deviceId ?? alert.mac ?? "network";
}

/** Stable across replays and stores: the subject and the second of the first alert. */
export function incidentId(subject: string, firstAlertTime: number): string {
  return `incident-${subject}-${Math.floor(firstAlertTime / 1000)}`;
}

const TYPE_WORDS: Record<string, string> = {
  new_device: "new device",
  unexpected_destination: "unexpected destination",
  unusual_port: "unusual port",
  traffic_spike: "traffic spike",
  unusual_time: "activity at an unusual time",
  data_exfiltration: "large upload",
  port_scan: "port scan",
  host_sweep: "host sweep",
  arp_spoofing: "ARP spoofing",
  mac_change: "MAC change",
  dns_tunneling: "DNS tunnel",
  dga_domain: "generated domain names",
  beaconing: "beaconing",
  icmp_tunneling: "ICMP tunnel",
  threat_intel_match: "blocklisted destination",
  brute_force: "password guessing",
};

/**
 * A short headline from the alert types in the order they first came: "Port scan, then ARP
 * spoofing". Built from our own words only (never from text a device sent).
 */
export function incidentTitle(types: readonly string[]): string {
  const words: string[] = [];
  for (const type of types) {
    const word = TYPE_WORDS[type] ?? type.replaceAll("_", " ");
    if (!words.includes(word)) words.push(word);
  }
  if (words.length === 0) return "Incident";
  const text = words.length <= 3 ? words.join(", then ") : `${words.slice(0, 3).join(", then ")} and more`;
  return text[0]!.toUpperCase() + text.slice(1);
}

/** What correlation reads of an alert: enough to correlate stored alerts without their evidence. */
export type CorrelatedAlert = Pick<Alert, "id" | "type" | "severity" | "deviceId" | "mac" | "time" | "description">;

/**
 * Correlates alerts into incidents: alerts of one device that follow each other within the
 * window form one incident with one timeline and the highest severity, so a new device that
 * scans and then spoofs the gateway is one story, not three notifications.
 */
export class IncidentCorrelator {
  private readonly windowMs: number;
  private readonly open = new Map<string, Incident>();
  private incidents: Incident[] = [];
  private readonly listeners: ((incident: Incident, isNew: boolean) => void)[] = [];

  constructor(windowSeconds = DEFAULT_INCIDENT_WINDOW_SECONDS) {
    this.windowMs = windowSeconds * 1000;
  }

  onIncident(listener: (incident: Incident, isNew: boolean) => void): void {
    this.listeners.push(listener);
  }

  add(alert: CorrelatedAlert): Incident {
    const subject = incidentSubject(alert);
    let incident = this.open.get(subject);
    const isNew = !incident || alert.time - incident.end > this.windowMs;
    if (!incident || isNew) {
      incident = {
        id: incidentId(subject, alert.time),
        deviceId: alert.deviceId,
        mac: alert.mac,
        start: alert.time,
        end: alert.time,
        severity: alert.severity,
        alertIds: [],
        timeline: [],
      };
      this.open.set(subject, incident);
      this.incidents.push(incident);
    }
    incident.alertIds.push(alert.id);
    incident.timeline.push({
      time: alert.time,
      type: alert.type,
      severity: alert.severity,
      description: alert.description,
    });
    if (alert.time > incident.end) incident.end = alert.time;
    if (alert.time < incident.start) incident.start = alert.time;
    if (severityRank(alert.severity) > severityRank(incident.severity)) incident.severity = alert.severity;
    for (const listener of this.listeners) listener(incident, isNew);
    return incident;
  }

  all(): readonly Incident[] {
    return this.incidents;
  }

  /**
   * Forgets incidents that closed (no alert for a window) before `nowMs`: no alert can join
   * them any more, and a long-running sensor has stored them. Returns how many were forgotten.
   */
  forgetClosed(nowMs: number): number {
    const cutoff = nowMs - this.windowMs;
    const before = this.incidents.length;
    this.incidents = this.incidents.filter((incident) => incident.end >= cutoff);
    for (const [subject, incident] of this.open) if (incident.end < cutoff) this.open.delete(subject);
    return before - this.incidents.length;
  }
}
