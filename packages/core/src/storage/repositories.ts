/**
 * Typed repositories over the sensor's database: what the rest of Heimdal stores, one small
 * contract per kind of record. Implementations: SQL tables in platform (SQLite). Every write
 * is idempotent, so that a capture replayed again into the same database, or a batch applied
 * again after a crash, leaves the same stored state.
 */
import type { DeviceRecord } from "../discovery/device-record.js";
import type { DestinationSample, TrafficSample } from "../traffic/traffic-sample.js";
import type { StorageOperation, StorageProvider } from "./storage-provider.js";
import type { TrafficRepository } from "./traffic-repository.js";

export interface DeviceRepository {
  /**
   * Stores the record under its id unless the stored one is newer (a larger `lastSeen`): packet
   * time never goes back, so an older replay cannot overwrite what a later one learned.
   */
  upsert(record: DeviceRecord): void;
  get(id: string): DeviceRecord | undefined;
  /** Every device, by id. */
  list(): DeviceRecord[];
}

/** What every stored event carries; DeviceEvent is one. */
export interface EventLike {
  type: string;
  /** Milliseconds since the epoch, packet time. */
  time: number;
  deviceId?: string | null;
}

export interface StoredEvent<E extends EventLike = EventLike> {
  /** Increases with every event stored and is never reused: a cursor for "what did I miss". */
  id: number;
  event: E;
}

export interface EventRepository<E extends EventLike = EventLike> {
  /**
   * Stores an event and returns its id. An event equal to one already stored (same content,
   * compared as canonical JSON) is the same event seen again: nothing is stored and the first
   * one's id is returned.
   */
  append(event: E): number;
  /** Events with an id above `afterId`, oldest first, at most `limit` (default 1000). */
  since(afterId: number, limit?: number): StoredEvent<E>[];
  /** The highest id given out, 0 before the first event. */
  lastId(): number;
}

/** Profiles are the profile module's JSON, opaque here. */
export interface ProfileRepository {
  put(deviceId: string, profile: unknown): void;
  get(deviceId: string): unknown;
  list(): { deviceId: string; profile: unknown }[];
}

export interface BaselineVersion {
  version: number;
  /** Milliseconds since the epoch, by the repository's clock. */
  savedAt: number;
  /** The version this one restored, when it was made by rollback(). */
  restoredFrom: number | null;
}

export interface StoredBaseline extends BaselineVersion {
  baseline: unknown;
}

/**
 * Versioned baselines (the baseline module's JSON, opaque here). The current baseline is the
 * latest version; history is never rewritten.
 */
export interface BaselineRepository {
  /**
   * Saves a new version (1, 2, …) and returns its number. A baseline equal to the current one
   * (canonical JSON) is not saved again: its version is returned, so replays add no versions.
   */
  save(deviceId: string, baseline: unknown): number;
  /** Versions of a device's baseline, oldest first; empty when it has none. */
  versions(deviceId: string): BaselineVersion[];
  /** The given version, or the current one; undefined when there is no such version. */
  load(deviceId: string, version?: number): StoredBaseline | undefined;
  /**
   * Makes an earlier version current by saving its content as a new version (returned).
   * Throws a RangeError naming the device and the versions it has when `version` is unknown.
   */
  rollback(deviceId: string, version: number): number;
}

/** What every stored alert carries; the alert module's JSON adds the evidence. */
export interface AlertLike {
  /** Stable across replays (derived from what was detected), so a replay updates, not adds. */
  id: string;
  type: string;
  severity: string;
  deviceId: string | null;
  /** Milliseconds since the epoch, packet time. */
  time: number;
}

export interface StoredAlert<A extends AlertLike = AlertLike> {
  alert: A;
  /** When a user acknowledged it, or null. */
  acknowledgedAt: number | null;
}

export interface AlertQuery {
  /** One severity or any of several. */
  severity?: string | readonly string[];
  deviceId?: string;
  type?: string;
  /** Alerts at or after this time (ms). */
  from?: number;
  /** Alerts before this time (ms). */
  to?: number;
  acknowledged?: boolean;
  /** At most this many, newest first (default 100). */
  limit?: number;
  /** Skip this many of the newest matches first (default 0): pages of a listing. */
  offset?: number;
}

export interface AlertRepository<A extends AlertLike = AlertLike> {
  /**
   * Stores an alert; one whose id is stored already is replaced, keeping its acknowledgement.
   * Files it into its device's incident too (IncidentRepository).
   */
  insert(alert: A): void;
  get(id: string): StoredAlert<A> | undefined;
  /** Matching alerts, newest first. */
  list(query?: AlertQuery): StoredAlert<A>[];
  /** How many alerts match (limit and offset ignored). */
  count(query?: AlertQuery): number;
  /** How many alerts match, per value of one field (alerts of no device count under ""). */
  countBy(field: "deviceId" | "severity" | "type", query?: AlertQuery): Record<string, number>;
  /** Marks an alert acknowledged at `at` (ms); false when there is no such alert. */
  acknowledge(id: string, at: number): boolean;
}

/** An incident as stored: the correlation of one device's alerts close in time. */
export interface IncidentRecord {
  /** Stable: the subject and the second of its first alert. */
  id: string;
  deviceId: string | null;
  mac: string | null;
  /** First and last alert (ms since the epoch, packet time). */
  start: number;
  end: number;
  /** The highest severity of its alerts. */
  severity: string;
  /** A short headline from the alert types ("Port scan, then ARP spoofing"). */
  title: string;
  alertIds: string[];
  /** One line per alert, in time order. */
  timeline: { time: number; type: string; severity: string; description: string }[];
}

export interface StoredIncident {
  incident: IncidentRecord;
  /** When the incident counted as acknowledged (itself, or its last open alert), or null. */
  acknowledgedAt: number | null;
}

export interface IncidentQuery {
  deviceId?: string;
  severity?: readonly string[];
  acknowledged?: boolean;
  /** Incidents that end at or after this time (ms). */
  from?: number;
  /** Incidents that start before this time (ms). */
  to?: number;
  /** At most this many, latest end first (default 100). */
  limit?: number;
  offset?: number;
}

/**
 * Incidents, kept as alerts are stored: the alert repository files every alert it stores into
 * its device's incident (a new one when none ended within the window before it). Acknowledging
 * an incident acknowledges its alerts; acknowledging its last open alert acknowledges it.
 */
export interface IncidentRepository {
  get(id: string): StoredIncident | undefined;
  /** Matching incidents, latest end first (ties by id). */
  list(query?: IncidentQuery): StoredIncident[];
  count(query?: IncidentQuery): number;
  /** The end of the latest incident (ms), or undefined when there is none. */
  latestEnd(): number | undefined;
  /**
   * Acknowledges the incident and every alert of it at `at` (earlier acknowledgements stand);
   * returns the ids of the alerts this acknowledged, or undefined when there is no such incident.
   */
  acknowledge(id: string, at: number): string[] | undefined;
}

/** Everything the sensor stores, as one object the composition root hands out. */
export interface Repositories {
  kv: StorageProvider;
  devices: DeviceRepository;
  events: EventRepository;
  profiles: ProfileRepository;
  baselines: BaselineRepository;
  alerts: AlertRepository;
  traffic: TrafficRepository;
  incidents: IncidentRepository;
}

/** One write the BatchedWriter queues for the repositories. */
export type RepositoryWrite =
  | { kind: "device"; record: DeviceRecord }
  | { kind: "event"; event: EventLike }
  | { kind: "profile"; deviceId: string; profile: unknown }
  | { kind: "baseline"; deviceId: string; baseline: unknown }
  | { kind: "alert"; alert: AlertLike }
  | { kind: "kv"; op: StorageOperation }
  | { kind: "traffic_minute"; sample: TrafficSample }
  | { kind: "traffic_destination"; sample: DestinationSample }
  /** Drops recent traffic past its retention, counted back from `newestMs`. */
  | { kind: "traffic_prune"; newestMs: number };

/**
 * The key under which writes coalesce while they wait (latest wins): a device, profile,
 * baseline or alert by its id, a key-value entry by its key, an event by its whole content
 * (two equal events are one).
 */
export function writeKey(write: RepositoryWrite): string {
  switch (write.kind) {
    case "device":
      return `device:${write.record.id}`;
    case "event":
      return `event:${canonicalJson(write.event)}`;
    case "profile":
      return `profile:${write.deviceId}`;
    case "baseline":
      return `baseline:${write.deviceId}`;
    case "alert":
      return `alert:${write.alert.id}`;
    case "kv":
      return `kv:${write.op.key}`;
    case "traffic_minute":
      return `traffic_minute:${write.sample.deviceId}|${write.sample.minute}`;
    case "traffic_destination": {
      const s = write.sample;
      return `traffic_destination:${s.deviceId}|${s.bucket}|${s.protocol}|${s.port}|${s.direction}|${s.destination}`;
    }
    case "traffic_prune":
      return "traffic_prune";
  }
}

/** Applies writes in order; the caller wraps this in one transaction. */
export function applyWrites(repositories: Repositories, writes: readonly RepositoryWrite[]): void {
  for (const write of writes) {
    switch (write.kind) {
      case "device":
        repositories.devices.upsert(write.record);
        break;
      case "event":
        repositories.events.append(write.event);
        break;
      case "profile":
        repositories.profiles.put(write.deviceId, write.profile);
        break;
      case "baseline":
        repositories.baselines.save(write.deviceId, write.baseline);
        break;
      case "alert":
        repositories.alerts.insert(write.alert);
        break;
      case "kv":
        if (write.op.op === "set") repositories.kv.set(write.op.key, write.op.value);
        else repositories.kv.delete(write.op.key);
        break;
      case "traffic_minute":
        repositories.traffic.putMinute(write.sample);
        break;
      case "traffic_destination":
        repositories.traffic.putDestination(write.sample);
        break;
      case "traffic_prune":
        repositories.traffic.prune(write.newestMs);
        break;
    }
  }
}

/**
 * JSON with the keys of every object sorted: equal values give equal text whatever order
 * their properties were built in. Throws like JSON.stringify on values it cannot represent.
 */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    // No prototype: a "__proto__" key stays an ordinary property.
    const sorted = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  }) as string | undefined;
  if (text === undefined) throw new TypeError(`Cannot store ${String(value)}: it has no JSON form`);
  return text;
}
