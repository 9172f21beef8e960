import { TopK, type TopKJson } from "./top-k.js";

/** Capacities of a profile's bounded tables; what falls out is summed in their "other" bucket. */
export interface ProfileLimits {
  destinations: number;
  ports: number;
  names: number;
}

export const DEFAULT_PROFILE_LIMITS: ProfileLimits = { destinations: 64, ports: 32, names: 64 };

/** One connection (a flow, or its active-timeout slice) seen from the device's side. */
export interface DeviceConnection {
  /** Milliseconds since the epoch, packet time. */
  start: number;
  end: number;
  protocol: string;
  /** Registrable domain when a lookup named the address, else the address itself. */
  destination: string;
  /** The full name the device looked up, when known. */
  destinationName: string | undefined;
  remoteIp: string;
  remotePort: number;
  localPort: number;
  /** The device opened the connection (false: something connected to it). */
  outbound: boolean;
  bytesUp: number;
  bytesDown: number;
  packetsUp: number;
  packetsDown: number;
}

/** The JSON form a profile is stored and exported in. */
export interface DeviceProfileJson {
  deviceId: string;
  firstSeen: number;
  lastSeen: number;
  totalPackets: number;
  totalBytes: number;
  bytesUp: number;
  bytesDown: number;
  packetsUp: number;
  packetsDown: number;
  connections: number;
  /** Bytes by hour of day (UTC + the configured offset), 24 slots. */
  hourlyActivity: number[];
  /** Bytes by hour of week (Monday 00:00 = slot 0), 168 slots. */
  hourOfWeekBytes: number[];
  hourOfWeekConnections: number[];
  protocols: Record<string, number>;
  destinations: TopKJson;
  remotePorts: TopKJson;
  localPorts: TopKJson;
  dnsNames: TopKJson;
  tlsServerNames: TopKJson;
}

const HOUR = 3_600_000;
/** 1970-01-01 was a Thursday: shift so that slot 0 is Monday 00:00. */
const MONDAY_OFFSET_HOURS = 72;

/** "tcp/443"; protocols without ports (ICMP echo keys by identifier) are just their name. */
export function portKey(protocol: string, port: number): string {
  return protocol === "tcp" || protocol === "udp" ? `${protocol}/${port}` : protocol;
}

/** Hour-of-week slot (0–167, Monday 00:00 first) of a time, in the local time given by `utcOffsetMinutes`. */
export function hourOfWeek(timeMs: number, utcOffsetMinutes = 0): number {
  const hours = Math.floor((timeMs + utcOffsetMinutes * 60_000) / HOUR) + MONDAY_OFFSET_HOURS;
  return ((hours % 168) + 168) % 168;
}

/**
 * What one device does, continuously updated: destinations, ports, protocols, names, volume
 * up and down, connections, and activity by hour of day and hour of week. Every table is
 * bounded (Space-Saving top-k with an "other" bucket), so memory per device is fixed.
 */
export class DeviceProfile {
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = Number.NEGATIVE_INFINITY;
  totalPackets = 0;
  totalBytes = 0;
  bytesUp = 0;
  bytesDown = 0;
  packetsUp = 0;
  packetsDown = 0;
  connections = 0;
  readonly hourlyActivity = new Array<number>(24).fill(0);
  readonly hourOfWeekBytes = new Array<number>(168).fill(0);
  readonly hourOfWeekConnections = new Array<number>(168).fill(0);
  readonly protocols: Record<string, number> = {};
  readonly destinations: TopK;
  readonly remotePorts: TopK;
  readonly localPorts: TopK;
  readonly dnsNames: TopK;
  readonly tlsServerNames: TopK;

  constructor(
    readonly deviceId: string,
    readonly utcOffsetMinutes = 0,
    limits: ProfileLimits = DEFAULT_PROFILE_LIMITS,
  ) {
    this.destinations = new TopK(limits.destinations);
    this.remotePorts = new TopK(limits.ports);
    this.localPorts = new TopK(limits.ports);
    this.dnsNames = new TopK(limits.names);
    this.tlsServerNames = new TopK(limits.names);
  }

  addConnection(c: DeviceConnection): void {
    const bytes = c.bytesUp + c.bytesDown;
    const packets = c.packetsUp + c.packetsDown;
    this.seen(c.start);
    this.seen(c.end);
    this.totalBytes += bytes;
    this.totalPackets += packets;
    this.bytesUp += c.bytesUp;
    this.bytesDown += c.bytesDown;
    this.packetsUp += c.packetsUp;
    this.packetsDown += c.packetsDown;
    this.connections++;
    this.protocols[c.protocol] = (this.protocols[c.protocol] ?? 0) + 1;
    this.spreadOverHours(c.start, c.end, bytes);
    this.hourOfWeekConnections[hourOfWeek(c.start, this.utcOffsetMinutes)]!++;
    this.destinations.add(c.destination, bytes, c.end);
    if (c.outbound) this.remotePorts.add(portKey(c.protocol, c.remotePort), 1, c.end);
    else this.localPorts.add(portKey(c.protocol, c.localPort), 1, c.end);
  }

  addDnsQuery(name: string, time: number): void {
    this.seen(time);
    this.dnsNames.add(name, 1, time);
  }

  addTlsServerName(name: string, time: number): void {
    this.seen(time);
    this.tlsServerNames.add(name, 1, time);
  }

  toJSON(): DeviceProfileJson {
    return {
      deviceId: this.deviceId,
      firstSeen: this.firstSeen,
      lastSeen: this.lastSeen,
      totalPackets: this.totalPackets,
      totalBytes: this.totalBytes,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
      packetsUp: this.packetsUp,
      packetsDown: this.packetsDown,
      connections: this.connections,
      hourlyActivity: [...this.hourlyActivity],
      hourOfWeekBytes: [...this.hourOfWeekBytes],
      hourOfWeekConnections: [...this.hourOfWeekConnections],
      protocols: { ...this.protocols },
      destinations: this.destinations.toJSON(),
      remotePorts: this.remotePorts.toJSON(),
      localPorts: this.localPorts.toJSON(),
      dnsNames: this.dnsNames.toJSON(),
      tlsServerNames: this.tlsServerNames.toJSON(),
    };
  }

  private seen(time: number): void {
    if (time < this.firstSeen) this.firstSeen = time;
    if (time > this.lastSeen) this.lastSeen = time;
  }

  /** Long connections spread their bytes over the hours they span, in proportion to time. */
  private spreadOverHours(start: number, end: number, bytes: number): void {
    const offset = this.utcOffsetMinutes * 60_000;
    if (end - start < HOUR / 60 || Math.floor((start + offset) / HOUR) === Math.floor((end + offset) / HOUR)) {
      this.addToHour(start, bytes);
      return;
    }
    const duration = end - start;
    let t = start;
    while (t < end) {
      const hourEnd = Math.min(end, (Math.floor((t + offset) / HOUR) + 1) * HOUR - offset);
      this.addToHour(t, (bytes * (hourEnd - t)) / duration);
      t = hourEnd;
    }
  }

  private addToHour(time: number, bytes: number): void {
    const slot = hourOfWeek(time, this.utcOffsetMinutes);
    this.hourOfWeekBytes[slot]! += bytes;
    this.hourlyActivity[slot % 24]! += bytes;
  }
}
