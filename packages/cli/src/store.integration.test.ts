import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserSettings } from "@heimdal/core";
import { createSqliteRepositories, SqliteDatabase } from "@heimdal/platform";
import { afterAll, describe, expect, it } from "vitest";

// The built command against a real SQLite file, as a user runs it.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = join(root, "packages/cli/bin/heimdal.js");
const shared = resolve(root, "../shared/data");
const scratch = mkdtempSync(join(tmpdir(), "heimdal-store-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const schlage = join(shared, "tj-oconnor-iot/schlage-lock-01.pcap");
const lockly = join(shared, "tj-oconnor-iot/lockly-hub-01.pcap");

function heimdal(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Everything stored, as plain data (the baseline history included). */
function snapshot(path: string) {
  const db = new SqliteDatabase(path);
  db.open();
  try {
    const repos = createSqliteRepositories(db);
    const devices = repos.devices.list();
    return {
      devices,
      events: repos.events.since(0, 100_000),
      baselines: devices.map((d) => ({
        id: d.id,
        versions: repos.baselines.versions(d.id).length,
        current: repos.baselines.load(d.id)?.baseline,
      })),
      profiles: repos.profiles.list(),
    };
  } finally {
    db.close();
  }
}

describe("heimdal analyze --db and heimdal baseline", () => {
  it("stores an analysis, and analyzing the same capture again changes nothing", () => {
    const db = join(scratch, "same.db");
    expect(heimdal("analyze", "--db", db, "--format", "json", schlage).status).toBe(0);
    const first = snapshot(db);
    expect(first.devices.map((d) => d.mac).sort()).toEqual(["00:1c:7f:53:d0:28", "78:db:2f:db:43:48"]);
    expect(first.events.filter((e) => e.event.type === "device_new")).toHaveLength(2);
    const lock = first.baselines.find((b) => b.id === "dev-78db2fdb4348")!;
    expect((lock.current as { days: unknown[] }).days.length).toBeGreaterThanOrEqual(7);
    const again = heimdal("analyze", "--db", db, "--format", "json", schlage);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain("already holds these captures");
    expect(snapshot(db)).toEqual(first);
  });

  it("remembers devices across analyses: a known device is not new again", () => {
    const db = join(scratch, "known.db");
    expect(heimdal("analyze", "--db", db, schlage).status).toBe(0);
    const report = JSON.parse(heimdal("analyze", "--db", db, "--format", "json", lockly).stdout);
    // The gateway was stored from the first capture; the Lockly hub is the only new device.
    expect(
      report.events.filter((e: { type: string }) => e.type === "device_new").map((e: { mac: string }) => e.mac),
    ).toEqual(["24:6f:28:d9:a7:64"]);
    const gateway = report.devices.find((d: { mac: string }) => d.mac === "00:1c:7f:53:d0:28");
    expect(gateway.baseline.daysObserved).toBe(7);
    expect(snapshot(db).baselines.find((b) => b.id === "dev-001c7f53d028")!.versions).toBe(2);
  });

  it("exports, rolls back and imports baselines by version", () => {
    const db = join(scratch, "versions.db");
    heimdal("analyze", "--db", db, schlage);
    heimdal("analyze", "--db", db, lockly);
    const exported = join(scratch, "export.json");
    expect(heimdal("baseline", "export", "--db", db, "--out", exported).status).toBe(0);
    const versions = heimdal("baseline", "versions", "--db", db, "--device", "dev-001c7f53d028");
    expect(versions.stdout.trim().split("\n")).toHaveLength(2);
    const rollback = heimdal("baseline", "rollback", "--db", db, "--device", "dev-001c7f53d028", "--version", "1");
    expect(rollback.stdout).toContain("version 1 is current again, saved as version 3");
    const after = snapshot(db).baselines.find((b) => b.id === "dev-001c7f53d028")!;
    expect(after.versions).toBe(3);
    // Importing the export into a fresh database restores the same current baselines.
    const fresh = join(scratch, "fresh.db");
    heimdal("analyze", "--db", fresh, join(shared, "chrissanders/dhcp_nolease_initialization.pcapng"));
    expect(heimdal("baseline", "import", "--db", fresh, exported).status).toBe(0);
    const restored = snapshot(fresh);
    const original = snapshot(db);
    expect(restored.baselines.length).toBeGreaterThan(0);
    const imported = heimdal("baseline", "export", "--db", fresh, "--device", "dev-78db2fdb4348");
    expect(JSON.parse(imported.stdout).baselines[0].baseline).toEqual(
      original.baselines.find((b) => b.id === "dev-78db2fdb4348")!.current,
    );
  });

  it("stores alerts, lists them, and folds 'this was me' into the device's baseline", () => {
    const db = join(scratch, "alerts.db");
    const list = join(scratch, "list.txt");
    writeFileSync(list, "52.89.250.177\n");
    expect(heimdal("analyze", "--db", db, "--threat-list", list, schlage).status).toBe(0);
    const listed = heimdal("alerts", "list", "--db", db, "--type", "threat_intel_match");
    const id = listed.stdout.match(/alert-threat_intel_match-\S+/)?.[0];
    expect(id).toBeDefined();
    const before = snapshot(db).baselines.find((b) => b.id === "dev-78db2fdb4348")!.versions;
    const expected = heimdal("alerts", "expected", "--db", db, id!);
    expect(expected.status).toBe(0);
    expect(expected.stdout).toContain("52.89.250.177, tcp/8883 is now expected");
    const after = snapshot(db).baselines.find((b) => b.id === "dev-78db2fdb4348")!;
    expect(after.versions).toBe(before + 1);
    expect((after.current as { golden: unknown[] }).golden).toContainEqual({
      source: "user:expected",
      destinations: ["52.89.250.177"],
      ports: ["tcp/8883"],
    });
    expect(heimdal("alerts", "list", "--db", db, "--type", "threat_intel_match").stdout).toContain(
      `${id} (acknowledged)`,
    );
    expect(heimdal("alerts", "expected", "--db", db, "alert-nope").stderr).toContain('No stored alert "alert-nope"');
  });

  it("logs each stored alert as an alert_raised event, and applies exclusions stored by the API", () => {
    const db = join(scratch, "settings.db");
    const list = join(scratch, "list-2.txt");
    writeFileSync(list, "52.89.250.177\n");
    expect(heimdal("analyze", "--db", db, "--threat-list", list, schlage).status).toBe(0);
    const stored = snapshot(db);
    const raised = stored.events.filter((e) => e.event.type === "alert_raised").map((e) => e.event);
    expect(raised).toContainEqual(
      expect.objectContaining({ alertType: "threat_intel_match", deviceId: "dev-78db2fdb4348", severity: "critical" }),
    );

    // What POST /exclusions stores, in a database analyzed afterwards.
    const other = join(scratch, "settings-2.db");
    const sqlite = new SqliteDatabase(other);
    sqlite.open();
    const settings = new UserSettings(createSqliteRepositories(sqlite).kv);
    settings.putExclusion({ id: "lock-cloud", comment: "the lock's own cloud", type: "threat_intel_match" });
    sqlite.close();
    const report = JSON.parse(
      heimdal("analyze", "--db", other, "--threat-list", list, "--format", "json", schlage).stdout,
    );
    expect(report.alerts.filter((a: { type: string }) => a.type === "threat_intel_match")).toEqual([]);
    expect(report.exclusionHits).toEqual(expect.arrayContaining([expect.objectContaining({ id: "lock-cloud" })]));
  });

  it("refuses a damaged import by naming the field, and imports nothing", () => {
    const db = join(scratch, "bad.db");
    heimdal("analyze", "--db", db, schlage);
    const before = snapshot(db);
    const bad = join(scratch, "bad.json");
    const exported = JSON.parse(heimdal("baseline", "export", "--db", db).stdout);
    exported.baselines[1].baseline.days[2].hourly = [1, 2, 3];
    writeFileSync(bad, JSON.stringify(exported));
    const result = heimdal("baseline", "import", "--db", db, bad);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("baselines[1].baseline.days[2].hourly must be 24 non-negative numbers");
    expect(snapshot(db)).toEqual(before);
  });
});
