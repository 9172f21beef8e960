import type { DeviceRecord } from "@heimdal/core";
import type { DeviceLabel } from "@heimdal/platform";

/** One line of the device list: what a person scans for. Names and vendor are device-sent text: data, never markup. */
export interface DeviceSummary {
  id: string;
  mac: string;
  /** The user's name for it, else the most recently seen hostname, else null. */
  name: string | null;
  /** The most recently seen hostname (device-sent), or null. */
  discoveredName: string | null;
  /** The name the user gave it, or null. */
  userName: string | null;
  /** The user's label ("kids", "IoT"), or null. */
  label: string | null;
  vendor: string | null;
  type: string;
  typeConfidence: number;
  role: string;
  randomizedMac: boolean;
  /** Addresses, most recently used first. */
  addresses: string[];
  online: boolean;
  firstSeen: number;
  lastSeen: number;
  packets: number;
  bytes: number;
  /** Alerts not yet acknowledged. */
  openAlerts: number;
}

export function summarizeDevice(record: DeviceRecord, openAlerts: number, label?: DeviceLabel): DeviceSummary {
  const names = [...record.hostnames].sort((a, b) => b.lastSeen - a.lastSeen);
  const discoveredName = names[0]?.name ?? null;
  const userName = label?.name ?? null;
  return {
    id: record.id,
    mac: record.mac,
    name: userName ?? discoveredName,
    discoveredName,
    userName,
    label: label?.label ?? null,
    vendor: record.vendor,
    type: record.type.value,
    typeConfidence: record.type.confidence,
    role: record.role,
    randomizedMac: record.randomizedMac,
    addresses: [...record.addresses].sort((a, b) => b.lastSeen - a.lastSeen).map((a) => a.ip),
    online: record.online,
    firstSeen: record.firstSeen,
    lastSeen: record.lastSeen,
    packets: record.packets,
    bytes: record.bytes,
    openAlerts,
  };
}

export interface DeviceFilter {
  type?: string;
  online?: boolean;
  vendor?: string;
  /** Case-insensitive text in the user's name, label or notes, any hostname, vendor, MAC, address or id. */
  search?: string;
}

/** The searchable text of a device, lower-cased once per data version. */
export function searchText(record: DeviceRecord, label?: DeviceLabel): string {
  return [
    label?.name ?? "",
    label?.label ?? "",
    label?.notes ?? "",
    record.id,
    record.mac,
    record.vendor ?? "",
    ...record.macs,
    ...record.addresses.map((a) => a.ip),
    ...record.hostnames.map((h) => h.name),
  ]
    .join("\n")
    .toLowerCase();
}

export function matchesDevice(summary: DeviceSummary, text: string, filter: DeviceFilter): boolean {
  if (filter.type !== undefined && summary.type !== filter.type) return false;
  if (filter.online !== undefined && summary.online !== filter.online) return false;
  if (filter.vendor !== undefined && !(summary.vendor ?? "").toLowerCase().includes(filter.vendor.toLowerCase()))
    return false;
  if (filter.search !== undefined && !text.includes(filter.search.toLowerCase())) return false;
  return true;
}
