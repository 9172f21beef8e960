import type { DeviceConnection } from "../profile/device-profile.js";
import { part, spreadOverBuckets } from "./spread.js";
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

/** Held samples carry whether they changed since the last drain. */
type Held<S> = S & { dirty: boolean };

/** One device's held buckets: minutes by minute index (small integers hash fast), destinations by text key. */
interface DeviceBuckets {
  minutes: Map<number, Held<TrafficSample>>;
  destinations: Map<string, Held<DestinationSample>>;
  /** Distinct destinations per bucket index, for the per-bucket limit. */
  destinationCounts: Map<number, number>;
}

/**
 * Accumulates each device's connections (ended flows, as the profile engine attributes them)
 * into per-minute samples and five-minute destination aggregates. Runs per flow end, never per
 * packet. Samples carry cumulative values: writing one again replaces the stored row, so a
 * batch retried or a sample written twice (still growing at the first drain) stays exact.
 */
export class TrafficRecorder {
  private readonly devices = new Map<string, DeviceBuckets>();
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
    let held = 0;
    for (const buckets of this.devices.values()) held += buckets.minutes.size;
    return held;
  }

  /** Accounts one connection of a device. */
  add(deviceId: string, c: DeviceConnection): void {
    const start = Math.max(c.start, this.forgottenBefore);
    const end = Math.max(c.end, start);
    if (end > this.newestMs) this.newestMs = end;
    let buckets = this.devices.get(deviceId);
    if (!buckets) {
      buckets = { minutes: new Map(), destinations: new Map(), destinationCounts: new Map() };
      this.devices.set(deviceId, buckets);
    }
    const minutes = buckets.minutes;
    const { bytesUp, bytesDown, packetsUp, packetsDown } = c;
    const endMinute = Math.floor(end / MINUTE_MS) * MINUTE_MS;
    spreadOverBuckets(start, end, MINUTE_MS, (minute, from, to) => {
      const index = minute / MINUTE_MS;
      let sample = minutes.get(index);
      if (!sample) {
        sample = { deviceId, minute, bytesUp: 0, bytesDown: 0, packetsUp: 0, packetsDown: 0, flows: 0, dirty: true };
        minutes.set(index, sample);
      }
      sample.bytesUp += part(bytesUp, from, to);
      sample.bytesDown += part(bytesDown, from, to);
      sample.packetsUp += part(packetsUp, from, to);
      sample.packetsDown += part(packetsDown, from, to);
      if (minute === endMinute) sample.flows++;
      sample.dirty = true;
    });

    const direction: FlowDirection = c.outbound ? "out" : "in";
    const port = c.outbound ? c.remotePort : c.localPort;
    const packets = packetsUp + packetsDown;
    const endBucket = Math.floor(end / DESTINATION_BUCKET_MS) * DESTINATION_BUCKET_MS;
    spreadOverBuckets(start, end, DESTINATION_BUCKET_MS, (bucket, from, to) => {
      const sample = this.destinationSample(buckets, deviceId, bucket, c.destination, c.protocol, port, direction);
      sample.bytesUp += part(bytesUp, from, to);
      sample.bytesDown += part(bytesDown, from, to);
      sample.packets += part(packets, from, to);
      if (bucket === endBucket) sample.flows++;
      sample.dirty = true;
    });
  }

  /**
   * Samples changed since the last drain, and `traffic` events for the minutes that ended by
   * `nowMs` (packet time) and were not announced yet. Buckets older than the hold are forgotten.
   */
  drain(nowMs: number): TrafficDrain {
    const events = this.announce(nowMs);
    const minutes: TrafficSample[] = [];
    const destinations: DestinationSample[] = [];
    const horizon = nowMs - this.holdMs;
    const forget = horizon > this.forgottenBefore;
    const cut = Math.floor(horizon / DESTINATION_BUCKET_MS) * DESTINATION_BUCKET_MS;
    for (const [deviceId, buckets] of this.devices) {
      for (const [index, sample] of buckets.minutes) {
        if (sample.dirty) {
          sample.dirty = false;
          const { dirty: _, ...copy } = sample;
          minutes.push(copy);
        }
        if (forget && sample.minute < cut) buckets.minutes.delete(index);
      }
      for (const [key, sample] of buckets.destinations) {
        if (sample.dirty) {
          sample.dirty = false;
          const { dirty: _, ...copy } = sample;
          destinations.push(copy);
        }
        if (forget && sample.bucket < cut) buckets.destinations.delete(key);
      }
      if (forget) {
        for (const index of buckets.destinationCounts.keys())
          if (index * DESTINATION_BUCKET_MS < cut) buckets.destinationCounts.delete(index);
        if (buckets.minutes.size === 0 && buckets.destinations.size === 0) this.devices.delete(deviceId);
      }
    }
    if (forget) this.forgottenBefore = Math.max(this.forgottenBefore, cut);
    return { minutes, destinations, events };
  }

  /** Everything, at the end of a capture: no more flows will come, so the last minute is complete too. */
  drainAll(): TrafficDrain {
    if (!Number.isFinite(this.newestMs)) return { minutes: [], destinations: [], events: [] };
    const end = Math.floor(this.newestMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const drained = this.drain(end);
    this.devices.clear();
    this.forgottenBefore = Math.max(this.forgottenBefore, end);
    return drained;
  }

  private destinationSample(
    buckets: DeviceBuckets,
    deviceId: string,
    bucket: number,
    destination: string,
    protocol: string,
    port: number,
    direction: FlowDirection,
  ): Held<DestinationSample> {
    const index = bucket / DESTINATION_BUCKET_MS;
    const key = `${index}|${protocol}|${port}|${direction}|${destination}`;
    let sample = buckets.destinations.get(key);
    if (sample) return sample;
    const other = destination === OTHER_DESTINATIONS;
    const count = buckets.destinationCounts.get(index) ?? 0;
    if (!other && count >= this.destinationsPerBucket) {
      return this.destinationSample(buckets, deviceId, bucket, OTHER_DESTINATIONS, "other", 0, direction);
    }
    if (!other) buckets.destinationCounts.set(index, count + 1);
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
      dirty: true,
    };
    buckets.destinations.set(key, sample);
    return sample;
  }

  /** Network-wide summaries of the minutes that ended by `nowMs`, oldest first. */
  private announce(nowMs: number): TrafficEvent[] {
    const endedBefore = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const from = Math.max(this.announcedBefore, endedBefore - this.announceMs);
    if (endedBefore <= from) return [];
    this.announcedBefore = endedBefore;
    const byMinute = new Map<number, TrafficEvent>();
    for (const buckets of this.devices.values()) {
      for (let minute = from; minute < endedBefore; minute += MINUTE_MS) {
        const s = buckets.minutes.get(minute / MINUTE_MS);
        if (!s) continue;
        let event = byMinute.get(minute);
        if (!event) {
          event = {
            type: "traffic",
            time: minute,
            deviceId: null,
            bytesUp: 0,
            bytesDown: 0,
            packets: 0,
            flows: 0,
            devices: 0,
            topDevices: [],
          };
          byMinute.set(minute, event);
        }
        event.bytesUp += s.bytesUp;
        event.bytesDown += s.bytesDown;
        event.packets += s.packetsUp + s.packetsDown;
        event.flows += s.flows;
        event.devices++;
        event.topDevices.push({ deviceId: s.deviceId, bytes: s.bytesUp + s.bytesDown });
      }
    }
    const events = [...byMinute.values()].sort((a, b) => a.time - b.time);
    for (const event of events) {
      event.topDevices.sort((a, b) => b.bytes - a.bytes || a.deviceId.localeCompare(b.deviceId));
      event.topDevices.length = Math.min(event.topDevices.length, TOP_DEVICES);
    }
    return events;
  }
}
