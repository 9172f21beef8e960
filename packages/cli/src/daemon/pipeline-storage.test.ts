import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CaptureFileProvider } from "@heimdal/platform";
import { afterAll, describe, expect, it } from "vitest";
import { AnalysisStore } from "../analysis-store.js";
import { createPipeline } from "../pipeline-factory.js";
import { componentHealth, storageTrouble } from "./component-health.js";
import { PipelineChanges } from "./pipeline-changes.js";
import { PipelineStorage } from "./pipeline-storage.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
// A real capture with ARP poisoning: devices, events and alerts.
const capture = resolve(root, "../shared/data/chrissanders/arppoison.pcapng");
const scratch = mkdtempSync(join(tmpdir(), "heimdal-pipeline-storage-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function replayed(options: Parameters<typeof createPipeline>[0] = {}) {
  const pipeline = createPipeline(options);
  const provider = new CaptureFileProvider(capture);
  let lastUs = 0;
  for (let batch = provider.nextBatch(); batch; batch = provider.nextBatch()) {
    pipeline.processBatch(batch);
    lastUs = batch.timestampsUs[batch.count - 1] ?? lastUs;
  }
  void provider.close();
  // The sensor lives on for an hour of silence: every flow ends and reaches the baselines.
  pipeline.advanceTime(lastUs + 3600e6);
  return pipeline;
}

describe.skipIf(!existsSync(capture))("PipelineChanges and PipelineStorage on a real capture and SQLite file", () => {
  it("hands each event and alert once, devices and profiles every time, baselines only when asked", () => {
    const pipeline = replayed();
    const changes = new PipelineChanges(pipeline);
    const first = changes.writes({ baselines: false });
    const kinds = (writes: typeof first) => writes.map((w) => w.kind);
    const devices = pipeline.deviceMap.records().length;
    expect(devices).toBeGreaterThan(0);
    expect(kinds(first).filter((k) => k === "device")).toHaveLength(devices);
    expect(kinds(first).filter((k) => k === "event").length).toBe(
      pipeline.deviceEvents.length + pipeline.detectionEngine.alerts().length,
    );
    expect(kinds(first).filter((k) => k === "alert")).toHaveLength(pipeline.detectionEngine.alerts().length);
    expect(pipeline.detectionEngine.alerts().length).toBeGreaterThan(0);
    expect(kinds(first)).not.toContain("baseline");

    const second = changes.writes({ baselines: true });
    expect(kinds(second)).not.toContain("event");
    expect(kinds(second)).not.toContain("alert");
    expect(kinds(second).filter((k) => k === "device")).toHaveLength(devices);
    expect(kinds(second)).toContain("baseline");

    // An alert that repeats is written again, with its new count.
    const alert = pipeline.detectionEngine.alerts()[0]!;
    (alert as { repeats: number }).repeats += 1;
    const third = changes.writes({ baselines: false });
    expect(third.filter((w) => w.kind === "alert").map((w) => (w.kind === "alert" ? w.alert.id : ""))).toEqual([
      alert.id,
    ]);
  });

  it("forgets what it handed over and can no longer change, and never hands it again", () => {
    const pipeline = replayed();
    const changes = new PipelineChanges(pipeline);
    const first = changes.writes({ baselines: false });
    const alerts = pipeline.detectionEngine.alerts().length;
    expect(pipeline.deviceEvents.length).toBeGreaterThan(0);
    expect(alerts).toBeGreaterThan(0);
    changes.forgetHandedOver();
    expect(pipeline.deviceEvents).toHaveLength(0);
    // An hour of silence followed the capture: its alerts are past their cooldown, its incidents closed.
    const cutoff = pipeline.packetTimeUs / 1000 - 3_600_000;
    expect(pipeline.detectionEngine.alerts().every((a) => a.time >= cutoff)).toBe(true);
    expect(pipeline.detectionEngine.alerts().length).toBeLessThan(alerts);
    expect(pipeline.detectionEngine.allIncidents().every((i) => i.end >= cutoff + 1_800_000)).toBe(true);
    const second = changes.writes({ baselines: false });
    expect(second.filter((w) => w.kind === "event" || w.kind === "alert")).toEqual([]);
    expect(second.filter((w) => w.kind === "device")).toHaveLength(first.filter((w) => w.kind === "device").length);
  });

  it("hands recent traffic that changed, and a traffic event per minute that ended, once", () => {
    const pipeline = replayed({ traffic: {} });
    const changes = new PipelineChanges(pipeline);
    const first = changes.writes({ baselines: false });
    const minutes = first.filter((w) => w.kind === "traffic_minute");
    expect(minutes.length).toBeGreaterThan(0);
    expect(first.some((w) => w.kind === "traffic_destination")).toBe(true);
    expect(first.filter((w) => w.kind === "event" && w.event.type === "traffic").length).toBeGreaterThan(0);
    expect(first.some((w) => w.kind === "traffic_prune")).toBe(true);
    const second = changes.writes({ baselines: false });
    expect(
      second.filter((w) => w.kind.startsWith("traffic") || (w.kind === "event" && w.event.type === "traffic")),
    ).toEqual([]);
  });

  it("writes at start and at stop, so what it learned is in the database", () => {
    const pipeline = replayed();
    const path = join(scratch, "sensor.db");
    const logs: string[] = [];
    const storage = new PipelineStorage({
      open: () => new AnalysisStore(path),
      changes: new PipelineChanges(pipeline),
      flushIntervalMs: 60_000,
      baselineIntervalMs: 3_600_000,
      log: (m) => logs.push(m),
      now: () => 0,
    });
    const raised = pipeline.detectionEngine.alerts().length;
    storage.start();
    expect(storage.status()).toMatchObject({ healthy: true, pending: 0 });
    const afterStart = new AnalysisStore(path);
    expect(afterStart.repositories.devices.list()).toHaveLength(pipeline.deviceMap.records().length);
    // Every alert is stored, including those memory then forgot (past their cooldown).
    expect(afterStart.repositories.alerts.count()).toBe(raised);
    expect(pipeline.detectionEngine.alerts().length).toBeLessThan(raised);
    afterStart.close();
    storage.stop();
    const afterStop = new AnalysisStore(path);
    const ids = pipeline.deviceMap.records().map((r) => r.id);
    // Baselines come with the final write.
    expect(ids.some((id) => afterStop.repositories.baselines.load(id) !== undefined)).toBe(true);
    afterStop.close();
    expect(logs).toEqual([]);
  });

  it("fails its start, for the supervisor to retry, when the database cannot be opened", () => {
    const storage = new PipelineStorage({
      open: () => new AnalysisStore(join(scratch, "no-such-dir", "x", "sensor.db")),
      changes: new PipelineChanges(createPipeline()),
      flushIntervalMs: 1000,
      baselineIntervalMs: 1000,
      log: () => {},
      now: () => 0,
    });
    expect(() => storage.start()).toThrow(/no-such-dir/);
    expect(storage.status()).toBeUndefined();
    storage.stop(); // idempotent, nothing to close
  });
});

describe("componentHealth", () => {
  it("maps the supervisor's states and says what went wrong", () => {
    expect(componentHealth({ name: "capture", state: "running", restarts: 0, lastError: null })).toEqual({
      name: "capture",
      state: "ok",
    });
    expect(componentHealth({ name: "capture", state: "restarting", restarts: 2, lastError: "no such device" })).toEqual(
      { name: "capture", state: "failed", detail: "restarting; restarted 2 times; last error: no such device" },
    );
    expect(
      componentHealth(
        { name: "storage", state: "running", restarts: 0, lastError: null },
        storageTrouble({
          healthy: false,
          pending: 12,
          written: 5,
          dropped: 0,
          coalesced: 0,
          failures: 3,
          lastError: "StorageUnavailableError: disk full",
        }),
      ),
    ).toEqual({
      name: "storage",
      state: "degraded",
      detail: "running: 12 records waiting, database unavailable: StorageUnavailableError: disk full",
    });
  });
});
