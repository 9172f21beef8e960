import type { DeviceBaseline } from "../../baseline/device-baseline.js";
import type { DeviceState } from "../../discovery/device-map.js";
import { isPrivateIpv4, parseIpv4 } from "../../packet/address.js";

/**
 * What the behaviour detectors share about remote peers: whether an address is on the
 * internet, how many local devices reach a destination (prevalence), and how long a device's
 * baseline has known it.
 */

/** An address outside the LAN: not private, link-local, loopback, multicast or broadcast. */
export function isRemoteIp(ip: string): boolean {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) return v4 !== 0 && !isPrivateIpv4(v4) && v4 >>> 28 !== 14 && v4 !== 0xffffffff;
  const lower = ip.toLowerCase();
  if (lower.startsWith("::ffff:")) return isRemoteIp(lower.slice(7));
  // fe80::/10 link-local, fc00::/7 unique local, ff00::/8 multicast, :: and ::1.
  return !(
    lower.startsWith("fe8") ||
    lower.startsWith("fe9") ||
    lower.startsWith("fea") ||
    lower.startsWith("feb") ||
    lower.startsWith("fc") ||
    lower.startsWith("fd") ||
    lower.startsWith("ff") ||
    lower === "::" ||
    lower === "::1"
  );
}

/** An ordinary device (not the gateway or the sensor) whose traffic a detector judges. */
export function isJudgedDevice(state: DeviceState | undefined): state is DeviceState {
  return state !== undefined && state.role === "device";
}

/**
 * How many local devices reach each destination. Bounded: past `limit` destinations the
 * oldest-touched are forgotten, and each destination remembers at most `perDestination`
 * devices (prevalence saturates there anyway).
 */
export class DestinationPrevalence {
  private readonly reached = new Map<string, Set<string>>();
  private readonly devices = new Set<string>();

  constructor(
    private readonly limit = 8192,
    private readonly perDestination = 16,
  ) {}

  note(destination: string, deviceId: string): void {
    if (this.devices.size < 4096) this.devices.add(deviceId);
    let set = this.reached.get(destination);
    if (set) {
      this.reached.delete(destination);
    } else {
      set = new Set();
      if (this.reached.size >= this.limit) {
        const oldest = this.reached.keys().next().value;
        if (oldest !== undefined) this.reached.delete(oldest);
      }
    }
    if (set.size < this.perDestination) set.add(deviceId);
    this.reached.set(destination, set);
  }

  /** Other local devices (not `deviceId`) seen reaching the destination. */
  others(destination: string, deviceId: string): number {
    const set = this.reached.get(destination);
    if (!set) return 0;
    return set.size - (set.has(deviceId) ? 1 : 0);
  }

  /** Local devices seen reaching anything. */
  get population(): number {
    return this.devices.size;
  }

  /**
   * 0..1 weight of a destination's novelty: 1 when only this device reaches it, falling as
   * a larger share of the home reaches it (half the devices → 0.25, DETECTION.md prevalence).
   */
  weight(destination: string, deviceId: string): number {
    const others = this.others(destination, deviceId);
    if (others === 0) return 1;
    const share = (others + 1) / Math.max(2, this.population);
    return Math.max(0.1, Math.min(1, 1 - 1.5 * share)) * (others >= 3 ? 0.5 : 1);
  }
}

/** Days before today, in the baseline's window, on which the device reached `destination`. */
export function knownDays(baseline: DeviceBaseline | undefined, destination: string, nowMs: number): number {
  if (!baseline) return 0;
  // UTC days: off by the baseline's local offset only in the hours around midnight.
  const today = Math.floor(nowMs / 86_400_000);
  let count = 0;
  for (const d of baseline.windowDays(nowMs)) if (d.day < today && destination in d.destinations) count++;
  if (count === 0 && baseline.golden.some((g) => g.destinations.includes(destination))) return baseline.golden.length;
  return count;
}

/** Observed days before today (the baseline's history). */
export function historyDays(baseline: DeviceBaseline | undefined, nowMs: number): number {
  if (!baseline) return 0;
  const days = baseline.windowDays(nowMs);
  const today = Math.floor(nowMs / 86_400_000);
  return days.filter((d) => d.day < today && d.connections > 0).length;
}

/** "Normally talks to a.com (7 of 7 days), b.com (6 of 7 days)": the top of a baseline in words. */
export function describeNormal(baseline: DeviceBaseline | undefined, nowMs: number): string {
  if (!baseline) return "No baseline yet: this device has no history to compare with.";
  const summary = baseline.summary(nowMs);
  if (summary.daysObserved === 0) return "No baseline yet: this device has no history to compare with.";
  const top = summary.topDestinations
    .slice(0, 3)
    .map((d) => `${d.destination} (${d.days} of ${summary.daysObserved} days)`)
    .join(", ");
  return `Normally talks to ${top || "nothing on the internet"}; baseline ${summary.progress}.`;
}

/** Median of a numeric sample (0 for none); sorts a copy. */
export function median(values: ArrayLike<number>, count = values.length): number {
  if (count === 0) return 0;
  const sorted = Array.from({ length: count }, (_, i) => values[i]!).sort((a, b) => a - b);
  return quantileSorted(sorted, 0.5);
}

function quantileSorted(sorted: ArrayLike<number>, q: number, length = sorted.length): number {
  const at = (length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Scratch for robustShape: beaconing scores every connection start, so no arrays per call. */
let sortedScratch = new Float64Array(64);
let deviationScratch = new Float64Array(64);

/** The first `count` values sorted ascending in `scratch` (the rest is +Infinity). */
function sortInto(scratch: Float64Array, values: ArrayLike<number>, count: number): void {
  scratch.fill(Number.POSITIVE_INFINITY);
  for (let i = 0; i < count; i++) scratch[i] = values[i]!;
  scratch.sort();
}

/** RITA's robust dispersion statistics of a sample: median, MAD and Bowley's quartile skew. */
export function robustShape(
  values: ArrayLike<number>,
  count = values.length,
): { median: number; mad: number; skew: number } {
  if (count === 0) return { median: 0, mad: 0, skew: 0 };
  if (count > sortedScratch.length) {
    sortedScratch = new Float64Array(count);
    deviationScratch = new Float64Array(count);
  }
  const sorted = sortedScratch;
  sortInto(sorted, values, count);
  const q1 = quantileSorted(sorted, 0.25, count);
  const q2 = quantileSorted(sorted, 0.5, count);
  const q3 = quantileSorted(sorted, 0.75, count);
  for (let i = 0; i < count; i++) sorted[i] = Math.abs(sorted[i]! - q2);
  sortInto(deviationScratch, sorted, count);
  const mad = quantileSorted(deviationScratch, 0.5, count);
  // Bowley: (Q3 + Q1 − 2·Q2) / (Q3 − Q1); 0 when the quartiles coincide (a perfectly regular sample).
  const skew = q3 - q1 > 0 ? (q3 + q1 - 2 * q2) / (q3 - q1) : 0;
  return { median: q2, mad, skew };
}
