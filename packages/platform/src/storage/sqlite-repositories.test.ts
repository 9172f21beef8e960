import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AlertLike, type DeviceEvent, type DeviceRecord, emptyFingerprint } from "@heimdal/core";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteDatabase } from "./sqlite-database.js";
import {
  SqliteAlertRepository,
  SqliteBaselineRepository,
  SqliteDeviceRepository,
  SqliteEventRepository,
  SqliteProfileRepository,
} from "./sqlite-repositories.js";

const scratch = mkdtempSync(join(tmpdir(), "heimdal-repos-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const openDatabase = () => new SqliteDatabase(join(scratch, `repos-${++files}.sqlite`));

function device(id: string, lastSeen: number, extra: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    id,
    mac: "a4:cf:12:32:5b:88",
    macs: ["a4:cf:12:32:5b:88"],
    randomizedMac: false,
    role: "device",
    addresses: [{ ip: "192.168.1.20", firstSeen: 1000, lastSeen }],
    hostnames: [],
    vendor: "Espressif Inc.",
    type: { value: "plug_switch_bulb", confidence: 0.8, evidence: ["oui:Espressif"] },
    model: null,
    os: null,
    fingerprint: emptyFingerprint(),
    firstSeen: 1000,
    lastSeen,
    online: true,
    packets: 10,
    bytes: 1000,
    ...extra,
  };
}

describe("SqliteDeviceRepository", () => {
  it("upserts by id, lists by id, and never lets an older record replace a newer one", () => {
    const db = openDatabase();
    const devices = new SqliteDeviceRepository(db);
    expect(devices.get("dev-0001")).toBeUndefined();
    devices.upsert(device("dev-0002", 5000));
    devices.upsert(device("dev-0001", 2000));
    devices.upsert(device("dev-0001", 3000, { packets: 20 }));
    expect(devices.get("dev-0001")).toEqual(device("dev-0001", 3000, { packets: 20 }));
    // A replay of an earlier capture into the same database.
    devices.upsert(device("dev-0001", 2500, { packets: 1 }));
    // The same packet time: a reclassification without new packets still lands.
    devices.upsert(device("dev-0001", 3000, { packets: 20, online: false }));
    expect(devices.list().map((d) => [d.id, d.lastSeen, d.packets, d.online])).toEqual([
      ["dev-0001", 3000, 20, false],
      ["dev-0002", 5000, 10, true],
    ]);
    db.close();
  });
});

describe("SqliteEventRepository", () => {
  const event = (time: number, type: DeviceEvent["type"] = "device_online"): DeviceEvent => ({
    type,
    time,
    deviceId: "dev-0001",
    mac: "a4:cf:12:32:5b:88",
  });

  it("gives increasing ids, reads since an id, and stores an event seen again only once", () => {
    const db = openDatabase();
    const events = new SqliteEventRepository<DeviceEvent>(db);
    expect(events.lastId()).toBe(0);
    expect(events.since(0)).toEqual([]);
    const a = events.append(event(1000, "device_new"));
    const b = events.append(event(2000));
    const c = events.append({
      ...event(3000, "device_changed"),
      changes: [{ field: "ip", from: "192.168.1.20", to: "192.168.1.21" }],
    });
    expect([a, b, c]).toEqual([1, 2, 3]);
    // Same content, properties in another order: the same event.
    expect(events.append({ mac: "a4:cf:12:32:5b:88", deviceId: "dev-0001", time: 2000, type: "device_online" })).toBe(
      2,
    );
    expect(events.append(event(2000, "device_offline"))).toBe(4);
    expect(events.lastId()).toBe(4);
    expect(events.since(0).map((e) => [e.id, e.event.type, e.event.time])).toEqual([
      [1, "device_new", 1000],
      [2, "device_online", 2000],
      [3, "device_changed", 3000],
      [4, "device_offline", 2000],
    ]);
    expect(events.since(2, 1)).toEqual([
      {
        id: 3,
        event: {
          ...event(3000, "device_changed"),
          changes: [{ field: "ip", from: "192.168.1.20", to: "192.168.1.21" }],
        },
      },
    ]);
    expect(() => events.since(0, 0)).toThrow(RangeError);
    db.close();
  });

  it("never reuses an id, even after the newest events were purged", () => {
    const db = openDatabase();
    const events = new SqliteEventRepository(db);
    events.append({ type: "device_new", time: 1, deviceId: "a" });
    events.append({ type: "device_new", time: 2, deviceId: "b" });
    db.run("purge", (sql) => sql("DELETE FROM events").run());
    expect(events.append({ type: "sensor_started", time: 3 })).toBe(3);
    expect(events.lastId()).toBe(3);
    db.close();
  });
});

describe("SqliteProfileRepository", () => {
  it("puts, replaces and lists opaque JSON per device", () => {
    const db = openDatabase();
    const profiles = new SqliteProfileRepository(db);
    expect(profiles.get("dev-0001")).toBeUndefined();
    profiles.put("dev-0002", { destinations: ["example.com"] });
    profiles.put("dev-0001", { destinations: [] });
    profiles.put("dev-0001", { destinations: ["tplinkcloud.com"], hours: [0, 1] });
    expect(profiles.get("dev-0001")).toEqual({ destinations: ["tplinkcloud.com"], hours: [0, 1] });
    expect(profiles.list().map((p) => p.deviceId)).toEqual(["dev-0001", "dev-0002"]);
    db.close();
  });
});

describe("SqliteBaselineRepository", () => {
  it("versions saves, skips a save equal to the current version, loads any version", () => {
    const db = openDatabase();
    let clock = 1000;
    const baselines = new SqliteBaselineRepository(db, () => clock++);
    expect(baselines.versions("dev-0001")).toEqual([]);
    expect(baselines.load("dev-0001")).toBeUndefined();
    expect(baselines.save("dev-0001", { hours: [1, 2], days: 1 })).toBe(1);
    expect(baselines.save("dev-0001", { days: 1, hours: [1, 2] })).toBe(1);
    expect(baselines.save("dev-0001", { hours: [1, 2, 3], days: 2 })).toBe(2);
    expect(baselines.save("dev-0002", { hours: [], days: 0 })).toBe(1);
    expect(baselines.versions("dev-0001")).toEqual([
      { version: 1, savedAt: 1000, restoredFrom: null },
      { version: 2, savedAt: 1001, restoredFrom: null },
    ]);
    expect(baselines.load("dev-0001")).toEqual({
      version: 2,
      savedAt: 1001,
      restoredFrom: null,
      baseline: { days: 2, hours: [1, 2, 3] },
    });
    expect(baselines.load("dev-0001", 1)?.baseline).toEqual({ days: 1, hours: [1, 2] });
    expect(baselines.load("dev-0001", 3)).toBeUndefined();
    db.close();
  });

  it("rolls back by saving the old content as a new version, never rewriting history", () => {
    const db = openDatabase();
    let clock = 1000;
    const baselines = new SqliteBaselineRepository(db, () => clock++);
    baselines.save("dev-0001", { v: "a" });
    baselines.save("dev-0001", { v: "b" });
    expect(baselines.rollback("dev-0001", 1)).toBe(3);
    expect(baselines.load("dev-0001")).toEqual({ version: 3, savedAt: 1002, restoredFrom: 1, baseline: { v: "a" } });
    // Rolling back to what is current already adds nothing.
    expect(baselines.rollback("dev-0001", 1)).toBe(3);
    expect(baselines.rollback("dev-0001", 2)).toBe(4);
    expect(baselines.versions("dev-0001").map((v) => [v.version, v.restoredFrom])).toEqual([
      [1, null],
      [2, null],
      [3, 1],
      [4, 2],
    ]);
    expect(() => baselines.rollback("dev-0001", 9)).toThrow(
      new RangeError('Cannot roll back the baseline of "dev-0001" to version 9: it has versions 1, 2, 3, 4'),
    );
    expect(() => baselines.rollback("dev-0009", 1)).toThrow(
      new RangeError('Cannot roll back the baseline of "dev-0009" to version 1: it has no saved baseline'),
    );
    db.close();
  });
});

describe("SqliteAlertRepository", () => {
  interface Alert extends AlertLike {
    evidence: string[];
  }
  const alert = (id: string, time: number, extra: Partial<Alert> = {}): Alert => ({
    id,
    type: "new_destination",
    severity: "medium",
    deviceId: "dev-0001",
    time,
    evidence: [],
    ...extra,
  });

  function seeded() {
    const db = openDatabase();
    const alerts = new SqliteAlertRepository<Alert>(db);
    alerts.insert(alert("a1", 1000));
    alerts.insert(alert("a2", 2000, { severity: "high", type: "port_scan" }));
    alerts.insert(alert("a3", 3000, { deviceId: "dev-0002", severity: "critical" }));
    alerts.insert(alert("a4", 4000, { deviceId: null, severity: "low", type: "sensor_storage" }));
    return { db, alerts };
  }
  const ids = (list: { alert: Alert }[]) => list.map((a) => a.alert.id);

  it("lists newest first with each filter and their combination", () => {
    const { db, alerts } = seeded();
    expect(ids(alerts.list())).toEqual(["a4", "a3", "a2", "a1"]);
    expect(ids(alerts.list({ severity: "high" }))).toEqual(["a2"]);
    expect(ids(alerts.list({ severity: ["high", "critical"] }))).toEqual(["a3", "a2"]);
    expect(ids(alerts.list({ severity: [] }))).toEqual([]);
    expect(ids(alerts.list({ deviceId: "dev-0001" }))).toEqual(["a2", "a1"]);
    expect(ids(alerts.list({ type: "port_scan" }))).toEqual(["a2"]);
    expect(ids(alerts.list({ from: 2000, to: 4000 }))).toEqual(["a3", "a2"]);
    expect(ids(alerts.list({ limit: 2 }))).toEqual(["a4", "a3"]);
    expect(ids(alerts.list({ deviceId: "dev-0001", severity: ["medium", "high"], from: 1500 }))).toEqual(["a2"]);
    expect(() => alerts.list({ limit: -1 })).toThrow(new RangeError("A limit must be a positive integer, got -1"));
    db.close();
  });

  it("pages with offset and counts matches without paging", () => {
    const { db, alerts } = seeded();
    expect(ids(alerts.list({ limit: 2, offset: 1 }))).toEqual(["a3", "a2"]);
    expect(ids(alerts.list({ offset: 4 }))).toEqual([]);
    expect(alerts.count()).toBe(4);
    expect(alerts.count({ deviceId: "dev-0001", limit: 1, offset: 1 })).toBe(2);
    expect(alerts.count({ severity: ["high", "critical"], from: 2500 })).toBe(1);
    expect({ ...alerts.countBy("deviceId") }).toEqual({ "dev-0001": 2, "dev-0002": 1, "": 1 });
    expect({ ...alerts.countBy("severity", { from: 2000 }) }).toEqual({ high: 1, critical: 1, low: 1 });
    expect(() => alerts.list({ offset: -1 })).toThrow(
      new RangeError("An offset must be a non-negative integer, got -1"),
    );
    db.close();
  });

  it("acknowledges once, keeps the acknowledgement when a replay stores the alert again", () => {
    const { db, alerts } = seeded();
    expect(alerts.acknowledge("a2", 5000)).toBe(true);
    expect(alerts.acknowledge("a2", 6000)).toBe(true);
    expect(alerts.acknowledge("nope", 6000)).toBe(false);
    alerts.insert(alert("a2", 2000, { severity: "high", type: "port_scan", evidence: ["more"] }));
    expect(alerts.get("a2")).toEqual({
      alert: alert("a2", 2000, { severity: "high", type: "port_scan", evidence: ["more"] }),
      acknowledgedAt: 5000,
    });
    expect(ids(alerts.list({ acknowledged: true }))).toEqual(["a2"]);
    expect(ids(alerts.list({ acknowledged: false }))).toEqual(["a4", "a3", "a1"]);
    expect(alerts.get("nope")).toBeUndefined();
    db.close();
  });

  it("answers each filter from an index", () => {
    const { db } = seeded();
    const plan = (where: string) =>
      (
        db.run("explain", (sql) =>
          sql(`EXPLAIN QUERY PLAN SELECT rowid FROM alerts WHERE ${where} ORDER BY time DESC, id DESC LIMIT 10`).all(),
        ) as { detail: string }[]
      )
        .map((row) => row.detail)
        .join("; ");
    // Covering: a page is chosen from the index alone, without a sort.
    expect(plan("1")).toMatch(/USING COVERING INDEX alerts_time_page/);
    expect(plan("acknowledged_at IS NULL")).toMatch(/USING COVERING INDEX alerts_time_page/);
    expect(plan("device_id = 'x'")).toMatch(/USING COVERING INDEX alerts_device_page/);
    expect(plan("type = 'x' AND acknowledged_at IS NOT NULL")).toMatch(/USING COVERING INDEX alerts_type_page/);
    expect(plan("severity IN (SELECT value FROM json_each('[\"high\"]'))")).toMatch(
      /USING (COVERING )?INDEX alerts_(severity|time)_page/,
    );
    expect(plan("time >= 5 AND time < 10")).toMatch(/USING COVERING INDEX alerts_time_page/);
    for (const where of ["1", "device_id = 'x'", "type = 'x'", "time >= 5"])
      expect(plan(where)).not.toMatch(/TEMP B-TREE/);
    db.close();
  });
});
