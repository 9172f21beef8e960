/**
 * Filing stored alerts into stored incidents, as SQL over one connection: used by the alert
 * repository as it stores each alert, and by the migration that adds incidents.
 */
import {
  type IncidentRecord,
  incidentId,
  incidentSubject,
  incidentTitle,
  type Severity,
  severityRank,
} from "@heimdal/core";
import { jsonText, type SqlStatements } from "./sql-statements.js";

/** What filing an alert into an incident reads of it (stored alerts may lack mac or description). */
export interface IncidentAlert {
  id: string;
  type: string;
  severity: string;
  deviceId: string | null;
  mac?: string | null;
  time: number;
  description?: string;
}

interface IncidentRow {
  incident: string;
  acknowledged_at: number | null;
}

/** Severity's rank; an unknown word ranks lowest rather than failing a store. */
function rank(severity: string): number {
  return severityRank(severity as Severity) ?? -1;
}

/**
 * Files one stored alert into its incident, inside the caller's transaction: the subject's
 * incident whose alerts come within `windowMs` of it, or a new one. Filing the same alert again
 * (a replay, an updated repeat) changes only its line. A new unacknowledged alert reopens an
 * acknowledged incident: there is something new to look at.
 */
export function fileAlert(
  sql: SqlStatements,
  alert: IncidentAlert,
  acknowledgedAt: number | null,
  windowMs: number,
): void {
  const line = {
    time: alert.time,
    type: String(alert.type),
    severity: String(alert.severity),
    description: typeof alert.description === "string" ? alert.description : "",
  };
  const filed = sql("SELECT incident_id FROM incident_alerts WHERE alert_id = ?").get(alert.id) as
    | { incident_id: string }
    | undefined;
  if (filed !== undefined) {
    const row = readRow(sql, filed.incident_id);
    if (row === undefined) return;
    const incident = row.incident;
    const at = incident.alertIds.indexOf(alert.id);
    if (at >= 0) incident.timeline[at] = line;
    writeIncident(sql, summarise(incident), row.acknowledgedAt, true);
    return;
  }
  const mac = typeof alert.mac === "string" ? alert.mac : null;
  const subject = incidentSubject({ deviceId: alert.deviceId, mac });
  const near = sql(
    `SELECT id FROM incidents WHERE subject = ? AND end_time >= ? AND start_time <= ?
     ORDER BY end_time DESC, id LIMIT 1`,
  ).get(subject, alert.time - windowMs, alert.time + windowMs) as { id: string } | undefined;
  const row = near === undefined ? undefined : readRow(sql, near.id);
  let incident: IncidentRecord;
  let acknowledged = row?.acknowledgedAt ?? null;
  if (row !== undefined) {
    incident = row.incident;
    // Lines stay in time order (alerts may be stored out of order).
    let at = incident.timeline.length;
    while (at > 0 && incident.timeline[at - 1]!.time > alert.time) at--;
    incident.timeline.splice(at, 0, line);
    incident.alertIds.splice(at, 0, alert.id);
    if (acknowledgedAt === null) acknowledged = null;
  } else {
    let id = incidentId(subject, alert.time);
    // Another incident of the subject began in the same second but ended long before: keep both.
    for (let n = 2; sql("SELECT 1 FROM incidents WHERE id = ?").get(id) !== undefined; n++)
      id = `${incidentId(subject, alert.time)}-${n}`;
    incident = {
      id,
      deviceId: alert.deviceId,
      mac,
      start: alert.time,
      end: alert.time,
      severity: alert.severity,
      title: "",
      alertIds: [alert.id],
      timeline: [line],
    };
    acknowledged = acknowledgedAt;
  }
  writeIncident(sql, summarise(incident), acknowledged, row !== undefined, subject);
  sql("INSERT INTO incident_alerts (alert_id, incident_id) VALUES (?, ?)").run(alert.id, incident.id);
}

/**
 * After an alert was acknowledged: its incident counts as acknowledged once none of its alerts
 * is open, at the latest of their acknowledgements.
 */
export function settleAcknowledgement(sql: SqlStatements, alertId: string): void {
  sql(
    `UPDATE incidents SET acknowledged_at = (
       SELECT max(a.acknowledged_at) FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
       WHERE ia.incident_id = incidents.id)
     WHERE id = (SELECT incident_id FROM incident_alerts WHERE alert_id = ?)
       AND acknowledged_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
                       WHERE ia.incident_id = incidents.id AND a.acknowledged_at IS NULL)`,
  ).run(alertId);
}

/**
 * Files every stored alert, oldest first, into incidents: for a database written before
 * incidents were stored (the migration that adds them runs this once).
 */
export function backfillIncidents(sql: SqlStatements, windowMs: number): void {
  const rows = sql(
    "SELECT id, time, type, severity, device_id, alert, acknowledged_at FROM alerts ORDER BY time, id",
  ).all() as {
    id: string;
    time: number;
    type: string;
    severity: string;
    device_id: string | null;
    alert: string;
    acknowledged_at: number | null;
  }[];
  for (const row of rows) {
    // The columns are what every stored alert has; its JSON may add the MAC and the sentence.
    const json = JSON.parse(row.alert) as { mac?: unknown; description?: unknown };
    const alert: IncidentAlert = {
      id: row.id,
      time: row.time,
      type: row.type,
      severity: row.severity,
      deviceId: row.device_id,
      mac: typeof json.mac === "string" ? json.mac : null,
      description: typeof json.description === "string" ? json.description : "",
    };
    fileAlert(sql, alert, row.acknowledged_at, windowMs);
  }
  // An incident is acknowledged when all its alerts are.
  sql(
    `UPDATE incidents SET acknowledged_at = (
       SELECT max(a.acknowledged_at) FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
       WHERE ia.incident_id = incidents.id)
     WHERE NOT EXISTS (SELECT 1 FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
                       WHERE ia.incident_id = incidents.id AND a.acknowledged_at IS NULL)`,
  ).run();
}

/** Bounds, highest severity and title from the timeline. */
function summarise(incident: IncidentRecord): IncidentRecord {
  const times = incident.timeline.map((t) => t.time);
  let severity = incident.timeline[0]?.severity ?? incident.severity;
  for (const t of incident.timeline) if (rank(t.severity) > rank(severity)) severity = t.severity;
  return {
    ...incident,
    start: Math.min(...times),
    end: Math.max(...times),
    severity,
    title: incidentTitle(incident.timeline.map((t) => t.type)),
  };
}

export function readRow(
  sql: SqlStatements,
  id: string,
): { incident: IncidentRecord; acknowledgedAt: number | null } | undefined {
  const row = sql("SELECT incident, acknowledged_at FROM incidents WHERE id = ?").get(id) as IncidentRow | undefined;
  return row === undefined
    ? undefined
    : { incident: JSON.parse(row.incident) as IncidentRecord, acknowledgedAt: row.acknowledged_at };
}

function writeIncident(
  sql: SqlStatements,
  incident: IncidentRecord,
  acknowledgedAt: number | null,
  exists: boolean,
  subject?: string,
): void {
  const text = jsonText(incident, `incident "${incident.id}"`);
  if (exists) {
    sql(
      `UPDATE incidents SET start_time = ?, end_time = ?, severity = ?, acknowledged_at = ?, incident = ?
       WHERE id = ?`,
    ).run(incident.start, incident.end, incident.severity, acknowledgedAt, text, incident.id);
    return;
  }
  sql(
    `INSERT INTO incidents (id, subject, device_id, start_time, end_time, severity, acknowledged_at, incident)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(incident.id, subject, incident.deviceId, incident.start, incident.end, incident.severity, acknowledgedAt, text);
}
