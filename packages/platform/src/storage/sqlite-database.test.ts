import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageUnavailableError } from "@heimdal/core";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "./migrations.js";
import { SqliteDatabase } from "./sqlite-database.js";

const scratch = mkdtempSync(join(tmpdir(), "heimdal-sqlite-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const newPath = () => join(scratch, `db-${++files}.sqlite`);

function inspect(path: string) {
  const raw = new Database(path, { readonly: true });
  try {
    return {
      versions: raw.prepare("SELECT version, name, applied_at FROM schema_version ORDER BY version").all(),
      objects: raw
        .prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .all()
        .map((row) => `${(row as { type: string }).type} ${(row as { name: string }).name}`),
    };
  } finally {
    raw.close();
  }
}

describe("SqliteDatabase", () => {
  it("creates a file and applies every migration in order, recording each", () => {
    const path = newPath();
    const db = new SqliteDatabase(path, { now: () => 1_700_000_000_000 });
    expect(db.isOpen).toBe(false);
    db.open();
    expect(db.schemaVersion()).toBe(MIGRATIONS.length);
    const pragmas = db.run("read pragmas", (sql) => ({
      journal: sql("PRAGMA journal_mode").pluck().get(),
      synchronous: sql("PRAGMA synchronous").pluck().get(),
      foreignKeys: sql("PRAGMA foreign_keys").pluck().get(),
      busyTimeout: sql("PRAGMA busy_timeout").pluck().get(),
    }));
    expect(pragmas).toEqual({ journal: "wal", synchronous: 1, foreignKeys: 1, busyTimeout: 500 });
    db.close();
    const { versions, objects } = inspect(path);
    expect(versions).toEqual([
      { version: 1, name: "kv", applied_at: 1_700_000_000_000 },
      { version: 2, name: "devices, events, profiles, baselines, alerts", applied_at: 1_700_000_000_000 },
      { version: 3, name: "alert page indexes", applied_at: 1_700_000_000_000 },
      { version: 4, name: "device labels, sessions", applied_at: 1_700_000_000_000 },
      { version: 5, name: "recent traffic: device minutes, destination buckets", applied_at: 1_700_000_000_000 },
      { version: 6, name: "incidents", applied_at: 1_700_000_000_000 },
    ]);
    expect(objects).toEqual([
      "index alerts_device_page",
      "index alerts_severity_page",
      "index alerts_time_page",
      "index alerts_type_page",
      "index devices_mac",
      "index events_device_time",
      "index events_time",
      "index incident_alerts_incident",
      "index incidents_device_end",
      "index incidents_end_page",
      "index incidents_subject_end",
      "index sessions_last_used",
      "index traffic_destinations_bucket",
      "index traffic_destinations_destination",
      "index traffic_minutes_minute",
      "table alerts",
      "table baselines",
      "table device_labels",
      "table devices",
      "table events",
      "table incident_alerts",
      "table incidents",
      "table kv",
      "table profiles",
      "table schema_version",
      "table sessions",
      "table traffic_destinations",
      "table traffic_minutes",
    ]);
  });

  it("opens an up-to-date file again without touching its schema or data", () => {
    const path = newPath();
    const first = new SqliteDatabase(path, { now: () => 1 });
    first.run("write", (sql) => sql("INSERT INTO kv (key, value) VALUES ('k', '1')").run());
    first.close();
    const again = new SqliteDatabase(path, { now: () => 2 });
    again.open();
    again.open();
    expect(again.run("read", (sql) => sql("SELECT value FROM kv WHERE key = 'k'").pluck().get())).toBe("1");
    again.close();
    expect(inspect(path).versions.map((v) => (v as { applied_at: number }).applied_at)).toEqual(
      MIGRATIONS.map(() => 1),
    );
  });

  it("upgrades a file written at an earlier version, keeping its data", () => {
    const path = newPath();
    const old = new SqliteDatabase(path, { migrations: MIGRATIONS.slice(0, 1) });
    old.run("write", (sql) => sql("INSERT INTO kv (key, value) VALUES ('k', '\"kept\"')").run());
    expect(old.schemaVersion()).toBe(1);
    old.close();
    const current = new SqliteDatabase(path);
    expect(current.schemaVersion()).toBe(MIGRATIONS.length);
    expect(current.run("read", (sql) => sql("SELECT count(*) FROM devices").pluck().get())).toBe(0);
    expect(current.run("read", (sql) => sql("SELECT value FROM kv").pluck().get())).toBe('"kept"');
    current.close();
  });

  it("moves version 2's alert indexes to version 3's page indexes, keeping the alerts", () => {
    const path = newPath();
    const old = new SqliteDatabase(path, { migrations: MIGRATIONS.slice(0, 2) });
    old.run("write", (sql) =>
      sql("INSERT INTO alerts (id, time, type, severity, alert) VALUES ('a1', 5, 'port_scan', 'high', '{}')").run(),
    );
    old.close();
    const current = new SqliteDatabase(path);
    expect(current.schemaVersion()).toBe(MIGRATIONS.length);
    expect(current.run("read", (sql) => sql("SELECT id FROM alerts").pluck().all())).toEqual(["a1"]);
    current.close();
    expect(inspect(path).objects.filter((o) => o.startsWith("index alerts"))).toEqual([
      "index alerts_device_page",
      "index alerts_severity_page",
      "index alerts_time_page",
      "index alerts_type_page",
    ]);
  });

  it("applies migrations all or nothing", () => {
    const path = newPath();
    const broken = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: "broken", sql: "CREATE TABLE t3 (a); CREATE TABLE oops (" },
    ];
    expect(() => new SqliteDatabase(path, { migrations: broken }).open()).toThrow(/incomplete input|syntax error/);
    const raw = new Database(path);
    expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'").pluck().get()).toBe(0);
    expect(raw.prepare("SELECT count(*) FROM sqlite_master").pluck().get()).toBe(0);
    raw.close();
  });

  it("refuses a file from a newer Heimdal, naming it", () => {
    const path = newPath();
    const db = new SqliteDatabase(path);
    db.open();
    db.close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO schema_version VALUES (99, 'future', 0)").run();
    raw.close();
    expect(() => new SqliteDatabase(path).open()).toThrow(
      `The database "${path}" has schema version 99, newer than this Heimdal knows (${MIGRATIONS.length}): use the Heimdal that wrote it, or another file`,
    );
  });

  it("names the file it cannot open: not a database (permanent), no such directory (may pass)", () => {
    const notDb = newPath();
    writeFileSync(notDb, "this is not an SQLite file, only text that is long enough to have a header".repeat(20));
    expect(() => new SqliteDatabase(notDb).open()).toThrow(
      `Cannot open the database "${notDb}": file is not a database (SQLITE_NOTADB)`,
    );
    const missing = join(scratch, "no-such-directory", "heimdal.db");
    const error = (() => {
      try {
        new SqliteDatabase(missing).open();
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toBe(
      `Cannot open the database "${missing}": Cannot open database because the directory does not exist`,
    );
  });

  it("rolls a transaction back whole and maps a busy database to StorageUnavailableError", () => {
    const path = newPath();
    const db = new SqliteDatabase(path, { busyTimeoutMs: 20 });
    expect(() =>
      db.transaction("write two", (sql) => {
        sql("INSERT INTO kv (key, value) VALUES ('a', '1')").run();
        throw new Error("second write failed");
      }),
    ).toThrow("second write failed");
    expect(db.run("count", (sql) => sql("SELECT count(*) FROM kv").pluck().get())).toBe(0);

    const other = new Database(path);
    other.prepare("BEGIN IMMEDIATE").run();
    try {
      expect(() => db.transaction("write", (sql) => sql("INSERT INTO kv VALUES ('b', '2')").run())).toThrow(
        new StorageUnavailableError(`Cannot write in "${path}": database is locked (SQLITE_BUSY)`),
      );
      // WAL: reading goes on while another connection writes.
      expect(db.run("count", (sql) => sql("SELECT count(*) FROM kv").pluck().get())).toBe(0);
    } finally {
      other.prepare("ROLLBACK").run();
      other.close();
    }
    db.transaction("write", (sql) => sql("INSERT INTO kv VALUES ('b', '2')").run());
    expect(db.run("count", (sql) => sql("SELECT count(*) FROM kv").pluck().get())).toBe(1);
    db.close();
  });

  it("is unavailable once closed", () => {
    const path = newPath();
    const db = new SqliteDatabase(path);
    db.open();
    db.close();
    db.close();
    expect(() => db.schemaVersion()).toThrow(
      new StorageUnavailableError(`Cannot use the database "${path}": it was closed`),
    );
  });
});
