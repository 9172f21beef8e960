import { type Alert, type Incident, IncidentCorrelator, type Severity } from "@heimdal/core";
import type { SensorData } from "./sensor-data.js";

/** Alerts correlated per request at most (the newest in the range): bounds the work whatever the table holds. */
export const MAX_CORRELATED_ALERTS = 20_000;
/** Without a range, incidents of the last week before the newest alert (packet time: replays have old dates). */
const DEFAULT_SPAN_MS = 7 * 86_400_000;

export interface IncidentView extends Incident {
  /** Every alert of the incident is acknowledged. */
  acknowledged: boolean;
}

export interface IncidentQuery {
  from?: number;
  to?: number;
  deviceId?: string;
  severity?: readonly string[];
  acknowledged?: boolean;
}

export interface IncidentPage {
  /** The time range the incidents were derived from. */
  range: { from: number; to: number };
  /** True when the range held more alerts than were correlated (the oldest were left out). */
  truncated: boolean;
  total: number;
  incidents: IncidentView[];
}

/**
 * Incidents are not stored: they are derived from stored alerts with core's IncidentCorrelator,
 * so they always agree with the alerts (an acknowledgement, a replay) and the correlation window
 * has one definition. An incident that straddles the start of the range starts at the range.
 */
export function deriveIncidents(data: SensorData, query: IncidentQuery): Omit<IncidentPage, "total"> {
  const range = resolveRange(data, query);
  const key = `incidents:${range.from}:${range.to}:${query.deviceId ?? ""}`;
  const all = data.memo(key, () => correlate(data, range, query.deviceId));
  const severities = query.severity === undefined ? undefined : new Set(query.severity);
  const incidents = all.incidents.filter(
    (i) =>
      (severities === undefined || severities.has(i.severity)) &&
      (query.acknowledged === undefined || i.acknowledged === query.acknowledged),
  );
  return { range, truncated: all.truncated, incidents };
}

function resolveRange(data: SensorData, query: IncidentQuery): { from: number; to: number } {
  if (query.from !== undefined && query.to !== undefined) return { from: query.from, to: query.to };
  const newest = data.repositories.alerts.list({ limit: 1, ...(query.to === undefined ? {} : { to: query.to }) })[0];
  const to = query.to ?? (newest ? newest.alert.time + 1 : 0);
  return { from: query.from ?? to - DEFAULT_SPAN_MS, to };
}

function correlate(
  data: SensorData,
  range: { from: number; to: number },
  deviceId: string | undefined,
): { truncated: boolean; incidents: IncidentView[] } {
  const stored = data.repositories.alerts.list({
    from: range.from,
    to: range.to,
    limit: MAX_CORRELATED_ALERTS + 1,
    ...(deviceId === undefined ? {} : { deviceId }),
  });
  const truncated = stored.length > MAX_CORRELATED_ALERTS;
  const correlator = new IncidentCorrelator();
  const acknowledged = new Set<string>();
  // Newest first from storage; the correlator wants time order.
  for (let i = Math.min(stored.length, MAX_CORRELATED_ALERTS) - 1; i >= 0; i--) {
    const { alert, acknowledgedAt } = stored[i]! as { alert: Alert; acknowledgedAt: number | null };
    if (acknowledgedAt !== null) acknowledged.add(alert.id);
    correlator.add({
      id: alert.id,
      type: alert.type,
      severity: alert.severity as Severity,
      deviceId: alert.deviceId,
      mac: alert.mac ?? null,
      time: alert.time,
      description: alert.description ?? "",
    });
  }
  const incidents = correlator
    .all()
    .map((i) => ({ ...i, acknowledged: i.alertIds.every((id) => acknowledged.has(id)) }))
    .sort((a, b) => b.end - a.end || (a.id < b.id ? -1 : 1));
  return { truncated, incidents };
}
