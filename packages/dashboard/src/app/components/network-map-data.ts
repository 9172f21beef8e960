import type { DeviceSummary, FlowAggregate, TrafficNow } from "../api/types.js";
import { humanize } from "../format.js";
import type { MapDestination, MapDevice, MapGroup } from "./network-map-layout.js";

/** Destinations drawn: more would not be readable beside 100 devices. */
export const TOP_DESTINATIONS = 12;

export interface MapData {
  gateway: DeviceSummary | undefined;
  groups: MapGroup[];
  destinations: MapDestination[];
  /** Which destinations each device talked to in the window (for highlighting). */
  destinationsOf: Map<string, Set<string>>;
  deviceCount: number;
}

/**
 * The map's content: devices (the gateway apart) grouped by type, busiest group and device first;
 * the window's flows summed per destination, busiest first.
 */
export function buildMapData(
  devices: readonly DeviceSummary[],
  now: TrafficNow,
  flows: readonly FlowAggregate[],
): MapData {
  const bytesOf = new Map(now.devices.map((d) => [d.deviceId, d.bytes]));
  const byType = new Map<string, MapGroup>();
  let gateway: DeviceSummary | undefined;
  let deviceCount = 0;
  for (const d of devices) {
    if (d.role === "gateway" && gateway === undefined) {
      gateway = d;
      continue;
    }
    deviceCount++;
    const device: MapDevice = {
      id: d.id,
      name: d.name ?? d.vendor ?? d.mac,
      type: d.type,
      online: d.online,
      bytes: bytesOf.get(d.id) ?? 0,
    };
    let group = byType.get(d.type);
    if (!group) {
      group = { type: d.type, label: humanize(d.type), devices: [], bytes: 0 };
      byType.set(d.type, group);
    }
    group.devices.push(device);
    group.bytes += device.bytes;
  }
  const groups = [...byType.values()].sort(
    (a, b) => b.bytes - a.bytes || b.devices.length - a.devices.length || a.label.localeCompare(b.label),
  );
  for (const group of groups) group.devices.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));

  const byDestination = new Map<string, { bytes: number; devices: Set<string> }>();
  const destinationsOf = new Map<string, Set<string>>();
  for (const flow of flows) {
    const entry = byDestination.get(flow.destination) ?? { bytes: 0, devices: new Set<string>() };
    entry.bytes += flow.bytesUp + flow.bytesDown;
    entry.devices.add(flow.deviceId);
    byDestination.set(flow.destination, entry);
    const set = destinationsOf.get(flow.deviceId) ?? new Set<string>();
    set.add(flow.destination);
    destinationsOf.set(flow.deviceId, set);
  }
  const destinations = [...byDestination.entries()]
    .map(([name, e]) => ({ name, bytes: e.bytes, devices: e.devices.size }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name))
    .slice(0, TOP_DESTINATIONS);
  return { gateway, groups, destinations, destinationsOf, deviceCount };
}

/** Whether a device matches the search text: name, type, vendor, MAC or an address. */
export function matchesSearch(device: DeviceSummary, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === "") return false;
  return [device.name, device.vendor, device.mac, device.type, ...device.addresses].some(
    (field) => field?.toLowerCase().includes(q) === true,
  );
}
