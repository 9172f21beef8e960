import { bestHostname } from "../discovery/device-map.js";
import type { DeviceEvent, DeviceRecord } from "../discovery/device-record.js";
import type { DeviceProfile } from "../profile/device-profile.js";
import type { ProfileEngine } from "../profile/profile-engine.js";
import type { DeviceEventReport, DeviceReport, ProfileReport } from "./report.js";

const iso = (ms: number) => new Date(ms).toISOString();

export function toDeviceReport(record: DeviceRecord, profiles?: ProfileEngine, nowMs = record.lastSeen): DeviceReport {
  const hostnames = new Map(record.hostnames.map((h) => [`${h.source}\u0000${h.name.toLowerCase()}`, h]));
  return {
    id: record.id,
    mac: record.mac,
    macs: record.macs,
    ips: record.addresses
      .slice()
      .sort((a, b) => compareIps(a.ip, b.ip))
      .map((a) => a.ip),
    vendor: record.vendor,
    hostname: bestHostname({ hostnames }),
    hostnames: record.hostnames.map((h) => ({ name: h.name, source: h.source })),
    type: record.type.value,
    typeConfidence: Math.round(record.type.confidence * 100) / 100,
    typeEvidence: record.type.evidence,
    model: record.model?.value ?? null,
    os: record.os?.value ?? null,
    fingerprint: record.fingerprint,
    role: record.role,
    randomizedMac: record.randomizedMac,
    online: record.online,
    firstSeen: iso(record.firstSeen),
    lastSeen: iso(record.lastSeen),
    packets: record.packets,
    bytes: record.bytes,
    profile: profileSummary(profiles?.profile(record.id)),
    baseline: profiles?.baseline(record.id)?.summary(nowMs) ?? null,
  };
}

function profileSummary(profile: DeviceProfile | undefined): ProfileReport | null {
  if (!profile) return null;
  return {
    bytesUp: profile.bytesUp,
    bytesDown: profile.bytesDown,
    connections: profile.connections,
    protocols: { ...profile.protocols },
    topDestinations: profile.destinations
      .top(10)
      .map((e) => ({ destination: e.key, bytes: e.weight, connections: e.count })),
    remotePorts: profile.remotePorts.top(10).map((e) => ({ port: e.key, connections: e.count })),
    localPorts: profile.localPorts.top(10).map((e) => ({ port: e.key, connections: e.count })),
    hourlyActivity: [...profile.hourlyActivity],
  };
}

export function toEventReport(event: DeviceEvent): DeviceEventReport {
  const report: DeviceEventReport = {
    type: event.type,
    time: iso(event.time),
    deviceId: event.deviceId,
    mac: event.mac,
  };
  if (event.changes) report.changes = event.changes;
  return report;
}

/** IPv4 before IPv6, numeric order within IPv4. */
function compareIps(a: string, b: string): number {
  const a4 = !a.includes(":");
  const b4 = !b.includes(":");
  if (a4 !== b4) return a4 ? -1 : 1;
  if (a4) {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  }
  return a.localeCompare(b);
}
