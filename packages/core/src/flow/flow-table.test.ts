import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIp, parseIpv4 } from "../packet/address.js";
import { DecodedPacket, IpProtocol, TcpFlag } from "../packet/decoded-packet.js";
import { decodePacket } from "../packet/decoder.js";
import { LinkType } from "../packet/link-type.js";
import { ipv6Bytes } from "../packet/test-support/bytes.js";
import { EtherType, ethernet, icmp, ipv4, TcpFlags, tcp, udp } from "../packet/test-support/frames.js";
import type { FlowEndReason, FlowRecord } from "./flow-record.js";
import { FlowTable, type FlowTimeouts } from "./flow-table.js";

const SECOND = 1_000_000;
const A = "192.168.1.10";
const B = "93.184.216.34";
const MAC_A = "00:00:00:00:00:0a";
const MAC_B = "00:00:00:00:00:0b";

/** Decodes a real Ethernet frame, keeping only `captured` bytes of it (the wire length stays whole). */
function frame(bytes: Uint8Array, seconds: number, captured = bytes.length): DecodedPacket {
  const p = new DecodedPacket();
  decodePacket(bytes, 0, captured, bytes.length, LinkType.ETHERNET, seconds * SECOND, p);
  return p;
}

function tcpFrame(from: "A" | "B", flags: number, seconds: number, payload = 0, captured?: number): DecodedPacket {
  const [src, dst, srcMac, dstMac, sport, dport] =
    from === "A" ? [A, B, MAC_A, MAC_B, 40000, 443] : [B, A, MAC_B, MAC_A, 443, 40000];
  const bytes = ethernet(
    { src: srcMac, dst: dstMac, etherType: EtherType.IPV4 },
    ipv4(
      { src, dst, protocol: IpProtocol.TCP },
      tcp({ srcPort: sport, dstPort: dport, flags }, new Array(payload).fill(0)),
    ),
  );
  return frame(bytes, seconds, captured);
}

function udpFrame(src: string, dst: string, sport: number, dport: number, seconds: number): DecodedPacket {
  return frame(
    ethernet(
      { etherType: EtherType.IPV4 },
      ipv4({ src, dst, protocol: 17 }, udp({ srcPort: sport, dstPort: dport }, [1])),
    ),
    seconds,
  );
}

function icmpFrame(src: string, dst: string, type: number, id: number, seconds: number, code = 0): DecodedPacket {
  return frame(
    ethernet({ etherType: EtherType.IPV4 }, ipv4({ src, dst, protocol: 1 }, icmp({ type, code, id, seq: 1 }, [1, 2]))),
    seconds,
  );
}

function otherFrame(src: string, dst: string, protocol: number, seconds: number): DecodedPacket {
  return frame(ethernet({ etherType: EtherType.IPV4 }, ipv4({ src, dst, protocol }, [0, 0, 8, 0])), seconds);
}

function tableWithLog(options: ConstructorParameters<typeof FlowTable>[0] = {}) {
  const ended: FlowRecord[] = [];
  const table = new FlowTable(options, (flow) => ended.push(flow));
  return { table, ended };
}

describe("FlowTable", () => {
  it("matches both directions to one flow and counts each from the wire length", () => {
    const { table, ended } = tableWithLog();
    // Captured 60 bytes of each, but the wire lengths are 54 + payload.
    const id = table.update(tcpFrame("A", TcpFlags.SYN, 1));
    expect(table.lastForward).toBe(true);
    expect(table.update(tcpFrame("B", TcpFlags.SYN | TcpFlags.ACK, 1.1))).toBe(id);
    expect(table.lastForward).toBe(false);
    expect(table.update(tcpFrame("A", TcpFlags.ACK | TcpFlags.PSH, 1.2, 1000, 60))).toBe(id);
    expect(table.update(tcpFrame("B", TcpFlags.ACK, 1.3, 200, 60))).toBe(id);
    expect(table.size).toBe(1);
    table.flush();
    expect(ended).toEqual([
      {
        protocol: 6,
        srcIp: A,
        srcPort: 40000,
        dstIp: B,
        dstPort: 443,
        srcMac: 0x0a,
        dstMac: 0x0b,
        packetsOut: 2,
        packetsIn: 2,
        bytesOut: 54 + 1054,
        bytesIn: 54 + 254,
        payloadBytesOut: 1000,
        payloadBytesIn: 200,
        tcpFlagsOut: TcpFlag.SYN | TcpFlag.ACK | TcpFlag.PSH,
        tcpFlagsIn: TcpFlag.SYN | TcpFlag.ACK,
        firstSeenUs: 1 * SECOND,
        lastSeenUs: 1.3 * SECOND,
        endReason: "end_of_capture",
      },
    ]);
    expect(table.size).toBe(0);
  });

  it("keys ICMP echo by its identifier and other ICMP by type and code", () => {
    const { table, ended } = tableWithLog();
    const echo7 = table.update(icmpFrame(A, B, 8, 7, 1));
    expect(table.update(icmpFrame(B, A, 0, 7, 1.01))).toBe(echo7);
    expect(table.lastForward).toBe(false);
    const echo8 = table.update(icmpFrame(A, B, 8, 8, 2));
    expect(echo8).not.toBe(echo7);
    const unreachable = table.update(icmpFrame(B, A, 3, 0, 3, 3));
    expect(new Set([echo7, echo8, unreachable]).size).toBe(3);
    table.flush();
    expect(ended.map((f) => [f.srcIp, f.srcPort, f.dstPort, f.packetsOut, f.packetsIn])).toEqual([
      [A, 7, 7, 1, 1],
      [A, 8, 8, 1, 0],
      [B, 3, 3, 1, 0],
    ]);
  });

  it("keeps flows of different protocols and IPv6 apart", () => {
    const table = new FlowTable();
    const a = table.update(udpFrame(A, B, 53, 53, 1));
    const b = table.update(otherFrame(A, B, 47, 1));
    const c = table.update(otherFrame(A, B, 50, 1));
    const v6 = new DecodedPacket();
    v6.ipVersion = 6;
    v6.protocol = 17;
    v6.srcAddress.set(words("fe80::1"));
    v6.dstAddress.set(words("fe80::2"));
    v6.srcPort = 53;
    v6.dstPort = 53;
    const d = table.update(v6);
    expect(new Set([a, b, c, d]).size).toBe(4);
    expect(table.record(d)).toMatchObject({ srcIp: "fe80::1", dstIp: "fe80::2", protocol: 17 });
    expect([...table.liveIds()].sort()).toEqual([a, b, c, d].sort());
  });

  it("ignores packets without an IP header", () => {
    const table = new FlowTable();
    expect(table.update(new DecodedPacket())).toBe(-1);
    expect(table.size).toBe(0);
  });

  it("rejects a table size that is not a positive integer", () => {
    expect(() => new FlowTable({ maxFlows: 0 })).toThrow(RangeError);
    expect(() => new FlowTable({ maxFlows: 2.5 })).toThrow(RangeError);
  });

  it("expires idle flows per class, by packet time", () => {
    const { table, ended } = tableWithLog();
    table.update(tcpFrame("A", TcpFlags.SYN, 0));
    table.update(udpFrame(A, B, 1, 2, 0));
    table.update(icmpFrame(A, B, 8, 1, 0));
    table.update(otherFrame(A, B, 47, 0));
    table.expire(60 * SECOND); // exactly the UDP and other timeouts: not yet
    expect(ended).toEqual([]);
    table.expire(60 * SECOND + 1);
    expect(ended.map((f) => [f.protocol, f.endReason])).toEqual([
      [17, "idle_timeout"],
      [1, "idle_timeout"],
      [47, "idle_timeout"],
    ]);
    table.expire(300 * SECOND);
    expect(table.size).toBe(1);
    table.expire(300 * SECOND + 1);
    expect(ended.map((f) => f.protocol)).toEqual([17, 1, 47, 6]);
    expect(table.stats).toEqual({ created: 4, expired: 4, evicted: 0, activeTimeouts: 0 });
  });

  it("uses the custom timeouts it is given", () => {
    const { table, ended } = tableWithLog({ timeouts: { udpSeconds: 5 } });
    table.update(udpFrame(A, B, 1, 2, 0));
    table.expire(5 * SECOND + 1);
    expect(ended).toHaveLength(1);
  });

  it("moves a TCP flow to the closed class after FIN from both sides", () => {
    const { table, ended } = tableWithLog();
    table.update(tcpFrame("A", TcpFlags.SYN, 0));
    table.update(tcpFrame("A", TcpFlags.FIN | TcpFlags.ACK, 1));
    table.update(tcpFrame("A", TcpFlags.FIN | TcpFlags.ACK, 2)); // a retransmitted FIN is still one side
    table.expire(20 * SECOND);
    expect(ended).toEqual([]);
    table.update(tcpFrame("B", TcpFlags.FIN | TcpFlags.ACK, 20));
    table.expire(30 * SECOND);
    expect(ended).toEqual([]);
    table.expire(30 * SECOND + 1);
    expect(ended.map((f) => [f.endReason, f.tcpFlagsOut & TcpFlag.FIN, f.tcpFlagsIn & TcpFlag.FIN])).toEqual([
      ["idle_timeout", TcpFlag.FIN, TcpFlag.FIN],
    ]);
  });

  it("moves a TCP flow to the closed class on RST from either side", () => {
    const { table, ended } = tableWithLog();
    table.update(tcpFrame("A", TcpFlags.SYN, 0));
    table.update(tcpFrame("B", TcpFlags.RST | TcpFlags.ACK, 1));
    table.expire(11 * SECOND + 1);
    expect(ended.map((f) => f.endReason)).toEqual(["idle_timeout"]);
  });

  it("reports and restarts a long flow at the active timeout", () => {
    const { table, ended } = tableWithLog({ timeouts: { activeSeconds: 100 } });
    const id = table.update(tcpFrame("A", TcpFlags.SYN, 0));
    for (let t = 30; t <= 210; t += 30) {
      expect(table.update(tcpFrame(t % 60 === 0 ? "A" : "B", TcpFlags.ACK, t))).toBe(id);
    }
    // Restarted by the packet at t=120 (120 − 0 ≥ 100); not again at t=210 (210 − 120 < 100).
    expect(
      ended.map((f) => [f.endReason, f.firstSeenUs / SECOND, f.lastSeenUs / SECOND, f.packetsOut + f.packetsIn]),
    ).toEqual([["active_timeout", 0, 90, 4]]);
    expect(table.stats.activeTimeouts).toBe(1);
    const live = table.record(id);
    expect(live).toMatchObject({ srcIp: A, firstSeenUs: 120 * SECOND, lastSeenUs: 210 * SECOND, endReason: "live" });
    expect(live.packetsOut + live.packetsIn).toBe(4);
  });

  it("evicts the longest-idle flow when full, and counts it", () => {
    const { table, ended } = tableWithLog({ maxFlows: 3 });
    const first = table.update(udpFrame(A, B, 1, 1, 1));
    table.update(tcpFrame("A", TcpFlags.SYN, 2));
    table.update(icmpFrame(A, B, 8, 3, 3));
    expect(table.update(udpFrame(B, A, 1, 1, 4))).toBe(first); // the oldest flow is active again
    table.update(udpFrame(A, B, 4, 4, 5));
    expect(ended.map((f) => [f.protocol, f.endReason])).toEqual([[6, "evicted"]]);
    expect(table.size).toBe(3);
    table.update(tcpFrame("A", TcpFlags.ACK, 6)); // comes back as a new flow, evicting the ICMP one
    expect(ended.map((f) => [f.protocol, f.endReason])).toEqual([
      [6, "evicted"],
      [1, "evicted"],
    ]);
    expect(table.stats).toEqual({ created: 5, expired: 0, evicted: 2, activeTimeouts: 0 });
  });

  it("works with a one-flow table", () => {
    const { table, ended } = tableWithLog({ maxFlows: 1 });
    for (let i = 0; i < 20; i++) table.update(udpFrame(A, B, i % 3, 7, i));
    expect(table.size).toBe(1);
    expect(ended).toHaveLength(19);
    expect(table.stats.evicted).toBe(19);
  });
});

// ---- the randomised consistency test against a reference model ----

const TIMEOUTS: FlowTimeouts = {
  tcpSeconds: 30,
  tcpClosedSeconds: 2,
  udpSeconds: 10,
  otherSeconds: 5,
  activeSeconds: 60,
};
const CLASS_TCP = 0;
const CLASS_CLOSED = 1;
const CLASS_UDP = 2;
const CLASS_OTHER = 3;
const CLASS_TIMEOUT_US = [
  TIMEOUTS.tcpSeconds,
  TIMEOUTS.tcpClosedSeconds,
  TIMEOUTS.udpSeconds,
  TIMEOUTS.otherSeconds,
].map((s) => s * SECOND);

function words(text: string): number[] {
  if (!text.includes(":")) return [0, 0, 0xffff, parseIpv4(text)!];
  const b = ipv6Bytes(text);
  return [0, 4, 8, 12].map((i) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0);
}

interface ModelFlow {
  protocol: number;
  a: string;
  portA: number;
  b: string;
  portB: number;
  srcMac: number;
  dstMac: number;
  packetsOut: number;
  packetsIn: number;
  bytesOut: number;
  bytesIn: number;
  payloadOut: number;
  payloadIn: number;
  flagsOut: number;
  flagsIn: number;
  first: number;
  last: number;
  fin: number;
  cls: number;
  /** Order of the last update: the table's per-class lists are in this order. */
  touched: number;
}

/**
 * The flow table's contract written the slow, obvious way: a Map keyed by the unordered
 * endpoint pair, linear scans for expiry and eviction.
 */
class FlowModel {
  readonly flows = new Map<string, ModelFlow>();
  readonly ended: FlowRecord[] = [];
  readonly stats = { created: 0, expired: 0, evicted: 0, activeTimeouts: 0 };
  forward = true;
  private clock = 0;

  constructor(private readonly capacity: number) {}

  /** Returns the flow's key, or undefined for a packet without IP. */
  update(p: DecodedPacket): string | undefined {
    if (p.ipVersion === 0) return undefined;
    let sport = p.srcPort;
    let dport = p.dstPort;
    if (p.protocol === 1 || p.protocol === 58) {
      if ([0, 8, 128, 129].includes(p.icmpType)) sport = dport = p.icmpId;
      else [sport, dport] = [Math.max(0, p.icmpType), Math.max(0, p.icmpCode)];
    } else if (p.protocol !== 6 && p.protocol !== 17) {
      sport = dport = 0;
    }
    const src = `${formatIp(p.srcAddress)}#${sport}`;
    const dst = `${formatIp(p.dstAddress)}#${dport}`;
    const key = `${p.protocol}|${[src, dst].sort().join("|")}`;
    const now = p.timestampUs;
    let flow = this.flows.get(key);
    if (!flow) {
      if (this.flows.size === this.capacity) this.evict();
      flow = {
        protocol: p.protocol,
        a: formatIp(p.srcAddress),
        portA: sport,
        b: formatIp(p.dstAddress),
        portB: dport,
        srcMac: p.srcMac,
        dstMac: p.dstMac,
        ...zeroCounters(now),
        cls: p.protocol === 6 ? CLASS_TCP : p.protocol === 17 ? CLASS_UDP : CLASS_OTHER,
        touched: 0,
      };
      this.flows.set(key, flow);
      this.stats.created++;
    } else if (now - flow.first >= TIMEOUTS.activeSeconds * SECOND) {
      this.ended.push(modelRecord(flow, "active_timeout"));
      this.stats.activeTimeouts++;
      Object.assign(flow, zeroCounters(now));
    }
    const forward = `${flow.a}#${flow.portA}` === src;
    this.forward = forward;
    if (forward) {
      flow.packetsOut++;
      flow.bytesOut += p.wireLength;
      flow.payloadOut += p.payloadLength;
      flow.flagsOut |= p.tcpFlags;
    } else {
      flow.packetsIn++;
      flow.bytesIn += p.wireLength;
      flow.payloadIn += p.payloadLength;
      flow.flagsIn |= p.tcpFlags;
    }
    flow.last = Math.max(flow.last, now);
    if (flow.cls === CLASS_TCP && p.tcpFlags !== 0) {
      if (p.tcpFlags & TcpFlag.FIN) flow.fin |= forward ? 1 : 2;
      if (p.tcpFlags & TcpFlag.RST || flow.fin === 3) flow.cls = CLASS_CLOSED;
    }
    flow.touched = ++this.clock;
    return key;
  }

  expire(now: number): void {
    for (let cls = 0; cls < 4; cls++) {
      // The table walks each class from its least recently touched flow and stops at the first live one.
      for (const [key, flow] of this.inClass(cls)) {
        if (flow.last >= now - CLASS_TIMEOUT_US[cls]!) break;
        this.end(key, flow, "idle_timeout");
        this.stats.expired++;
      }
    }
  }

  flush(): void {
    for (let cls = 0; cls < 4; cls++)
      for (const [key, flow] of this.inClass(cls)) this.end(key, flow, "end_of_capture");
  }

  live(): FlowRecord[] {
    return [...this.flows.values()].map((f) => modelRecord(f, "live"));
  }

  private evict(): void {
    let victim: [string, ModelFlow] | undefined;
    for (const entry of this.flows) {
      const [, f] = entry;
      const v = victim?.[1];
      if (
        !v ||
        f.last < v.last ||
        (f.last === v.last && (f.cls < v.cls || (f.cls === v.cls && f.touched < v.touched)))
      ) {
        victim = entry;
      }
    }
    if (!victim) return;
    this.end(victim[0], victim[1], "evicted");
    this.stats.evicted++;
  }

  private inClass(cls: number): [string, ModelFlow][] {
    return [...this.flows].filter(([, f]) => f.cls === cls).sort((x, y) => x[1].touched - y[1].touched);
  }

  private end(key: string, flow: ModelFlow, reason: FlowEndReason): void {
    this.ended.push(modelRecord(flow, reason));
    this.flows.delete(key);
  }
}

function zeroCounters(now: number) {
  return {
    packetsOut: 0,
    packetsIn: 0,
    bytesOut: 0,
    bytesIn: 0,
    payloadOut: 0,
    payloadIn: 0,
    flagsOut: 0,
    flagsIn: 0,
    first: now,
    last: now,
    fin: 0,
  };
}

function modelRecord(f: ModelFlow, endReason: FlowEndReason): FlowRecord {
  return {
    protocol: f.protocol,
    srcIp: f.a,
    srcPort: f.portA,
    dstIp: f.b,
    dstPort: f.portB,
    srcMac: f.srcMac,
    dstMac: f.dstMac,
    packetsOut: f.packetsOut,
    packetsIn: f.packetsIn,
    bytesOut: f.bytesOut,
    bytesIn: f.bytesIn,
    payloadBytesOut: f.payloadOut,
    payloadBytesIn: f.payloadIn,
    tcpFlagsOut: f.flagsOut,
    tcpFlagsIn: f.flagsIn,
    firstSeenUs: f.first,
    lastSeenUs: f.last,
    endReason,
  };
}

const ADDRESSES = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "192.168.1.1", "fe80::1", "fe80::2"];

/** One conversation: the 5-tuple fields of a packet from its initiator. */
const tupleArb = fc.record({
  src: fc.constantFrom(...ADDRESSES),
  dst: fc.constantFrom(...ADDRESSES),
  protocol: fc.constantFrom(6, 6, 17, 17, 1, 58, 47),
  srcPort: fc.integer({ min: 0, max: 65535 }),
  dstPort: fc.constantFrom(53, 80, 443),
  icmpType: fc.constantFrom(8, 8, 3, 128, 135),
  icmpCode: fc.constantFrom(0, 1),
  icmpId: fc.integer({ min: 0, max: 65535 }),
  mac: fc.constantFrom(-1, 1, 2),
});

type Tuple = typeof tupleArb extends fc.Arbitrary<infer T> ? T : never;

/** A packet of one of the run's conversations, in either direction. */
const packetOpArb = fc.record({
  kind: fc.constant("packet" as const),
  tuple: fc.nat(),
  reply: fc.boolean(),
  flags: fc.constantFrom(
    0,
    TcpFlag.SYN,
    TcpFlag.ACK,
    TcpFlag.FIN | TcpFlag.ACK,
    TcpFlag.RST,
    TcpFlag.PSH | TcpFlag.ACK,
  ),
  wireLength: fc.integer({ min: 0, max: 1514 }),
  payloadLength: fc.integer({ min: 0, max: 1460 }),
  hasIp: fc.integer({ min: 0, max: 19 }).map((n) => n > 0),
  delay: fc.constantFrom(0, 0, 1, 1000, SECOND, 3 * SECOND, 8 * SECOND, 25 * SECOND, 70 * SECOND),
});
const expireOpArb = fc.record({
  kind: fc.constant("expire" as const),
  delay: fc.constantFrom(0, SECOND, 6 * SECOND, 40 * SECOND),
});
const opsArb = fc.array(fc.oneof({ arbitrary: packetOpArb, weight: 8 }, { arbitrary: expireOpArb, weight: 1 }), {
  maxLength: 200,
});

type PacketOp = typeof packetOpArb extends fc.Arbitrary<infer T> ? T : never;

function toPacket(tuple: Tuple, op: PacketOp, now: number): DecodedPacket {
  const p = new DecodedPacket();
  p.timestampUs = now;
  p.wireLength = op.wireLength;
  if (!op.hasIp) return p;
  const [src, dst] = op.reply ? [tuple.dst, tuple.src] : [tuple.src, tuple.dst];
  p.ipVersion = src.includes(":") ? 6 : 4;
  p.srcAddress.set(words(src));
  p.dstAddress.set(words(dst));
  p.protocol = tuple.protocol;
  p.srcMac = op.reply ? 3 - tuple.mac : tuple.mac;
  p.dstMac = op.reply ? tuple.mac : 3 - tuple.mac;
  p.payloadLength = op.payloadLength;
  if (tuple.protocol === 6 || tuple.protocol === 17) {
    p.srcPort = op.reply ? tuple.dstPort : tuple.srcPort;
    p.dstPort = op.reply ? tuple.srcPort : tuple.dstPort;
  }
  if (tuple.protocol === 6) p.tcpFlags = op.flags;
  if (tuple.protocol === 1 || tuple.protocol === 58) {
    // An echo request is answered by a reply with the same identifier.
    p.icmpType =
      op.reply && (tuple.icmpType === 8 || tuple.icmpType === 128)
        ? tuple.icmpType + (tuple.icmpType === 8 ? -8 : 1)
        : tuple.icmpType;
    p.icmpCode = tuple.icmpCode;
    p.icmpId = tuple.icmpId;
  }
  return p;
}

type ModelCase = [number, Tuple[], (PacketOp | { kind: "expire"; delay: number })[]];

/**
 * Cases this property found against deliberately broken deletions (mutation testing): the
 * first deletes inside a probe cluster (an index without backward shift loses the entry
 * after the hole), the second inside a cluster that wraps past the last slot. Kept as fixed
 * examples because random runs reach the wrap-around only about once in a thousand.
 */
const REGRESSION_CASES: ModelCase[] = [
  [
    3,
    [
      {
        src: "fe80::1",
        dst: "10.0.0.1",
        protocol: 1,
        srcPort: 0,
        dstPort: 53,
        icmpType: 135,
        icmpCode: 0,
        icmpId: 0,
        mac: -1,
      },
      {
        src: "10.0.0.1",
        dst: "10.0.0.1",
        protocol: 6,
        srcPort: 0,
        dstPort: 53,
        icmpType: 8,
        icmpCode: 0,
        icmpId: 0,
        mac: -1,
      },
      {
        src: "10.0.0.1",
        dst: "10.0.0.1",
        protocol: 6,
        srcPort: 0,
        dstPort: 443,
        icmpType: 8,
        icmpCode: 0,
        icmpId: 0,
        mac: -1,
      },
    ],
    [
      { kind: "packet", tuple: 0, reply: true, flags: 0, wireLength: 0, payloadLength: 0, hasIp: true, delay: 0 },
      { kind: "packet", tuple: 0, reply: false, flags: 0, wireLength: 0, payloadLength: 0, hasIp: true, delay: 0 },
      {
        kind: "packet",
        tuple: 335958892,
        reply: false,
        flags: 0,
        wireLength: 0,
        payloadLength: 0,
        hasIp: true,
        delay: 1000000,
      },
      {
        kind: "packet",
        tuple: 2076628889,
        reply: false,
        flags: 0,
        wireLength: 0,
        payloadLength: 0,
        hasIp: true,
        delay: 0,
      },
      { kind: "packet", tuple: 0, reply: false, flags: 0, wireLength: 0, payloadLength: 0, hasIp: true, delay: 0 },
    ],
  ],
  [
    2,
    [
      {
        src: "fe80::2",
        dst: "fe80::1",
        protocol: 17,
        srcPort: 28379,
        dstPort: 443,
        icmpType: 8,
        icmpCode: 0,
        icmpId: 0,
        mac: -1,
      },
      {
        src: "fe80::1",
        dst: "fe80::2",
        protocol: 47,
        srcPort: 0,
        dstPort: 53,
        icmpType: 8,
        icmpCode: 0,
        icmpId: 0,
        mac: -1,
      },
      {
        src: "10.0.0.1",
        dst: "10.0.0.1",
        protocol: 6,
        srcPort: 0,
        dstPort: 53,
        icmpType: 8,
        icmpCode: 0,
        icmpId: 0,
        mac: -1,
      },
    ],
    [
      {
        kind: "packet",
        tuple: 152942524,
        reply: false,
        flags: 0,
        wireLength: 0,
        payloadLength: 0,
        hasIp: true,
        delay: 0,
      },
      { kind: "packet", tuple: 0, reply: false, flags: 0, wireLength: 0, payloadLength: 0, hasIp: true, delay: 0 },
      { kind: "expire", delay: 6000000 },
      { kind: "packet", tuple: 0, reply: false, flags: 0, wireLength: 0, payloadLength: 0, hasIp: true, delay: 0 },
    ],
  ],
];

const byFlow = (x: FlowRecord, y: FlowRecord) => JSON.stringify(x).localeCompare(JSON.stringify(y));

describe("FlowTable: consistency with a reference model", () => {
  it("keeps the same live flows, counters, ended flows and stats as a Map-based model", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(tupleArb, { minLength: 1, maxLength: 24 }),
        opsArb,
        (maxFlows, tuples, ops) => {
          const ended: FlowRecord[] = [];
          const table = new FlowTable({ maxFlows, timeouts: TIMEOUTS }, (f) => ended.push(f));
          const model = new FlowModel(maxFlows);
          /** The table's id of each live model flow: a flow must keep its id while it lives. */
          const ids = new Map<string, number>();
          let now = 1_600_000_000 * SECOND;
          for (const op of ops) {
            now += op.delay;
            if (op.kind === "expire") {
              table.expire(now);
              model.expire(now);
            } else {
              const packet = toPacket(tuples[op.tuple % tuples.length]!, op, now);
              const key = model.update(packet);
              const id = table.update(packet);
              if (key === undefined) {
                expect(id).toBe(-1);
              } else {
                expect(table.lastForward).toBe(model.forward);
                const previous = ids.get(key);
                if (previous !== undefined) expect(id).toBe(previous);
                ids.set(key, id);
              }
            }
            // Ended flows give up their ids.
            for (const key of [...ids.keys()]) if (!model.flows.has(key)) ids.delete(key);
            expect(ended).toEqual(model.ended);
            expect(table.size).toBe(model.flows.size);
          }
          const live = [...table.liveIds()].map((id) => table.record(id));
          expect(live.sort(byFlow)).toEqual(model.live().sort(byFlow));
          expect(table.stats).toEqual(model.stats);
          table.flush();
          model.flush();
          expect(ended).toEqual(model.ended);
          expect(table.size).toBe(0);
        },
      ),
      { numRuns: 600, examples: REGRESSION_CASES },
    );
  });
});

describe("FlowTable: progress reports", () => {
  it("reports every byte exactly once, and by each report everything carried so far", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(tupleArb, { minLength: 1, maxLength: 24 }),
        opsArb,
        (maxFlows, tuples, ops) => {
          const table = new FlowTable({ maxFlows, timeouts: TIMEOUTS });
          let reported = 0;
          let reports = 0;
          table.onProgress((progress) => {
            expect(progress.bytesAB).toBeGreaterThanOrEqual(0);
            expect(progress.bytesBA).toBeGreaterThanOrEqual(0);
            reported += progress.bytesAB + progress.bytesBA;
            reports++;
          });
          let carried = 0;
          let now = 1_600_000_000 * SECOND;
          for (const op of ops) {
            now += op.delay;
            if (op.kind === "expire") {
              table.expire(now);
              table.reportProgress(now);
              expect(reported).toBe(carried);
              // Nothing is left to report until a packet comes.
              const before = reports;
              table.reportProgress(now);
              expect(reports).toBe(before);
            } else {
              const packet = toPacket(tuples[op.tuple % tuples.length]!, op, now);
              if (table.update(packet) >= 0) carried += packet.wireLength;
            }
          }
          table.flush();
          expect(reported).toBe(carried);
        },
      ),
    );
  });

  it("says which packets open a flow or change its MACs", () => {
    const table = new FlowTable();
    table.update(tcpFrame("A", TcpFlags.SYN, 1));
    expect(table.lastNewPath).toBe(true);
    table.update(tcpFrame("B", TcpFlags.SYN | TcpFlags.ACK, 1.1));
    expect(table.lastNewPath).toBe(false);
    table.update(tcpFrame("A", TcpFlags.ACK, 1.2));
    expect(table.lastNewPath).toBe(false);
    // The same connection, now sent to another MAC (a poisoned ARP cache): a new path.
    const moved = tcpFrame("A", TcpFlags.ACK, 1.3);
    moved.dstMac = 0xbad;
    table.update(moved);
    expect(table.lastNewPath).toBe(true);
    const ip4 = parseIpv4(A)!;
    expect(table.lastSeenWith(0x0a, ip4)).toBe(1.3 * SECOND);
    expect(table.lastSeenWith(0x0b, ip4)).toBe(Number.NEGATIVE_INFINITY);
    expect(table.lastSeenVia(0x0a, 0x0b)).toBe(1.3 * SECOND);
    expect(table.lastSeenVia(0x0a, 0xbad)).toBe(Number.NEGATIVE_INFINITY);
  });
});
