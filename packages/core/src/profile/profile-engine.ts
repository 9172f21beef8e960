import { type BaselineOptions, DEFAULT_BASELINE_OPTIONS, DeviceBaseline } from "../baseline/device-baseline.js";
import type { DeviceMap, DeviceState } from "../discovery/device-map.js";
import type { FlowRecord } from "../flow/flow-record.js";
import { type DeviceConnection, DeviceProfile } from "./device-profile.js";
import type { DomainParser } from "./domain-parser.js";
import { NameCache } from "./name-cache.js";

export interface ProfileEngineOptions {
  domains: DomainParser;
  baseline?: Partial<BaselineOptions>;
  /** Addresses remembered with the name a lookup gave them (default 65,536). */
  nameCacheSize?: number;
  /** Hears every connection attributed to a device (the traffic recorder). */
  onConnection?: (deviceId: string, connection: DeviceConnection) => void;
}

const PROTOCOL_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6" };
/** Parsed names kept at once; cleared when full (a home names a few thousand hosts a week). */
const DOMAINS_KEPT = 8192;

/**
 * Builds each device's profile and baseline from ended flows (and active-timeout slices of
 * long ones) and from the names it looks up. Runs per flow, not per packet: a flow is
 * attributed to the local device(s) that own its addresses, and its remote end is named by
 * the lookup that resolved it, reduced to the registrable domain.
 */
export class ProfileEngine {
  private readonly profiles = new Map<string, DeviceProfile>();
  private readonly baselines = new Map<string, DeviceBaseline>();
  private readonly names: NameCache;
  /** Name → registrable domain (or the name), as domainOf parsed it. */
  private readonly domains = new Map<string, string>();
  private readonly baselineOptions: BaselineOptions;
  /** Connections attributed, for the bench and status. */
  connectionsSeen = 0;

  constructor(
    private readonly devices: DeviceMap,
    private readonly options: ProfileEngineOptions,
  ) {
    this.names = new NameCache(options.nameCacheSize ?? 65_536);
    this.baselineOptions = { ...DEFAULT_BASELINE_OPTIONS, ...options.baseline };
  }

  /** A lookup answered `name` with `ip`: later connections to `ip` are to `name`. */
  learnName(ip: string, name: string): void {
    this.names.set(ip, name);
  }

  dnsQuery(state: DeviceState, name: string, timeMs: number): void {
    this.profileOf(state.id).addDnsQuery(name, timeMs);
  }

  tlsServerName(state: DeviceState, name: string, timeMs: number): void {
    this.profileOf(state.id).addTlsServerName(name, timeMs);
  }

  addFlow(flow: FlowRecord): void {
    if (flow.packetsOut + flow.packetsIn === 0) return;
    const protocol = PROTOCOL_NAMES[flow.protocol] ?? `ip-${flow.protocol}`;
    const initiator = this.owner(flow.srcMac, flow.srcIp);
    const responder = this.owner(flow.dstMac, flow.dstIp);
    const start = flow.firstSeenUs / 1000;
    const end = flow.lastSeenUs / 1000;
    if (initiator) {
      this.add(initiator, {
        start,
        end,
        protocol,
        ...this.destination(flow.dstIp),
        remoteIp: flow.dstIp,
        remotePort: flow.dstPort,
        localPort: flow.srcPort,
        outbound: true,
        bytesUp: flow.bytesOut,
        bytesDown: flow.bytesIn,
        packetsUp: flow.packetsOut,
        packetsDown: flow.packetsIn,
      });
    }
    if (responder && responder !== initiator) {
      this.add(responder, {
        start,
        end,
        protocol,
        ...this.destination(flow.srcIp),
        remoteIp: flow.srcIp,
        remotePort: flow.srcPort,
        localPort: flow.dstPort,
        outbound: false,
        bytesUp: flow.bytesIn,
        bytesDown: flow.bytesOut,
        packetsUp: flow.packetsIn,
        packetsDown: flow.packetsOut,
      });
    }
  }

  profile(deviceId: string): DeviceProfile | undefined {
    return this.profiles.get(deviceId);
  }

  baseline(deviceId: string): DeviceBaseline | undefined {
    return this.baselines.get(deviceId);
  }

  /** Baseline of a device, created empty when it has none yet (imports and golden profiles). */
  baselineFor(deviceId: string): DeviceBaseline {
    let baseline = this.baselines.get(deviceId);
    if (!baseline) {
      baseline = new DeviceBaseline(deviceId, this.baselineOptions);
      this.baselines.set(deviceId, baseline);
    }
    return baseline;
  }

  /** Drops baseline days past the retention. */
  purge(nowMs: number): void {
    for (const baseline of this.baselines.values()) baseline.purge(nowMs);
  }

  /** Forgets profiles (what devices did) but keeps baselines (what is normal): a new analysis. */
  resetProfiles(): void {
    this.profiles.clear();
  }

  deviceIds(): string[] {
    return [...this.profiles.keys()];
  }

  /** What a remote address is called in baselines: its lookup's registrable domain, else the address. */
  destinationOf(ip: string): string {
    const name = this.names.get(ip);
    return name ? this.domainOf(name) : ip;
  }

  /** Registrable domain when a lookup named the address, else the address. */
  private destination(ip: string): { destination: string; destinationName: string | undefined } {
    const name = this.names.get(ip);
    if (!name) return { destination: ip, destinationName: undefined };
    return { destination: this.domainOf(name), destinationName: name };
  }

  /**
   * A name's registrable domain (else the name), parsed once per name: every flow's end asks
   * for its destination, in the profiles and in four detectors, and names repeat all day.
   */
  private domainOf(name: string): string {
    let domain = this.domains.get(name);
    if (domain === undefined) {
      domain = this.options.domains.registrableDomain(name) ?? name;
      if (this.domains.size >= DOMAINS_KEPT) this.domains.clear();
      this.domains.set(name, domain);
    }
    return domain;
  }

  /** The local device behind one end of a flow: its MAC's device must own the address. */
  private owner(mac: number, ip: string): DeviceState | undefined {
    const byMac = mac > 0 ? this.devices.get(mac) : undefined;
    if (byMac?.addresses.has(ip)) return byMac;
    // Links without MACs (raw IP, cooked captures) fall back to who last used the address.
    return mac <= 0 ? this.devices.stateForIp(ip) : undefined;
  }

  private add(state: DeviceState, connection: DeviceConnection): void {
    this.connectionsSeen++;
    this.profileOf(state.id).addConnection(connection);
    this.baselineFor(state.id).addConnection(connection);
    this.options.onConnection?.(state.id, connection);
  }

  private profileOf(deviceId: string): DeviceProfile {
    let profile = this.profiles.get(deviceId);
    if (!profile) {
      profile = new DeviceProfile(deviceId, this.baselineOptions.utcOffsetMinutes);
      this.profiles.set(deviceId, profile);
    }
    return profile;
  }
}
