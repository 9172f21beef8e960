/**
 * The daemon's settings sync on a real SQLite file: what the dashboard stores (through
 * UserSettings, as the API does) reaches a running pipeline's detection at the next sync.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DetectorContext, type PacketPipeline, UserSettings } from "@heimdal/core";
import { afterAll, describe, expect, it } from "vitest";
import { AnalysisStore } from "../analysis-store.js";
import { createPipeline } from "../pipeline-factory.js";
import { SettingsSync } from "./settings-sync.js";

const scratch = mkdtempSync(join(tmpdir(), "heimdal-settings-sync-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 11, 6, 12) * 1000;

/**
 * A pipeline whose one detector raises a port_scan alert about "dev-1" at every tick (a new key
 * each time, so none is a repeat), saying the sensitivity it was given.
 */
function pipelineWithProbe(): PacketPipeline {
  let n = 0;
  const probe = (context: DetectorContext) => ({
    type: "port_scan" as const,
    tick(nowUs: number) {
      n++;
      context.raise({
        type: "port_scan",
        severity: "medium",
        confidence: 0.9,
        deviceId: "dev-1",
        mac: "02:00:00:00:00:01",
        time: nowUs / 1000,
        firstEvidence: nowUs / 1000,
        key: `probe-${n}`,
        description: "probe",
        normal: "-",
        observed: "-",
        evidence: { destination: "printer.lan", sensitivity: context.sensitivity("port_scan", "dev-1") },
      });
    },
  });
  return createPipeline({ detection: { detectors: [probe] } });
}

/** A sync of the pipeline's engine, and what it logged. */
function syncOf(pipeline: PacketPipeline, configSensitivity: string[] = []) {
  const logs: string[] = [];
  const sync = new SettingsSync({ engine: pipeline.detectionEngine, configSensitivity, log: (m) => logs.push(m) });
  return { sync, logs };
}

describe("SettingsSync", () => {
  it("applies a mute and a sensitivity stored while the sensor runs, from the next alert on", () => {
    const store = new AnalysisStore(join(scratch, "live.db"));
    try {
      const settings = new UserSettings(store.repositories.kv);
      const pipeline = pipelineWithProbe();
      const { sync, logs } = syncOf(pipeline);
      const alerts = () => pipeline.detectionEngine.alerts();
      pipeline.advanceTime(T0);
      expect(alerts()).toHaveLength(1);
      expect(alerts()[0]!.evidence.sensitivity).toBe(0.5);
      expect(sync.sync(settings)).toBe(true); // the first read: nothing stored yet, applied as is
      expect(sync.sync(settings)).toBe(false); // unchanged: nothing to do

      // The user raises the sensitivity and mutes dev-1 → printer.lan on the dashboard.
      settings.setSensitivity(["port_scan=0.9"]);
      expect(sync.sync(settings)).toBe(true);
      pipeline.advanceTime(T0 + 1_000_000);
      expect(alerts()).toHaveLength(2);
      expect(alerts()[1]!.evidence.sensitivity).toBe(0.9);
      settings.putExclusion({
        id: "mute:dev-1:printer.lan",
        comment: "mine",
        deviceId: "dev-1",
        destination: "printer.lan",
      });
      expect(sync.sync(settings)).toBe(true);
      pipeline.advanceTime(T0 + 2_000_000);
      pipeline.advanceTime(T0 + 3_000_000);
      expect(alerts()).toHaveLength(2);
      expect(pipeline.detectionEngine.sink.exclusions.map((e) => [e.id, e.hits])).toEqual([
        ["mute:dev-1:printer.lan", 2],
      ]);

      // Another exclusion is added: the mute that stays keeps its hits.
      settings.putExclusion({ id: "no-beacons", comment: "noisy", type: "beaconing" });
      expect(sync.sync(settings)).toBe(true);
      expect(pipeline.detectionEngine.sink.exclusions.map((e) => [e.id, e.hits])).toEqual([
        ["mute:dev-1:printer.lan", 2],
        ["no-beacons", 0],
      ]);

      // Unmuted again: alerts come back.
      settings.removeExclusion("mute:dev-1:printer.lan");
      expect(sync.sync(settings)).toBe(true);
      pipeline.advanceTime(T0 + 4_000_000);
      expect(alerts()).toHaveLength(3);
      expect(logs).toEqual([]);
    } finally {
      store.close();
    }
  });

  it("lets the configuration file's sensitivity win over the stored one", () => {
    const store = new AnalysisStore(join(scratch, "config-wins.db"));
    try {
      const settings = new UserSettings(store.repositories.kv);
      settings.setSensitivity(["port_scan=0.9"]);
      const pipeline = pipelineWithProbe();
      syncOf(pipeline, ["port_scan=0.2"]).sync.sync(settings);
      pipeline.advanceTime(T0);
      expect(pipeline.detectionEngine.alerts()[0]!.evidence.sensitivity).toBe(0.2);
    } finally {
      store.close();
    }
  });

  it("keeps the running settings when the stored ones do not parse, says so once, and does nothing without a database", () => {
    const store = new AnalysisStore(join(scratch, "bad.db"));
    try {
      // Written by hand around the validating API: a sensitivity out of range.
      store.repositories.kv.set("settings/sensitivity", ["port_scan=7"]);
      const pipeline = pipelineWithProbe();
      const { sync, logs } = syncOf(pipeline);
      const settings = new UserSettings(store.repositories.kv);
      expect(sync.sync(settings)).toBe(false);
      expect(sync.sync(settings)).toBe(false);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatch(/^settings: the stored settings are not applied: .*port_scan=7/);
      pipeline.advanceTime(T0);
      expect(pipeline.detectionEngine.alerts()[0]!.evidence.sensitivity).toBe(0.5);
      expect(sync.sync(undefined)).toBe(false);
    } finally {
      store.close();
    }
  });
});
