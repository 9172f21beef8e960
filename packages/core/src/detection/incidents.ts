import type { Alert, Severity } from "./alert.js";
import { severityRank } from "./alert-sink.js";

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

  constructor(windowSeconds = 1800) {
    this.windowMs = windowSeconds * 1000;
  }

  onIncident(listener: (incident: Incident, isNew: boolean) => void): void {
    this.listeners.push(listener);
  }

  add(alert: CorrelatedAlert): Incident {
    const subject = alert.deviceId ?? alert.mac ?? "network";
    let incident = this.open.get(subject);
    const isNew = !incident || alert.time - incident.end > this.windowMs;
    if (!incident || isNew) {
      incident = {
        id: `incident-${subject}-${Math.floor(alert.time / 1000)}`,
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
