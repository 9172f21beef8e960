import { formatIp } from "../packet/address.js";
import { type DecodedPacket, IpProtocol, TcpFlag } from "../packet/decoded-packet.js";
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
    if (p.ipVersion === 0) return NONE;
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
    if (id === NONE) {
      id = this.create(slot, hash, src, dst, sport, dport, protocol, p.srcMac, p.dstMac, now);
    } else if (now - this.firstUs[id]! >= this.activeTimeoutUs) {
      this.emit(id, "active_timeout");
      this.stats.activeTimeouts++;
      this.resetCounters(id, now);
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
    let cls = this.timeoutClass[id]!;
    if (cls === CLASS_TCP && p.tcpFlags !== 0) {
      const flags = p.tcpFlags;
      if ((flags & TcpFlag.FIN) !== 0) this.finSeen[id]! |= forward ? FIN_FWD : FIN_REV;
      if ((flags & TcpFlag.RST) !== 0 || this.finSeen[id] === (FIN_FWD | FIN_REV)) cls = CLASS_TCP_CLOSED;
    }
    this.touch(id, cls);
    return id;
  }

  /** Ends flows idle past their timeout at packet time `nowUs`. Call once per batch. */
  expire(nowUs: number): void {
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
