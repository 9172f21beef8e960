import type { DeviceState } from "../../discovery/device-map.js";
import type { DeviceType } from "../../discovery/device-record.js";
import type { Severity } from "../alert.js";
import type { Detector, DetectorContext } from "../detector.js";
import { countDeviceVolume, type DeviceVolumeCounter } from "./device-volume.js";
import { describeNormal, historyDays } from "./remote-peers.js";

const MB = 1_000_000;
const HOUR_US = 3600e6;
/** Bytes an hour must carry before anything is judged, at sensitivity 0.5 (tiny devices never alert on kilobytes). */
const FLOOR_BYTES = 5 * MB;
/** Observed days before today a baseline needs when it is not yet "ready". */
const MIN_HISTORY_DAYS = 3;
/** Devices whose volume swings by habit (updates, streaming, backups): severity stops at medium. */
const HABITUAL: ReadonlySet<DeviceType> = new Set(["phone", "tablet", "computer", "game_console", "nas", "tv"]);

interface HourCounter {
  /** Hour index (µs / 1 h) the bytes belong to, and its bounds (packets compare, not divide). */
  hour: number;
  startUs: number;
  endUs: number;
  bytes: number;
  up: number;
  firstUs: number;
  /** Bytes at which the counter is judged next (Infinity once settled for the hour). */
  nextCheck: number;
  threshold: number;
  /** The busiest hour of the earlier days in the window (bytes). */
  peak: number;
  raised: Severity | null;
}

/**
 * Devices that move bursts as their job (a camera's motion clips, NAS replication) or by habit
 * (updates, streaming): the floor is multiplied by this (as data_exfiltration does).
 */
const TYPE_FACTOR: Partial<Record<DeviceType, number>> = {
  camera: 4,
  nas: 5,
  computer: 2,
  phone: 2,
  tablet: 2,
  game_console: 2,
  tv: 2,
};

/**
 * The hour's threshold at a sensitivity (every term falls as sensitivity rises): above the
 * hour's median + k·MAD, above `ratio` × its median, above the floor, and above `peakFactor` ×
 * the busiest hour of the earlier days (a camera's clip at an odd hour is not a spike if it
 * has sent such clips before).
 */
export function spikeThreshold(median: number, mad: number, sensitivity: number, peak = 0, typeFactor = 1): number {
  const s = Math.min(1, Math.max(0, sensitivity));
  const k = 12 - 8 * s; // 8 MADs at 0.5
  const ratio = 6 + 8 * (1 - s); // 10 × the median at 0.5
  const floor = FLOOR_BYTES * 2 ** (1 - 2 * s) * typeFactor; // 5 MB at 0.5, 2.5 MB at 1, 10 MB at 0
  const peakFactor = 2 ** (1 - s) * 1.5; // 2.1 × the past peak hour at 0.5, 1.5 × at 1
  return Math.max(floor, ratio * median, median + k * mad, peakFactor * peak);
}

/**
 * traffic_spike: a device moves far more bytes in the current hour than its baseline expects
 * for that hour (hour of week once two weeks exist, else hour of day): above the median plus
 * k·MAD, above 10 × the median, above 2.1 × its busiest earlier hour and above a 5 MB floor
 * (20 MB for cameras, 10 MB for phones and computers; at sensitivity 0.5). Only for devices
 * whose baseline is ready or has three observed days. Bytes are counted per device from the
 * flow table's reports (up, and down through the gateway), so the alert comes within a second
 * of packet time of the hour crossing, and no packet is counted twice.
 */
export function trafficSpikeDetector(context: DetectorContext): Detector {
  // By device slot: the packet path indexes an array instead of hashing the device.
  const counters: (HourCounter | undefined)[] = [];
  const minFloor = FLOOR_BYTES / 2;
  let lastSweepUs = 0;

  const judge = (state: DeviceState, c: HourCounter, nowUs: number) => {
    const nowMs = nowUs / 1000;
    const baseline = context.profiles.baseline(state.id);
    if (baseline === undefined || context.isSensor(state.mac)) {
      c.nextCheck = Number.POSITIVE_INFINITY;
      return;
    }
    if (c.threshold === 0) {
      const history = historyDays(baseline, nowMs);
      const ready = history >= MIN_HISTORY_DAYS || baseline.summary(nowMs).state === "ready";
      if (!ready) {
        c.nextCheck = Number.POSITIVE_INFINITY;
        return;
      }
      const expected = baseline.expectedBytes(nowMs);
      const today = Math.floor(nowMs / 86_400_000);
      let peak = 0;
      for (const d of baseline.windowDays(nowMs)) if (d.day < today) for (const b of d.hourly) if (b > peak) peak = b;
      c.peak = peak;
      c.threshold = spikeThreshold(
        expected.median,
        expected.mad,
        context.sensitivity("traffic_spike", state.id),
        peak,
        TYPE_FACTOR[state.type.value] ?? 1,
      );
    }
    if (c.bytes < c.threshold) {
      c.nextCheck = c.threshold;
      return;
    }
    const habitual = HABITUAL.has(state.type.value);
    const big = c.bytes >= 5 * c.threshold;
    const severity: Severity = habitual ? (big ? "medium" : "low") : big ? "high" : "medium";
    c.nextCheck = big ? Number.POSITIVE_INFINITY : 5 * c.threshold;
    if (c.raised === severity) return;
    c.raised = severity;
    const expected = baseline.expectedBytes(nowMs);
    const megabytes = (b: number) => Math.round(b / 1e5) / 10;
    const what = state.type.value === "unknown" ? "device" : state.type.value.replaceAll("_", "/");
    context.raise({
      type: "traffic_spike",
      severity,
      confidence: Math.round(Math.min(0.9, 0.5 + 0.1 * Math.log2(c.bytes / c.threshold + 1)) * 100) / 100,
      deviceId: state.id,
      mac: null,
      time: Math.floor(nowMs),
      firstEvidence: Math.floor(c.firstUs / 1000),
      key: `${state.id}|${c.hour}`,
      description: `This ${what} moved ${megabytes(c.bytes)} MB this hour, far more than it usually does at this time.`,
      normal: `${describeNormal(baseline, nowMs)} Usually about ${megabytes(expected.median)} MB in this hour (spread ${megabytes(expected.mad)} MB, ${expected.samples} days, by ${expected.basis.replaceAll("_", " ")}); its busiest hour moved ${megabytes(c.peak)} MB.`,
      observed: `${megabytes(c.bytes)} MB so far this hour (${megabytes(c.up)} MB sent), above the ${megabytes(c.threshold)} MB limit.`,
      evidence: {
        bytes: c.bytes,
        bytesUp: c.up,
        thresholdBytes: Math.round(c.threshold),
        expectedMedian: expected.median,
        expectedMad: expected.mad,
        basis: expected.basis,
        samples: expected.samples,
        pastPeakHourBytes: c.peak,
        ratio: Math.round((c.bytes / Math.max(1, expected.median)) * 10) / 10,
      },
    });
  };

  /** The device's counter for the hour of `t`, started afresh when the hour changed. */
  const begin = (state: DeviceState, c: HourCounter | undefined, t: number): HourCounter => {
    const hour = Math.floor(t / HOUR_US);
    const startUs = hour * HOUR_US;
    const endUs = startUs + HOUR_US;
    if (c === undefined) {
      c = {
        hour,
        startUs,
        endUs,
        bytes: 0,
        up: 0,
        firstUs: t,
        nextCheck: minFloor,
        threshold: 0,
        peak: 0,
        raised: null,
      };
      counters[state.slot] = c;
    } else if (c.hour !== hour) {
      c.hour = hour;
      c.startUs = startUs;
      c.endUs = endUs;
      c.bytes = 0;
      c.up = 0;
      c.firstUs = t;
      c.nextCheck = minFloor;
      c.threshold = 0;
      c.raised = null;
    }
    return c;
  };

  // Judged at the packet time of the flow's last packet: when the evidence became complete
  // (the report comes at the next tick, within a second of packet time).
  const count: DeviceVolumeCounter = (state, bytes, up, t) => {
    let c = counters[state.slot];
    if (c === undefined || t < c.startUs || t >= c.endUs) c = begin(state, c, t);
    c.bytes += bytes;
    if (up) c.up += bytes;
    if (c.bytes >= c.nextCheck) judge(state, c, t);
  };

  return {
    type: "traffic_spike",
    onVolume(report) {
      countDeviceVolume(report, count);
    },
    tick(nowUs: number) {
      if (nowUs - lastSweepUs < 10 * 60e6) return;
      lastSweepUs = nowUs;
      const hour = Math.floor(nowUs / HOUR_US);
      for (let i = 0; i < counters.length; i++)
        if (counters[i] !== undefined && counters[i]!.hour < hour - 1) counters[i] = undefined;
    },
  };
}
