import type { AlertLike } from "../storage/repositories.js";

/**
 * An alert's life as an event in the events table, next to device events: the one ordered
 * log a live client (the dashboard's stream) follows and resumes from its last event id.
 */
export interface AlertEvent {
  type: "alert_raised" | "alert_acknowledged";
  /** Milliseconds since the epoch: packet time when raised, wall time when acknowledged. */
  time: number;
  deviceId: string | null;
  alertId: string;
  alertType: string;
  severity: string;
}

export function alertEvent(type: AlertEvent["type"], alert: AlertLike, time = alert.time): AlertEvent {
  return { type, time, deviceId: alert.deviceId, alertId: alert.id, alertType: alert.type, severity: alert.severity };
}
