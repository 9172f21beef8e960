import { formatMac, isLocallyAdministeredMac, parseMac } from "../packet/address.js";
import { type DeviceClassifier, UNKNOWN_TYPE } from "./device-classifier.js";
import type {
  AddressSighting,
  DeviceChange,
  DeviceEvent,
  DeviceFingerprint,
  DeviceRecord,
  DeviceRole,
  DeviceType,
  HostnameSighting,
  HostnameSource,
  Inference,
} from "./device-record.js";
import { identityMatchScore, LINK_THRESHOLD } from "./identity-match.js";
import type { UpnpDescription } from "./upnp-description.js";
import type { VendorLookup } from "./vendor-lookup.js";

export interface DeviceMapOptions {
  classifier: DeviceClassifier;
  vendors: VendorLookup;
  /** Silence after which a device is offline (default 300 s). */
  offlineAfterSeconds?: number;
  /** Devices that sleep (phones, tablets, wearables) get this many times longer (default 3). */
  sleepyDeviceFactor?: number;
  /** Evidence gathered this long after the first packet goes into device_new (default 10 s). */
  newDeviceSettleSeconds?: number;
  /** A randomized MAC waits this long for identity evidence before it counts as new (default 25 s). */
  randomizedSettleSeconds?: number;
  /** The sensor's own MACs: recognised as the sensor, never as a device. */
  sensorMacs?: readonly number[];
  /** Bound on list fields of the fingerprint (newest kept). */
  fingerprintListLimit?: number;
}

type FingerprintList = {
  [K in keyof DeviceFingerprint]-?: DeviceFingerprint[K] extends string[] ? K : never;
}[keyof DeviceFingerprint];
type FingerprintValue = Exclude<keyof DeviceFingerprint, FingerprintList>;

/** Mutable state behind one DeviceRecord. */
export interface DeviceState {
  id: string;
  /**
   * The device's number in its map, 0, 1, 2 … in order of creation, never reused: per-packet
   * consumers (detectors) keep per-device state in arrays indexed by it instead of hashing.
   */
  readonly slot: number;
  mac: number;
  macs: number[];
  role: DeviceRole;
  addresses: Map<string, AddressSighting>;
  hostnames: Map<string, HostnameSighting>;
  vendor: string | null;
  type: Inference<DeviceType>;
  model: Inference | null;
  os: Inference | null;
  fingerprint: DeviceFingerprint;
  firstSeenUs: number;
  lastSeenUs: number;
  online: boolean;
  packets: number;
  bytes: number;
  /** Packets sent with a public source address: a router forwards the internet's traffic. */
  publicSourcePackets: number;
  /** Packet time of the last classification. */
  classifiedAtUs: number;
  /** Smoothed length of the silences the device came back from (0 until it has napped). */
  sleepGapUs: number;
  /** Cache of the last source address key seen, so steady traffic skips the address map. */
  lastAddressKey: number;
  announced: boolean;
  dirty: boolean;
  pending: DeviceChange[];
}

const HOSTNAME_PRIORITY: HostnameSource[] = [
  "dhcp",
  "mdns",
  "dhcp_server",
  "ssdp",
  "netbios",
  "llmnr",
  "dhcpv6",
  "dns_ptr",
];
const SLEEPY_TYPES = new Set<DeviceType>(["phone", "tablet", "wearable_scale"]);
const MAX_ADDRESSES = 32;
const MAX_HOSTNAMES = 16;
const MAX_NAME_LENGTH = 255;
/** Silences shorter than this are ordinary pauses, not naps. */
const SLEEP_GAP_FLOOR_US = 60e6;
const MAX_LEARNED_OFFLINE_US = 3600e6;
/** 30 s: evidence arrives in bursts (a DHCP join, an mDNS announcement); types settle within it. */
const RECLASSIFY_US = 30e6;
/** Entries of get()'s cache: a home has tens of devices, a small office hundreds. */
const RECENT_BITS = 8;
const RECENT_MACS = 1 << RECENT_BITS;

/**
 * The device map: one record per physical device, fed with evidence by the discovery
 * observer, in packet time. Presence, classification and events are settled in tick(), which
 * the pipeline calls about once a second of packet time, so the per-packet work is a map
 * lookup and a few counters.
 */
export class DeviceMap {
  private readonly byMac = new Map<number, DeviceState>();
  /**
   * Recent answers of get(), direct-mapped by MAC: detectors ask for each packet's receiver,
   * and a MAC is a 48-bit key that Map hashes slowly (measured: a one-entry memo hit only a
   * third of the receiver lookups on a five-device week). Cleared by every byMac change.
   */
  private readonly recentMacs = new Float64Array(RECENT_MACS).fill(Number.NaN);
  private readonly recentStates = new Array<DeviceState | undefined>(RECENT_MACS).fill(undefined);
  /** Slots are never reused: a state linked into another leaves the list, not its number. */
  private nextSlot = 0;
  /** Latest owner of each local address (addresses move between devices over time). */
  private readonly byIp = new Map<string, DeviceState>();
  private readonly states: DeviceState[] = [];
  private readonly events: DeviceEvent[] = [];
  private readonly gatewayIps = new Set<string>();
  /** Gateway MACs known before their first packet (from the routing table). */
  private readonly gatewayMacs = new Set<number>();
  private readonly sensorMacs: Set<number>;
  private readonly offlineAfterUs: number;
  private readonly sleepyFactor: number;
  private readonly settleUs: number;
  private readonly randomizedSettleUs: number;
  private readonly listLimit: number;
  private explicitGateway = false;

  constructor(private readonly options: DeviceMapOptions) {
    this.offlineAfterUs = (options.offlineAfterSeconds ?? 300) * 1e6;
    this.sleepyFactor = options.sleepyDeviceFactor ?? 3;
    this.settleUs = (options.newDeviceSettleSeconds ?? 10) * 1e6;
    this.randomizedSettleUs = (options.randomizedSettleSeconds ?? 25) * 1e6;
    this.sensorMacs = new Set(options.sensorMacs ?? []);
    this.listLimit = options.fingerprintListLimit ?? 16;
  }

  get size(): number {
    return this.states.length;
  }

  /** Presence: a unicast source MAC sent a packet. Returns its state (created when new). */
  sawPacket(mac: number, timestampUs: number, wireLength: number): DeviceState {
    let state = this.byMac.get(mac);
    if (!state) {
      state = this.create(mac, timestampUs);
    } else {
      const gap = timestampUs - state.lastSeenUs;
      // Learn how long this device naps: the silences it comes back from, smoothed.
      if (gap > SLEEP_GAP_FLOOR_US)
        state.sleepGapUs = state.sleepGapUs === 0 ? gap : state.sleepGapUs * 0.7 + gap * 0.3;
      if (!state.online) {
        state.online = true;
        if (state.announced) this.emit("device_online", state, timestampUs);
      }
    }
    state.packets++;
    state.bytes += wireLength;
    if (timestampUs > state.lastSeenUs) state.lastSeenUs = timestampUs;
    return state;
  }

  /** A device by its id (linear: for rare lookups such as filling in an alert). */
  findById(id: string): DeviceState | undefined {
    return this.states.find((s) => s.id === id);
  }

  /** The device that most recently used a local address. */
  stateForIp(ip: string): DeviceState | undefined {
    return this.byIp.get(ip);
  }

  /** The state of a MAC, if it was ever seen. */
  get(mac: number): DeviceState | undefined {
    // The low 32 bits and the high 16, mixed: a cheap hash that spreads one vendor's MACs.
    // (A multiplication by 2^-32 takes the high bits exactly, and costs less than a division.)
    const high = ((mac - (mac >>> 0)) * 2.3283064365386963e-10) | 0;
    const i = Math.imul((mac | 0) ^ Math.imul(high, 0x27d4eb2d), 0x9e3779b1) >>> (32 - RECENT_BITS);
    if (this.recentMacs[i] === mac) return this.recentStates[i];
    const state = this.byMac.get(mac);
    this.recentMacs[i] = mac;
    this.recentStates[i] = state;
    return state;
  }

  private forgetRecent(): void {
    this.recentMacs.fill(Number.NaN);
  }

  addAddress(state: DeviceState, ip: string, timestampUs: number): void {
    const time = timestampUs / 1000;
    const known = state.addresses.get(ip);
    if (known) {
      if (time > known.lastSeen) known.lastSeen = time;
      return;
    }
    const previous = latest(state.addresses.values());
    state.addresses.set(ip, { ip, firstSeen: time, lastSeen: time });
    this.byIp.set(ip, state);
    trimOldest(state.addresses, MAX_ADDRESSES);
    if (this.gatewayIps.has(ip)) this.setRole(state, "gateway");
    if (state.announced) state.pending.push({ field: "ip", from: previous?.ip ?? null, to: ip });
  }

  addHostname(state: DeviceState, rawName: string, source: HostnameSource, timestampUs: number): void {
    const name = normaliseName(rawName);
    if (name === "") return;
    const time = timestampUs / 1000;
    const key = `${source}\u0000${name.toLowerCase()}`;
    const known = state.hostnames.get(key);
    if (known) {
      if (time > known.lastSeen) known.lastSeen = time;
      return;
    }
    const before = bestHostname(state);
    state.hostnames.set(key, { name, source, firstSeen: time, lastSeen: time });
    trimOldest(state.hostnames, MAX_HOSTNAMES);
    state.dirty = true;
    const after = bestHostname(state);
    if (state.announced && after !== before) state.pending.push({ field: "hostname", from: before, to: after });
  }

  setFingerprint<K extends FingerprintValue>(state: DeviceState, key: K, value: DeviceFingerprint[K]): void {
    if (state.fingerprint[key] === value) return;
    state.fingerprint[key] = value;
    state.dirty = true;
  }

  addFingerprintItem(state: DeviceState, key: FingerprintList, rawValue: string): void {
    const value = rawValue.length > MAX_NAME_LENGTH ? rawValue.slice(0, MAX_NAME_LENGTH) : rawValue;
    const list = state.fingerprint[key];
    const at = list.indexOf(value);
    if (at === list.length - 1 && at >= 0) return;
    if (at >= 0) list.splice(at, 1);
    list.push(value);
    if (list.length > this.listLimit) list.shift();
    // Destinations inform the type, but each new one need not reclassify at once.
    state.dirty = true;
  }

  /**
   * What the device's UPnP description says (fetched by the active scan): its friendly name as
   * an `ssdp` name, maker and model, and its device type.
   */
  addUpnpDescription(state: DeviceState, description: UpnpDescription, timestampUs: number): void {
    if (description.friendlyName) this.addHostname(state, description.friendlyName, "ssdp", timestampUs);
    const model = [description.manufacturer, description.modelName].filter((v) => v !== null).join(" ");
    if (model !== "") this.addFingerprintItem(state, "upnpModels", model);
    if (description.deviceType && /^urn:[^:]+:device:/i.test(description.deviceType))
      this.addFingerprintItem(state, "ssdpDeviceTypes", description.deviceType);
  }

  /** An address announced as the router (DHCP option 3, IPv6 router advertisement). */
  addGatewayIp(ip: string): void {
    if (this.gatewayIps.has(ip)) return;
    this.gatewayIps.add(ip);
    for (const state of this.states) if (state.addresses.has(ip)) this.setRole(state, "gateway");
  }

  /** A MAC known to be the gateway's (from the routing table and ARP, or a router advertisement). */
  markGateway(mac: number): void {
    this.gatewayMacs.add(mac);
    const state = this.byMac.get(mac);
    if (state) this.setRole(state, "gateway");
    this.explicitGateway = true;
  }

  /**
   * Settles what waited for evidence: announces new devices (after linking randomized MACs to
   * known identities), reclassifies devices whose evidence changed, reports changes, and marks
   * silent devices offline.
   */
  tick(nowUs: number): void {
    for (let i = 0; i < this.states.length; i++) {
      const state = this.states[i]!;
      if (!state.announced) {
        const randomized = isLocallyAdministeredMac(state.mac);
        const settle = randomized ? this.randomizedSettleUs : this.settleUs;
        if (nowUs - state.firstSeenUs < settle) continue;
        if (randomized && this.linkToKnownIdentity(state, nowUs)) {
          i--; // the state was removed from the list
          continue;
        }
        this.classify(state);
        state.classifiedAtUs = nowUs;
        state.announced = true;
        state.pending.length = 0;
        this.emit("device_new", state, state.firstSeenUs);
        continue;
      }
      // New evidence is folded in at most every RECLASSIFY_US: a device querying new names
      // every second would otherwise rerun every rule every second.
      if (state.dirty && nowUs - state.classifiedAtUs >= RECLASSIFY_US) {
        const before = state.type.value;
        this.classify(state);
        state.classifiedAtUs = nowUs;
        if (state.type.value !== before && before !== "unknown") {
          state.pending.push({ field: "type", from: before, to: state.type.value });
        }
      }
      if (state.pending.length > 0) {
        this.emit("device_changed", state, nowUs, state.pending.splice(0));
      }
      const offlineAfter = this.offlineAfter(state);
      if (state.online && nowUs - state.lastSeenUs > offlineAfter) {
        state.online = false;
        // Stamped when the silence passed the limit, not when a later packet revealed it.
        this.emit("device_offline", state, state.lastSeenUs + offlineAfter);
      }
    }
    if (!this.explicitGateway && this.gatewayIps.size === 0) this.inferGatewayFromTraffic();
  }

  /**
   * IPv4 addresses worth asking again (an ARP request) before their device is declared
   * offline: online devices silent for more than half their offline timeout. A device that
   * only ever answers the sweep would otherwise flap offline between sweeps; one that is
   * really gone does not answer and goes offline on time.
   */
  addressesToReprobe(nowUs: number): string[] {
    const addresses: string[] = [];
    for (const state of this.states) {
      if (!state.online || state.role === "sensor") continue;
      if (nowUs - state.lastSeenUs <= this.offlineAfter(state) / 2) continue;
      const newest = latest([...state.addresses.values()].filter((a) => a.ip.includes(".")));
      if (newest) addresses.push(newest.ip);
    }
    return addresses;
  }

  /** The TCP ports worth asking each station (the classifier's probePorts), none if it has none. */
  servicePorts(): number[] {
    return this.options.classifier.probePorts?.() ?? [];
  }

  /**
   * Stations online now, each with its MAC and newest IPv4 address: what an active service
   * probe asks. Not the sensor; those still settling are included, so that a station that
   * answered this round's sweep is asked in the same round.
   */
  onlineHosts(): { mac: number; ip: string }[] {
    const hosts: { mac: number; ip: string }[] = [];
    for (const state of this.states) {
      if (!state.online || state.role === "sensor") continue;
      const newest = latest([...state.addresses.values()].filter((a) => a.ip.includes(".")));
      if (newest) hosts.push({ mac: state.mac, ip: newest.ip });
    }
    return hosts;
  }

  /** Announces everything still settling (end of a replay). */
  flush(nowUs: number): void {
    // Evidence still waiting for its next reclassification is folded in now.
    for (const state of this.states) if (state.dirty) state.classifiedAtUs = Number.NEGATIVE_INFINITY;
    this.tick(Math.max(nowUs, ...this.states.map((s) => s.firstSeenUs + this.randomizedSettleUs)));
  }

  /** Events since the last call, oldest first. */
  drainEvents(): DeviceEvent[] {
    return this.events.splice(0);
  }

  records(): DeviceRecord[] {
    return this.states.filter((s) => s.announced).map((s) => toRecord(s));
  }

  /**
   * Brings back devices stored by an earlier run: they are known (never device_new again) and
   * offline until they send a packet (then device_online).
   */
  restore(records: readonly DeviceRecord[]): void {
    for (const record of records) {
      const macs = record.macs.map((m) => parseMac(m)).filter((m): m is number => m !== undefined);
      const mac = parseMac(record.mac);
      if (mac === undefined || macs.some((m) => this.byMac.has(m))) continue;
      const state: DeviceState = {
        id: record.id,
        slot: this.nextSlot++,
        mac,
        macs,
        role: this.sensorMacs.has(mac) ? "sensor" : record.role,
        addresses: new Map(record.addresses.map((a) => [a.ip, { ...a }])),
        hostnames: new Map(record.hostnames.map((h) => [`${h.source}\u0000${h.name.toLowerCase()}`, { ...h }])),
        vendor: record.vendor,
        type: record.type,
        model: record.model,
        os: record.os,
        fingerprint: { ...emptyFingerprint(), ...structuredCloneFingerprint(record.fingerprint) },
        firstSeenUs: record.firstSeen * 1000,
        lastSeenUs: record.lastSeen * 1000,
        online: false,
        packets: 0,
        bytes: 0,
        publicSourcePackets: 0,
        classifiedAtUs: Number.NEGATIVE_INFINITY,
        sleepGapUs: 0,
        lastAddressKey: -1,
        announced: true,
        dirty: false,
        pending: [],
      };
      for (const m of macs) this.byMac.set(m, state);
      this.forgetRecent();
      for (const ip of state.addresses.keys()) this.byIp.set(ip, state);
      if (state.role === "gateway") this.explicitGateway = true;
      this.states.push(state);
    }
  }

  /** Zeroes per-device packet and byte counters (a new analysis after learning). */
  resetCounters(): void {
    for (const state of this.states) {
      state.packets = 0;
      state.bytes = 0;
    }
  }

  /** Counts a packet with a public source address sent by this station. */
  notePublicSource(state: DeviceState): void {
    state.publicSourcePackets++;
  }

  private create(mac: number, timestampUs: number): DeviceState {
    const randomized = isLocallyAdministeredMac(mac);
    const state: DeviceState = {
      // Derived from the first MAC, so the same device has the same id in every run and database.
      id: `dev-${formatMac(mac).replaceAll(":", "")}`,
      slot: this.nextSlot++,
      mac,
      macs: [mac],
      role: this.sensorMacs.has(mac) ? "sensor" : this.gatewayMacs.has(mac) ? "gateway" : "device",
      addresses: new Map(),
      hostnames: new Map(),
      vendor: randomized ? null : (this.options.vendors.vendorOf(mac) ?? null),
      type: UNKNOWN_TYPE,
      model: null,
      os: null,
      fingerprint: emptyFingerprint(),
      firstSeenUs: timestampUs,
      lastSeenUs: timestampUs,
      online: true,
      packets: 0,
      bytes: 0,
      publicSourcePackets: 0,
      classifiedAtUs: Number.NEGATIVE_INFINITY,
      sleepGapUs: 0,
      lastAddressKey: -1,
      announced: false,
      dirty: true,
      pending: [],
    };
    this.byMac.set(mac, state);
    this.forgetRecent();
    this.states.push(state);
    return state;
  }

  /** Folds a randomized MAC into an earlier device with the same identity; true when linked. */
  private linkToKnownIdentity(state: DeviceState, nowUs: number): boolean {
    let best: DeviceState | undefined;
    let bestScore = 0;
    for (const candidate of this.states) {
      // The same device cannot be online on two MACs at once.
      if (candidate === state || !candidate.announced || candidate.lastSeenUs >= state.firstSeenUs) continue;
      const score = identityMatchScore(candidate, state);
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    if (!best || bestScore < LINK_THRESHOLD) return false;
    const previousMac = formatMac(best.mac);
    best.macs.push(state.mac);
    best.mac = state.mac;
    best.vendor = null;
    for (const [ip, sighting] of state.addresses) if (!best.addresses.has(ip)) best.addresses.set(ip, sighting);
    for (const [key, sighting] of state.hostnames) if (!best.hostnames.has(key)) best.hostnames.set(key, sighting);
    mergeFingerprint(best.fingerprint, state.fingerprint, this.listLimit);
    best.packets += state.packets;
    best.bytes += state.bytes;
    best.lastSeenUs = Math.max(best.lastSeenUs, state.lastSeenUs);
    best.dirty = true;
    this.byMac.set(state.mac, best);
    this.forgetRecent();
    for (const ip of state.addresses.keys()) this.byIp.set(ip, best);
    this.states.splice(this.states.indexOf(state), 1);
    if (!best.online) {
      best.online = true;
      this.emit("device_online", best, state.firstSeenUs);
    }
    this.emit("device_changed", best, nowUs, [{ field: "mac", from: previousMac, to: formatMac(state.mac) }]);
    return true;
  }

  private classify(state: DeviceState): void {
    state.dirty = false;
    const result = this.options.classifier.classify({
      mac: formatMac(state.mac),
      vendor: state.vendor,
      randomizedMac: isLocallyAdministeredMac(state.mac),
      hostnames: [...state.hostnames.values()].map((h) => h.name),
      fingerprint: state.fingerprint,
    });
    state.type = result.type;
    state.model = result.model;
    state.os = result.os;
    if (state.role === "gateway" && state.type.value === "unknown") {
      state.type = { value: "router", confidence: 0.6, evidence: ["role:gateway"] };
    }
  }

  private setRole(state: DeviceState, role: DeviceRole): void {
    if (state.role === "sensor" || state.role === role) return;
    state.role = role;
    state.dirty = true;
  }

  /**
   * Without DHCP or a routing table (a replayed capture), the gateway is the station that
   * forwards the internet: most packets with public source addresses come from its MAC.
   */
  private inferGatewayFromTraffic(): void {
    let best: DeviceState | undefined;
    let total = 0;
    for (const state of this.states) {
      total += state.publicSourcePackets;
      if (!best || state.publicSourcePackets > best.publicSourcePackets) best = state;
    }
    if (!best || best.publicSourcePackets < 10 || best.publicSourcePackets < total / 2) return;
    for (const state of this.states) if (state !== best && state.role === "gateway") state.role = "device";
    this.setRole(best, "gateway");
  }

  /**
   * The silence after which a device counts as offline: the configured timeout, longer for
   * types that sleep, and at least three of its usual naps (capped at an hour) for a device
   * that has shown it wakes up regularly — a battery lock that checks in every ten minutes is
   * not offline between check-ins.
   */
  private offlineAfter(state: DeviceState): number {
    const base = SLEEPY_TYPES.has(state.type.value) ? this.offlineAfterUs * this.sleepyFactor : this.offlineAfterUs;
    return Math.max(base, Math.min(3 * state.sleepGapUs, MAX_LEARNED_OFFLINE_US));
  }

  private emit(type: DeviceEvent["type"], state: DeviceState, timestampUs: number, changes?: DeviceChange[]): void {
    const event: DeviceEvent = {
      type,
      time: Math.floor(timestampUs / 1000),
      deviceId: state.id,
      mac: formatMac(state.mac),
    };
    if (changes) event.changes = changes;
    this.events.push(event);
  }
}

export function emptyFingerprint(): DeviceFingerprint {
  return {
    mdnsServices: [],
    mdnsNames: [],
    mdnsModels: [],
    ssdpServers: [],
    userAgents: [],
    ja4: [],
    tlsServerNames: [],
    dnsNames: [],
    netbiosNames: [],
    ssdpDeviceTypes: [],
    serverPorts: [],
    broadcastPorts: [],
    upnpModels: [],
    httpServers: [],
  };
}

/** The name a person would recognise: by source priority, then the most recent. */
export function bestHostname(state: Pick<DeviceState, "hostnames">): string | null {
  let best: HostnameSighting | undefined;
  for (const sighting of state.hostnames.values()) {
    if (!best) {
      best = sighting;
      continue;
    }
    const rank = HOSTNAME_PRIORITY.indexOf(sighting.source);
    const bestRank = HOSTNAME_PRIORITY.indexOf(best.source);
    if (rank < bestRank || (rank === bestRank && sighting.lastSeen > best.lastSeen)) best = sighting;
  }
  return best?.name ?? null;
}

function toRecord(state: DeviceState): DeviceRecord {
  return {
    id: state.id,
    mac: formatMac(state.mac),
    macs: state.macs.map(formatMac),
    randomizedMac: isLocallyAdministeredMac(state.mac),
    role: state.role,
    addresses: [...state.addresses.values()].map((a) => ({ ...a })),
    hostnames: [...state.hostnames.values()].map((h) => ({ ...h })),
    vendor: state.vendor,
    type: state.type,
    model: state.model,
    os: state.os,
    fingerprint: structuredCloneFingerprint(state.fingerprint),
    firstSeen: Math.floor(state.firstSeenUs / 1000),
    lastSeen: Math.floor(state.lastSeenUs / 1000),
    online: state.online,
    packets: state.packets,
    bytes: state.bytes,
  };
}

function structuredCloneFingerprint(f: DeviceFingerprint): DeviceFingerprint {
  const copy: DeviceFingerprint = { ...f };
  for (const key of Object.keys(copy) as (keyof DeviceFingerprint)[]) {
    const value = copy[key];
    if (Array.isArray(value)) (copy as unknown as Record<string, unknown>)[key] = [...value];
  }
  return copy;
}

function mergeFingerprint(into: DeviceFingerprint, from: DeviceFingerprint, limit: number): void {
  for (const key of Object.keys(from) as (keyof DeviceFingerprint)[]) {
    const value = from[key];
    if (Array.isArray(value)) {
      const list = into[key] as string[];
      for (const item of value) if (!list.includes(item)) list.push(item);
      while (list.length > limit) list.shift();
    } else if (value !== undefined && into[key] === undefined) {
      (into as unknown as Record<string, unknown>)[key] = value;
    }
  }
}

/** Names are attacker-controlled: keep them as text, bounded, without control characters. */
function normaliseName(raw: string): string {
  let name = "";
  for (const ch of raw) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) continue;
    name += ch;
    if (name.length >= MAX_NAME_LENGTH) break;
  }
  return name.replace(/\.+$/, "").trim();
}

function latest(sightings: Iterable<AddressSighting>): AddressSighting | undefined {
  let best: AddressSighting | undefined;
  for (const s of sightings) if (!best || s.lastSeen > best.lastSeen) best = s;
  return best;
}

function trimOldest<V extends { lastSeen: number }>(map: Map<string, V>, limit: number): void {
  while (map.size > limit) {
    let oldestKey: string | undefined;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [key, value] of map) {
      if (value.lastSeen < oldest) {
        oldest = value.lastSeen;
        oldestKey = key;
      }
    }
    if (oldestKey === undefined) return;
    map.delete(oldestKey);
  }
}
