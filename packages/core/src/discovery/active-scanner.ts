/**
 * Active discovery: asks the local network who is there instead of waiting for devices to
 * speak. Each round sends an mDNS query for every DNS-SD service type, an SSDP search for
 * every UPnP device, and an ARP request to every host address of the local IPv4 subnet; the
 * answers arrive through the ordinary capture path, so the device map learns from them like
 * from any other packet. Silent devices (a camera that only streams when asked, a plug that
 * keeps quiet between reports) answer ARP because their kernel must.
 *
 * When given service ports, a round then asks each station found what it serves: one TCP SYN
 * per port (a half-open probe, as nmap -sS; the sensor's kernel resets the connection when the
 * SYN+ACK comes back). A camera that answers on RTSP or a printer on 9100 says what it is even
 * when it never speaks first; the SYN+ACK is what the device map records as a server port.
 *
 * Pure core: frames go out through an injected FrameInjector and time comes from an injected
 * clock, so tests drive it with fake time and the platform layer supplies libpcap.
 */
import { formatIpv4, parseIpv4, parseMac } from "../packet/address.js";
import {
  arpPacket,
  BROADCAST_MAC,
  dnsMessage,
  ethernetFrame,
  ipv4MulticastMac,
  ipv4Packet,
  ssdpSearchPayload,
  tcpSegment,
  udpDatagram,
} from "../simulate/frame-builder.js";
import type { NetworkInfo } from "./network-info.js";

/** Sends one complete Ethernet frame; throws when it cannot (PacketInjector fits). */
export interface FrameInjector {
  inject(frame: Uint8Array): void;
}

/** Time and timers, injected: a monotonic clock and setTimeout/clearTimeout in production. */
export interface ScanClock {
  /** Milliseconds on a clock that never goes back (performance.now() in Node). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ActiveScannerOptions {
  /** Seconds from the start of one round to the start of the next (default 1800: 30 minutes). */
  intervalSeconds?: number;
  /**
   * Frames per second, for every frame of a round (default 50: a /24 sweep takes about five
   * seconds and stays far below what a home router's ARP handling notices). Capped at 1000,
   * the resolution of the timers that pace it.
   */
  packetsPerSecond?: number;
  /**
   * Largest subnet swept, in addresses (default 1024, a /22). A larger subnet is refused at
   * start() with a RangeError: sampling a part of it would read as "these are all your
   * devices" when they are not, and a full sweep of a /16 at 50/s takes 22 minutes.
   */
  maxSubnetSize?: number;
  /** Send the DNS-SD service enumeration query (default true). */
  mdnsQuery?: boolean;
  /** Send the SSDP M-SEARCH (default true). */
  ssdpSearch?: boolean;
  /**
   * TCP ports to ask every station found, one SYN each, after the sweep (default none: no
   * service probe). The ports the type rules read as server ports (RuleClassifier.probePorts).
   */
  servicePorts?: readonly number[];
  /** Seconds before the same station (by MAC) is asked for its services again (default 86400). */
  serviceProbeIntervalSeconds?: number;
}

/** A station to ask for its services: its MAC and IPv4 address, as numbers. */
export interface KnownHost {
  mac: number;
  ip: number;
}

export interface ActiveScannerComponents {
  network: NetworkInfo;
  injector: FrameInjector;
  clock: ScanClock;
  /**
   * The stations online now (the device map's), asked once per round after the sweep, so that
   * the sweep's answers are among them. Without it there is no service probe.
   */
  knownHosts?: () => readonly KnownHost[];
  /** Told when a frame cannot be sent; that round stops there and the next one runs on schedule. */
  onError?: (error: Error) => void;
}

export interface ActiveScannerHealth {
  running: boolean;
  /** Rounds started. */
  rounds: number;
  framesSent: number;
  /** Stations asked for their services (each counted once per probe). */
  hostsProbed: number;
  /** The last send failure, or null once a later round went out whole. */
  lastError: string | null;
}

export const ACTIVE_SCAN_DEFAULTS = {
  intervalSeconds: 1800,
  packetsPerSecond: 50,
  maxSubnetSize: 1024,
  serviceProbeIntervalSeconds: 86_400,
} as const;

const MAX_PACKETS_PER_SECOND = 1000;
const MAX_PROBES_PER_CALL = 64;
const MDNS_GROUP = 0xe00000fb; // 224.0.0.251 (RFC 6762)
const MDNS_PORT = 5353;
const SSDP_GROUP = 0xeffffffa; // 239.255.255.250 (UPnP Device Architecture 1.1)
const SSDP_PORT = 1900;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const UDP = 17;
const DNS_PTR = 12;
const SERVICES_META_QUERY = "_services._dns-sd._udp.local"; // RFC 6763 §9
const TCP = 6;
const TCP_SYN = 0x02;
/**
 * Source ports of service probes: above Linux's ephemeral range (32768-60999), so a probe's
 * SYN+ACK never meets a real connection of the sensor's and its kernel answers with a reset.
 */
const PROBE_SOURCE_PORT_BASE = 61_000;
const PROBE_SOURCE_PORT_SPAN = 4_000;
/** Stations asked per round at most: a /22 full of devices still paces out in minutes. */
const MAX_PROBED_HOSTS_PER_ROUND = 1024;

/** The validated plan of a scanner: who we are and which addresses a sweep asks for. */
export interface SweepPlan {
  mac: number;
  address: number;
  prefixLength: number;
  /** First and last address of the subnet. */
  network: number;
  broadcast: number;
}

/**
 * Checks that a network can be swept and returns the numbers a round needs. Throws an Error
 * naming the interface when it has no MAC or address, and a RangeError when the subnet is
 * larger than `maxSubnetSize` addresses.
 */
export function planSweep(network: NetworkInfo, maxSubnetSize: number = ACTIVE_SCAN_DEFAULTS.maxSubnetSize): SweepPlan {
  const where = `"${network.interfaceName}"`;
  const mac = network.mac === null ? undefined : parseMac(network.mac);
  if (mac === undefined) {
    throw new Error(
      `Cannot scan from ${where}: it has no Ethernet MAC address (${network.mac === null ? "none" : `"${network.mac}"`})`,
    );
  }
  const address = parseIpv4(network.ipv4.address);
  if (address === undefined)
    throw new Error(`Cannot scan from ${where}: "${network.ipv4.address}" is not an IPv4 address`);
  const prefixLength = network.ipv4.prefixLength;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new Error(`Cannot scan from ${where}: prefix length ${prefixLength} is not between 0 and 32`);
  }
  const size = 2 ** (32 - prefixLength);
  const start = Math.floor(address / size) * size;
  if (size > maxSubnetSize) {
    throw new RangeError(
      `Cannot sweep ${formatIpv4(start)}/${prefixLength} on ${where}: its ${size} addresses are more than the limit of ${maxSubnetSize} (maxSubnetSize); passive discovery still runs`,
    );
  }
  return { mac, address, prefixLength, network: start, broadcast: start + size - 1 };
}

/**
 * The addresses an ARP sweep asks for, ascending: every address of the subnet except the
 * network and broadcast addresses and our own. A /31 (RFC 3021, point to point) has neither
 * network nor broadcast address, so its other address is the one target; a /32 has none.
 */
export function* sweepTargets(plan: SweepPlan): Generator<number> {
  const edges = plan.prefixLength <= 30 ? 1 : 0;
  for (let ip = plan.network + edges; ip <= plan.broadcast - edges; ip++) {
    if (ip !== plan.address) yield ip;
  }
}

/**
 * Whether a station at `ip` may be asked anything: inside the subnet, neither its network nor
 * its broadcast address, and not ourselves. Every frame aimed at one station passes this.
 */
export function isAskable(plan: SweepPlan, ip: number): boolean {
  return ip > plan.network && ip < plan.broadcast && ip !== plan.address;
}

/** An ARP request (RFC 826) for `targetIp`, broadcast from us. */
export function arpRequestFrame(mac: number, ip: number, targetIp: number): Uint8Array {
  return ethernetFrame(BROADCAST_MAC, mac, ETHERTYPE_ARP, arpPacket(1, mac, ip, 0, targetIp));
}

/**
 * The DNS-SD service enumeration query (RFC 6763 §9: PTR _services._dns-sd._udp.local) to
 * 224.0.0.251:5353. From port 5353 with ID 0 and TTL 255 (RFC 6762 §5.2, §18.1, §11), so that
 * responders answer by multicast where every listener, the capture included, hears them.
 */
export function mdnsServicesQueryFrame(mac: number, ip: number): Uint8Array {
  const query = dnsMessage(0, 0, [{ name: SERVICES_META_QUERY, type: DNS_PTR }]);
  const udp = udpDatagram(ip, MDNS_GROUP, MDNS_PORT, MDNS_PORT, query);
  const packet = ipv4Packet({ src: ip, dst: MDNS_GROUP, protocol: UDP, ttl: 255 }, udp);
  return ethernetFrame(ipv4MulticastMac(MDNS_GROUP), mac, ETHERTYPE_IPV4, packet);
}

/**
 * An SSDP M-SEARCH for everything (ST: ssdp:all, MX: 2) to 239.255.255.250:1900 with TTL 2
 * (UDA 1.1 §1.1.2). Devices answer by unicast to the source port; sending from 1900 makes
 * those answers recognisable as SSDP by port alone, as the evidence observer expects.
 */
export function ssdpSearchFrame(mac: number, ip: number): Uint8Array {
  const udp = udpDatagram(ip, SSDP_GROUP, SSDP_PORT, SSDP_PORT, ssdpSearchPayload("ssdp:all", 2));
  const packet = ipv4Packet({ src: ip, dst: SSDP_GROUP, protocol: UDP, ttl: 2 }, udp);
  return ethernetFrame(ipv4MulticastMac(SSDP_GROUP), mac, ETHERTYPE_IPV4, packet);
}

/** One service probe: a TCP SYN from us to `port` of the station (its MAC, its address). */
export function serviceProbeFrame(
  mac: number,
  ip: number,
  targetMac: number,
  targetIp: number,
  sourcePort: number,
  port: number,
  seq: number,
): Uint8Array {
  const segment = tcpSegment(ip, targetIp, { srcPort: sourcePort, dstPort: port, seq, ack: 0, flags: TCP_SYN });
  return ethernetFrame(targetMac, mac, ETHERTYPE_IPV4, ipv4Packet({ src: ip, dst: targetIp, protocol: TCP }, segment));
}

/** Checks the ports of a service probe: whole numbers from 1 to 65535. */
function validServicePorts(ports: readonly number[]): readonly number[] {
  for (const port of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new RangeError(`Active scan servicePorts must be TCP ports from 1 to 65535, got ${port}`);
    }
  }
  return [...new Set(ports)];
}

/**
 * Periodic, rate-limited active discovery on one interface. The first round starts at
 * start(), the next ones `intervalSeconds` after the previous round began (never two at
 * once). Frames are paced one at a time, at least 1000 / packetsPerSecond ms apart on the
 * injected clock, so any second holds at most packetsPerSecond frames; a late timer never
 * leads to a burst.
 */
export class ActiveScanner {
  #running = false;
  #plan: SweepPlan | undefined;
  #frames: Iterator<Uint8Array> | undefined;
  #timer: unknown;
  #roundStartedAt = 0;
  #nextSendAt = Number.NEGATIVE_INFINITY;
  #rounds = 0;
  #framesSent = 0;
  #hostsProbed = 0;
  #lastError: string | null = null;
  #servicePorts: readonly number[] = [];
  /** When each station (by MAC) was last asked for its services, on the injected clock. */
  readonly #probedAt = new Map<number, number>();

  constructor(
    private readonly components: ActiveScannerComponents,
    private readonly options: ActiveScannerOptions = {},
  ) {}

  /** Validates the network and options (throws when they cannot be scanned) and starts the first round. */
  start(): void {
    if (this.#running) return;
    const { intervalSeconds, packetsPerSecond } = this.#settings();
    if (!(intervalSeconds > 0) || !Number.isFinite(intervalSeconds)) {
      throw new RangeError(`Active scan intervalSeconds must be a positive number, got ${intervalSeconds}`);
    }
    if (!(packetsPerSecond > 0) || !Number.isFinite(packetsPerSecond)) {
      throw new RangeError(`Active scan packetsPerSecond must be a positive number, got ${packetsPerSecond}`);
    }
    const probeEvery = this.#probeIntervalMs();
    if (!(probeEvery > 0) || !Number.isFinite(probeEvery)) {
      throw new RangeError(
        `Active scan serviceProbeIntervalSeconds must be a positive number, got ${this.options.serviceProbeIntervalSeconds}`,
      );
    }
    this.#servicePorts = validServicePorts(this.options.servicePorts ?? []);
    this.#plan = planSweep(this.components.network, this.options.maxSubnetSize ?? ACTIVE_SCAN_DEFAULTS.maxSubnetSize);
    this.#running = true;
    this.#startRound();
  }

  /**
   * Asks these addresses again at once (ARP requests), outside the schedule of rounds: devices
   * about to be declared offline. Addresses outside the subnet, ours, and more than
   * MAX_PROBES_PER_CALL are skipped, so a caller cannot make it flood. Returns frames sent.
   */
  probe(addresses: readonly number[]): number {
    const plan = this.#plan;
    if (!this.#running || !plan) return 0;
    let sent = 0;
    for (const ip of addresses) {
      if (sent >= MAX_PROBES_PER_CALL) break;
      if (!isAskable(plan, ip)) continue;
      try {
        this.components.injector.inject(arpRequestFrame(plan.mac, plan.address, ip));
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.#lastError = failure.message;
        this.components.onError?.(failure);
        break;
      }
      sent++;
      this.#framesSent++;
    }
    return sent;
  }

  /** Stops sending at once; a round in progress is abandoned. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#frames = undefined;
    if (this.#timer !== undefined) this.components.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  health(): ActiveScannerHealth {
    return {
      running: this.#running,
      rounds: this.#rounds,
      framesSent: this.#framesSent,
      hostsProbed: this.#hostsProbed,
      lastError: this.#lastError,
    };
  }

  #settings() {
    return {
      intervalSeconds: this.options.intervalSeconds ?? ACTIVE_SCAN_DEFAULTS.intervalSeconds,
      packetsPerSecond: this.options.packetsPerSecond ?? ACTIVE_SCAN_DEFAULTS.packetsPerSecond,
    };
  }

  /** Milliseconds between two frames: whole milliseconds, as timers count them. */
  #periodMs(): number {
    const rate = Math.min(this.#settings().packetsPerSecond, MAX_PACKETS_PER_SECOND);
    return Math.ceil(1000 / rate);
  }

  #startRound(): void {
    this.#rounds++;
    this.#roundStartedAt = this.components.clock.now();
    this.#frames = this.#roundFrames(this.#plan!);
    this.#sendNext();
  }

  *#roundFrames(plan: SweepPlan): Generator<Uint8Array> {
    if (this.options.mdnsQuery ?? true) yield mdnsServicesQueryFrame(plan.mac, plan.address);
    if (this.options.ssdpSearch ?? true) yield ssdpSearchFrame(plan.mac, plan.address);
    for (const target of sweepTargets(plan)) yield arpRequestFrame(plan.mac, plan.address, target);
    yield* this.#serviceProbeFrames(plan);
  }

  #probeIntervalMs(): number {
    return (this.options.serviceProbeIntervalSeconds ?? ACTIVE_SCAN_DEFAULTS.serviceProbeIntervalSeconds) * 1000;
  }

  /**
   * SYNs to every service port of each station found inside the subnet and not asked within
   * the probe interval. Runs when the round reaches it (generators are lazy), so the stations
   * that answered this round's sweep are known by then.
   */
  *#serviceProbeFrames(plan: SweepPlan): Generator<Uint8Array> {
    const knownHosts = this.components.knownHosts;
    if (this.#servicePorts.length === 0 || !knownHosts) return;
    const now = this.components.clock.now();
    const every = this.#probeIntervalMs();
    for (const [mac, at] of this.#probedAt) if (now - at >= every) this.#probedAt.delete(mac);
    const sourcePort = PROBE_SOURCE_PORT_BASE + (this.#rounds % PROBE_SOURCE_PORT_SPAN);
    let asked = 0;
    for (const host of knownHosts()) {
      if (asked >= MAX_PROBED_HOSTS_PER_ROUND) break;
      if (!isAskable(plan, host.ip)) continue;
      if (host.mac === plan.mac || this.#probedAt.has(host.mac)) continue;
      this.#probedAt.set(host.mac, now);
      this.#hostsProbed++;
      asked++;
      for (const port of this.#servicePorts) {
        const seq = (Math.imul(host.ip ^ (port << 16), 2_654_435_761) + this.#rounds) >>> 0;
        yield serviceProbeFrame(plan.mac, plan.address, host.mac, host.ip, sourcePort, port, seq);
      }
    }
  }

  #sendNext(): void {
    this.#timer = undefined;
    if (!this.#running || !this.#frames) return;
    const { clock } = this.components;
    const period = this.#periodMs();
    const now = clock.now();
    const wait = this.#nextSendAt - now;
    // A timer may fire a little early; a wait longer than one period means the clock jumped back.
    if (wait > 0 && wait <= period) {
      this.#timer = clock.setTimeout(() => this.#sendNext(), Math.ceil(wait));
      return;
    }
    const next = this.#frames.next();
    if (next.done) {
      this.#lastError = null; // a whole round went out: an earlier failure is over
      this.#endRound();
      return;
    }
    try {
      this.components.injector.inject(next.value);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.#lastError = failure.message;
      this.#endRound();
      this.components.onError?.(failure);
      return;
    }
    this.#framesSent++;
    this.#nextSendAt = now + period;
    this.#timer = clock.setTimeout(() => this.#sendNext(), period);
  }

  #endRound(): void {
    this.#frames = undefined;
    if (!this.#running) return;
    const { clock } = this.components;
    const intervalMs = this.#settings().intervalSeconds * 1000;
    const delay = Math.max(0, this.#roundStartedAt + intervalMs - clock.now());
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#running) this.#startRound();
    }, delay);
  }
}
