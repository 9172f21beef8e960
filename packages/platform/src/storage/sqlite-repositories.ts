import {
  type AlertLike,
  type AlertQuery,
  type AlertRepository,
  type BaselineRepository,
  type BaselineVersion,
  canonicalJson,
  DEFAULT_INCIDENT_WINDOW_SECONDS,
  type DeviceRecord,
  type DeviceRepository,
  type EventLike,
  type EventRepository,
  type ProfileRepository,
  type Repositories,
  type StoredAlert,
  type StoredBaseline,
  type StoredEvent,
} from "@heimdal/core";
import { fileAlert, settleAcknowledgement } from "./incident-filing.js";
import { jsonText, type SqliteDatabase } from "./sqlite-database.js";
import { SqliteIncidentRepository } from "./sqlite-incidents.js";
import { SqliteStorage } from "./sqlite-storage.js";
import { SqliteTrafficRepository } from "./sqlite-traffic-repository.js";

export interface SqliteRepositoryOptions {
  /** Wall clock for baselines' savedAt, ms since the epoch (default Date.now). */
  now?: () => number;
  /** Alerts of a device this close to an incident's join it (default the correlator's 30 min). */
  incidentWindowSeconds?: number;
}

/** Every repository over one database: what the composition root hands out. */
export function createSqliteRepositories(db: SqliteDatabase, options: SqliteRepositoryOptions = {}): Repositories {
  return {
    kv: new SqliteStorage(db),
    devices: new SqliteDeviceRepository(db),
    events: new SqliteEventRepository(db),
    profiles: new SqliteProfileRepository(db),
    baselines: new SqliteBaselineRepository(db, options.now ?? Date.now),
    alerts: new SqliteAlertRepository(db, options.incidentWindowSeconds),
    incidents: new SqliteIncidentRepository(db),
    traffic: new SqliteTrafficRepository(db),
  };
}

export class SqliteDeviceRepository implements DeviceRepository {
  constructor(private readonly db: SqliteDatabase) {}

  upsert(record: DeviceRecord): void {
    const text = jsonText(record, `device "${record.id}"`);
    this.db.run(`store device "${record.id}"`, (sql) =>
      sql(
        `INSERT INTO devices (id, mac, last_seen, record) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET mac = excluded.mac, last_seen = excluded.last_seen, record = excluded.record
         WHERE excluded.last_seen >= devices.last_seen`,
      ).run(record.id, record.mac, record.lastSeen, text),
    );
  }

  get(id: string): DeviceRecord | undefined {
    const row = this.db.run(`read device "${id}"`, (sql) => sql("SELECT record FROM devices WHERE id = ?").get(id)) as
      | { record: string }
      | undefined;
    return row === undefined ? undefined : (JSON.parse(row.record) as DeviceRecord);
  }

  list(): DeviceRecord[] {
    const rows = this.db.run("list devices", (sql) => sql("SELECT record FROM devices ORDER BY id").all()) as {
      record: string;
    }[];
    return rows.map((row) => JSON.parse(row.record) as DeviceRecord);
  }
}

/**
 * Events keyed by their content: body is the canonical JSON of the event and UNIQUE, so an
 * event appended again (a capture replayed into the same database, a batch retried after a
 * crash) keeps its first id and is not counted twice. Events come back with sorted keys.
 */
export class SqliteEventRepository<E extends EventLike = EventLike> implements EventRepository<E> {
  constructor(private readonly db: SqliteDatabase) {}

  append(event: E): number {
    const body = canonicalJson(event);
    return this.db.run(`store a ${event.type} event`, (sql) => {
      const find = () => sql("SELECT id FROM events WHERE body = ?").get(body) as { id: number } | undefined;
      // Look first: an INSERT that meets the UNIQUE constraint still uses up an AUTOINCREMENT id.
      const known = find();
      if (known) return known.id;
      const inserted = sql(
        "INSERT INTO events (time, device_id, type, body) VALUES (?, ?, ?, ?) ON CONFLICT (body) DO NOTHING RETURNING id",
      ).get(event.time, event.deviceId ?? null, event.type, body) as { id: number } | undefined;
      // Undefined only when another connection stored it in between.
      return inserted?.id ?? find()!.id;
    });
  }

  since(afterId: number, limit = 1000): StoredEvent<E>[] {
    const rows = this.db.run("read events", (sql) =>
      sql("SELECT id, body FROM events WHERE id > ? ORDER BY id LIMIT ?").all(afterId, checkLimit(limit)),
    ) as { id: number; body: string }[];
    return rows.map((row) => ({ id: row.id, event: JSON.parse(row.body) as E }));
  }

  lastId(): number {
    const row = this.db.run("read the last event id", (sql) =>
      sql("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get(),
    ) as { seq: number } | undefined;
    return row?.seq ?? 0;
  }
}

export class SqliteProfileRepository implements ProfileRepository {
  constructor(private readonly db: SqliteDatabase) {}

  put(deviceId: string, profile: unknown): void {
    const text = jsonText(profile, `the profile of "${deviceId}"`);
    this.db.run(`store the profile of "${deviceId}"`, (sql) =>
      sql(
        "INSERT INTO profiles (device_id, profile) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET profile = excluded.profile",
      ).run(deviceId, text),
    );
  }

  get(deviceId: string): unknown {
    const row = this.db.run(`read the profile of "${deviceId}"`, (sql) =>
      sql("SELECT profile FROM profiles WHERE device_id = ?").get(deviceId),
    ) as { profile: string } | undefined;
    return row === undefined ? undefined : JSON.parse(row.profile);
  }

  list(): { deviceId: string; profile: unknown }[] {
    const rows = this.db.run("list profiles", (sql) =>
      sql("SELECT device_id, profile FROM profiles ORDER BY device_id").all(),
    ) as { device_id: string; profile: string }[];
    return rows.map((row) => ({ deviceId: row.device_id, profile: JSON.parse(row.profile) }));
  }
}

interface BaselineRow {
  version: number;
  saved_at: number;
  restored_from: number | null;
  baseline: string;
}

/** Baselines stored as canonical JSON, so "equal to the current version" is a text comparison. */
export class SqliteBaselineRepository implements BaselineRepository {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number,
  ) {}

  save(deviceId: string, baseline: unknown): number {
    const text = canonicalJson(baseline);
    return this.db.transaction(`save the baseline of "${deviceId}"`, () => this.add(deviceId, text, null));
  }

  versions(deviceId: string): BaselineVersion[] {
    const rows = this.db.run(`list the baselines of "${deviceId}"`, (sql) =>
      sql("SELECT version, saved_at, restored_from FROM baselines WHERE device_id = ? ORDER BY version").all(deviceId),
    ) as Omit<BaselineRow, "baseline">[];
    return rows.map((row) => ({ version: row.version, savedAt: row.saved_at, restoredFrom: row.restored_from }));
  }

  load(deviceId: string, version?: number): StoredBaseline | undefined {
    const row = this.db.run(`read the baseline of "${deviceId}"`, (sql) => this.row(sql, deviceId, version));
    return row === undefined
      ? undefined
      : {
          version: row.version,
          savedAt: row.saved_at,
          restoredFrom: row.restored_from,
          baseline: JSON.parse(row.baseline),
        };
  }

  rollback(deviceId: string, version: number): number {
    return this.db.transaction(`roll back the baseline of "${deviceId}" to version ${version}`, (sql) => {
      const target = this.row(sql, deviceId, version);
      if (target === undefined) {
        const known = this.versions(deviceId).map((v) => v.version);
        throw new RangeError(
          `Cannot roll back the baseline of "${deviceId}" to version ${version}: ` +
            (known.length === 0 ? "it has no saved baseline" : `it has versions ${known.join(", ")}`),
        );
      }
      return this.add(deviceId, target.baseline, version);
    });
  }

  private row(sql: (text: string) => { get(...args: unknown[]): unknown }, deviceId: string, version?: number) {
    return (
      version === undefined
        ? sql("SELECT * FROM baselines WHERE device_id = ? ORDER BY version DESC LIMIT 1").get(deviceId)
        : sql("SELECT * FROM baselines WHERE device_id = ? AND version = ?").get(deviceId, version)
    ) as BaselineRow | undefined;
  }

  /** A new version unless `text` is already current; runs inside the caller's transaction. */
  private add(deviceId: string, text: string, restoredFrom: number | null): number {
    return this.db.run(`save the baseline of "${deviceId}"`, (sql) => {
      const current = this.row(sql, deviceId);
      if (current?.baseline === text) return current.version;
      const version = (current?.version ?? 0) + 1;
      sql("INSERT INTO baselines (device_id, version, saved_at, restored_from, baseline) VALUES (?, ?, ?, ?, ?)").run(
        deviceId,
        version,
        this.now(),
        restoredFrom,
        text,
      );
      return version;
    });
  }
}

interface AlertRow {
  alert: string;
  acknowledged_at: number | null;
}

export class SqliteAlertRepository<A extends AlertLike = AlertLike> implements AlertRepository<A> {
  private readonly windowMs: number;

  constructor(
    private readonly db: SqliteDatabase,
    incidentWindowSeconds = DEFAULT_INCIDENT_WINDOW_SECONDS,
  ) {
    this.windowMs = incidentWindowSeconds * 1000;
  }

  insert(alert: A): void {
    const text = jsonText(alert, `alert "${alert.id}"`);
    // The alert and its incident in one transaction (a savepoint inside a caller's batch).
    this.db.transaction(`store alert "${alert.id}"`, (sql) => {
      const stored = sql(
        `INSERT INTO alerts (id, time, type, severity, device_id, alert) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET time = excluded.time, type = excluded.type, severity = excluded.severity,
           device_id = excluded.device_id, alert = excluded.alert
         RETURNING acknowledged_at`,
      ).get(alert.id, alert.time, alert.type, alert.severity, alert.deviceId, text) as {
        acknowledged_at: number | null;
      };
      fileAlert(sql, alert, stored.acknowledged_at, this.windowMs);
    });
  }

  get(id: string): StoredAlert<A> | undefined {
    const row = this.db.run(`read alert "${id}"`, (sql) =>
      sql("SELECT alert, acknowledged_at FROM alerts WHERE id = ?").get(id),
    ) as AlertRow | undefined;
    return row === undefined ? undefined : toStoredAlert<A>(row);
  }

  list(query: AlertQuery = {}): StoredAlert<A>[] {
    const { where, args } = alertFilter(query);
    const offset = query.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0)
      throw new RangeError(`An offset must be a non-negative integer, got ${offset}`);
    args.push(checkLimit(query.limit ?? 100), offset);
    // The page's rows are chosen from an index first, then only they are read: skipping an
    // offset or sorting matches never carries the alerts' JSON along.
    const text = `SELECT alert, acknowledged_at FROM alerts WHERE rowid IN (
        SELECT rowid FROM alerts ${where} ORDER BY time DESC, id DESC LIMIT ? OFFSET ?
      ) ORDER BY time DESC, id DESC`;
    const rows = this.db.run("list alerts", (sql) => sql(text).all(...args)) as AlertRow[];
    return rows.map((row) => toStoredAlert<A>(row));
  }

  count(query: AlertQuery = {}): number {
    const { where, args } = alertFilter(query);
    const row = this.db.run("count alerts", (sql) => sql(`SELECT count(*) AS n FROM alerts ${where}`).get(...args)) as {
      n: number;
    };
    return row.n;
  }

  countBy(field: "deviceId" | "severity" | "type", query: AlertQuery = {}): Record<string, number> {
    const column = { deviceId: "device_id", severity: "severity", type: "type" }[field];
    const { where, args } = alertFilter(query);
    const rows = this.db.run(`count alerts by ${field}`, (sql) =>
      sql(`SELECT coalesce(${column}, '') AS k, count(*) AS n FROM alerts ${where} GROUP BY ${column}`).all(...args),
    ) as { k: string; n: number }[];
    const counts: Record<string, number> = Object.create(null);
    for (const row of rows) counts[row.k] = (counts[row.k] ?? 0) + row.n;
    return counts;
  }

  acknowledge(id: string, at: number): boolean {
    // The first acknowledgement stands.
    return this.db.transaction(`acknowledge alert "${id}"`, (sql) => {
      const result = sql("UPDATE alerts SET acknowledged_at = coalesce(acknowledged_at, ?) WHERE id = ?").run(at, id);
      // Its incident is acknowledged once none of its alerts is open.
      if (result.changes > 0) settleAcknowledgement(sql, id);
      return result.changes > 0;
    });
  }
}

/** The WHERE clause of a query (empty when it filters nothing) and its arguments. */
function alertFilter(query: AlertQuery): { where: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (query.severity !== undefined) {
    // One statement whatever the number of severities: they arrive as a JSON array.
    where.push("severity IN (SELECT value FROM json_each(?))");
    args.push(JSON.stringify(typeof query.severity === "string" ? [query.severity] : query.severity));
  }
  if (query.deviceId !== undefined) {
    where.push("device_id = ?");
    args.push(query.deviceId);
  }
  if (query.type !== undefined) {
    where.push("type = ?");
    args.push(query.type);
  }
  if (query.from !== undefined) {
    where.push("time >= ?");
    args.push(query.from);
  }
  if (query.to !== undefined) {
    where.push("time < ?");
    args.push(query.to);
  }
  if (query.acknowledged !== undefined) {
    where.push(query.acknowledged ? "acknowledged_at IS NOT NULL" : "acknowledged_at IS NULL");
  }
  return { where: where.length > 0 ? `WHERE ${where.join(" AND ")}` : "", args };
}

function toStoredAlert<A>(row: AlertRow): StoredAlert<A & AlertLike> {
  return { alert: JSON.parse(row.alert) as A & AlertLike, acknowledgedAt: row.acknowledged_at };
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A limit must be a positive integer, got ${limit}`);
  return limit;
}
