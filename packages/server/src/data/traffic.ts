import type { BaselineJson, DeviceProfileJson } from "@heimdal/core";
import { loadBaseline } from "./devices.js";
import type { SensorData } from "./sensor-data.js";
import { topEntries } from "./top-entries.js";

const HOUR = 3_600_000;

export interface HourPoint {
  /** Start of the hour, ms since the epoch. */
  time: number;
  bytes: number;
}

export interface DayPoint {
  /** Start of the (local) day, ms since the epoch. */
  time: number;
  bytesUp: number;
  bytesDown: number;
  connections: number;
}

export interface TrafficSeries {
  /** Bytes per hour, oldest first, over the last `days` days that have data (from baselines' daily summaries). */
  hourly: HourPoint[];
  daily: DayPoint[];
  /** Typical bytes in each hour of the day (median over those days): "usual" next to "now". */
  usualByHourOfDay: number[];
}

export interface DeviceTraffic extends TrafficSeries {
  deviceId: string;
  totals: { bytesUp: number; bytesDown: number; packetsUp: number; packetsDown: number; connections: number } | null;
  protocols: Record<string, number>;
  /** Bytes by hour of the week since profiling began (Monday 00:00 first). */
  hourOfWeekBytes: number[];
  topDestinations: { name: string; bytes: number; connections: number }[];
  ports: { name: string; connections: number }[];
}

export function deviceTraffic(data: SensorData, deviceId: string, days: number): DeviceTraffic {
  const profile = data.repositories.profiles.get(deviceId) as DeviceProfileJson | undefined;
  const baseline = loadBaseline(data, deviceId)?.baseline.toJSON();
  return {
    deviceId,
    totals: profile
      ? {
          bytesUp: profile.bytesUp,
          bytesDown: profile.bytesDown,
          packetsUp: profile.packetsUp,
          packetsDown: profile.packetsDown,
          connections: profile.connections,
        }
      : null,
    protocols: profile?.protocols ?? {},
    hourOfWeekBytes: profile?.hourOfWeekBytes ?? new Array<number>(168).fill(0),
    topDestinations: topEntries(profile?.destinations, 20).map((e) => ({
      name: e.key,
      bytes: e.weight,
      connections: e.count,
    })),
    ports: topEntries(profile?.remotePorts, 20).map((e) => ({ name: e.key, connections: e.count })),
    ...series(baseline ? [baseline] : [], days),
  };
}

export interface NetworkTraffic extends TrafficSeries {
  devices: number;
  totals: { bytesUp: number; bytesDown: number; connections: number };
  protocols: Record<string, number>;
  topDestinations: { name: string; bytes: number; connections: number; devices: number }[];
  topDevices: { deviceId: string; bytes: number }[];
}

/** Network-wide figures: every device's profile and baseline summed, once per data version. */
export function networkTraffic(data: SensorData, days: number): NetworkTraffic {
  return data.memo(`network-traffic:${days}`, () => {
    const profiles = data.repositories.profiles.list().map((p) => p.profile as DeviceProfileJson);
    const baselines = data
      .memo("device-ids", () => data.repositories.devices.list().map((d) => d.id))
      .flatMap((id) => {
        const loaded = loadBaseline(data, id);
        return loaded ? [loaded.baseline.toJSON()] : [];
      });
    const totals = { bytesUp: 0, bytesDown: 0, connections: 0 };
    const protocols: Record<string, number> = {};
    const destinations = new Map<string, { name: string; bytes: number; connections: number; devices: number }>();
    for (const p of profiles) {
      totals.bytesUp += p.bytesUp;
      totals.bytesDown += p.bytesDown;
      totals.connections += p.connections;
      for (const [name, n] of Object.entries(p.protocols ?? {})) protocols[name] = (protocols[name] ?? 0) + n;
      for (const e of topEntries(p.destinations, Number.POSITIVE_INFINITY)) {
        const d = destinations.get(e.key) ?? { name: e.key, bytes: 0, connections: 0, devices: 0 };
        d.bytes += e.weight;
        d.connections += e.count;
        d.devices++;
        destinations.set(e.key, d);
      }
    }
    return {
      devices: profiles.length,
      totals,
      protocols,
      topDestinations: [...destinations.values()].sort((a, b) => b.bytes - a.bytes).slice(0, 20),
      topDevices: profiles
        .map((p) => ({ deviceId: p.deviceId, bytes: p.totalBytes }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 10),
      ...series(baselines, days),
    };
  });
}

/** Hourly and daily series over the last `days` days present in any of the baselines, summed. */
function series(baselines: readonly BaselineJson[], days: number): TrafficSeries {
  const byDay = new Map<number, DayPoint & { hourly: number[] }>();
  for (const b of baselines) {
    const offsetMs = b.utcOffsetMinutes * 60_000;
    for (const d of b.days) {
      const time = d.day * 24 * HOUR - offsetMs;
      const point = byDay.get(time) ?? {
        time,
        bytesUp: 0,
        bytesDown: 0,
        connections: 0,
        hourly: new Array<number>(24).fill(0),
      };
      point.bytesUp += d.bytesUp;
      point.bytesDown += d.bytesDown;
      point.connections += d.connections;
      d.hourly.forEach((bytes, h) => {
        point.hourly[h]! += bytes;
      });
      byDay.set(time, point);
    }
  }
  const recent = [...byDay.values()].sort((a, b) => a.time - b.time).slice(-days);
  return {
    hourly: recent.flatMap((d) => d.hourly.map((bytes, h) => ({ time: d.time + h * HOUR, bytes }))),
    daily: recent.map(({ hourly: _, ...day }) => day),
    usualByHourOfDay: Array.from({ length: 24 }, (_, h) => median(recent.map((d) => d.hourly[h]!))),
  };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
