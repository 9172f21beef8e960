import { DeviceBaseline, type DeviceProfileJson, type DeviceRecord, parseBaselineJson } from "@heimdal/core";
import { type DeviceFilter, type DeviceSummary, matchesDevice, searchText, summarizeDevice } from "./device-view.js";
import type { SensorData } from "./sensor-data.js";
import { topEntries } from "./top-entries.js";

interface IndexedDevice {
  summary: DeviceSummary;
  text: string;
}

/** Every device summarized once per data version: 1,000 records parse in tens of milliseconds, a filter in microseconds. */
function indexedDevices(data: SensorData): IndexedDevice[] {
  return data.memo("devices", () => {
    const open = data.repositories.alerts.countBy("deviceId", { acknowledged: false });
    const labels = new Map(data.labels.list().map((l) => [l.deviceId, l]));
    return data.repositories.devices.list().map((record) => {
      const label = labels.get(record.id);
      return { summary: summarizeDevice(record, open[record.id] ?? 0, label), text: searchText(record, label) };
    });
  });
}

export function allDeviceSummaries(data: SensorData): DeviceSummary[] {
  return indexedDevices(data).map((d) => d.summary);
}

export function listDevices(
  data: SensorData,
  filter: DeviceFilter,
  page: { limit: number; offset: number },
): { total: number; devices: DeviceSummary[] } {
  const matching = indexedDevices(data).filter((d) => matchesDevice(d.summary, d.text, filter));
  return {
    total: matching.length,
    devices: matching.slice(page.offset, page.offset + page.limit).map((d) => d.summary),
  };
}

export interface DeviceDetail {
  device: DeviceRecord;
  summary: DeviceSummary;
  /** What the user called it; null when they gave it nothing. */
  labels: { name: string | null; label: string | null; notes: string | null; updatedAt: number } | null;
  /** Null until the device's traffic was profiled. */
  profile: ProfileView | null;
  /** Null until a baseline was saved. */
  baseline: BaselineView | null;
  alerts: { open: number; bySeverity: Record<string, number> };
}

export interface ProfileView {
  firstSeen: number;
  lastSeen: number;
  totalBytes: number;
  totalPackets: number;
  bytesUp: number;
  bytesDown: number;
  connections: number;
  protocols: Record<string, number>;
  topDestinations: { name: string; bytes: number; connections: number; lastSeen: number }[];
  remotePorts: { name: string; connections: number }[];
  localPorts: { name: string; connections: number }[];
  dnsNames: { name: string; lookups: number }[];
}

export interface BaselineView {
  version: number;
  savedAt: number;
  /** Learning progress and what is normal, as of the device's last traffic. */
  summary: ReturnType<DeviceBaseline["summary"]>;
  /** Taught by hand ("this was me") or imported golden profiles. */
  golden: { source: string; destinations: string[]; ports: string[] }[];
}

export function deviceDetail(data: SensorData, id: string): DeviceDetail | undefined {
  const record = data.repositories.devices.get(id);
  if (!record) return undefined;
  const label = data.labels.get(id);
  const summary = allDeviceSummaries(data).find((d) => d.id === id) ?? summarizeDevice(record, 0, label);
  const profile = data.repositories.profiles.get(id) as DeviceProfileJson | undefined;
  const bySeverity = { ...data.repositories.alerts.countBy("severity", { deviceId: id, acknowledged: false }) };
  return {
    device: record,
    summary,
    labels: label ? { name: label.name, label: label.label, notes: label.notes, updatedAt: label.updatedAt } : null,
    profile: profile ? profileView(profile) : null,
    baseline: baselineView(data, id, record.lastSeen),
    alerts: { open: Object.values(bySeverity).reduce((a, b) => a + b, 0), bySeverity },
  };
}

function profileView(p: DeviceProfileJson): ProfileView {
  return {
    firstSeen: p.firstSeen,
    lastSeen: p.lastSeen,
    totalBytes: p.totalBytes,
    totalPackets: p.totalPackets,
    bytesUp: p.bytesUp,
    bytesDown: p.bytesDown,
    connections: p.connections,
    protocols: p.protocols,
    topDestinations: topEntries(p.destinations, 20).map((e) => ({
      name: e.key,
      bytes: e.weight,
      connections: e.count,
      lastSeen: e.lastSeen,
    })),
    remotePorts: topEntries(p.remotePorts, 20).map((e) => ({ name: e.key, connections: e.count })),
    localPorts: topEntries(p.localPorts, 20).map((e) => ({ name: e.key, connections: e.count })),
    dnsNames: topEntries(p.dnsNames, 20).map((e) => ({ name: e.key, lookups: e.count })),
  };
}

/** The device's current baseline, loaded into core's DeviceBaseline so progress is computed one way everywhere. */
export function loadBaseline(
  data: SensorData,
  id: string,
): { baseline: DeviceBaseline; version: number; savedAt: number } | undefined {
  const stored = data.repositories.baselines.load(id);
  if (!stored) return undefined;
  const baseline = new DeviceBaseline(id);
  baseline.merge(parseBaselineJson(stored.baseline, `stored baseline of ${id}`));
  return { baseline, version: stored.version, savedAt: stored.savedAt };
}

function baselineView(data: SensorData, id: string, asOf: number): BaselineView | null {
  const loaded = loadBaseline(data, id);
  if (!loaded) return null;
  return {
    version: loaded.version,
    savedAt: loaded.savedAt,
    summary: loaded.baseline.summary(asOf),
    golden: loaded.baseline.golden.map((g) => ({ ...g })),
  };
}
