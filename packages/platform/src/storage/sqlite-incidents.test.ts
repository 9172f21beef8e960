import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "./migrations.js";
import { SqliteDatabase } from "./sqlite-database.js";
import { createSqliteRepositories } from "./sqlite-repositories.js";

const scratch = mkdtempSync(join(tmpdir(), "heimdal-incidents-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const newPath = () => join(scratch, `incidents-${++files}.sqlite`);

const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
const MINUTE = 60_000;

interface TestAlert {
  id: string;
  type: string;
  severity: string;
  deviceId: string | null;
  mac: string | null;
  time: number;
  description: string;
}

const alert = (id: string, minutes: number, over: Partial<TestAlert> = {}): TestAlert => ({
  id,
  type: "port_scan",
  severity: "medium",
  deviceId: "dev-1",
  mac: "02:00:00:00:00:01",
  time: T0 + minutes * MINUTE,
  description: `alert ${id}`,
  ...over,
});

function open(path = newPath()) {
  const db = new SqliteDatabase(path);
  db.open();
  return { db, repos: createSqliteRepositories(db), path };
}

describe("stored incidents", () => {
  it("files alerts of a device within 30 minutes of each other into one incident, the rest into new ones", () => {
    const { db, repos } = open();
    repos.alerts.insert(alert("a1", 0, { type: "new_device", severity: "low" }));
    repos.alerts.insert(alert("a2", 10));
    repos.alerts.insert(alert("a3", 35, { type: "arp_spoofing", severity: "critical" }));
    // Another device in between, and the first device again much later.
    repos.alerts.insert(alert("b1", 12, { deviceId: "dev-2", mac: "02:00:00:00:00:02" }));
    repos.alerts.insert(alert("a4", 120));
    const all = repos.incidents.list();
    expect(all.map((s) => [s.incident.deviceId, s.incident.alertIds, s.incident.severity])).toEqual([
      ["dev-1", ["a4"], "medium"],
      ["dev-1", ["a1", "a2", "a3"], "critical"],
      ["dev-2", ["b1"], "medium"],
    ]);
    const first = all[1]!.incident;
    expect(first.id).toBe(`incident-dev-1-${T0 / 1000}`);
    expect(first.title).toBe("New device, then port scan, then ARP spoofing");
    expect([first.start, first.end]).toEqual([T0, T0 + 35 * MINUTE]);
    expect(first.timeline.map((t) => t.description)).toEqual(["alert a1", "alert a2", "alert a3"]);
    // Storing an alert again (a replay, a repeat that escalated) changes its line, adds nothing.
    repos.alerts.insert(alert("a2", 10, { severity: "high" }));
    expect(repos.incidents.count()).toBe(3);
    expect(repos.incidents.get(first.id)!.incident.timeline[1]!.severity).toBe("high");
    expect(repos.incidents.list({ deviceId: "dev-2" }).map((s) => s.incident.alertIds)).toEqual([["b1"]]);
    expect(repos.incidents.list({ severity: ["critical"] })).toHaveLength(1);
    expect(repos.incidents.list({ from: T0 + 60 * MINUTE }).map((s) => s.incident.alertIds)).toEqual([["a4"]]);
    expect(repos.incidents.latestEnd()).toBe(T0 + 120 * MINUTE);
    db.close();
  });

  it("acknowledging an incident acknowledges its alerts; acknowledging its last open alert acknowledges it", () => {
    const { db, repos } = open();
    repos.alerts.insert(alert("a1", 0));
    repos.alerts.insert(alert("a2", 5));
    repos.alerts.insert(alert("c1", 0, { deviceId: "dev-3", mac: null }));
    repos.alerts.insert(alert("c2", 1, { deviceId: "dev-3", mac: null }));
    const [dev1, dev3] = [
      repos.incidents.list({ deviceId: "dev-1" })[0]!,
      repos.incidents.list({ deviceId: "dev-3" })[0]!,
    ];
    repos.alerts.acknowledge("a1", 100);
    expect(repos.incidents.acknowledge(dev1.incident.id, 200)).toEqual(["a2"]);
    expect(repos.alerts.get("a1")!.acknowledgedAt).toBe(100);
    expect(repos.alerts.get("a2")!.acknowledgedAt).toBe(200);
    expect(repos.incidents.get(dev1.incident.id)!.acknowledgedAt).toBe(200);
    expect(repos.incidents.acknowledge("incident-nope", 1)).toBeUndefined();
    // One by one: open until the last alert is acknowledged.
    repos.alerts.acknowledge("c1", 300);
    expect(repos.incidents.get(dev3.incident.id)!.acknowledgedAt).toBeNull();
    repos.alerts.acknowledge("c2", 400);
    expect(repos.incidents.get(dev3.incident.id)!.acknowledgedAt).toBe(400);
    expect(repos.incidents.list({ acknowledged: false })).toEqual([]);
    // Something new in an acknowledged incident opens it again.
    repos.alerts.insert(alert("a3", 20));
    expect(repos.incidents.get(dev1.incident.id)!.acknowledgedAt).toBeNull();
    db.close();
  });

  it("survives reopening the file, and files what an earlier schema stored once at migration", () => {
    const path = newPath();
    const old = new SqliteDatabase(path, { migrations: MIGRATIONS.slice(0, 3) });
    old.run("seed", (sql) => {
      const insert = sql(
        "INSERT INTO alerts (id, time, type, severity, device_id, acknowledged_at, alert) VALUES (?, ?, ?, ?, ?, ?, ?)",
      );
      for (const [a, acknowledgedAt] of [
        [alert("a1", 0), 50],
        [alert("a2", 20, { severity: "high" }), 60],
        [alert("a3", 100), null],
      ] as const)
        insert.run(a.id, a.time, a.type, a.severity, a.deviceId, acknowledgedAt, JSON.stringify(a));
      // An alert stored with bare JSON still files (its columns say enough).
      insert.run("x1", T0, "beaconing", "low", null, null, "{}");
    });
    old.close();
    const { db, repos } = open(path);
    expect(db.schemaVersion()).toBe(MIGRATIONS.length);
    const byDevice = repos.incidents.list().map((s) => [s.incident.alertIds, s.incident.severity, s.acknowledgedAt]);
    expect(byDevice).toEqual([
      [["a3"], "medium", null],
      [["a1", "a2"], "high", 60],
      [["x1"], "low", null],
    ]);
    db.close();
    // Reopened: the same incidents, nothing filed twice.
    const again = open(path);
    expect(again.repos.incidents.count()).toBe(3);
    again.db.close();
  });

  it("property: every stored alert is in exactly one incident of its device, and incidents follow the window", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ minute: fc.integer({ min: 0, max: 600 }), device: fc.constantFrom("d1", "d2", null) }), {
          minLength: 1,
          maxLength: 30,
        }),
        (items) => {
          const { db, repos } = open();
          for (const [i, item] of items.entries())
            repos.alerts.insert(alert(`a${i}`, item.minute, { deviceId: item.device, mac: null }));
          const incidents = repos.incidents.list({ limit: 1000 }).map((s) => s.incident);
          const filed = incidents.flatMap((i) => i.alertIds);
          expect(filed.sort()).toEqual(items.map((_, i) => `a${i}`).sort());
          for (const incident of incidents) {
            const times = incident.timeline.map((t) => t.time);
            expect(times).toEqual([...times].sort((a, b) => a - b));
            for (const id of incident.alertIds) {
              const item = items[Number(id.slice(1))]!;
              expect(incident.deviceId).toBe(item.device);
            }
          }
          db.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
