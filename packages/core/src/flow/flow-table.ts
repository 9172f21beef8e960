import { formatIp } from "../packet/address.js";
import { type DecodedPacket, IpProtocol, TcpFlag } from "../packet/decoded-packet.js";
import type { FlowProgress, FlowProgressListener } from "./flow-progress.js";
import type { FlowEndReason, FlowRecord } from "./flow-record.js";

export interface FlowTimeouts {
  /** Idle timeout of an open TCP connection. */
  tcpSeconds: number;
  /** Idle timeout once a TCP connection saw RST or FIN from both sides. */
  tcpClosedSeconds: number;
  udpSeconds: number;
  /** ICMP and other IP protocols. */
  otherSeconds: number;
  /** A long-lived flow is reported and restarted after this long (like NetFlow's active timeout). */
  activeSeconds: number;
}

export interface FlowTableOptions {
  /** Live flows at most; when full, the longest-idle flow is evicted (and counted). */
  maxFlows?: number;
  timeouts?: Partial<FlowTimeouts>;
}

export interface FlowTableStats {
  created: number;
  /** Ended by an idle timeout. */
  expired: number;
  /** Ended early because the table was full. */
  evicted: number;
  /** Reported and restarted by the active timeout. */
  activeTimeouts: number;
}

/** Defaults follow common exporters: Zeek's 5-min TCP inactivity, a minute for UDP/ICMP. */
export const DEFAULT_FLOW_TIMEOUTS: FlowTimeouts = {
  tcpSeconds: 300,
  tcpClosedSeconds: 10,
  udpSeconds: 60,
  otherSeconds: 60,
  activeSeconds: 1800,
};

const CLASS_TCP = 0;
const CLASS_TCP_CLOSED = 1;
const CLASS_UDP = 2;
const CLASS_OTHER = 3;
const CLASSES = 4;
const NONE = -1;
const FIN_FWD = 1;
const FIN_REV = 2;

/**
 * Bidirectional flows keyed by the 5-tuple (ICMP echo by its identifier, other ICMP by type
 * and code), stored as parallel typed arrays so the per-packet update allocates nothing.
 *
 * The hash is symmetric in the two endpoints, so both directions find the same slot without
 * sorting the key; the flow is stored in the orientation of its first packet (the initiator).
 * Each timeout class keeps its flows in a least-recently-active list, so idle expiry only
 * looks at list heads and the full-table eviction takes the longest-idle flow.
 */
export class FlowTable {
  private readonly timeoutsUs: number[];
  private readonly activeTimeoutUs: number;
  private readonly onFlowEnd: ((flow: FlowRecord) => void) | undefined;

  // Hash index: slot -> flow id + 1 (0 is empty); open addressing with linear probing.
  private readonly slots: Int32Array;
  private readonly slotMask: number;
  private readonly hashOf: Uint32Array;

  // Flow records, struct of arrays. A is the initiator, B the responder.
  private readonly addrA: Uint32Array;
  private readonly addrB: Uint32Array;
  private readonly portA: Uint16Array;
  private readonly portB: Uint16Array;
  private readonly proto: Uint8Array;
  private readonly macA: Float64Array;
  private readonly macB: Float64Array;
  private readonly packetsAB: Float64Array;
  private readonly packetsBA: Float64Array;
  private readonly bytesAB: Float64Array;
  private readonly bytesBA: Float64Array;
  /** Bytes already given to the progress listener: what a report adds is bytes − reported. */
  private readonly reportedAB: Float64Array;
  private readonly reportedBA: Float64Array;
  /** 1 while a flow saw packets since its last report (a zero-length packet counts too). */
  private readonly unreported: Uint8Array;
  private readonly payloadAB: Float64Array;
  private readonly payloadBA: Float64Array;
  private readonly firstUs: Float64Array;
  private readonly lastUs: Float64Array;
  private readonly flagsAB: Uint8Array;
  private readonly flagsBA: Uint8Array;
  private readonly finSeen: Uint8Array;
  private readonly timeoutClass: Uint8Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly heads = new Int32Array(CLASSES).fill(NONE);
  private readonly tails = new Int32Array(CLASSES).fill(NONE);
  private readonly free: Int32Array;
  private freeCount: number;
  private live = 0;

  /** Whether the last packet given to update() went from initiator to responder. */
  lastForward = true;
  /**
   * Whether the last packet given to update() opened its flow or travelled between other MACs
   * than its flow's first packet (a next hop changed): the only packets that can tell who
   * answers for an address now, so a detector of ARP spoofing need look at no other.
   */
  lastNewPath = false;
  private progressListener: FlowProgressListener | undefined;
  private readonly progress: FlowProgress = {
    protocol: 0,
    addressA: new Uint32Array(4),
    addressB: new Uint32Array(4),
    portA: 0,
    portB: 0,
    macA: -1,
    macB: -1,
    bytesAB: 0,
    bytesBA: 0,
    lastUs: 0,
    nowUs: 0,
  };
  /** Packet time as the table last saw it (for reports of flows that end). */
  private clockUs = 0;
  readonly stats: FlowTableStats = { created: 0, expired: 0, evicted: 0, activeTimeouts: 0 };

  constructor(options: FlowTableOptions = {}, onFlowEnd?: (flow: FlowRecord) => void) {
    const capacity = options.maxFlows ?? 65_536;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`maxFlows must be a positive integer, got ${capacity}`);
    const t = { ...DEFAULT_FLOW_TIMEOUTS, ...options.timeouts };
    this.timeoutsUs = [t.tcpSeconds * 1e6, t.tcpClosedSeconds * 1e6, t.udpSeconds * 1e6, t.otherSeconds * 1e6];
    this.activeTimeoutUs = t.activeSeconds * 1e6;
    this.onFlowEnd = onFlowEnd;
    let slotCount = 16;
    while (slotCount < capacity * 2) slotCount *= 2;
    this.slots = new Int32Array(slotCount);
    this.slotMask = slotCount - 1;
    this.hashOf = new Uint32Array(capacity);
    this.addrA = new Uint32Array(capacity * 4);
    this.addrB = new Uint32Array(capacity * 4);
    this.portA = new Uint16Array(capacity);
    this.portB = new Uint16Array(capacity);
    this.proto = new Uint8Array(capacity);
    this.macA = new Float64Array(capacity);
    this.macB = new Float64Array(capacity);
    this.packetsAB = new Float64Array(capacity);
    this.packetsBA = new Float64Array(capacity);
    this.bytesAB = new Float64Array(capacity);
    this.bytesBA = new Float64Array(capacity);
    this.reportedAB = new Float64Array(capacity);
    this.reportedBA = new Float64Array(capacity);
    this.unreported = new Uint8Array(capacity);
    this.payloadAB = new Float64Array(capacity);
    this.payloadBA = new Float64Array(capacity);
    this.firstUs = new Float64Array(capacity);
    this.lastUs = new Float64Array(capacity);
    this.flagsAB = new Uint8Array(capacity);
    this.flagsBA = new Uint8Array(capacity);
    this.finSeen = new Uint8Array(capacity);
    this.timeoutClass = new Uint8Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeCount = capacity;
  }

  /** Flows currently live. */
  get size(): number {
    return this.live;
  }

  /**
   * Accounts one decoded IP packet to its flow and returns the flow id, or -1 when the
   * packet has no IP header. Sets `lastForward`.
   */
  update(p: DecodedPacket): number {
    if (p.ipVersion === 0) {
      this.lastNewPath = false;
      return NONE;
    }
    const protocol = p.protocol;
    let sport = p.srcPort;
    let dport = p.dstPort;
    if (protocol === IpProtocol.ICMP || protocol === IpProtocol.IPV6_ICMP) {
      const type = p.icmpType;
      // Echo request and reply share the identifier: key both directions by it.
      if (type === 8 || type === 0 || type === 128 || type === 129) {
        sport = p.icmpId;
        dport = p.icmpId;
      } else {
        sport = Math.max(0, type);
        dport = Math.max(0, p.icmpCode);
      }
    } else if (protocol !== IpProtocol.TCP && protocol !== IpProtocol.UDP) {
      sport = 0;
      dport = 0;
    }
    const src = p.srcAddress;
    const dst = p.dstAddress;
    const hash = (endpointHash(src, sport) + endpointHash(dst, dport) + protocol * 0x9e3779b1) >>> 0;
    let slot = mix(hash) & this.slotMask;
    let id = NONE;
    let forward = true;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === 0) break;
      const candidate = entry - 1;
      if (this.hashOf[candidate] === hash && this.proto[candidate] === protocol) {
        if (
          this.portA[candidate] === sport &&
          this.portB[candidate] === dport &&
          this.sameAddresses(candidate, src, dst)
        ) {
          id = candidate;
          break;
        }
        if (
          this.portA[candidate] === dport &&
          this.portB[candidate] === sport &&
          this.sameAddresses(candidate, dst, src)
        ) {
          id = candidate;
          forward = false;
          break;
        }
      }
      slot = (slot + 1) & this.slotMask;
    }
    const now = p.timestampUs;
    if (now > this.clockUs) this.clockUs = now;
    if (id === NONE) {
      id = this.create(slot, hash, src, dst, sport, dport, protocol, p.srcMac, p.dstMac, now);
      this.lastNewPath = true;
    } else {
      this.lastNewPath = forward
        ? this.macA[id] !== p.srcMac || this.macB[id] !== p.dstMac
        : this.macB[id] !== p.srcMac || this.macA[id] !== p.dstMac;
      if (now - this.firstUs[id]! >= this.activeTimeoutUs) {
        this.emit(id, "active_timeout");
        this.stats.activeTimeouts++;
        this.resetCounters(id, now);
      }
    }
    this.lastForward = forward;
    const bytes = p.wireLength;
    if (forward) {
      this.packetsAB[id]!++;
      this.bytesAB[id]! += bytes;
      this.payloadAB[id]! += p.payloadLength;
      this.flagsAB[id]! |= p.tcpFlags;
    } else {
      this.packetsBA[id]!++;
      this.bytesBA[id]! += bytes;
      this.payloadBA[id]! += p.payloadLength;
      this.flagsBA[id]! |= p.tcpFlags;
    }
    if (now > this.lastUs[id]!) this.lastUs[id] = now;
    this.unreported[id] = 1;
    let cls = this.timeoutClass[id]!;
    if (cls === CLASS_TCP && p.tcpFlags !== 0) {
      const flags = p.tcpFlags;
      if ((flags & TcpFlag.FIN) !== 0) this.finSeen[id]! |= forward ? FIN_FWD : FIN_REV;
      if ((flags & TcpFlag.RST) !== 0 || this.finSeen[id] === (FIN_FWD | FIN_REV)) cls = CLASS_TCP_CLOSED;
    }
    this.touch(id, cls);
    return id;
  }

  /**
   * Who hears of the bytes flows carry (one listener): reportProgress() reports the flows that
   * saw packets since it last ran, and a flow that ends or restarts reports what it carried
   * since first, so every byte is reported exactly once.
   */
  onProgress(listener: FlowProgressListener): void {
    this.progressListener = listener;
  }

  /**
   * Reports every flow that saw packets since the last call, at packet time `nowUs`. Costs only
   * those flows: a packet moves its flow to the tail of its timeout class's list, so the flows
   * not reported since are the tails of the lists, and the walk stops at the first reported.
   */
  reportProgress(nowUs: number): void {
    if (this.progressListener === undefined) return;
    if (nowUs > this.clockUs) this.clockUs = nowUs;
    for (let cls = 0; cls < CLASSES; cls++) {
      for (let id = this.tails[cls]!; id !== NONE && this.hasUnreported(id); id = this.prev[id]!) this.report(id);
    }
  }

  /**
   * The latest packet time of a live flow in which `mac` used the IPv4 address `ip4` (as
   * initiator or responder), or -Infinity. Walks every live flow: for rare questions (an
   * address claimed by a second MAC), never per packet.
   */
  lastSeenWith(mac: number, ip4: number): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (let cls = 0; cls < CLASSES; cls++) {
      for (let id = this.heads[cls]!; id !== NONE; id = this.next[id]!) {
        const at = id * 4;
        const onA = this.macA[id] === mac && this.isMappedIpv4(this.addrA, at, ip4);
        const onB = this.macB[id] === mac && this.isMappedIpv4(this.addrB, at, ip4);
        if ((onA || onB) && this.lastUs[id]! > latest) latest = this.lastUs[id]!;
      }
    }
    return latest;
  }

  /** The latest packet time of a live flow that `mac` opened through next hop `via`, or -Infinity. */
  lastSeenVia(mac: number, via: number): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (let cls = 0; cls < CLASSES; cls++) {
      for (let id = this.heads[cls]!; id !== NONE; id = this.next[id]!) {
        if (this.macA[id] === mac && this.macB[id] === via && this.lastUs[id]! > latest) latest = this.lastUs[id]!;
      }
    }
    return latest;
  }

  /** Ends flows idle past their timeout at packet time `nowUs`. Call once per batch. */
  expire(nowUs: number): void {
    if (nowUs > this.clockUs) this.clockUs = nowUs;
    for (let cls = 0; cls < CLASSES; cls++) {
      const limit = nowUs - this.timeoutsUs[cls]!;
      let id = this.heads[cls]!;
      while (id !== NONE && this.lastUs[id]! < limit) {
        const following = this.next[id]!;
        this.end(id, "idle_timeout");
        this.stats.expired++;
        id = following;
      }
    }
  }

  /** Ends every live flow (end of a capture, shutdown). */
  flush(reason: FlowEndReason = "end_of_capture"): void {
    for (let cls = 0; cls < CLASSES; cls++) {
      while (this.heads[cls] !== NONE) this.end(this.heads[cls]!, reason);
    }
  }

  /** A snapshot of one live flow (allocates: for reporting, not for the hot path). */
  record(id: number, reason: FlowEndReason = "live"): FlowRecord {
    const a = this.addrA.subarray(id * 4, id * 4 + 4);
    const b = this.addrB.subarray(id * 4, id * 4 + 4);
    return {
      protocol: this.proto[id]!,
      srcIp: formatIp(a),
      srcPort: this.portA[id]!,
      dstIp: formatIp(b),
      dstPort: this.portB[id]!,
      srcMac: this.macA[id]!,
      dstMac: this.macB[id]!,
      packetsOut: this.packetsAB[id]!,
      packetsIn: this.packetsBA[id]!,
      bytesOut: this.bytesAB[id]!,
      bytesIn: this.bytesBA[id]!,
      payloadBytesOut: this.payloadAB[id]!,
      payloadBytesIn: this.payloadBA[id]!,
      tcpFlagsOut: this.flagsAB[id]!,
      tcpFlagsIn: this.flagsBA[id]!,
      firstSeenUs: this.firstUs[id]!,
      lastSeenUs: this.lastUs[id]!,
      endReason: reason,
    };
  }

  /** Live flow ids (for status views). */
  *liveIds(): IterableIterator<number> {
    for (let cls = 0; cls < CLASSES; cls++) {
      for (let id = this.heads[cls]!; id !== NONE; id = this.next[id]!) yield id;
    }
  }

  private isMappedIpv4(words: Uint32Array, at: number, ip4: number): boolean {
    return words[at + 3] === ip4 && words[at + 2] === 0xffff && words[at] === 0 && words[at + 1] === 0;
  }

  private hasUnreported(id: number): boolean {
    return this.unreported[id] === 1;
  }

  private report(id: number): void {
    const view = this.progress;
    const at = id * 4;
    view.protocol = this.proto[id]!;
    // Word by word: a subarray() would allocate a view per report.
    const a = view.addressA;
    const b = view.addressB;
    for (let i = 0; i < 4; i++) {
      a[i] = this.addrA[at + i]!;
      b[i] = this.addrB[at + i]!;
    }
    view.portA = this.portA[id]!;
    view.portB = this.portB[id]!;
    view.macA = this.macA[id]!;
    view.macB = this.macB[id]!;
    view.bytesAB = this.bytesAB[id]! - this.reportedAB[id]!;
    view.bytesBA = this.bytesBA[id]! - this.reportedBA[id]!;
    view.lastUs = this.lastUs[id]!;
    view.nowUs = this.clockUs;
    this.reportedAB[id] = this.bytesAB[id]!;
    this.reportedBA[id] = this.bytesBA[id]!;
    this.unreported[id] = 0;
    this.progressListener!(view);
  }

  private sameAddresses(id: number, a: Uint32Array, b: Uint32Array): boolean {
    const base = id * 4;
    const x = this.addrA;
    const y = this.addrB;
    return (
      x[base + 3] === a[3] &&
      y[base + 3] === b[3] &&
      x[base + 2] === a[2] &&
      y[base + 2] === b[2] &&
      x[base] === a[0] &&
      y[base] === b[0] &&
      x[base + 1] === a[1] &&
      y[base + 1] === b[1]
    );
  }

  private create(
    slot: number,
    hash: number,
    src: Uint32Array,
    dst: Uint32Array,
    sport: number,
    dport: number,
    protocol: number,
    srcMac: number,
    dstMac: number,
    now: number,
  ): number {
    if (this.freeCount === 0) {
      this.evictOldest();
      // Eviction may have shifted entries; find the insertion slot again.
      slot = mix(hash) & this.slotMask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.slotMask;
    }
    const id = this.free[--this.freeCount]!;
    this.slots[slot] = id + 1;
    this.hashOf[id] = hash;
    this.addrA.set(src, id * 4);
    this.addrB.set(dst, id * 4);
    this.portA[id] = sport;
    this.portB[id] = dport;
    this.proto[id] = protocol;
    this.macA[id] = srcMac;
    this.macB[id] = dstMac;
    this.resetCounters(id, now);
    const cls = protocol === IpProtocol.TCP ? CLASS_TCP : protocol === IpProtocol.UDP ? CLASS_UDP : CLASS_OTHER;
    this.timeoutClass[id] = cls;
    this.prev[id] = NONE;
    this.next[id] = NONE;
    this.append(id, cls);
    this.live++;
    this.stats.created++;
    return id;
  }

  private resetCounters(id: number, now: number): void {
    this.packetsAB[id] = 0;
    this.packetsBA[id] = 0;
    this.bytesAB[id] = 0;
    this.bytesBA[id] = 0;
    this.reportedAB[id] = 0;
    this.reportedBA[id] = 0;
    this.unreported[id] = 0;
    this.payloadAB[id] = 0;
    this.payloadBA[id] = 0;
    this.flagsAB[id] = 0;
    this.flagsBA[id] = 0;
    this.finSeen[id] = 0;
    this.firstUs[id] = now;
    this.lastUs[id] = now;
  }

  private evictOldest(): void {
    let oldest = NONE;
    for (let cls = 0; cls < CLASSES; cls++) {
      const head = this.heads[cls]!;
      if (head !== NONE && (oldest === NONE || this.lastUs[head]! < this.lastUs[oldest]!)) oldest = head;
    }
    if (oldest === NONE) return;
    this.end(oldest, "evicted");
    this.stats.evicted++;
  }

  private emit(id: number, reason: FlowEndReason): void {
    // What it carried since the last report, before the record ends or restarts its counters.
    if (this.progressListener !== undefined && this.hasUnreported(id)) this.report(id);
    if (this.onFlowEnd) this.onFlowEnd(this.record(id, reason));
  }

  private end(id: number, reason: FlowEndReason): void {
    this.emit(id, reason);
    this.unlink(id);
    this.removeFromIndex(id);
    this.free[this.freeCount++] = id;
    this.live--;
  }

  /** Backward-shift deletion keeps linear probing correct without tombstones. */
  private removeFromIndex(id: number): void {
    const mask = this.slotMask;
    let slot = mix(this.hashOf[id]!) & mask;
    while (this.slots[slot] !== id + 1) slot = (slot + 1) & mask;
    let hole = slot;
    let probe = (hole + 1) & mask;
    for (;;) {
      const entry = this.slots[probe]!;
      if (entry === 0) break;
      const home = mix(this.hashOf[entry - 1]!) & mask;
      // Move the entry into the hole unless its home lies cyclically in (hole, probe].
      const inRange = hole <= probe ? home > hole && home <= probe : home > hole || home <= probe;
      if (!inRange) {
        this.slots[hole] = entry;
        hole = probe;
      }
      probe = (probe + 1) & mask;
    }
    this.slots[hole] = 0;
  }

  private touch(id: number, cls: number): void {
    if (this.tails[cls] === id && this.timeoutClass[id] === cls) return;
    this.unlink(id);
    this.timeoutClass[id] = cls;
    this.append(id, cls);
  }

  private append(id: number, cls: number): void {
    const tail = this.tails[cls]!;
    this.prev[id] = tail;
    this.next[id] = NONE;
    if (tail === NONE) this.heads[cls] = id;
    else this.next[tail] = id;
    this.tails[cls] = id;
  }

  private unlink(id: number): void {
    const cls = this.timeoutClass[id]!;
    const before = this.prev[id]!;
    const after = this.next[id]!;
    if (before === NONE) this.heads[cls] = after;
    else this.next[before] = after;
    if (after === NONE) this.tails[cls] = before;
    else this.prev[after] = before;
    this.prev[id] = NONE;
    this.next[id] = NONE;
  }
}

function endpointHash(words: Uint32Array, port: number): number {
  let h = Math.imul(words[3]! ^ 0x2545f491, 0x9e3779b1);
  h = Math.imul(h ^ words[2]! ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ words[1]! ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ words[0]! ^ (h >>> 16), 0x27d4eb2f);
  return (h ^ Math.imul(port + 1, 0x165667b1)) >>> 0;
}

/** Murmur3 finaliser: spreads the symmetric sum over the low bits the index uses. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
