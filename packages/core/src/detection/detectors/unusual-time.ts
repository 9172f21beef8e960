import type { DeviceBaseline } from "../../baseline/device-baseline.js";
import type { DeviceState } from "../../discovery/device-map.js";
import type { DeviceType } from "../../discovery/device-record.js";
import type { Severity } from "../alert.js";
import type { Detector, DetectorContext } from "../detector.js";
import { countDeviceVolume, type DeviceVolumeCounter } from "./device-volume.js";
import { describeNormal, historyDays } from "./remote-peers.js";

const HOUR_US = 3600e6;
const MINUTE_US = 60e6;
const BLOCK_US = 15 * MINUTE_US;
const DAY_MS = 86_400_000;
/** A baseline needs this many observed days (a full window) and this many quiet hours. */
const MIN_HISTORY_DAYS = 6;
const MIN_QUIET_HOURS = 6;
/** Devices a person uses: being up at night is a habit, not an intrusion (low); everything else is medium. */
const PERSONAL: ReadonlySet<DeviceType> = new Set(["phone", "tablet", "computer", "game_console", "wearable_scale"]);

/** Minutes with traffic an hour needs, and bytes it must carry, at a sensitivity: both fall as it rises. */
export function sustainedThresholds(sensitivity: number): { minutes: number; bytes: number } {
  const s = Math.min(1, Math.max(0, sensitivity));
  return { minutes: Math.round(20 - 20 * s), bytes: Math.round(100_000 * 4 ** (1 - 2 * s)) };
}

interface HourActivity {
  hour: number;
  /** Bounds of the hour and of the minute last marked: packets compare, they do not divide. */
  startUs: number;
  endUs: number;
  minuteStartUs: number;
  minuteEndUs: number;
  /** Minutes of the hour with traffic, as bits (two 30-bit words). */
  low: number;
  high: number;
  minutes: number;
  bytes: number;
  firstUs: number;
  /** Minutes and bytes this hour needs (from the sensitivity, fixed at the hour's first packet). */
  needMinutes: number;
  needBytes: number;
  /** Settled for this hour (judged and either raised or found normal). */
  done: boolean;
}

/**
 * unusual_time: sustained activity (≥ 10 minutes with traffic and ≥ 100 kB in one hour, at
 * sensitivity 0.5) in an hour of the day the device is normally quiet: outside its baseline's
 * usual hours, and active in that hour on at most one earlier day. Judged only for devices whose
 * baseline has six observed days and at least six quiet hours (a device busy around the clock
 * has no unusual time). Low for phones and computers, medium for things.
 *
 * Bytes and minutes come from the flow table's volume reports; those come every minute of
 * packet time only while some device is in an hour it could be judged in (rechecked every 15
 * minutes), so a network whose devices are busy around the clock costs no per-minute work.
 */
export function unusualTimeDetector(context: DetectorContext): Detector {
  // By device slot: the packet path indexes an array instead of hashing the device.
  const activity: (HourActivity | undefined)[] = [];
  /**
   * Devices counted so far, and how many of them are in an hour they could be judged unusual
   * in (at full sensitivity, so the answer does not depend on the setting): minutes must be
   * counted exactly only then, and only then are volumes asked for every minute.
   */
  const known: (DeviceState | undefined)[] = [];
  let watched = 0;
  let blockEndUs = Number.NEGATIVE_INFINITY;
  const refreshWatched = (nowUs: number) => {
    // Every 15 minutes of packet time: local hours may start at :30 or :45 of a UTC hour.
    blockEndUs = (Math.floor(nowUs / BLOCK_US) + 1) * BLOCK_US;
    watched = 0;
    for (const state of known) if (state !== undefined && quietHour(state, nowUs, 1) !== undefined) watched++;
  };
  const offsets = new WeakMap<DeviceBaseline, number>();
  let lastSweepUs = 0;

  const offsetOf = (baseline: DeviceBaseline): number => {
    let offset = offsets.get(baseline);
    if (offset === undefined) {
      offset = baseline.toJSON().utcOffsetMinutes;
      offsets.set(baseline, offset);
    }
    return offset;
  };

  /**
   * The quiet hour `nowUs` falls in for this device, or undefined when the hour is not one it
   * could be judged unusual in (at sensitivity `sensitivity`): a baseline with six observed
   * days and six quiet hours, an hour outside its usual ones, active on few earlier days.
   */
  const quietHour = (state: DeviceState, nowUs: number, sensitivity: number) => {
    if (context.isSensor(state.mac)) return undefined;
    const baseline = context.profiles.baseline(state.id);
    if (baseline === undefined) return undefined;
    const nowMs = nowUs / 1000;
    if (historyDays(baseline, nowMs) < MIN_HISTORY_DAYS) return undefined;
    const usualHours = usualHoursOf(baseline, nowMs);
    const quietHours = 24 - usualHours.length;
    if (quietHours < MIN_QUIET_HOURS) return undefined;
    const local = nowMs + offsetOf(baseline) * 60_000;
    const hourOfDay = Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000);
    if (usualHours.includes(hourOfDay)) return undefined;
    const today = Math.floor(local / DAY_MS);
    const earlier = baseline.windowDays(nowMs).filter((d) => d.day < today && d.connections > 0);
    const activeDays = earlier.filter((d) => (d.hourly[hourOfDay] ?? 0) > 0).length;
    // Active in this hour on one earlier day may still be unusual; on two, only at full sensitivity.
    if (activeDays > (sensitivity >= 1 ? 2 : 1)) return undefined;
    return { baseline, usualHours, quietHours, hourOfDay, earlier, activeDays };
  };

  const judge = (state: DeviceState, a: HourActivity, nowUs: number) => {
    a.done = true;
    const quiet = quietHour(state, nowUs, context.sensitivity("unusual_time", state.id));
    if (quiet === undefined) return;
    const { baseline, usualHours, quietHours, hourOfDay, earlier, activeDays } = quiet;
    const nowMs = nowUs / 1000;
    const personal = PERSONAL.has(state.type.value) || state.type.value === "unknown";
    const severity: Severity = personal ? "low" : "medium";
    const what = state.type.value === "unknown" ? "device" : state.type.value.replaceAll("_", "/");
    const clock = `${String(hourOfDay).padStart(2, "0")}:00`;
    const hours = describeHours(usualHours);
    context.raise({
      type: "unusual_time",
      severity,
      confidence: Math.round((0.5 + (0.05 * quietHours) / 2 - 0.15 * activeDays) * 100) / 100,
      deviceId: state.id,
      mac: null,
      time: Math.floor(nowMs),
      firstEvidence: Math.floor(a.firstUs / 1000),
      key: `${state.id}|${a.hour}`,
      description: `This ${what} was busy at ${clock}, an hour it is normally quiet.`,
      normal: `${describeNormal(baseline, nowMs)} Usually active ${hours}; active at ${clock} on ${activeDays} of ${earlier.length} earlier days.`,
      observed: `Traffic in ${a.minutes} minutes of the hour from ${clock} (${Math.round(a.bytes / 1000)} kB so far).`,
      evidence: {
        hourOfDay,
        activeMinutes: a.minutes,
        bytes: a.bytes,
        usualHours,
        quietHours,
        activeDaysThisHour: activeDays,
        daysObserved: earlier.length,
      },
    });
  };

  /**
   * A flow's new bytes, in the minute and hour of its last packet (reports come every second of
   * packet time), judged at that packet's time: when the evidence became complete.
   */
  const note: DeviceVolumeCounter = (state, bytes, _up, t) => {
    if (known[state.slot] === undefined) known[state.slot] = state;
    let a = activity[state.slot];
    if (a === undefined || t < a.startUs || t >= a.endUs) a = begin(state, a, t);
    if (a.done) return;
    a.bytes += bytes;
    // Within the minute last marked, its bit is set already.
    if (t < a.minuteStartUs || t >= a.minuteEndUs) mark(a, t);
    if (a.minutes >= a.needMinutes && a.bytes >= a.needBytes) judge(state, a, t);
  };

  /** The device's activity for the hour of `t`, started afresh when the hour changed. */
  const begin = (state: DeviceState, a: HourActivity | undefined, t: number): HourActivity => {
    const hour = Math.floor(t / HOUR_US);
    if (a === undefined) {
      a = {
        hour,
        startUs: 0,
        endUs: 0,
        minuteStartUs: 0,
        minuteEndUs: 0,
        low: 0,
        high: 0,
        minutes: 0,
        bytes: 0,
        firstUs: t,
        needMinutes: 0,
        needBytes: 0,
        done: false,
      };
      activity[state.slot] = a;
      reset(state, a, hour, t);
    } else if (a.hour !== hour) reset(state, a, hour, t);
    return a;
  };

  const mark = (a: HourActivity, t: number) => {
    const hourStartUs = a.hour * HOUR_US;
    const minute = Math.floor((t - hourStartUs) / MINUTE_US);
    a.minuteStartUs = hourStartUs + minute * MINUTE_US;
    a.minuteEndUs = a.minuteStartUs + MINUTE_US;
    if (minute < 30) {
      const bit = 1 << minute;
      if ((a.low & bit) === 0) {
        a.low |= bit;
        a.minutes++;
      }
    } else {
      const bit = 1 << (minute - 30);
      if ((a.high & bit) === 0) {
        a.high |= bit;
        a.minutes++;
      }
    }
  };

  const reset = (state: DeviceState, a: HourActivity, hour: number, t: number) => {
    const need = sustainedThresholds(context.sensitivity("unusual_time", state.id));
    a.hour = hour;
    a.startUs = hour * HOUR_US;
    a.endUs = a.startUs + HOUR_US;
    // No minute marked yet.
    a.minuteStartUs = 0;
    a.minuteEndUs = 0;
    a.low = 0;
    a.high = 0;
    a.minutes = 0;
    a.bytes = 0;
    a.firstUs = t;
    a.needMinutes = Math.max(1, need.minutes);
    a.needBytes = need.bytes;
    a.done = false;
  };

  return {
    type: "unusual_time",
    needsMinuteVolumes: () => watched > 0,
    onVolume(report) {
      countDeviceVolume(report, note);
    },
    tick(nowUs: number) {
      if (nowUs >= blockEndUs) refreshWatched(nowUs);
      if (nowUs - lastSweepUs < 10 * 60e6) return;
      lastSweepUs = nowUs;
      const hour = Math.floor(nowUs / HOUR_US);
      for (let i = 0; i < activity.length; i++)
        if (activity[i] !== undefined && activity[i]!.hour < hour - 1) activity[i] = undefined;
    },
  };
}

/**
 * The baseline summary's usual hours (active on at least half the observed days of the
 * window), without the rest of the summary: the summary is rebuilt after every flow that
 * changes today, and this is asked every 15 minutes of packet time per device.
 */
function usualHoursOf(baseline: DeviceBaseline, nowMs: number): number[] {
  const counts = new Array<number>(24).fill(0);
  let observed = 0;
  for (const day of baseline.windowDays(nowMs)) {
    if (day.connections <= 0) continue;
    observed++;
    for (let hour = 0; hour < 24; hour++) if ((day.hourly[hour] ?? 0) > 0) counts[hour]!++;
  }
  const hours: number[] = [];
  for (let hour = 0; hour < 24; hour++) if (observed > 0 && counts[hour]! * 2 >= observed) hours.push(hour);
  return hours;
}

/** "08–22 h" style ranges of the usual hours. */
function describeHours(hours: readonly number[]): string {
  if (hours.length === 0) return "at no regular hour";
  const ranges: string[] = [];
  let start = hours[0]!;
  let previous = start;
  for (const h of [...hours.slice(1), -1]) {
    if (h === previous + 1) {
      previous = h;
      continue;
    }
    ranges.push(start === previous ? `${start}h` : `${start}–${previous + 1}h`);
    start = h;
    previous = h;
  }
  return `at ${ranges.join(", ")}`;
}
