import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchedWriter, type RepositoryWrite, type WriterReport, writeKey } from "@heimdal/core";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteDatabase } from "./sqlite-database.js";
import { createSqliteRepositories } from "./sqlite-repositories.js";
import { SqliteWriteTarget } from "./sqlite-write-target.js";

const scratch = mkdtempSync(join(tmpdir(), "heimdal-target-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;

/** Timers that never fire: these tests flush by hand. */
const manualTimers = { setTimeout: () => 0, clearTimeout: () => {} };

function setup(maxPending = 1000) {
  const path = join(scratch, `target-${++files}.sqlite`);
  const db = new SqliteDatabase(path, { busyTimeoutMs: 20 });
  const repositories = createSqliteRepositories(db, { now: () => 42 });
  const reports: WriterReport[] = [];
  const writer = new BatchedWriter<RepositoryWrite>(
    { target: new SqliteWriteTarget(db, repositories), timers: manualTimers, onReport: (r) => reports.push(r) },
    { keyOf: writeKey, maxPending },
  );
  return { path, db, repositories, writer, reports };
}

const kv = (key: string, value: unknown): RepositoryWrite => ({ kind: "kv", op: { op: "set", key, value } });
const event = (time: number): RepositoryWrite => ({
  kind: "event",
  event: { type: "device_online", time, deviceId: "dev-0001" },
});

describe("SqliteWriteTarget", () => {
  it("writes a batch of every kind in one transaction", () => {
    const { db, repositories, writer } = setup();
    writer.write(kv("sensor/state", { started: 1 }));
    writer.write(event(1000));
    writer.write(event(1000)); // the same event twice: one
    writer.write({ kind: "profile", deviceId: "dev-0001", profile: { top: ["a.com"] } });
    writer.write({ kind: "baseline", deviceId: "dev-0001", baseline: { days: 1 } });
    writer.write({ kind: "alert", alert: { id: "a1", type: "t", severity: "low", deviceId: null, time: 5 } });
    writer.write({ kind: "kv", op: { op: "delete", key: "sensor/old" } });
    expect(writer.flush()).toBe(true);
    expect(writer.status()).toMatchObject({ written: 6, coalesced: 1, pending: 0 });
    expect(repositories.kv.get("sensor/state")).toEqual({ started: 1 });
    expect(repositories.events.since(0)).toEqual([
      { id: 1, event: { type: "device_online", time: 1000, deviceId: "dev-0001" } },
    ]);
    expect(repositories.profiles.get("dev-0001")).toEqual({ top: ["a.com"] });
    expect(repositories.baselines.versions("dev-0001")).toEqual([{ version: 1, savedAt: 42, restoredFrom: null }]);
    expect(repositories.alerts.get("a1")?.acknowledgedAt).toBeNull();
    db.close();
  });

  it("stores nothing of a batch that fails part-way, and keeps it pending", () => {
    const { db, repositories, writer } = setup();
    writer.write(kv("a", 1));
    writer.write({ kind: "profile", deviceId: "dev-0001", profile: { bad: 1n } });
    writer.write(kv("b", 2));
    expect(writer.flush()).toBe(false);
    expect(writer.status()).toMatchObject({ healthy: false, pending: 3, failures: 1 });
    expect(writer.status().lastError).toMatch(/^TypeError: Do not know how to serialize a BigInt/);
    expect(repositories.kv.list("")).toEqual([]);
    db.close();
  });

  it("keeps records while another connection holds the write lock, and writes them once it lets go", () => {
    const { path, db, repositories, writer, reports } = setup(5);
    writer.write(kv("before", 0));
    expect(writer.flush()).toBe(true);

    const other = new Database(path);
    other.prepare("BEGIN IMMEDIATE").run();
    for (let i = 0; i < 8; i++) writer.write(kv(`k${i}`, i));
    // The queue filled at 5 and tried to flush, then dropped the oldest three.
    expect(writer.status()).toMatchObject({ healthy: false, pending: 5, dropped: 3, written: 1 });
    expect(writer.flush()).toBe(false);
    expect(writer.status().lastError).toBe(
      `StorageUnavailableError: Cannot write a batch of 5 records in "${path}": database is locked (SQLITE_BUSY)`,
    );
    expect(reports.map((r) => r.kind)).toEqual(["unavailable", "dropping"]);
    // Readers go on (WAL).
    expect(repositories.kv.get("before")).toBe(0);

    other.prepare("COMMIT").run();
    other.close();
    expect(writer.flush()).toBe(true);
    expect(reports.map((r) => r.kind)).toEqual(["unavailable", "dropping", "recovered"]);
    expect(repositories.kv.list("k").map((e) => e.key)).toEqual(["k3", "k4", "k5", "k6", "k7"]);
    expect(writer.status()).toMatchObject({ healthy: true, pending: 0, written: 6, dropped: 3 });
    db.close();
  });

  it("applying the same batch again leaves the same state", () => {
    const { db, repositories } = setup();
    const target = new SqliteWriteTarget(db, repositories);
    const batch: RepositoryWrite[] = [
      event(1),
      event(2),
      { kind: "baseline", deviceId: "d", baseline: { x: 1 } },
      { kind: "alert", alert: { id: "a", type: "t", severity: "low", deviceId: "d", time: 1 } },
      kv("k", 1),
    ];
    target.apply(batch);
    const snapshot = () => ({
      events: repositories.events.since(0),
      lastId: repositories.events.lastId(),
      baselines: repositories.baselines.versions("d"),
      alerts: repositories.alerts.list(),
      kv: repositories.kv.list(""),
    });
    const first = snapshot();
    target.apply(batch);
    expect(snapshot()).toEqual(first);
    db.close();
  });
});
