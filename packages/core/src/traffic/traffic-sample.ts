/**
 * Recent traffic at a fine grain, as the sensor stores it next to the profiles: per device and
 * minute, and per device, destination and five minutes. Profiles and baselines say what is
 * usual over days; these say what happens now.
 */

/** A device's minute samples: the minute's start (ms since the epoch, packet time) is the key. */
export const MINUTE_MS = 60_000;
/** Destination aggregates are coarser: a port scan makes thousands of destinations a minute. */
export const DESTINATION_BUCKET_MS = 5 * MINUTE_MS;

/** One device's traffic in one minute, from the flows (and flow slices) it took part in. */
export interface TrafficSample {
  deviceId: string;
  /** Start of the minute, ms since the epoch (packet time). */
  minute: number;
  bytesUp: number;
  bytesDown: number;
  packetsUp: number;
  packetsDown: number;
  /** Flows (or active-timeout slices of long ones) that ended in this minute. */
  flows: number;
}

/** "out": the device opened the connection; "in": something opened one to it. */
export type FlowDirection = "out" | "in";

/** One device's traffic with one destination, protocol and service port in five minutes. */
export interface DestinationSample {
  deviceId: string;
  /** Start of the five-minute bucket, ms since the epoch. */
  bucket: number;
  /** Registrable domain when a lookup named the address, else the address; OTHER_DESTINATIONS for the overflow. */
  destination: string;
  /** "tcp", "udp", "icmp", … */
  protocol: string;
  /** The service port: the remote one for "out", the device's own for "in" (0 for the overflow). */
  port: number;
  direction: FlowDirection;
  bytesUp: number;
  bytesDown: number;
  packets: number;
  flows: number;
}

/**
 * Where a device's destinations beyond the per-bucket limit are summed: a scan of thousands of
 * addresses stays a bounded number of rows, and its bytes still count.
 */
export const OTHER_DESTINATIONS = "(other destinations)";

/**
 * The `traffic` event of the live stream: one network-wide minute, once packet time has left
 * it. Figures are those of the flows ended by then; a long flow that ends later adds to the
 * stored samples of that minute, not to this event.
 */
export interface TrafficEvent {
  type: "traffic";
  /** Start of the minute (ms since the epoch). */
  time: number;
  deviceId: null;
  bytesUp: number;
  bytesDown: number;
  packets: number;
  flows: number;
  /** Devices with traffic in the minute. */
  devices: number;
  /** The busiest devices of the minute, most bytes first (at most five). */
  topDevices: { deviceId: string; bytes: number }[];
}
