import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ethernetFrame, ipv4Packet, PcapWriter, tcpSegment } from "@heimdal/core";
import { createSqliteRepositories, SqliteDatabase } from "@heimdal/platform";
import { afterAll, describe, expect, it } from "vitest";

// The built command against a real SQLite file: incidents stored by one analysis grow in the next.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = join(root, "packages/cli/bin/heimdal.js");
const scratch = mkdtempSync(join(tmpdir(), "heimdal-incidents-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SCANNER = { mac: 0x020000000050, ip: 0xc0a80132 }; // 192.168.1.50
const TARGETS = [
  { mac: 0x020000000060, ip: 0xc0a8013c }, // 192.168.1.60
  { mac: 0x020000000061, ip: 0xc0a8013d }, // 192.168.1.61
];
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0) * 1000;
const MINUTE = 60e6;

function heimdal(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A capture of the scanner SYN-scanning 300 ports of one target (which answers RST), from `startUs`. */
function scanCapture(name: string, target: (typeof TARGETS)[number], startUs: number): string {
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((bytes) => chunks.push(bytes.slice()));
  for (let port = 1; port <= 300; port++) {
    const t = startUs + port * 10_000;
    const syn = tcpSegment(SCANNER.ip, target.ip, { srcPort: 40000, dstPort: port, seq: 1, ack: 0, flags: 0x02 });
    writer.write(
      t,
      ethernetFrame(target.mac, SCANNER.mac, 0x0800, ipv4Packet({ src: SCANNER.ip, dst: target.ip, protocol: 6 }, syn)),
    );
    const rst = tcpSegment(target.ip, SCANNER.ip, { srcPort: port, dstPort: 40000, seq: 0, ack: 2, flags: 0x14 });
    writer.write(
      t + 500,
      ethernetFrame(SCANNER.mac, target.mac, 0x0800, ipv4Packet({ src: target.ip, dst: SCANNER.ip, protocol: 6 }, rst)),
    );
  }
  writer.flush();
  const path = join(scratch, name);
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

function storedIncidents(path: string) {
  const db = new SqliteDatabase(path);
  db.open();
  try {
    const repos = createSqliteRepositories(db);
    return {
      incidents: repos.incidents.list({ limit: 1000 }),
      alerts: repos.alerts.list({ limit: 1000 }).map((s) => s.alert),
    };
  } finally {
    db.close();
  }
}

describe("heimdal analyze --db stores incidents", () => {
  it("extends a stored incident with a new alert of the same device within the window, across two runs", () => {
    const db = join(scratch, "sensor.db");
    const first = heimdal("analyze", "--db", db, "--format", "json", scanCapture("scan-1.pcap", TARGETS[0]!, T0));
    expect(first.status).toBe(0);
    const firstReport = JSON.parse(first.stdout);
    const afterFirst = storedIncidents(db);
    const scanner = afterFirst.alerts.find((a) => a.type === "port_scan")!;
    expect(scanner).toBeDefined();
    const mine = afterFirst.incidents.filter((s) => s.incident.deviceId === scanner.deviceId);
    expect(mine).toHaveLength(1);
    const stored = mine[0]!.incident;
    // The stored incident is the one the analysis reported.
    const reported = firstReport.incidents.find((i: { deviceId: string }) => i.deviceId === scanner.deviceId);
    expect(stored.id).toBe(reported.id);
    // (Alerts of the same millisecond may be filed in either order.)
    expect([...stored.alertIds].sort()).toEqual([...reported.alerts].sort());

    // Ten minutes later, in another capture, the same device scans another host.
    const second = heimdal(
      "analyze",
      "--db",
      db,
      "--format",
      "json",
      scanCapture("scan-2.pcap", TARGETS[1]!, T0 + 10 * MINUTE),
    );
    expect(second.status).toBe(0);
    const afterSecond = storedIncidents(db);
    const grown = afterSecond.incidents.filter((s) => s.incident.deviceId === scanner.deviceId);
    expect(grown).toHaveLength(1);
    expect(grown[0]!.incident.id).toBe(stored.id);
    const scans = afterSecond.alerts.filter((a) => a.type === "port_scan" && a.deviceId === scanner.deviceId);
    expect(scans).toHaveLength(2);
    expect(grown[0]!.incident.alertIds).toEqual(expect.arrayContaining(scans.map((a) => a.id)));
    expect(grown[0]!.incident.alertIds.length).toBe(stored.alertIds.length + 1);
    expect(grown[0]!.incident.end).toBeGreaterThan(stored.end + 9 * 60_000);
    // The analysis's own JSON still reports only what it saw (docs/analyze-json.md).
    const secondReport = JSON.parse(second.stdout);
    const own = secondReport.incidents.find((i: { deviceId: string }) => i.deviceId === scanner.deviceId);
    expect(own.alerts).toHaveLength(1);
  });
});
