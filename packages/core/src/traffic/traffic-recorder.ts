import type { DeviceConnection } from "../profile/device-profile.js";
import { spreadOverBuckets } from "./spread.js";
import {
  DESTINATION_BUCKET_MS,
  type DestinationSample,
  type FlowDirection,
  MINUTE_MS,
  OTHER_DESTINATIONS,
  type TrafficEvent,
  type TrafficSample,
} from "./traffic-sample.js";

export interface TrafficRecorderOptions {
  /** Distinct destinations a device keeps per five minutes; the rest are summed under OTHER_DESTINATIONS (default 200). */
  destinationsPerBucket?: number;
  /**
   * How long a bucket stays in memory after the drain time passes it (default 60 min). A flow
   * is accounted when it ends, spread back over the minutes it lasted: 60 min covers the
   * longest slice, the 30-min active timeout plus the 5-min TCP idle timeout. A later part of a
   * forgotten bucket goes to the oldest bucket still held.
   */
  holdMs?: number;
  /** Only minutes this close to the drain time become events (default 60 min): a week's replay announces its last hour, not 10,080 minutes. */
  announceMs?: number;
}

/** What drain() hands to storage: samples changed since the last drain (their whole values), and the minutes to announce. */
export interface TrafficDrain {
  minutes: TrafficSample[];
  destinations: DestinationSample[];
  events: TrafficEvent[];
}

const TOP_DEVICES = 5;

/**
 * Accumulates each device's connections (ended flows, as the profile engine attributes them)
 * into per-minute samples and five-minute destination aggregates. Runs per flow end, never per
 * packet. Samples carry cumulative values: writing one again replaces the stored row, so a
 * batch retried or a sample written twice (still growing at the first drain) stays exact.
 */
export class TrafficRecorder {
  private readonly minuteSamples = new Map<string, TrafficSample>();
  private readonly destinationSamples = new Map<string, DestinationSample>();
  /** Distinct destinations per "device|bucket", for the per-bucket limit. */
  private readonly destinationCounts = new Map<string, number>();
  private readonly dirtyMinutes = new Set<string>();
  private readonly dirtyDestinations = new Set<string>();
  private readonly destinationsPerBucket: number;
  private readonly holdMs: number;
  private readonly announceMs: number;
  /** Buckets before this were handed out and forgotten. */
  private forgottenBefore = Number.NEGATIVE_INFINITY;
  /** Minutes before this were announced (or are too old to be). */
  private announcedBefore = Number.NEGATIVE_INFINITY;
  /** The latest connection end seen (ms). */
  private newestMs = Number.NEGATIVE_INFINITY;

  constructor(options: TrafficRecorderOptions = {}) {
    this.destinationsPerBucket = options.destinationsPerBucket ?? 200;
    this.holdMs = options.holdMs ?? 60 * MINUTE_MS;
    this.announceMs = options.announceMs ?? 60 * MINUTE_MS;
  }

  /** Minute samples held in memory now (for status and tests). */
  get heldMinutes(): number {
    return this.minuteSamples.size;
  }

  /** Accounts one connection of a device. */
  add(deviceId: string, c: DeviceConnection): void {
    const start = Math.max(c.start, this.forgottenBefore);
    const end = Math.max(c.end, start);
    if (end > this.newestMs) this.newestMs = end;
    const amounts = [c.bytesUp, c.bytesDown, c.packetsUp, c.packetsDown];
    spreadOverBuckets(start, end, MINUTE_MS, amounts, (minute, parts) => {
      const key = `${deviceId}|${minute}`;
      let sample = this.minuteSamples.get(key);
      if (!sample) {
        sample = { deviceId, minute, bytesUp: 0, bytesDown: 0, packetsUp: 0, packetsDown: 0, flows: 0 };
        this.minuteSamples.set(key, sample);
      }
      sample.bytesUp += parts[0]!;
      sample.bytesDown += parts[1]!;
      sample.packetsUp += parts[2]!;
      sample.packetsDown += parts[3]!;
      this.dirtyMinutes.add(key);
    });
    const endKey = `${deviceId}|${Math.floor(end / MINUTE_MS) * MINUTE_MS}`;
    this.minuteSamples.get(endKey)!.flows++;

    const direction: FlowDirection = c.outbound ? "out" : "in";
    const port = c.outbound ? c.remotePort : c.localPort;
    const endBucket = Math.floor(end / DESTINATION_BUCKET_MS) * DESTINATION_BUCKET_MS;
    spreadOverBuckets(start, end, DESTINATION_BUCKET_MS, amounts, (bucket, parts) => {
      const sample = this.destinationSample(deviceId, bucket, c.destination, c.protocol, port, direction);
      sample.bytesUp += parts[0]!;
      sample.bytesDown += parts[1]!;
      sample.packets += parts[2]! + parts[3]!;
      if (bucket === endBucket) sample.flows++;
    });
  }

  /**
   * Samples changed since the last drain, and `traffic` events for the minutes that ended by
   * `nowMs` (packet time) and were not announced yet. Buckets older than the hold are forgotten.
   */
  drain(nowMs: number): TrafficDrain {
    const events = this.announce(nowMs);
    const minutes = this.take(this.minuteSamples, this.dirtyMinutes);
    const destinations = this.take(this.destinationSamples, this.dirtyDestinations);
    const horizon = nowMs - this.holdMs;
    if (horizon > this.forgottenBefore) {
      const cut = Math.floor(horizon / DESTINATION_BUCKET_MS) * DESTINATION_BUCKET_MS;
      for (const [key, s] of this.minuteSamples) if (s.minute < cut) this.minuteSamples.delete(key);
      for (const [key, s] of this.destinationSamples) if (s.bucket < cut) this.destinationSamples.delete(key);
      for (const key of this.destinationCounts.keys()) {
        if (Number(key.slice(key.lastIndexOf("|") + 1)) < cut) this.destinationCounts.delete(key);
      }
      this.forgottenBefore = Math.max(this.forgottenBefore, cut);
    }
    return { minutes, destinations, events };
  }

  /** Everything, at the end of a capture: no more flows will come, so the last minute is complete too. */
  drainAll(): TrafficDrain {
    if (!Number.isFinite(this.newestMs)) return { minutes: [], destinations: [], events: [] };
    const end = Math.floor(this.newestMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const drained = this.drain(end);
    this.minuteSamples.clear();
    this.destinationSamples.clear();
    this.destinationCounts.clear();
    this.forgottenBefore = Math.max(this.forgottenBefore, end);
    return drained;
  }

  private destinationSample(
    deviceId: string,
    bucket: number,
    destination: string,
    protocol: string,
    port: number,
    direction: FlowDirection,
  ): DestinationSample {
    const key = `${deviceId}|${bucket}|${protocol}|${port}|${direction}|${destination}`;
    let sample = this.destinationSamples.get(key);
    if (sample) {
      this.dirtyDestinations.add(key);
      return sample;
    }
    const countKey = `${deviceId}|${bucket}`;
    const count = this.destinationCounts.get(countKey) ?? 0;
    if (count >= this.destinationsPerBucket && destination !== OTHER_DESTINATIONS) {
      return this.destinationSample(deviceId, bucket, OTHER_DESTINATIONS, "other", 0, direction);
    }
    if (destination !== OTHER_DESTINATIONS) this.destinationCounts.set(countKey, count + 1);
    sample = {
      deviceId,
      bucket,
      destination,
      protocol,
      port,
      direction,
      bytesUp: 0,
      bytesDown: 0,
      packets: 0,
      flows: 0,
    };
    this.destinationSamples.set(key, sample);
    this.dirtyDestinations.add(key);
    return sample;
  }

  private take<S>(samples: Map<string, S>, dirty: Set<string>): S[] {
    const out: S[] = [];
    for (const key of dirty) {
      const sample = samples.get(key);
      if (sample) out.push({ ...sample });
    }
    dirty.clear();
    return out;
  }

  /** Network-wide summaries of the minutes that ended by `nowMs`, oldest first. */
  private announce(nowMs: number): TrafficEvent[] {
    const endedBefore = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const from = Math.max(this.announcedBefore, endedBefore - this.announceMs);
    if (endedBefore <= from) return [];
    this.announcedBefore = endedBefore;
    const byMinute = new Map<number, TrafficEvent>();
    for (const s of this.minuteSamples.values()) {
      if (s.minute < from || s.minute >= endedBefore) continue;
      let event = byMinute.get(s.minute);
      if (!event) {
        event = {
          type: "traffic",
          time: s.minute,
          deviceId: null,
          bytesUp: 0,
          bytesDown: 0,
          packets: 0,
          flows: 0,
          devices: 0,
          topDevices: [],
        };
        byMinute.set(s.minute, event);
      }
      event.bytesUp += s.bytesUp;
      event.bytesDown += s.bytesDown;
      event.packets += s.packetsUp + s.packetsDown;
      event.flows += s.flows;
      event.devices++;
      event.topDevices.push({ deviceId: s.deviceId, bytes: s.bytesUp + s.bytesDown });
    }
    const events = [...byMinute.values()].sort((a, b) => a.time - b.time);
    for (const event of events) {
      event.topDevices.sort((a, b) => b.bytes - a.bytes || a.deviceId.localeCompare(b.deviceId));
      event.topDevices.length = Math.min(event.topDevices.length, TOP_DEVICES);
    }
    return events;
  }
}
