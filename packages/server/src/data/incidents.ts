import type { IncidentRecord, StoredIncident } from "@heimdal/core";
import type { SensorData } from "./sensor-data.js";

/** Without a range, incidents of the last week before the latest one (packet time: replays have old dates). */
const DEFAULT_SPAN_MS = 7 * 86_400_000;

export interface IncidentView extends IncidentRecord {
  /** The incident, or every alert of it, is acknowledged. */
  acknowledged: boolean;
  acknowledgedAt: number | null;
}

export interface IncidentQuery {
  from?: number;
  to?: number;
  deviceId?: string;
  severity?: readonly string[];
  acknowledged?: boolean;
}

export interface IncidentPage {
  /** The time range listed: incidents that overlap it, whole. */
  range: { from: number; to: number };
  /** Kept for clients of the derived incidents; stored incidents are never cut short. */
  truncated: false;
  total: number;
  incidents: IncidentView[];
}

/**
 * Incidents as stored: the alert repository files every alert it stores into its device's
 * incident, so incidents keep their ids and acknowledgements across restarts and grow across
 * analyses. An incident that overlaps the range is listed whole.
 */
export function listIncidents(data: SensorData, query: IncidentQuery, limit = 100, offset = 0): IncidentPage {
  const incidents = data.repositories.incidents;
  const range = resolveRange(data, query);
  const filter = {
    from: range.from,
    to: range.to,
    ...(query.deviceId === undefined ? {} : { deviceId: query.deviceId }),
    ...(query.severity === undefined ? {} : { severity: query.severity }),
    ...(query.acknowledged === undefined ? {} : { acknowledged: query.acknowledged }),
  };
  return {
    range,
    truncated: false,
    total: incidents.count(filter),
    incidents: incidents.list({ ...filter, limit, offset }).map(toView),
  };
}

export function toView(stored: StoredIncident): IncidentView {
  return { ...stored.incident, acknowledged: stored.acknowledgedAt !== null, acknowledgedAt: stored.acknowledgedAt };
}

function resolveRange(data: SensorData, query: IncidentQuery): { from: number; to: number } {
  if (query.from !== undefined && query.to !== undefined) return { from: query.from, to: query.to };
  const latest = data.repositories.incidents.latestEnd();
  const to = query.to ?? (latest === undefined ? 0 : latest + 1);
  return { from: query.from ?? to - DEFAULT_SPAN_MS, to };
}
