import { type Alert, alertEvent, type PacketPipeline, type RepositoryWrite } from "@heimdal/core";
import { trafficWrites } from "../traffic-writes.js";

/**
 * What a running pipeline learned since the last time it was asked, as repository writes:
 * every device record and profile (they change with each packet; the writer coalesces them
 * by id), the device events and alerts raised since, recent traffic (when the pipeline
 * records it) with a `traffic` event per minute that ended, alerts whose repeats or severity grew,
 * and — when asked, because each stored change is a new version — the baselines.
 *
 * What it hands over is taken: the BatchedWriter keeps it (bounded, counting what it drops)
 * until the database takes it.
 */
export class PipelineChanges {
  #eventsTaken = 0;
  #alertsTaken = 0;
  /** Each stored alert's repeats, severity and confidence: a change is written again. */
  readonly #alertState = new Map<string, string>();

  constructor(private readonly pipeline: PacketPipeline) {}

  writes(options: { baselines: boolean }): RepositoryWrite[] {
    const pipeline = this.pipeline;
    const writes: RepositoryWrite[] = [];
    const profiles = pipeline.profileEngine;
    for (const record of pipeline.deviceMap.records()) {
      writes.push({ kind: "device", record });
      const profile = profiles.profile(record.id);
      if (profile) writes.push({ kind: "profile", deviceId: record.id, profile: profile.toJSON() });
      const baseline = options.baselines ? profiles.baseline(record.id) : undefined;
      if (baseline) writes.push({ kind: "baseline", deviceId: record.id, baseline: baseline.toJSON() });
    }
    const events = pipeline.deviceEvents;
    for (let i = this.#eventsTaken; i < events.length; i++) writes.push({ kind: "event", event: events[i]! });
    // Recent traffic changed since the last call, and the minutes that ended (packet time).
    const nowUs = pipeline.packetTimeUs;
    if (Number.isFinite(nowUs)) writes.push(...trafficWrites(pipeline.trafficRecorder.drain(nowUs / 1000)));

    const alerts = pipeline.detectionEngine.alerts();
    alerts.forEach((alert, i) => {
      const state = alertState(alert);
      if (i < this.#alertsTaken && this.#alertState.get(alert.id) === state) return;
      writes.push({ kind: "alert", alert: { ...alert } });
      // New alerts go to the event log too, so live clients hear of them.
      if (i >= this.#alertsTaken) writes.push({ kind: "event", event: alertEvent("alert_raised", alert) });
      this.#alertState.set(alert.id, state);
    });
    this.#eventsTaken = events.length;
    this.#alertsTaken = alerts.length;
    return writes;
  }

  /**
   * After the writes were handed over: forgets what is stored and can no longer change
   * (device events, alerts past their cooldown, closed incidents), so a sensor that runs for
   * months holds only what may still change.
   */
  forgetHandedOver(): void {
    const pipeline = this.pipeline;
    pipeline.forgetDeviceEvents(this.#eventsTaken);
    this.#eventsTaken = 0;
    const nowUs = pipeline.packetTimeUs;
    if (!Number.isFinite(nowUs)) return;
    const forgotten = pipeline.detectionEngine.forgetSettled(nowUs / 1000, this.#alertsTaken);
    for (const alert of forgotten) this.#alertState.delete(alert.id);
    this.#alertsTaken -= forgotten.length;
  }
}

function alertState(alert: Alert): string {
  return `${alert.repeats}/${alert.severity}/${alert.confidence}`;
}
