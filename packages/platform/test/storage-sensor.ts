/**
 * A minimal sensor for the storage durability tests (src/storage/durability.integration.test.ts):
 * replays a capture through the real pipeline and persists device records, device events and
 * profiles through a BatchedWriter into SQLite, committing every `--flush-every` seconds of
 * packet time (so every run commits at the same points), and prints "committed <n>" after each
 * successful commit. At the end it saves each device's baseline, commits, and prints "done <n>".
 *
 * The test runs it in a child process through storage-sensor-main.ts (which it kills), and
 * in its own process for the reference state.
 *
 * Each commit also stores the checkpoint kv "replay/checkpoint" = {commit, packetTimeUs,
 * events}: the commit's number, the packet time it covers, and how many distinct events were
 * queued up to it, so a test can tell what a killed run had acknowledged.
 */
import {
  BatchedWriter,
  canonicalJson,
  createDefaultClassifier,
  type DeviceEvent,
  PacketPipeline,
  type RepositoryWrite,
  writeKey,
} from "@heimdal/core";
import { ouiVendors } from "../src/data/oui-vendors.js";
import { CaptureFileProvider } from "../src/file/index.js";
import { createSqliteRepositories, SqliteDatabase, SqliteWriteTarget } from "../src/storage/index.js";

export interface SensorCheckpoint {
  commit: number;
  packetTimeUs: number;
  events: number;
}

export const CHECKPOINT_KEY = "replay/checkpoint";

export interface SensorOptions {
  db: string;
  pcap: string;
  /** Seconds of packet time between commits (default 60). */
  flushEverySeconds?: number;
  /** Packets per batch read from the file (default 16: commits land close to their time). */
  batchSize?: number;
}

/** Replays `options.pcap` into `options.db`; `say` receives each "committed <n>" / "done <n>" line. */
export async function runStorageSensor(options: SensorOptions, say: (line: string) => void): Promise<void> {
  const flushEveryUs = (options.flushEverySeconds ?? 60) * 1e6;
  const db = new SqliteDatabase(options.db);
  db.open();
  const writer = new BatchedWriter<RepositoryWrite>(
    { target: new SqliteWriteTarget(db, createSqliteRepositories(db)), timers: { setTimeout, clearTimeout } },
    // Commits follow packet time here (the writer's own timer is for live capture: not started).
    { keyOf: writeKey, maxPending: 100_000 },
  );

  const pipeline = new PacketPipeline({ classifier: createDefaultClassifier(), vendors: ouiVendors() });
  const map = pipeline.deviceMap;
  const profiles = pipeline.profileEngine;
  // The pipeline drains the device map's events into its report; tee them on the way.
  const fresh: DeviceEvent[] = [];
  const drain = map.drainEvents.bind(map);
  map.drainEvents = () => {
    const drained = drain();
    fresh.push(...drained);
    return drained;
  };

  const eventKeys = new Set<string>();
  let commits = 0;
  const commit = (packetTimeUs: number, final: boolean) => {
    for (const record of map.records()) writer.write({ kind: "device", record });
    for (const event of fresh.splice(0)) {
      eventKeys.add(canonicalJson(event));
      writer.write({ kind: "event", event });
    }
    for (const deviceId of profiles.deviceIds()) {
      writer.write({ kind: "profile", deviceId, profile: profiles.profile(deviceId)?.toJSON() ?? null });
      const baseline = profiles.baseline(deviceId);
      if (final && baseline) writer.write({ kind: "baseline", deviceId, baseline: baseline.toJSON() });
    }
    const checkpoint: SensorCheckpoint = { commit: commits + 1, packetTimeUs, events: eventKeys.size };
    writer.write({ kind: "kv", op: { op: "set", key: CHECKPOINT_KEY, value: checkpoint } });
    if (!writer.flush()) throw new Error(`Commit ${commits + 1} failed: ${writer.status().lastError}`);
    commits++;
    say(final ? `done ${commits}` : `committed ${commits}`);
  };

  const capture = new CaptureFileProvider(options.pcap, { batchSize: options.batchSize ?? 16 });
  await capture.open();
  let nextCommitUs = Number.NEGATIVE_INFINITY;
  let lastUs = 0;
  for (let batch = capture.nextBatch(); batch; batch = capture.nextBatch()) {
    pipeline.processBatch(batch);
    lastUs = batch.timestampsUs[batch.count - 1] ?? lastUs;
    if (nextCommitUs === Number.NEGATIVE_INFINITY) nextCommitUs = lastUs + flushEveryUs;
    if (lastUs >= nextCommitUs) {
      commit(lastUs, false);
      nextCommitUs = lastUs + flushEveryUs;
    }
  }
  pipeline.finish();
  await capture.close();
  commit(lastUs, true);
  writer.stop();
  db.close();
}
