import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import {
  alertEvent,
  type BaselineJson,
  type PacketPipeline,
  parseBaselineJson,
  type Repositories,
  type RepositoryWrite,
} from "@heimdal/core";
import { createSqliteRepositories, SqliteDatabase, SqliteWriteTarget } from "@heimdal/platform";
import { trafficWrites } from "./traffic-writes.js";

/**
 * The sensor's database for `heimdal analyze --db` and `heimdal baseline`: devices, events,
 * profiles and versioned baselines in SQLite. Analyses start from what is stored (known
 * devices stay known, baselines keep learning) and store their result in one transaction.
 */
export class AnalysisStore {
  private readonly db: SqliteDatabase;
  readonly repositories: Repositories;

  constructor(readonly path: string) {
    this.db = new SqliteDatabase(path);
    this.db.open();
    this.repositories = createSqliteRepositories(this.db);
  }

  /** Known devices and their current baselines into a fresh pipeline. */
  restoreInto(pipeline: PacketPipeline): void {
    const devices = this.repositories.devices.list();
    pipeline.deviceMap.restore(devices);
    for (const device of devices) {
      const stored = this.repositories.baselines.load(device.id);
      if (stored)
        pipeline.profileEngine
          .baselineFor(device.id)
          .merge(parseBaselineJson(stored.baseline, `stored baseline of ${device.id}`));
    }
  }

  /**
   * Whether every one of these captures was stored by an earlier analysis. A ledger of what was
   * ingested makes analyzing the same capture again into the same database change nothing: its
   * devices, baselines and events are already there (a second pass would see the devices as
   * returning, not new, and store that story too).
   */
  alreadyIngested(files: readonly string[]): boolean {
    return files.every((file) => this.repositories.kv.get(ledgerKey(file)) !== undefined);
  }

  /** Everything the analysis learned, and the ledger of its captures, in one transaction. */
  save(pipeline: PacketPipeline, files: readonly string[] = []): void {
    const writes: RepositoryWrite[] = [];
    for (const file of files) {
      writes.push({
        kind: "kv",
        op: { op: "set", key: ledgerKey(file), value: { path: file, at: new Date().toISOString() } },
      });
    }
    for (const record of pipeline.deviceMap.records()) {
      writes.push({ kind: "device", record });
      const profile = pipeline.profileEngine.profile(record.id);
      if (profile) writes.push({ kind: "profile", deviceId: record.id, profile: profile.toJSON() });
      const baseline = pipeline.profileEngine.baseline(record.id);
      if (baseline) writes.push({ kind: "baseline", deviceId: record.id, baseline: baseline.toJSON() });
    }
    for (const event of pipeline.deviceEvents) writes.push({ kind: "event", event });
    for (const alert of pipeline.detectionEngine.alerts()) {
      writes.push({ kind: "alert", alert: { ...alert } });
      // In the event log too, so a live client hears of it; equal events are stored once.
      writes.push({ kind: "event", event: alertEvent("alert_raised", alert) });
    }
    writes.push(...trafficWrites(pipeline.trafficRecorder.drainAll()));
    new SqliteWriteTarget(this.db, this.repositories).apply(writes);
  }

  /** Where a BatchedWriter sends its batches: one transaction each, on this database. */
  writeTarget(): SqliteWriteTarget {
    return new SqliteWriteTarget(this.db, this.repositories);
  }

  close(): void {
    this.db.close();
  }
}

/** The export file of `heimdal baseline export`, read back by `heimdal baseline import`. */
export interface BaselineExport {
  format: "heimdal-baselines";
  formatVersion: 1;
  exportedAt: string;
  baselines: { deviceId: string; version: number; baseline: BaselineJson }[];
}

/** "ingested/<sha256 of size, first and last MiB>": the same capture under any name. */
function ledgerKey(path: string): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const hash = createHash("sha256").update(String(size));
    const chunk = Buffer.alloc(Math.min(size, 1 << 20));
    hash.update(chunk.subarray(0, readSync(fd, chunk, 0, chunk.length, 0)));
    if (size > chunk.length) hash.update(chunk.subarray(0, readSync(fd, chunk, 0, chunk.length, size - chunk.length)));
    return `ingested/${hash.digest("hex")}`;
  } finally {
    closeSync(fd);
  }
}
