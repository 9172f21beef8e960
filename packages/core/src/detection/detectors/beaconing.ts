import type { DeviceState } from "../../discovery/device-map.js";
import type { FlowRecord } from "../../flow/flow-record.js";
import { formatIp, formatIpv4, isGroupMac, isLocalUnicast, isPrivateIpv4 } from "../../packet/address.js";
import type { DecodedPacket } from "../../packet/decoded-packet.js";
import type { Severity } from "../alert.js";
import type { Detector, DetectorContext } from "../detector.js";
import {
  DestinationPrevalence,
  describeNormal,
  historyDays,
  isJudgedDevice,
  isRemoteIp,
  knownDays,
  robustShape,
} from "./remote-peers.js";

/** Recent gaps kept per pair: enough for RITA's quartiles, small enough to bound memory. */
const GAP_RING = 32;
const SIZE_RING = 16;
/** Pairs tracked per device; the least recently active is forgotten first. */
const PAIRS_PER_DEVICE = 256;
/** Starts closer than this are one check-in (a client opening parallel connections). */
const BURST_SECONDS = 2;
/**
 * Gaps below this are not beacons: TCP retries after a failure come at 1–3 s (DETECTION.md
 * trap) and sub-10 s periods are streaming or strobes, not a check-in.
 */
const MIN_INTERVAL_SECONDS = 10;
/** A SYN with the same source port within this long is a retransmission, not a connection. */
const RETRANSMIT_US = 60e6;

interface Pair {
  destination: string;
  /** Latest address behind the destination (equal to it when no lookup named it). */
  destinationIp: string;
  port: string;
  gaps: Float64Array;
  gapCount: number;
  gapAt: number;
  sizes: Float64Array;
  sizeCount: number;
  sizeAt: number;
  firstUs: number;
  lastStartUs: number;
  lastSrcPort: number;
  connections: number;
  /** Highest severity raised so far (-1: none): re-raised only when it grows. */
  raisedRank: number;
}

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** The four RITA sub-scores over the rings, each 0..1 (1 = perfectly regular). */
export function beaconScore(
  gaps: ArrayLike<number>,
  gapCount: number,
  sizes: ArrayLike<number>,
  sizeCount: number,
): { score: number; interval: { median: number; mad: number; skew: number }; bytesMedian: number } {
  const interval = robustShape(gaps, gapCount);
  // MAD relative to the period: ±20 % uniform jitter gives 0.1 → 0.8; dispersion at half the period scores 0.
  const dispersion = (mad: number, mid: number) => (mid > 0 ? Math.max(0, 1 - mad / mid / 0.5) : 0);
  const parts = [1 - Math.min(1, Math.abs(interval.skew)), dispersion(interval.mad, interval.median)];
  let bytesMedian = 0;
  if (sizeCount >= 4) {
    const size = robustShape(sizes, sizeCount);
    bytesMedian = size.median;
    parts.push(1 - Math.min(1, Math.abs(size.skew)), dispersion(size.mad, size.median));
  }
  const score = parts.reduce((a, b) => a + b, 0) / parts.length;
  return { score, interval, bytesMedian };
}

/**
 * beaconing: a device contacts one destination at a steady rhythm, the way malware checks in
 * with its controller. RITA's robust statistics (Bowley skew and MAD/median of the gaps between
 * connection starts, and of bytes per connection) updated on-line per (device, destination) as
 * each connection starts — TCP SYNs on the packet path, UDP flows as they end — so a 60 s beacon
 * is scored after a dozen intervals instead of after a batch. Keep-alives the baseline has known
 * for days are normal; destinations many local devices reach are down-weighted.
 */
export function beaconingDetector(context: DetectorContext): Detector {
  const pairs = new Map<string, Map<string, Pair>>();
  const prevalence = new DestinationPrevalence();

  const pairOf = (state: DeviceState, destination: string, port: string, timeUs: number): Pair => {
    let byDestination = pairs.get(state.id);
    if (!byDestination) {
      byDestination = new Map();
      pairs.set(state.id, byDestination);
    }
    let pair = byDestination.get(destination);
    if (pair) {
      // Re-insert: Map order is then least recently active first.
      byDestination.delete(destination);
    } else {
      if (byDestination.size >= PAIRS_PER_DEVICE) {
        const oldest = byDestination.keys().next().value;
        if (oldest !== undefined) byDestination.delete(oldest);
      }
      pair = {
        destination,
        destinationIp: destination,
        port,
        gaps: new Float64Array(GAP_RING),
        gapCount: 0,
        gapAt: 0,
        sizes: new Float64Array(SIZE_RING),
        sizeCount: 0,
        sizeAt: 0,
        firstUs: timeUs,
        lastStartUs: -1,
        lastSrcPort: -1,
        connections: 0,
        raisedRank: -1,
      };
    }
    byDestination.set(destination, pair);
    return pair;
  };

  const evaluate = (state: DeviceState, pair: Pair, nowUs: number) => {
    const sensitivity = context.sensitivity("beaconing", state.id);
    // Monotone in sensitivity: fewer intervals and a lower score suffice when it is higher.
    const minGaps = Math.round(16 - 8 * sensitivity);
    if (pair.gapCount < Math.max(4, minGaps)) return;
    const { score, interval, bytesMedian } = beaconScore(pair.gaps, pair.gapCount, pair.sizes, pair.sizeCount);
    if (interval.median < MIN_INTERVAL_SECONDS) return;
    const threshold = 0.9 - 0.2 * sensitivity;
    if (score < threshold) return;
    const nowMs = nowUs / 1000;
    const baseline = context.profiles.baseline(state.id);
    const known = knownDays(baseline, pair.destination, nowMs);
    // A keep-alive the baseline has seen on two earlier days is this device's normal rhythm.
    if (known >= 2) return;
    const history = historyDays(baseline, nowMs);
    const novelty = prevalence.weight(pair.destination, state.id);
    const bareAddress = pair.destination === pair.destinationIp;
    let severity: Severity = score >= 0.92 && bareAddress && novelty === 1 ? "high" : "medium";
    // Without history (day one), a known-once destination, or one much of the home reaches:
    // worth knowing, not worth waking anyone.
    if (history === 0 || known === 1 || novelty < 0.5) severity = "low";
    if (RANK[severity] <= pair.raisedRank) return;
    pair.raisedRank = RANK[severity];
    let span = 0;
    for (let i = 0; i < pair.gapCount; i++) span += pair.gaps[i]!;
    const firstUs = pair.connections > pair.gapCount + 1 ? pair.lastStartUs - span * 1e6 : pair.firstUs;
    const period = Math.round(interval.median);
    const others = prevalence.others(pair.destination, state.id);
    context.raise({
      type: "beaconing",
      severity,
      confidence: Math.round(Math.min(0.95, score * novelty * (history === 0 ? 0.6 : 1)) * 100) / 100,
      deviceId: state.id,
      mac: null,
      time: Math.floor(nowMs),
      firstEvidence: Math.floor(firstUs / 1000),
      key: `${state.id}|${pair.destination}`,
      description: `This device contacts ${pair.destination} every ~${period} seconds like clockwork, the way malware checks in with its controller.`,
      normal: `${describeNormal(baseline, nowMs)} ${known === 0 ? `${pair.destination} is not in its history.` : `${pair.destination} was seen on ${known} earlier day.`}`,
      observed: `${pair.connections} connections to ${pair.destination} (${pair.port}) about every ${period} s (spread ±${Math.round(interval.mad)} s)${others > 0 ? `; ${others} other local device(s) reach it too` : "; no other local device reaches it"}.`,
      evidence: {
        destination: pair.destination,
        port: pair.port,
        connections: pair.connections,
        intervalSeconds: Math.round(interval.median * 10) / 10,
        intervalMadSeconds: Math.round(interval.mad * 10) / 10,
        intervalSkew: Math.round(interval.skew * 100) / 100,
        bytesPerConnection: Math.round(bytesMedian),
        score: Math.round(score * 100) / 100,
        knownDays: known,
        otherDevices: others,
      },
    });
  };

  const start = (state: DeviceState, ip: string, port: string, srcPort: number, timeUs: number, tcp: boolean) => {
    const destination = context.profiles.destinationOf(ip);
    const pair = pairOf(state, destination, port, timeUs);
    pair.destinationIp = ip;
    if (tcp && srcPort === pair.lastSrcPort && timeUs - pair.lastStartUs < RETRANSMIT_US) return;
    pair.lastSrcPort = srcPort;
    if (pair.lastStartUs >= 0) {
      const gap = (timeUs - pair.lastStartUs) / 1e6;
      // Out of order (a UDP flow reported late) or part of a burst: not an interval.
      if (gap < BURST_SECONDS) return;
      pair.gaps[pair.gapAt] = gap;
      pair.gapAt = (pair.gapAt + 1) % GAP_RING;
      if (pair.gapCount < GAP_RING) pair.gapCount++;
    }
    pair.lastStartUs = timeUs;
    pair.port = port;
    pair.connections++;
    evaluate(state, pair, timeUs);
  };

  return {
    type: "beaconing",
    onPacket(p: DecodedPacket, _data: Uint8Array, sender: DeviceState | undefined) {
      // Hot path: only a SYN without ACK (a connection starting) from a device goes further.
      if (p.protocol !== 6 || (p.tcpFlags & 0x12) !== 0x02 || sender === undefined) return;
      if (sender.role !== "device" || isGroupMac(p.dstMac) || context.isSensor(sender.mac)) return;
      if (p.ipVersion === 4 ? isPrivateIpv4(p.dstIp4) || p.dstIp4 >>> 28 >= 14 : isLocalUnicast(p.dstAddress)) return;
      const ip = p.ipVersion === 4 ? formatIpv4(p.dstIp4) : formatIp(p.dstAddress);
      start(sender, ip, `tcp/${p.dstPort}`, p.srcPort, p.timestampUs, true);
    },
    onFlowEnd(flow: FlowRecord) {
      if (flow.protocol !== 6 && flow.protocol !== 17) return;
      const state = flow.srcMac > 0 ? context.devices.get(flow.srcMac) : context.devices.stateForIp(flow.srcIp);
      if (!isJudgedDevice(state) || !state.addresses.has(flow.srcIp) || context.isSensor(state.mac)) return;
      if (!isRemoteIp(flow.dstIp)) return;
      const destination = context.profiles.destinationOf(flow.dstIp);
      prevalence.note(destination, state.id);
      // Active-timeout slices are pieces of one long connection, not check-ins.
      if (flow.endReason === "active_timeout") return;
      if (flow.protocol === 17) start(state, flow.dstIp, `udp/${flow.dstPort}`, flow.srcPort, flow.firstSeenUs, false);
      const pair = pairs.get(state.id)?.get(destination);
      if (!pair) return;
      pair.sizes[pair.sizeAt] = flow.bytesOut;
      pair.sizeAt = (pair.sizeAt + 1) % SIZE_RING;
      if (pair.sizeCount < SIZE_RING) pair.sizeCount++;
    },
  };
}
