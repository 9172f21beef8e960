import { type DeviceConnection, portKey } from "../profile/device-profile.js";

export interface BaselineOptions {
  /** Days the baseline looks back over (default 7). */
  windowDays: number;
  /** Days of history kept at all; older days are purged (default 30). */
  retentionDays: number;
  /** Local time for hours and days, in minutes east of UTC (default 0: UTC). */
  utcOffsetMinutes: number;
  /** Destinations and ports kept per day (bounded; the rest is summed as "other"). */
  perDayLimit: number;
}

export const DEFAULT_BASELINE_OPTIONS: BaselineOptions = {
  windowDays: 7,
  retentionDays: 30,
  utcOffsetMinutes: 0,
  perDayLimit: 32,
};

/** One day of a device's behaviour: the unit a baseline is built from, stored and exported. */
export interface DailySummary {
  /** Days since 1970-01-01 in local time. */
  day: number;
  bytesUp: number;
  bytesDown: number;
  connections: number;
  /** Bytes per hour of the day. */
  hourly: number[];
  destinations: Record<string, { bytes: number; connections: number }>;
  ports: Record<string, number>;
  /** Bytes and connections of destinations beyond the per-day limit. */
  other: { bytes: number; connections: number };
  /** End of the latest connection counted (ms); tells a continuation from a replay of the same day. */
  lastTime?: number;
}

/** Expected behaviour from other sources: a golden profile of the device's model (from the cloud, or imported). */
export interface GoldenProfile {
  source: string;
  destinations: string[];
  ports: string[];
}

export interface BaselineJson {
  /** Schema of this JSON (for import/export). */
  schema: 1;
  deviceId: string;
  utcOffsetMinutes: number;
  days: DailySummary[];
  golden: GoldenProfile[];
}

export interface Expectation {
  /** Typical bytes in this hour: the median over the days that had this hour. */
  median: number;
  /** Median absolute deviation around it (robust spread). */
  mad: number;
  /** "hour_of_week" once two weeks of the same weekday hour exist, else "hour_of_day". */
  basis: "hour_of_week" | "hour_of_day";
  samples: number;
}

export interface BaselineSummary {
  daysObserved: number;
  windowDays: number;
  /** "learning" until the window is full of observed days, then "ready". */
  state: "learning" | "ready";
  /** "learning, 3 of 7 days" or "ready, 7 of 7 days". */
  progress: string;
  /** 0..1, grows with observed days: 1 − e^(−days/3) (0.28 after a day, 0.90 after a week). */
  confidence: number;
  /**
   * Usual destinations, most regular first, with their rhythm: connections per observed day
   * and the typical interval that implies (a keep-alive every ~20 min shows as 1200 s).
   */
  topDestinations: readonly {
    destination: string;
    days: number;
    bytes: number;
    connections: number;
    connectionsPerDay: number;
    typicalIntervalSeconds: number;
  }[];
  usualPorts: readonly { port: string; days: number }[];
  /** Hours of the day with activity on at least half of the observed days. */
  usualHours: readonly number[];
  /** Median bytes per day over the window. */
  dailyBytesMedian: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * A device's baseline over a rolling window of days. Expectations are robust statistics over
 * the days (median and MAD), so a gradual shift moves them within a few days while one
 * abnormal day barely does: detection sees a sudden change instead of absorbing it.
 */
export class DeviceBaseline {
  private readonly days = new Map<number, DailySummary>();
  /** Days loaded from storage that this run has not touched yet. */
  private readonly restored = new Set<number>();
  /** Change it only through addGolden: the caches below are invalidated there. */
  readonly golden: GoldenProfile[] = [];
  /**
   * Detectors ask for the window, the summary and the hour's expectation on the packet path;
   * each is derived once and kept until a change can alter it (measured: recomputing them
   * cost data_exfiltration and unexpected_destination most of their time).
   */
  private window: { today: number; days: readonly DailySummary[] } | undefined;
  private summaryCache: { today: number; summary: BaselineSummary } | undefined;
  private expectation: { today: number; hour: number; value: Expectation } | undefined;
  private revisionValue = 0;
  /** Revision of the latest change to each day, and the latest of days purged since. */
  private readonly dayRevisions = new Map<number, number>();
  private purgedRevision = 0;

  constructor(
    readonly deviceId: string,
    private readonly options: BaselineOptions = DEFAULT_BASELINE_OPTIONS,
  ) {}

  /** Local time of its hours and days, in minutes east of UTC. */
  get utcOffsetMinutes(): number {
    return this.options.utcOffsetMinutes;
  }

  /** Grows with every change: what a caller derived from the baseline holds while it stays. */
  get revision(): number {
    return this.revisionValue;
  }

  /**
   * The revision of the latest change to a day before `day` (in the baseline's days): a figure
   * read only from earlier days holds while this stays, however much today changes.
   */
  revisionBefore(day: number): number {
    let latest = this.purgedRevision;
    for (const [d, revision] of this.dayRevisions) if (d < day && revision > latest) latest = revision;
    return latest;
  }

  addConnection(c: DeviceConnection): void {
    const day = this.dayOf(c.start);
    if (this.restored.delete(day)) {
      // A stored day met again: traffic after what was stored continues it (a restarted
      // sensor); traffic from before it is the same capture replayed, which rebuilds the day
      // instead of counting it twice.
      const stored = this.days.get(day);
      if (stored && c.end <= (stored.lastTime ?? Number.POSITIVE_INFINITY)) {
        this.days.delete(day);
        this.changedDays(day);
      }
    }
    this.changed(day);
    const summary = this.dayFor(day);
    if (c.end > (summary.lastTime ?? 0)) summary.lastTime = c.end;
    const bytes = c.bytesUp + c.bytesDown;
    summary.bytesUp += c.bytesUp;
    summary.bytesDown += c.bytesDown;
    summary.connections++;
    summary.hourly[this.hourOf(c.start)]! += bytes;
    const destination = summary.destinations[c.destination];
    if (destination) {
      destination.bytes += bytes;
      destination.connections++;
    } else if (Object.keys(summary.destinations).length < this.options.perDayLimit) {
      summary.destinations[c.destination] = { bytes, connections: 1 };
    } else {
      summary.other.bytes += bytes;
      summary.other.connections++;
    }
    if (c.outbound) {
      const port = portKey(c.protocol, c.remotePort);
      if (port in summary.ports || Object.keys(summary.ports).length < this.options.perDayLimit) {
        summary.ports[port] = (summary.ports[port] ?? 0) + 1;
      }
    }
  }

  /** Drops days older than the retention at `nowMs`. */
  purge(nowMs: number): void {
    const oldest = this.dayOf(nowMs) - this.options.retentionDays;
    for (const day of this.days.keys()) {
      if (day > oldest) continue;
      this.days.delete(day);
      this.changedDays(day);
    }
    for (const [day, revision] of this.dayRevisions) {
      if (day > oldest) continue;
      this.dayRevisions.delete(day);
      if (revision > this.purgedRevision) this.purgedRevision = revision;
    }
  }

  /** Days in the window ending at `nowMs` (today included), oldest first. Shared: do not mutate. */
  windowDays(nowMs: number): readonly DailySummary[] {
    const today = this.dayOf(nowMs);
    if (this.window?.today === today) return this.window.days;
    const first = today - this.options.windowDays + 1;
    const days = [...this.days.values()].filter((d) => d.day >= first && d.day <= today).sort((a, b) => a.day - b.day);
    this.window = { today, days };
    return days;
  }

  /** Whether a destination is part of normal: seen in the window (on a day before today), or in a golden profile. */
  knowsDestination(destination: string, nowMs: number): boolean {
    if (this.golden.some((g) => g.destinations.includes(destination))) return true;
    const today = this.dayOf(nowMs);
    return this.windowDays(nowMs).some((d) => d.day < today && destination in d.destinations);
  }

  /** Typical bytes in the hour containing `timeMs`, from days before that hour's day. */
  expectedBytes(timeMs: number): Expectation {
    const today = this.dayOf(timeMs);
    const hour = this.hourOf(timeMs);
    const cached = this.expectation;
    if (cached !== undefined && cached.today === today && cached.hour === hour) return cached.value;
    const value = this.computeExpectedBytes(today, hour);
    this.expectation = { today, hour, value };
    return value;
  }

  private computeExpectedBytes(today: number, hour: number): Expectation {
    const weekday = ((today % 7) + 7) % 7;
    const sameWeekday: number[] = [];
    const recent: number[] = [];
    for (const d of this.days.values()) {
      if (d.day >= today) continue;
      if (((d.day % 7) + 7) % 7 === weekday) sameWeekday.push(d.hourly[hour]!);
      if (d.day > today - this.options.windowDays - 1) recent.push(d.hourly[hour]!);
    }
    if (sameWeekday.length >= 2) {
      const { median, mad } = robust(sameWeekday);
      return { median, mad, basis: "hour_of_week", samples: sameWeekday.length };
    }
    const { median, mad } = robust(recent);
    return { median, mad, basis: "hour_of_day", samples: recent.length };
  }

  /** The summary at `nowMs`. Shared until the baseline changes: do not mutate. */
  summary(nowMs: number): BaselineSummary {
    const today = this.dayOf(nowMs);
    if (this.summaryCache?.today === today) return this.summaryCache.summary;
    const summary = this.computeSummary(nowMs);
    this.summaryCache = { today, summary };
    return summary;
  }

  private computeSummary(nowMs: number): BaselineSummary {
    const days = this.windowDays(nowMs);
    const observed = days.filter((d) => d.connections > 0);
    const windowDays = this.options.windowDays;
    const state = observed.length >= windowDays ? "ready" : "learning";
    const destinations = new Map<string, BaselineSummary["topDestinations"][number]>();
    const ports = new Map<string, number>();
    const hourDays = new Array<number>(24).fill(0);
    for (const day of observed) {
      for (const [destination, stats] of Object.entries(day.destinations)) {
        const entry = destinations.get(destination) ?? {
          destination,
          days: 0,
          bytes: 0,
          connections: 0,
          connectionsPerDay: 0,
          typicalIntervalSeconds: 0,
        };
        entry.days++;
        entry.bytes += stats.bytes;
        entry.connections += stats.connections;
        destinations.set(destination, entry);
      }
      for (const port of Object.keys(day.ports)) ports.set(port, (ports.get(port) ?? 0) + 1);
      day.hourly.forEach((bytes, hour) => {
        if (bytes > 0) hourDays[hour]!++;
      });
    }
    return {
      daysObserved: observed.length,
      windowDays,
      state,
      progress: `${state}, ${Math.min(observed.length, windowDays)} of ${windowDays} days`,
      confidence: Math.round((1 - Math.exp(-observed.length / 3)) * 100) / 100,
      topDestinations: [...destinations.values()]
        .map((d) => {
          const perDay = d.connections / d.days;
          return {
            ...d,
            connectionsPerDay: Math.round(perDay * 10) / 10,
            typicalIntervalSeconds: Math.round(86_400 / perDay),
          };
        })
        .sort((a, b) => b.days - a.days || b.connections - a.connections)
        .slice(0, 10),
      usualPorts: [...ports]
        .map(([port, d]) => ({ port, days: d }))
        .sort((a, b) => b.days - a.days)
        .slice(0, 10),
      usualHours: hourDays.flatMap((count, hour) =>
        observed.length > 0 && count * 2 >= observed.length ? [hour] : [],
      ),
      dailyBytesMedian: robust(observed.map((d) => d.bytesUp + d.bytesDown)).median,
    };
  }

  addGolden(profile: GoldenProfile): void {
    const at = this.golden.findIndex((g) => g.source === profile.source);
    if (at >= 0) this.golden.splice(at, 1);
    this.golden.push({ source: profile.source, destinations: [...profile.destinations], ports: [...profile.ports] });
    this.changed(Number.POSITIVE_INFINITY);
  }

  toJSON(): BaselineJson {
    return {
      schema: 1,
      deviceId: this.deviceId,
      utcOffsetMinutes: this.options.utcOffsetMinutes,
      days: [...this.days.values()].sort((a, b) => a.day - b.day).map((d) => structuredDay(d)),
      golden: this.golden.map((g) => ({ ...g })),
    };
  }

  /**
   * Merges stored or imported days: a day present in both keeps the richer (more connections)
   * one, so merging the same baseline twice changes nothing.
   */
  merge(json: BaselineJson): void {
    for (const day of json.days) {
      const mine = this.days.get(day.day);
      if (!mine || day.connections > mine.connections) {
        this.days.set(day.day, structuredDay(day));
        this.restored.add(day.day);
        this.changedDays(day.day);
      }
    }
    for (const golden of json.golden) this.addGolden(golden);
  }

  private dayFor(day: number): DailySummary {
    let summary = this.days.get(day);
    if (!summary) {
      summary = {
        day,
        bytesUp: 0,
        bytesDown: 0,
        connections: 0,
        hourly: new Array<number>(24).fill(0),
        destinations: {},
        ports: {},
        other: { bytes: 0, connections: 0 },
      };
      this.days.set(day, summary);
      this.changedDays(day);
    }
    return summary;
  }

  /**
   * A day's figures changed: the summary always goes (it includes today); the hour's
   * expectation only when the day is before the day it was computed for (it reads only those).
   */
  private changed(day: number): void {
    this.revisionValue++;
    if (Number.isFinite(day)) this.dayRevisions.set(day, this.revisionValue);
    this.summaryCache = undefined;
    if (this.expectation !== undefined && day < this.expectation.today) this.expectation = undefined;
  }

  /** A day came or went: the window too. */
  private changedDays(day: number): void {
    this.window = undefined;
    this.changed(day);
  }

  private dayOf(timeMs: number): number {
    return Math.floor((timeMs + this.options.utcOffsetMinutes * 60_000) / DAY);
  }

  private hourOf(timeMs: number): number {
    return Math.floor(((((timeMs + this.options.utcOffsetMinutes * 60_000) % DAY) + DAY) % DAY) / HOUR);
  }
}

function structuredDay(d: DailySummary): DailySummary {
  return {
    day: d.day,
    bytesUp: d.bytesUp,
    bytesDown: d.bytesDown,
    connections: d.connections,
    hourly: [...d.hourly],
    destinations: Object.fromEntries(Object.entries(d.destinations).map(([k, v]) => [k, { ...v }])),
    ports: { ...d.ports },
    other: { ...d.other },
    ...(d.lastTime === undefined ? {} : { lastTime: d.lastTime }),
  };
}

/** Median and median absolute deviation; zeros for no samples. */
export function robust(values: number[]): { median: number; mad: number } {
  if (values.length === 0) return { median: 0, mad: 0 };
  const median = medianOf(values);
  return { median, mad: medianOf(values.map((v) => Math.abs(v - median))) };
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
