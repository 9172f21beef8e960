import type { DestinationSample, FlowDirection, TrafficSample } from "../traffic/traffic-sample.js";

/** How long recent traffic is kept, counted back from the newest stored sample (packet time). */
export const TRAFFIC_RETENTION = {
  /** Per-device minutes: a week, the span of an hour-of-week comparison. */
  minutesMs: 7 * 86_400_000,
  /** Destination aggregates: a day (they are many more rows). */
  destinationsMs: 86_400_000,
  /** `traffic` events: a day; a client away longer reloads what it shows anyway. */
  eventsMs: 86_400_000,
} as const;

export interface FlowQuery {
  deviceId?: string;
  destination?: string;
  /** Buckets starting at or after this time (ms). */
  from?: number;
  /** Buckets starting before this time (ms). */
  to?: number;
  /** At most this many, most bytes first (default 100). */
  limit?: number;
  offset?: number;
}

/** A device's traffic with one destination, protocol and port, summed over the query's buckets. */
export interface FlowAggregate {
  deviceId: string;
  destination: string;
  protocol: string;
  port: number;
  direction: FlowDirection;
  bytesUp: number;
  bytesDown: number;
  packets: number;
  flows: number;
  /** Start of the first and of the last five-minute bucket with this traffic. */
  firstBucket: number;
  lastBucket: number;
}

export interface DeviceTrafficTotal {
  deviceId: string;
  bytesUp: number;
  bytesDown: number;
  packets: number;
  flows: number;
}

export interface MinuteTotal {
  minute: number;
  bytesUp: number;
  bytesDown: number;
}

/**
 * Recent traffic: per-device minutes and per-destination five-minute aggregates. Writes
 * replace the stored sample (samples carry cumulative values), so they are idempotent.
 */
export interface TrafficRepository {
  putMinute(sample: TrafficSample): void;
  putDestination(sample: DestinationSample): void;
  /** Drops minutes, destination buckets and traffic events older than TRAFFIC_RETENTION before `newestMs`. */
  prune(newestMs: number): void;
  /** Start of the newest stored minute, or null when none is stored. */
  newestMinute(): number | null;
  /** Each device's totals over minutes starting in [from, to). */
  deviceTotals(from: number, to: number): DeviceTrafficTotal[];
  /** Network-wide bytes per minute in [from, to), oldest first (minutes without traffic left out). */
  networkMinutes(from: number, to: number): MinuteTotal[];
  /** Destination aggregates matching the query, most bytes first, and how many match in all. */
  flows(query?: FlowQuery): { total: number; flows: FlowAggregate[] };
}
