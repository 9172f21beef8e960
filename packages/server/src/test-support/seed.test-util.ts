import {
  type Alert,
  alertEvent,
  DeviceBaseline,
  type DeviceConnection,
  type DeviceEvent,
  DeviceProfile,
  type DeviceRecord,
  emptyFingerprint,
  type Repositories,
} from "@heimdal/core";

export const T0 = Date.UTC(2026, 2, 2, 8); // a Monday, 08:00 UTC
const HOUR = 3_600_000;

export function deviceRecord(n: number, overrides: Partial<DeviceRecord> = {}): DeviceRecord {
  const hex = n.toString(16).padStart(4, "0");
  const mac = `02:00:00:00:${hex.slice(0, 2)}:${hex.slice(2)}`;
  return {
    id: `dev-0200000${hex}`,
    mac,
    macs: [mac],
    randomizedMac: false,
    role: "device",
    addresses: [{ ip: `192.168.1.${n % 250}`, firstSeen: T0, lastSeen: T0 + HOUR }],
    hostnames: [{ name: `host-${n}`, source: "dhcp", firstSeen: T0, lastSeen: T0 + HOUR }],
    vendor: n % 2 === 0 ? "Philips Lighting BV" : "Apple, Inc.",
    type: { value: n % 2 === 0 ? "plug_switch_bulb" : "phone", confidence: 0.8, evidence: ["oui:test"] },
    model: null,
    os: null,
    fingerprint: emptyFingerprint(),
    firstSeen: T0,
    lastSeen: T0 + HOUR,
    online: n % 3 !== 0,
    packets: 100 * n,
    bytes: 10_000 * n,
    ...overrides,
  };
}

/** A connection from the device to `destination` at `start`. */
export function connection(start: number, destination: string, bytes = 1000, port = 443): DeviceConnection {
  return {
    start,
    end: start + 1000,
    protocol: "tcp",
    destination,
    destinationName: destination,
    remoteIp: "203.0.113.10",
    remotePort: port,
    localPort: 50000,
    outbound: true,
    bytesUp: bytes / 2,
    bytesDown: bytes / 2,
    packetsUp: 5,
    packetsDown: 5,
  };
}

export function alert(n: number, overrides: Partial<Alert> = {}): Alert {
  return {
    id: `alert-${String(n).padStart(6, "0")}`,
    type: "unexpected_destination",
    severity: "medium",
    confidence: 0.8,
    deviceId: "dev-02000000001",
    mac: "02:00:00:00:00:01",
    time: T0 + n * 60_000,
    firstEvidence: T0 + n * 60_000,
    key: `k${n}`,
    description: `Device talked to new-${n}.example for the first time.`,
    normal: "It talks to 2 cloud services.",
    observed: `new-${n}.example`,
    evidence: { destination: `new-${n}.example`, port: "tcp/443" },
    repeats: 0,
    ...overrides,
  };
}

/**
 * A small network: four devices (two with profiles and baselines over two days), alerts of
 * several severities, types and devices, and their events.
 */
export function seedNetwork(repos: Repositories): { devices: DeviceRecord[]; alerts: Alert[] } {
  const devices = [1, 2, 3, 4].map((n) => deviceRecord(n));
  devices[3] = deviceRecord(4, {
    hostnames: [{ name: '<img src=x onerror="alert(1)">', source: "dhcp", firstSeen: T0, lastSeen: T0 + HOUR }],
    vendor: null,
  });
  for (const d of devices) repos.devices.upsert(d);
  for (const d of devices.slice(0, 2)) {
    const profile = new DeviceProfile(d.id);
    const baseline = new DeviceBaseline(d.id);
    for (let h = 0; h < 48; h += 3) {
      const c = connection(T0 - 24 * HOUR + h * HOUR, h % 2 === 0 ? "cloud.example" : "cdn.example", 2000 + h);
      profile.addConnection(c);
      baseline.addConnection(c);
    }
    repos.profiles.put(d.id, profile.toJSON());
    repos.baselines.save(d.id, baseline.toJSON());
  }
  const alerts = [
    alert(1, { severity: "low", type: "new_device", deviceId: devices[0]!.id, evidence: {} }),
    alert(2, { severity: "medium", deviceId: devices[0]!.id }),
    alert(3, { severity: "high", type: "port_scan", deviceId: devices[1]!.id, evidence: { port: "tcp/23" } }),
    alert(200, { severity: "critical", type: "arp_spoofing", deviceId: devices[1]!.id }),
    alert(4, { severity: "medium", deviceId: null, mac: null, evidence: {} }),
  ];
  for (const a of alerts) {
    repos.alerts.insert(a);
    repos.events.append(alertEvent("alert_raised", a));
  }
  const deviceNew: DeviceEvent = { type: "device_new", time: T0, deviceId: devices[0]!.id, mac: devices[0]!.mac };
  repos.events.append(deviceNew);
  return { devices, alerts };
}
