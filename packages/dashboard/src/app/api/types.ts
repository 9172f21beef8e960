/**
 * The API's response shapes (docs/api.md), as far as the dashboard reads them. Every string
 * here that came from a device (names, vendors, fingerprints, DNS names) is attacker-controlled:
 * render it as React text only.
 */

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Session {
  username: string;
  csrfToken: string;
}

export interface DeviceSummary {
  id: string;
  mac: string;
  /** The user's name when given, else the newest discovered hostname. */
  name: string | null;
  /** The newest hostname the device announced (device-sent). */
  discoveredName: string | null;
  /** The name the user gave it. */
  userName: string | null;
  label: string | null;
  vendor: string | null;
  type: string;
  typeConfidence: number;
  role: string;
  randomizedMac: boolean;
  addresses: string[];
  online: boolean;
  firstSeen: number;
  lastSeen: number;
  packets: number;
  bytes: number;
  openAlerts: number;
}

export interface DeviceList {
  total: number;
  devices: DeviceSummary[];
}

export interface Inference {
  value: string;
  confidence: number;
  evidence: string[];
}

export interface DeviceRecord {
  id: string;
  mac: string;
  macs: string[];
  addresses: { ip: string; firstSeen: number; lastSeen: number }[];
  hostnames: { name: string; source: string; firstSeen: number; lastSeen: number }[];
  vendor: string | null;
  type: Inference;
  model: Inference | null;
  os: Inference | null;
  fingerprint: Record<string, unknown>;
}

export interface BaselineSummary {
  state: "learning" | "ready";
  progress: string;
  daysObserved: number;
  confidence: number;
}

export interface DeviceLabels {
  name: string | null;
  label: string | null;
  notes: string | null;
  updatedAt: number;
}

export interface DeviceDetail {
  summary: DeviceSummary;
  labels: DeviceLabels | null;
  device: DeviceRecord;
  profile: unknown;
  baseline: { version?: number; summary?: BaselineSummary } | null;
  alerts: { open: number; bySeverity: Record<string, number> };
}

export interface Named {
  name: string;
  bytes?: number;
  connections: number;
}

export interface DeviceTraffic {
  deviceId: string;
  protocols: Record<string, number>;
  hourOfWeekBytes: number[];
  topDestinations: { name: string; bytes: number; connections: number }[];
  ports: { name: string; connections: number }[];
  hourly: { time: number; bytes: number }[];
  usualByHourOfDay: number[];
}

export interface Alert {
  id: string;
  type: string;
  severity: Severity;
  confidence: number;
  deviceId: string | null;
  mac: string | null;
  time: number;
  description: string;
  normal: string;
  observed: string;
  evidence: Record<string, unknown>;
  repeats: number;
}

export interface StoredAlert {
  alert: Alert;
  acknowledgedAt: number | null;
}

export interface AlertList {
  total: number;
  alerts: StoredAlert[];
}

export interface Incident {
  id: string;
  deviceId: string | null;
  mac: string | null;
  start: number;
  end: number;
  severity: Severity;
  acknowledged: boolean;
  alertIds: string[];
  timeline: { time: number; type: string; severity: Severity; description: string }[];
}

export interface IncidentList {
  range: { from: number; to: number };
  truncated: boolean;
  total: number;
  incidents: Incident[];
}

export interface Status {
  versions: { heimdal: string; api: string; node: string; schema: number };
  database: { path: string; sizeBytes: number | null };
  counts: {
    devices: number;
    devicesOnline: number;
    alerts: number;
    unacknowledgedAlerts: number;
    unacknowledgedBySeverity: Record<string, number>;
    lastEventId: number;
  };
  components: { name: string; state: string; detail?: string }[];
  capture: unknown;
  uptimeSeconds: number;
}

export interface Exclusion {
  id: string;
  comment: string;
  type?: string;
  deviceId?: string;
  destination?: string;
  port?: string;
  expires?: string;
}

export interface NotificationSettings {
  severities: Severity[];
  quietHours: { start: string; end: string } | null;
  criticalDuringQuietHours: boolean;
}

export interface Config {
  sensitivity: { settings: string[]; effective: unknown };
  exclusions: number;
  server: { port: number; host: string; tls: boolean; secureCookies: boolean; localhostNoLogin: boolean };
  interception: {
    running: boolean;
    detail: string;
    blocking: boolean;
    blockingUnavailableReason: string | null;
    edition: string | null;
    editions: string;
  };
  notifications: NotificationSettings;
  cloud: { enabled: boolean; connected: boolean; shares: string[]; neverShared: string[] };
}

export type BlockTarget =
  | { kind: "device"; deviceId: string }
  | { kind: "destination"; destination: string; deviceId?: string };

export interface Block {
  id: string;
  target: BlockTarget;
  expiresAt: number | null;
  decidedBy: string;
  reason: string;
  createdAt: number;
}

/** One message of /events/stream. */
export interface LiveEvent {
  id: number;
  type: string;
  time: number;
  deviceId?: string;
  alertId?: string;
  alertType?: string;
  severity?: string;
}

/** GET /traffic/now: bytes in the last minutes beside the baselines' usual. */
export interface TrafficNow {
  asOf: number | null;
  windowMinutes: number;
  network: {
    bytesUp: number;
    bytesDown: number;
    bytes: number;
    packets: number;
    flows: number;
    activeDevices: number;
    usualBytes: number;
    ratio: number | null;
  };
  minutes: { minute: number; bytes: number }[];
  devices: {
    deviceId: string;
    bytesUp: number;
    bytesDown: number;
    bytes: number;
    usualBytes: number;
    ratio: number | null;
    basis: "hour_of_week" | "hour_of_day" | null;
  }[];
}

/** GET /flows: a device's recent traffic with one destination (a name from DNS: attacker-controlled text). */
export interface FlowAggregate {
  deviceId: string;
  destination: string;
  protocol: string;
  port: number;
  direction: "out" | "in";
  bytesUp: number;
  bytesDown: number;
  packets: number;
  flows: number;
  firstBucket: number;
  lastBucket: number;
}

export interface FlowList {
  total: number;
  flows: FlowAggregate[];
}
