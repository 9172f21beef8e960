/**
 * What the sensor's storage promises when things go wrong, on a real SQLite file:
 * - killed with SIGKILL in the middle of a replay, it keeps every commit it acknowledged, the
 *   file opens cleanly (WAL recovered), and replaying the capture again gives the state of an
 *   uninterrupted run, twice in a row (no double counting);
 * - on a full disk (a tmpfs with a size limit) it keeps running, holds a bounded, counted
 *   queue, and writes it all once there is room again;
 * - on a file system that turned read-only it does the same, reopening the file once writable.
 * The second and third need root (mount).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BatchedWriter,
  type RepositoryWrite,
  StorageUnavailableError,
  type WriterReport,
  writeKey,
} from "@heimdal/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKPOINT_KEY, runStorageSensor, type SensorCheckpoint } from "../../test/storage-sensor.js";
import { MIGRATIONS } from "./migrations.js";
import { SqliteDatabase } from "./sqlite-database.js";
import { createSqliteRepositories } from "./sqlite-repositories.js";
import { SqliteWriteTarget } from "./sqlite-write-target.js";

const here = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = resolve(here, "../../../..");
const capture = resolve(repositoryRoot, "../shared/data/bench/tj-oconnor-5dev-7day-merged.pcap");
const sensorMain = resolve(here, "../../test/storage-sensor-main.ts");
const viteNode = resolve(dirname(createRequire(import.meta.url).resolve("vite-node/package.json")), "vite-node.mjs");
const vitestConfig = resolve(repositoryRoot, "vitest.config.ts");
/** Ten minutes of packet time per commit: about 980 commits over the capture's week. */
const FLUSH_EVERY_SECONDS = 600;

const scratch = mkdtempSync(join(tmpdir(), "heimdal-durability-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface SensorRun {
  lines: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts storage-sensor-main.ts; `onLine` sees each line and may kill the child. */
function startSensor(db: string, onLine: (line: string, child: ChildProcess) => void = () => {}): SensorRun {
  const args = [viteNode, "--config", vitestConfig, sensorMain, "--", "--db", db, "--pcap", capture];
  const child = spawn(process.execPath, [...args, "--flush-every", String(FLUSH_EVERY_SECONDS)], {
    cwd: repositoryRoot,
    stdio: ["pipe", "pipe", "pipe"], // stdin stays open: vite-node ends the process when it ends
  });
  const lines: string[] = [];
  let tail = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    const parts = (tail + chunk).split("\n");
    tail = parts.pop() ?? "";
    for (const line of parts) {
      if (!/^(committed|done) \d+$/.test(line)) continue; // vite-node may print notices
      lines.push(line);
      onLine(line, child);
    }
  });
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const timeout = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) => {
    child.once("close", (code, signal) => {
      clearTimeout(timeout);
      child.stdin?.destroy();
      done({ code, signal, stderr });
    });
  });
  return { lines, exit };
}

async function runToEnd(db: string): Promise<void> {
  const run = startSensor(db);
  const exit = await run.exit;
  expect({ code: exit.code, last: run.lines.at(-1)?.split(" ")[0] }, exit.stderr.slice(-2000)).toEqual({
    code: 0,
    last: "done",
  });
}

/** Everything stored, through a fresh SqliteDatabase (which recovers the WAL), minus wall-clock columns. */
function snapshot(path: string) {
  const db = new SqliteDatabase(path);
  db.open();
  const all = (query: string) => db.run("snapshot", (sql) => sql(query).all());
  try {
    return {
      integrity: all("PRAGMA integrity_check"),
      schema: all("SELECT version, name FROM schema_version ORDER BY version"),
      devices: all("SELECT * FROM devices ORDER BY id") as { id: string; last_seen: number }[],
      events: all("SELECT * FROM events ORDER BY id") as { id: number; time: number }[],
      profiles: all("SELECT * FROM profiles ORDER BY device_id"),
      baselines: all("SELECT device_id, version, restored_from, baseline FROM baselines ORDER BY device_id, version"),
      alerts: all("SELECT * FROM alerts ORDER BY id"),
      kv: all("SELECT * FROM kv ORDER BY key") as { key: string; value: string }[],
      sequence: all("SELECT * FROM sqlite_sequence ORDER BY name"),
    };
  } finally {
    db.close();
  }
}

describe("storage durability", () => {
  it("keeps what a SIGKILLed sensor acknowledged, and a replay again changes nothing", async () => {
    const path = join(scratch, "killed.sqlite");
    const killAfter = 200;
    const killed = startSensor(path, (line, child) => {
      if (line === `committed ${killAfter}`) child.kill("SIGKILL");
    });
    const exit = await killed.exit;
    expect(exit.signal, exit.stderr.slice(-2000)).toBe("SIGKILL");
    const lastLine = killed.lines.at(-1) ?? "";
    expect(lastLine).toMatch(/^committed \d+$/); // killed mid-replay, not after it
    const acknowledged = Number(lastLine.split(" ")[1]);
    expect(acknowledged).toBeGreaterThanOrEqual(killAfter);
    expect(existsSync(`${path}-wal`)).toBe(true); // no clean close: the WAL is there to recover

    const afterKill = snapshot(path);
    expect(afterKill.integrity).toEqual([{ integrity_check: "ok" }]);
    expect(afterKill.schema).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    const checkpointRow = afterKill.kv.find((row) => row.key === CHECKPOINT_KEY);
    const checkpoint = JSON.parse(checkpointRow?.value ?? "null") as SensorCheckpoint;
    // The last line printed, or one more commit made before the line could be.
    expect([acknowledged, acknowledged + 1]).toContain(checkpoint.commit);
    expect(afterKill.events.length).toBe(checkpoint.events);
    expect(afterKill.events.length).toBeGreaterThan(0);
    expect(afterKill.devices.length).toBeGreaterThan(0);
    expect(afterKill.events.every((e) => e.time * 1000 <= checkpoint.packetTimeUs)).toBe(true);
    expect(afterKill.devices.every((d) => d.last_seen * 1000 <= checkpoint.packetTimeUs)).toBe(true);

    // The reference: the same replay, uninterrupted, into a fresh file, in this process, with
    // its state read (by a second connection) right after the commit the killed run reached.
    const referencePath = join(scratch, "reference.sqlite");
    let referenceAtKill: ReturnType<typeof snapshot> | undefined;
    await runStorageSensor({ db: referencePath, pcap: capture, flushEverySeconds: FLUSH_EVERY_SECONDS }, (line) => {
      if (line === `committed ${checkpoint.commit}`) referenceAtKill = snapshot(referencePath);
    });
    const reference = snapshot(referencePath);
    expect(reference.events.length).toBeGreaterThan(afterKill.events.length);
    expect(reference.baselines.length).toBeGreaterThan(0);
    // Exactly what the uninterrupted run had stored at that commit: devices, events, profiles, checkpoint.
    expect(afterKill).toEqual(referenceAtKill);

    // The whole capture again into the killed file: the uninterrupted state. Then once more: no change.
    await runToEnd(path);
    const resumed = snapshot(path);
    expect(resumed).toEqual(reference);
    await runToEnd(path);
    expect(snapshot(path)).toEqual(resumed);
  });

  const notRoot = process.getuid?.() === 0 ? undefined : "mounting a tmpfs needs root";
  describe.skipIf(notRoot)(
    `on a file system that fills up or turns read-only${notRoot ? ` (skipped: ${notRoot})` : ""}`,
    () => {
      let mount = "";
      beforeAll(() => {
        mount = mkdtempSync(join(tmpdir(), "heimdal-tmpfs-"));
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "heimdal-test", mount]);
      });
      afterAll(() => {
        // Lazy: detaches the mount even when a failed test left a file open on it.
        execFileSync("umount", ["--lazy", mount]);
        rmSync(mount, { recursive: true, force: true });
      });

      function writerFor(path: string, maxPending: number) {
        const db = new SqliteDatabase(path);
        const repositories = createSqliteRepositories(db);
        const reports: WriterReport[] = [];
        const writer = new BatchedWriter<RepositoryWrite>(
          {
            target: new SqliteWriteTarget(db, repositories),
            timers: { setTimeout: () => 0, clearTimeout: () => {} },
            onReport: (report) => reports.push(report),
          },
          { keyOf: writeKey, maxPending },
        );
        return { db, repositories, reports, writer };
      }
      const record = (n: number): RepositoryWrite => ({
        kind: "kv",
        op: { op: "set", key: `record/${String(n).padStart(5, "0")}`, value: { n, padding: "x".repeat(1000) } },
      });

      it("keeps a bounded, counted queue while the disk is full and writes it all when there is room", () => {
        const path = join(mount, "full.sqlite");
        const ballast = join(mount, "ballast");
        const { db, repositories, reports, writer } = writerFor(path, 50);
        try {
          let n = 0;
          for (let i = 0; i < 10; i++) writer.write(record(n++));
          expect(writer.flush()).toBe(true);
          // Leave 256 KiB: room for a few commits (the WAL takes whole 4 KiB pages), then the disk is full.
          fillFileSystem(ballast);
          truncateSync(ballast, statSync(ballast).size - 256 * 1024);

          while (writer.status().healthy && n < 5000) {
            for (let i = 0; i < 10; i++) writer.write(record(n++));
            writer.flush();
          }
          const full = writer.status();
          expect(full.healthy).toBe(false);
          expect(full.lastError).toMatch(
            /^StorageUnavailableError: Cannot write a batch of 10 records in ".*": database or disk is full \(SQLITE_FULL\)$/,
          );
          expect(full.written).toBeGreaterThan(10); // some fitted in the room left
          expect(reports.map((r) => r.kind)).toEqual(["unavailable"]);
          expect((reports[0] as { error: unknown }).error).toBeInstanceOf(StorageUnavailableError);
          const writtenBefore = full.written;

          // The outage goes on: the queue stays at 50, the oldest are dropped and counted.
          for (let i = 0; i < 100; i++) writer.write(record(n++));
          expect(writer.flush()).toBe(false);
          expect(writer.status()).toMatchObject({ healthy: false, pending: 50, written: writtenBefore, dropped: 60 });
          expect(reports.map((r) => r.kind)).toEqual(["unavailable", "dropping"]);
          // Reading goes on.
          expect(repositories.kv.get("record/00000")).toEqual({ n: 0, padding: "x".repeat(1000) });

          rmSync(ballast);
          expect(writer.flush()).toBe(true);
          const status = writer.status();
          expect(status).toMatchObject({ healthy: true, pending: 0, written: writtenBefore + 50, dropped: 60 });
          expect(status.written + status.dropped).toBe(n);
          expect(reports.map((r) => r.kind)).toEqual(["unavailable", "dropping", "recovered"]);
          const stored = repositories.kv.list<{ n: number }>("record/").map((e) => e.value.n);
          const expected = [
            ...Array.from({ length: writtenBefore }, (_, i) => i),
            ...Array.from({ length: 50 }, (_, i) => n - 50 + i),
          ];
          expect(stored).toEqual(expected);
          expect(snapshotIntegrity(db)).toBe("ok");
        } finally {
          db.close();
          rmSync(ballast, { force: true });
          rmSync(path, { force: true });
        }
      });

      it("keeps the queue while the file system is read-only and writes it once it is writable again", () => {
        const path = join(mount, "readonly.sqlite");
        const first = writerFor(path, 1000);
        first.writer.write(record(0));
        expect(first.writer.flush()).toBe(true);
        first.db.close();

        execFileSync("mount", ["-o", "remount,ro", mount]);
        let remounted = false;
        try {
          const { db, repositories, reports, writer } = writerFor(path, 1000);
          for (let i = 1; i <= 3; i++) writer.write(record(i));
          expect(writer.flush()).toBe(false);
          expect(writer.status()).toMatchObject({ healthy: false, pending: 3 });
          expect(writer.status().lastError).toMatch(/^StorageUnavailableError: .*\(SQLITE_(READONLY|CANTOPEN)\w*\)$/);
          expect(writer.flush()).toBe(false);

          execFileSync("mount", ["-o", "remount,rw", mount]);
          remounted = true;
          expect(writer.flush()).toBe(true);
          expect(reports.map((r) => r.kind)).toEqual(["unavailable", "recovered"]);
          expect(repositories.kv.list<{ n: number }>("record/").map((e) => e.value.n)).toEqual([0, 1, 2, 3]);
          db.close();
        } finally {
          if (!remounted) execFileSync("mount", ["-o", "remount,rw", mount]);
        }
      });
    },
  );
});

function snapshotIntegrity(db: SqliteDatabase): unknown {
  return db.run("check integrity", (sql) => sql("PRAGMA integrity_check").pluck().get());
}

/** Writes zeros to `file` until the file system has no byte left. */
function fillFileSystem(file: string): void {
  const fd = openSync(file, "w");
  try {
    for (const size of [65536, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}
