import type { DeviceBaseline } from "../../baseline/device-baseline.js";
import type { DeviceState } from "../../discovery/device-map.js";
import type { DeviceType } from "../../discovery/device-record.js";
import type { FlowProgress } from "../../flow/flow-progress.js";
import type { FlowRecord } from "../../flow/flow-record.js";
import { formatIp, formatIpv4, isGroupMac, isLocalUnicast, isMappedIpv4, isPrivateIpv4 } from "../../packet/address.js";
import type { Severity } from "../alert.js";
import type { Detector, DetectorContext, VolumeReport } from "../detector.js";
import {
  DestinationPrevalence,
  describeNormal,
  historyDays,
  isJudgedDevice,
  isRemoteIp,
  knownDays,
} from "./remote-peers.js";

const MB = 1_000_000;
/** Upload counted per (device, remote address) over this window (Firewalla looks back 4 h every 15 min; we check every packet). */
const WINDOW_US = 15 * 60e6;
/** Floor at sensitivity 0.5: below it nothing is an exfiltration (Slips alerts at 100 MB per flow). */
const FLOOR_BYTES = 20 * MB;
/** Upload must exceed download this many times: video calls and sync send about what they receive. */
const UP_DOWN_RATIO = 4;
const COUNTERS_PER_DEVICE = 1024;

/**
 * Devices that upload a lot as their job (cameras, NAS replication) or by habit (phone and PC
 * backups, video calls): the floor is multiplied by this.
 */
const TYPE_FACTOR: Partial<Record<DeviceType, number>> = {
  camera: 5,
  nas: 5,
  computer: 2,
  phone: 2,
  tablet: 2,
  game_console: 2,
};

interface Counter {
  /** The remote address and service, formatted only when judged (most counters never are). */
  ipVersion: number;
  ip4: number;
  ip6: Uint32Array | undefined;
  protocol: number;
  port: number;
  up: number;
  down: number;
  firstUs: number;
  lastUs: number;
  /** Bytes up at which the counter is judged next (Infinity once it is settled for the window). */
  nextCheck: number;
  /** The window's threshold, computed when the upload first passes the floor (NaN before). */
  threshold: number;
  raisedRank: number;
}

/** A device's counters, and its threshold as last computed (kept while what it reads holds). */
interface DeviceCounters {
  byAddress: Map<number, Counter>;
  /** The threshold reads the baseline's local hour and the UTC day, the baseline and the type. */
  thresholdHour: number;
  thresholdDay: number;
  thresholdBaseline: DeviceBaseline | undefined;
  thresholdRevision: number;
  /** The baseline's whole revision when the threshold was last found valid. */
  checkedRevision: number;
  thresholdType: DeviceType | undefined;
  threshold: number;
}

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** An internet unicast address reached through a unicast MAC (not the LAN, not a group). */
function isRemoteUnicast(words: Uint32Array, mac: number): boolean {
  if (isGroupMac(mac)) return false;
  if (isMappedIpv4(words)) {
    const v4 = words[3]!;
    return !isPrivateIpv4(v4) && v4 >>> 28 < 14;
  }
  return !isLocalUnicast(words) && words[0]! >>> 24 !== 0xff;
}

function ipOf(c: Counter): string {
  return c.ip6 === undefined ? formatIpv4(c.ip4) : formatIp(c.ip6);
}

function portOf(c: Counter): string {
  return `${c.protocol === 6 ? "tcp" : c.protocol === 17 ? "udp" : `ip-${c.protocol}`}/${c.port}`;
}

/**
 * A number standing for an address: the IPv4 value as a signed 32-bit integer (a small integer
 * to V8, which Map hashes fast; public addresses are above 2^31), or an FNV-style mix of the
 * IPv6 words.
 */
function addressKey(words: Uint32Array): number {
  if (isMappedIpv4(words)) return words[3]! | 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ words[i]!, 0x01000193) >>> 0;
  // Above 2^32 so IPv6 keys never meet IPv4 ones.
  return 4294967296 + h;
}

/**
 * data_exfiltration: a device sends far more than its baseline to a destination it has no
 * history with, and far more than it receives from it. Bytes are summed per (device, remote
 * address) from the flow table's reports every second of packet time, so a 100 MB upload is
 * caught within a second or two of crossing the threshold, not at the next 15-minute batch
 * (Firewalla) or when the flow ends (Slips).
 */
export function dataExfiltrationDetector(context: DetectorContext): Detector {
  const counters = new Map<DeviceState, DeviceCounters>();
  const prevalence = new DestinationPrevalence();
  let lastSweepUs = 0;
  /** No counter was last touched before this: the sweep has nothing to drop until it is a window old. */
  let oldestLastUs = Number.POSITIVE_INFINITY;

  /** thresholdFor, recomputed only when the hour, the day, the baseline or the device's type changed. */
  const cachedThreshold = (state: DeviceState, mine: DeviceCounters, nowUs: number): number => {
    const baseline = context.profiles.baseline(state.id);
    const nowMs = nowUs / 1000;
    const hour = Math.floor((nowMs + (baseline?.utcOffsetMinutes ?? 0) * 60_000) / 3_600_000);
    const day = Math.floor(nowMs / 86_400_000);
    const same =
      mine.thresholdHour === hour &&
      mine.thresholdDay === day &&
      mine.thresholdBaseline === baseline &&
      mine.thresholdType === state.type.value;
    // Nothing changed in the baseline since the last check: no need to ask which days changed.
    if (same && (baseline?.revision ?? -1) === mine.checkedRevision) return mine.threshold;
    mine.checkedRevision = baseline?.revision ?? -1;
    // It reads days before today only (local and UTC today): flows of today leave it as it is.
    const revision = baseline?.revisionBefore(Math.max(day, Math.floor(hour / 24))) ?? -1;
    if (!same || mine.thresholdRevision !== revision) {
      mine.threshold = thresholdFor(state, nowUs);
      mine.thresholdHour = hour;
      mine.thresholdDay = day;
      mine.thresholdBaseline = baseline;
      mine.thresholdRevision = revision;
      mine.thresholdType = state.type.value;
    }
    return mine.threshold;
  };

  /** The least any threshold of this device can be: below it no baseline needs reading. */
  const floorFor = (state: DeviceState): number => {
    const sensitivity = context.sensitivity("data_exfiltration", state.id);
    return FLOOR_BYTES * 4 ** (1 - 2 * sensitivity) * (TYPE_FACTOR[state.type.value] ?? 1);
  };

  /** Bytes a window must carry before it is judged, for this device now. Monotone in sensitivity. */
  const thresholdFor = (state: DeviceState, nowUs: number): number => {
    const sensitivity = context.sensitivity("data_exfiltration", state.id);
    const floor = floorFor(state);
    const baseline = context.profiles.baseline(state.id);
    if (!baseline) return floor;
    const nowMs = nowUs / 1000;
    const days = baseline.windowDays(nowMs).filter((d) => d.connections > 0 && d.day < Math.floor(nowMs / 86_400_000));
    const ups = days.map((d) => d.bytesUp).sort((a, b) => a - b);
    const medianUp = ups.length > 0 ? ups[ups.length >> 1]! : 0;
    const hour = baseline.expectedBytes(nowMs);
    // A window may carry half a normal day's uploads, or the hour's usual volume plus its spread, before it counts.
    return Math.max(floor, medianUp * 0.5 * (1.5 - sensitivity), hour.median + (6 - 4 * sensitivity) * hour.mad);
  };

  const judge = (state: DeviceState, c: Counter, nowUs: number) => {
    if (c.up < UP_DOWN_RATIO * c.down) {
      // Still a two-way exchange (a call, a sync): look again when the upload doubles.
      c.nextCheck = c.up * 2;
      return;
    }
    const nowMs = nowUs / 1000;
    const ip = ipOf(c);
    const port = portOf(c);
    const destination = context.profiles.destinationOf(ip);
    const baseline = context.profiles.baseline(state.id);
    const known = knownDays(baseline, destination, nowMs);
    const others = prevalence.others(destination, state.id);
    if (known > 0 || others >= 2) {
      // A destination with history (the camera's cloud, the phone's backup) or shared by the home.
      c.nextCheck = Number.POSITIVE_INFINITY;
      return;
    }
    const history = historyDays(baseline, nowMs);
    let severity: Severity = c.up >= 5 * c.threshold ? "high" : "medium";
    if (history === 0) severity = "low";
    c.nextCheck = severity === "high" || history === 0 ? Number.POSITIVE_INFINITY : 5 * c.threshold;
    if (RANK[severity] <= c.raisedRank) return;
    c.raisedRank = RANK[severity];
    const seconds = Math.max(1, (c.lastUs - c.firstUs) / 1e6);
    const megabytes = Math.round(c.up / 1e5) / 10;
    context.raise({
      type: "data_exfiltration",
      severity,
      confidence:
        Math.round(Math.min(0.9, 0.5 + 0.1 * Math.log2(c.up / c.threshold + 1) + (history > 0 ? 0.2 : 0)) * 100) / 100,
      deviceId: state.id,
      mac: null,
      time: Math.floor(nowMs),
      firstEvidence: Math.floor(c.firstUs / 1000),
      key: `${state.id}|${destination}`,
      description: `This device sent ${megabytes} MB to ${destination}, a place it has never talked to, far more than it usually uploads.`,
      normal: `${describeNormal(baseline, nowMs)} Uploads up to ${Math.round(c.threshold / MB)} MB in 15 minutes are within its normal.`,
      observed: `${megabytes} MB up and ${Math.round(c.down / 1e5) / 10} MB down with ${destination} (${port}) in ${Math.round(seconds)} s.`,
      evidence: {
        destination,
        address: ip,
        port,
        bytesUp: c.up,
        bytesDown: c.down,
        seconds: Math.round(seconds),
        bytesPerSecond: Math.round(c.up / seconds),
        thresholdBytes: Math.round(c.threshold),
        knownDays: known,
        otherDevices: others,
      },
    });
  };

  const counterFor = (
    state: DeviceState,
    key: number,
    remote: Uint32Array,
    protocol: number,
    port: number,
    t: number,
  ) => {
    let mine = counters.get(state);
    if (!mine) {
      mine = {
        byAddress: new Map(),
        thresholdHour: Number.NaN,
        thresholdDay: Number.NaN,
        thresholdBaseline: undefined,
        thresholdRevision: Number.NaN,
        checkedRevision: Number.NaN,
        thresholdType: undefined,
        threshold: 0,
      };
      counters.set(state, mine);
    }
    const byAddress = mine.byAddress;
    let c = byAddress.get(key);
    if (c === undefined || t - c.firstUs > WINDOW_US) {
      if (c === undefined && byAddress.size >= COUNTERS_PER_DEVICE) {
        const oldest = byAddress.keys().next().value;
        if (oldest !== undefined) byAddress.delete(oldest);
      }
      // The baseline is read only once the upload passes the floor (few counters ever do).
      const floor = floorFor(state);
      const v4 = isMappedIpv4(remote);
      c = {
        ipVersion: v4 ? 4 : 6,
        ip4: v4 ? remote[3]! : 0,
        ip6: v4 ? undefined : Uint32Array.from(remote),
        protocol,
        port,
        up: 0,
        down: 0,
        firstUs: t,
        lastUs: t,
        nextCheck: floor,
        threshold: Number.NaN,
        raisedRank: c?.raisedRank ?? -1,
      };
      byAddress.set(key, c);
    }
    return c;
  };

  /**
   * A flow's new bytes between a device and a remote address: `up` it sent, `down` the gateway
   * brought back. Counters start with an upload, as before: a download alone never opens one.
   */
  const account = (
    state: DeviceState,
    flow: FlowProgress,
    remote: Uint32Array,
    port: number,
    up: number,
    down: number,
  ) => {
    const key = addressKey(remote);
    const t = flow.lastUs;
    if (up === 0) {
      const c = counters.get(state)?.byAddress.get(key);
      if (c !== undefined) c.down += down;
      return;
    }
    const c = counterFor(state, key, remote, flow.protocol, port, t);
    c.up += up;
    c.down += down;
    if (t > c.lastUs) c.lastUs = t;
    if (c.lastUs < oldestLastUs) oldestLastUs = c.lastUs;
    if (c.up < c.nextCheck || context.isSensor(state.mac)) return;
    if (Number.isNaN(c.threshold)) {
      c.threshold = cachedThreshold(state, counters.get(state)!, t);
      c.nextCheck = c.threshold;
      if (c.up < c.threshold) return;
    }
    judge(state, c, t);
  };

  return {
    type: "data_exfiltration",
    // Volumes come from the flow table's reports (every second of packet time and at a flow's
    // end), not from every packet: a device's upload to one remote address, and the download
    // the gateway forwards back from it.
    onVolume({ flow, deviceA: a, deviceB: b }: VolumeReport) {
      if (a?.role === "device" && isRemoteUnicast(flow.addressB, flow.macB)) {
        account(a, flow, flow.addressB, flow.portB, flow.bytesAB, b?.role === "gateway" ? flow.bytesBA : 0);
      } else if (b?.role === "device" && isRemoteUnicast(flow.addressA, flow.macA)) {
        // Opened from the internet (or first seen from its answer): the device's bytes go B → A.
        account(b, flow, flow.addressA, flow.portA, flow.bytesBA, a?.role === "gateway" ? flow.bytesAB : 0);
      }
    },
    onFlowEnd(flow: FlowRecord) {
      const state = flow.srcMac > 0 ? context.devices.get(flow.srcMac) : context.devices.stateForIp(flow.srcIp);
      if (!isJudgedDevice(state) || !isRemoteIp(flow.dstIp)) return;
      prevalence.note(context.profiles.destinationOf(flow.dstIp), state.id);
    },
    tick(nowUs: number) {
      // Every 5 minutes: a counter past its window is also replaced when its address comes back.
      if (nowUs - lastSweepUs < 300e6) return;
      lastSweepUs = nowUs;
      // Ticks come every second of packet time: walk the counters only when one can be stale.
      if (nowUs - oldestLastUs <= WINDOW_US) return;
      let oldest = Number.POSITIVE_INFINITY;
      for (const [state, { byAddress }] of counters) {
        for (const [key, c] of byAddress) {
          if (nowUs - c.lastUs > WINDOW_US) byAddress.delete(key);
          else if (c.lastUs < oldest) oldest = c.lastUs;
        }
        if (byAddress.size === 0) counters.delete(state);
      }
      oldestLastUs = oldest;
    },
  };
}
