import { MINUTE_MS } from "@heimdal/core";
import { loadBaseline } from "./devices.js";
import type { SensorData } from "./sensor-data.js";

const HOUR_MS = 3_600_000;

export interface DeviceNow {
  deviceId: string;
  bytesUp: number;
  bytesDown: number;
  bytes: number;
  usualBytes: number;
  ratio: number | null;
  basis: "hour_of_week" | "hour_of_day" | null;
}

export interface TrafficNow {
  asOf: number | null;
  windowMinutes: number;
  network: {
    bytesUp: number;
    bytesDown: number;
    bytes: number;
    packets: number;
    flows: number;
    activeDevices: number;
    usualBytes: number;
    ratio: number | null;
  };
  minutes: { minute: number; bytes: number }[];
  devices: DeviceNow[];
}

/**
 * "Traffic now vs usual": bytes in the last `windowMinutes` of stored minutes next to what the
 * baselines expect then. "Now" is the end of the newest stored minute, packet time, so a
 * replayed capture reads as it did when it was recorded. The usual is each baseline's median
 * for the hours the window overlaps, weighted by the overlap: an hour's median × 20/60 for the
 * last 20 minutes of that hour.
 */
export function trafficNow(data: SensorData, windowMinutes: number, limit: number): TrafficNow {
  return data.memo(`traffic-now:${windowMinutes}:${limit}`, () => {
    const newest = data.repositories.traffic.newestMinute();
    if (newest === null) {
      return {
        asOf: null,
        windowMinutes,
        network: {
          bytesUp: 0,
          bytesDown: 0,
          bytes: 0,
          packets: 0,
          flows: 0,
          activeDevices: 0,
          usualBytes: 0,
          ratio: null,
        },
        minutes: [],
        devices: [],
      };
    }
    const to = newest + MINUTE_MS;
    const from = to - windowMinutes * MINUTE_MS;
    const totals = new Map(data.repositories.traffic.deviceTotals(from, to).map((t) => [t.deviceId, t]));
    const network = { bytesUp: 0, bytesDown: 0, bytes: 0, packets: 0, flows: 0, activeDevices: 0, usualBytes: 0 };
    const devices: DeviceNow[] = [];
    const ids = new Set([...data.repositories.devices.list().map((d) => d.id), ...totals.keys()]);
    for (const deviceId of ids) {
      const total = totals.get(deviceId);
      const usual = usualIn(data, deviceId, from, to);
      const bytes = total ? total.bytesUp + total.bytesDown : 0;
      if (total) {
        network.bytesUp += total.bytesUp;
        network.bytesDown += total.bytesDown;
        network.packets += total.packets;
        network.flows += total.flows;
        network.activeDevices++;
      }
      network.usualBytes += usual.bytes;
      if (bytes === 0 && usual.bytes === 0) continue;
      devices.push({
        deviceId,
        bytesUp: total?.bytesUp ?? 0,
        bytesDown: total?.bytesDown ?? 0,
        bytes,
        usualBytes: usual.bytes,
        ratio: ratio(bytes, usual.bytes),
        basis: usual.basis,
      });
    }
    network.bytes = network.bytesUp + network.bytesDown;
    devices.sort((a, b) => b.bytes - b.usualBytes - (a.bytes - a.usualBytes) || a.deviceId.localeCompare(b.deviceId));
    return {
      asOf: to,
      windowMinutes,
      network: { ...network, ratio: ratio(network.bytes, network.usualBytes) },
      minutes: data.repositories.traffic
        .networkMinutes(from, to)
        .map((m) => ({ minute: m.minute, bytes: m.bytesUp + m.bytesDown })),
      devices: devices.slice(0, limit),
    };
  });
}

/** A device's expected bytes in [from, to): each overlapped hour's median, by the share of it inside. */
function usualIn(
  data: SensorData,
  deviceId: string,
  from: number,
  to: number,
): { bytes: number; basis: DeviceNow["basis"] } {
  const loaded = loadBaseline(data, deviceId);
  if (!loaded) return { bytes: 0, basis: null };
  let bytes = 0;
  let basis: DeviceNow["basis"] = null;
  for (let hour = Math.floor(from / HOUR_MS) * HOUR_MS; hour < to; hour += HOUR_MS) {
    const overlap = Math.min(to, hour + HOUR_MS) - Math.max(from, hour);
    const expected = loaded.baseline.expectedBytes(hour);
    bytes += (expected.median * overlap) / HOUR_MS;
    if (expected.samples > 0) basis = expected.basis;
  }
  return { bytes: Math.round(bytes), basis };
}

function ratio(bytes: number, usual: number): number | null {
  return usual > 0 ? Math.round((bytes / usual) * 100) / 100 : null;
}
