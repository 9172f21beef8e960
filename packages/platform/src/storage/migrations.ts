/**
 * The database schema, as numbered migrations applied in order at open and recorded in
 * schema_version. A migration, once released, never changes: a new one follows it.
 *
 * No foreign keys between these tables, on purpose: rows arrive through a bounded write queue
 * that may drop the oldest records during an outage, and in whatever order they were queued,
 * so an event or profile may be stored without its device row. A foreign key would turn one
 * dropped device into a batch that can never commit.
 */
import { DEFAULT_INCIDENT_WINDOW_SECONDS } from "@heimdal/core";
import { backfillIncidents } from "./incident-filing.js";
import type { SqlStatements } from "./sql-statements.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Data the new schema needs, filled in after `sql` in the same transaction. */
  after?: (sql: SqlStatements) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "kv",
    sql: `
      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: "devices, events, profiles, baselines, alerts",
    sql: `
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        mac TEXT NOT NULL,
        last_seen INTEGER NOT NULL,
        record TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX devices_mac ON devices (mac);

      -- AUTOINCREMENT: ids are never reused, even after old events are purged, so a client's
      -- "events since id N" cursor stays valid. body is the event as canonical JSON; being
      -- UNIQUE, it makes appends idempotent (the same event replayed is not stored twice).
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time INTEGER NOT NULL,
        device_id TEXT,
        type TEXT NOT NULL,
        body TEXT NOT NULL UNIQUE
      );
      CREATE INDEX events_device_time ON events (device_id, time);
      CREATE INDEX events_time ON events (time);

      CREATE TABLE profiles (
        device_id TEXT PRIMARY KEY,
        profile TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE baselines (
        device_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        saved_at INTEGER NOT NULL,
        restored_from INTEGER,
        baseline TEXT NOT NULL,
        PRIMARY KEY (device_id, version)
      ) WITHOUT ROWID;

      -- One index per filter of AlertQuery, each ending in time for "newest first".
      CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        time INTEGER NOT NULL,
        type TEXT NOT NULL,
        severity TEXT NOT NULL,
        device_id TEXT,
        acknowledged_at INTEGER,
        alert TEXT NOT NULL
      );
      CREATE INDEX alerts_time ON alerts (time);
      CREATE INDEX alerts_device_time ON alerts (device_id, time);
      CREATE INDEX alerts_type_time ON alerts (type, time);
      CREATE INDEX alerts_severity_time ON alerts (severity, time);
    `,
  },
  {
    version: 3,
    name: "alert page indexes",
    // Listing pages of 100,000 alerts (the API's load target): each index holds what a page's
    // ORDER BY time DESC, id DESC and the acknowledged filter read, so a page, even at a large
    // offset, is found in the index alone and only its rows are read from the table. They
    // replace version 2's indexes, which are their prefixes.
    sql: `
      CREATE INDEX alerts_time_page ON alerts (time, id, acknowledged_at);
      CREATE INDEX alerts_device_page ON alerts (device_id, time, id, acknowledged_at);
      CREATE INDEX alerts_type_page ON alerts (type, time, id, acknowledged_at);
      CREATE INDEX alerts_severity_page ON alerts (severity, time, id, acknowledged_at);
      DROP INDEX alerts_time;
      DROP INDEX alerts_device_time;
      DROP INDEX alerts_type_time;
      DROP INDEX alerts_severity_time;
    `,
  },
  {
    version: 4,
    name: "device labels, sessions",
    // Written only by the API, never by an analysis: a device's user-given name, label and
    // notes live apart from its discovered record, so a re-analysis cannot overwrite them.
    // Sessions are kept by the SHA-256 of their cookie, so a copy of this file logs nobody in.
    sql: `
      CREATE TABLE device_labels (
        device_id TEXT PRIMARY KEY,
        name TEXT,
        label TEXT,
        notes TEXT,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX sessions_last_used ON sessions (last_used_at);
    `,
  },
  {
    version: 5,
    name: "recent traffic: device minutes, destination buckets",
    // Samples carry cumulative values and are replaced on write (idempotent). Rows are pruned
    // by TRAFFIC_RETENTION from the newest sample: the minute index serves that and the "last
    // hour" reads; the destination index serves the flows endpoint's destination filter.
    sql: `
      CREATE TABLE traffic_minutes (
        device_id TEXT NOT NULL,
        minute INTEGER NOT NULL,
        bytes_up INTEGER NOT NULL,
        bytes_down INTEGER NOT NULL,
        packets_up INTEGER NOT NULL,
        packets_down INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        PRIMARY KEY (device_id, minute)
      ) WITHOUT ROWID;
      CREATE INDEX traffic_minutes_minute ON traffic_minutes (minute);

      CREATE TABLE traffic_destinations (
        device_id TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        destination TEXT NOT NULL,
        protocol TEXT NOT NULL,
        port INTEGER NOT NULL,
        direction TEXT NOT NULL,
        bytes_up INTEGER NOT NULL,
        bytes_down INTEGER NOT NULL,
        packets INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        PRIMARY KEY (device_id, bucket, destination, protocol, port, direction)
      ) WITHOUT ROWID;
      CREATE INDEX traffic_destinations_bucket ON traffic_destinations (bucket);
      CREATE INDEX traffic_destinations_destination ON traffic_destinations (destination, bucket);
    `,
  },
  {
    version: 6,
    name: "incidents",
    // Incidents were derived from the alerts on every request; now they are kept as alerts are
    // stored (the alert repository files each one). incident_alerts says which incident holds
    // an alert, so filing the same alert again changes nothing. The alerts stored before this
    // version are filed once, here, with the default window.
    sql: `
      CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        device_id TEXT,
        start_time INTEGER NOT NULL,
        end_time INTEGER NOT NULL,
        severity TEXT NOT NULL,
        acknowledged_at INTEGER,
        incident TEXT NOT NULL
      );
      CREATE INDEX incidents_end_page ON incidents (end_time, id);
      CREATE INDEX incidents_subject_end ON incidents (subject, end_time);
      CREATE INDEX incidents_device_end ON incidents (device_id, end_time, id);
      CREATE TABLE incident_alerts (
        alert_id TEXT PRIMARY KEY,
        incident_id TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX incident_alerts_incident ON incident_alerts (incident_id);
    `,
    after: (sql) => backfillIncidents(sql, DEFAULT_INCIDENT_WINDOW_SECONDS * 1000),
  },
];
