import type { Alert } from "../detection/alert.js";
import type { Incident } from "../detection/incidents.js";
import type { AlertReport, IncidentReport } from "./report.js";

const iso = (ms: number) => new Date(ms).toISOString();

export function toAlertReport(alert: Alert): AlertReport {
  return {
    id: alert.id,
    type: alert.type,
    severity: alert.severity,
    confidence: alert.confidence,
    mac: alert.mac,
    deviceId: alert.deviceId,
    time: iso(alert.time),
    firstEvidence: iso(alert.firstEvidence),
    description: alert.description,
    normal: alert.normal,
    observed: alert.observed,
    evidence: alert.evidence,
    key: alert.key,
    repeats: alert.repeats,
  };
}

export function toIncidentReport(incident: Incident): IncidentReport {
  return {
    id: incident.id,
    deviceId: incident.deviceId,
    mac: incident.mac,
    start: iso(incident.start),
    end: iso(incident.end),
    severity: incident.severity,
    alerts: [...incident.alertIds],
    timeline: incident.timeline.map((t) => ({ ...t, time: iso(t.time) })),
  };
}
