import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0 } from "../test-support/seed.test-util.js";
import { type Client, type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
let client: Client;
beforeAll(async () => {
  fixture = await startFixture();
  client = await fixture.login();
});
afterAll(() => fixture.close());

interface DeviceList {
  total: number;
  devices: {
    id: string;
    name: string | null;
    type: string;
    online: boolean;
    openAlerts: number;
    vendor: string | null;
  }[];
}
const ids = (list: DeviceList) => list.devices.map((d) => d.id);
const DEV = (n: number) => `dev-0200000000${n}`;

describe("devices", () => {
  it("lists every device with its summary and open alerts", async () => {
    const list = await fixture.get<DeviceList>("/api/v1/devices", client);
    expect(list.total).toBe(4);
    expect(ids(list)).toEqual([DEV(1), DEV(2), DEV(3), DEV(4)]);
    expect(list.devices[0]).toMatchObject({
      name: "host-1",
      type: "phone",
      vendor: "Apple, Inc.",
      online: true,
      openAlerts: 2,
    });
    expect(list.devices[1]!.openAlerts).toBe(2);
    expect(list.devices[2]!.openAlerts).toBe(0);
  });

  it.each([
    ["type=phone", [DEV(1), DEV(3)]],
    ["online=false", [DEV(3)]],
    ["online=true&type=plug_switch_bulb", [DEV(2), DEV(4)]],
    ["online=true&type=phone", [DEV(1)]],
    ["vendor=philips", [DEV(2)]],
    ["search=HOST-3", [DEV(3)]],
    ["search=192.168.1.2", [DEV(2)]],
    ["search=02:00:00:00:00:04", [DEV(4)]],
    ["limit=2&offset=1", [DEV(2), DEV(3)]],
    ["search=nothing-like-this", []],
  ])("filters with %s", async (query, expected) => {
    expect(ids(await fixture.get<DeviceList>(`/api/v1/devices?${query}`, client))).toEqual(expected);
  });

  it("counts all matches while paging", async () => {
    const page = await fixture.get<DeviceList>("/api/v1/devices?type=phone&limit=1", client);
    expect(page.total).toBe(2);
    expect(page.devices).toHaveLength(1);
  });

  it("shows one device with its record, profile, baseline and learning progress", async () => {
    const detail = await fixture.get<{
      summary: { id: string };
      device: {
        addresses: { ip: string }[];
        hostnames: { name: string; source: string }[];
        type: { evidence: string[] };
      };
      profile: { connections: number; topDestinations: { name: string }[] };
      baseline: { version: number; summary: { state: string; progress: string; daysObserved: number } };
      alerts: { open: number; bySeverity: Record<string, number> };
    }>(`/api/v1/devices/${DEV(1)}`, client);
    expect(detail.summary.id).toBe(DEV(1));
    expect(detail.device.addresses.map((a) => a.ip)).toEqual(["192.168.1.1"]);
    expect(detail.device.hostnames).toMatchObject([{ name: "host-1", source: "dhcp" }]);
    expect(detail.device.type.evidence).toEqual(["oui:test"]);
    expect(detail.profile.connections).toBe(16);
    expect(detail.profile.topDestinations.map((d) => d.name).sort()).toEqual(["cdn.example", "cloud.example"]);
    expect(detail.baseline.version).toBe(1);
    expect(detail.baseline.summary).toMatchObject({
      state: "learning",
      progress: "learning, 2 of 7 days",
      daysObserved: 2,
    });
    expect(detail.alerts).toEqual({ open: 2, bySeverity: { low: 1, medium: 1 } });
  });

  it("shows a device without traffic with null profile and baseline", async () => {
    const detail = await fixture.get<{ profile: unknown; baseline: unknown }>(`/api/v1/devices/${DEV(3)}`, client);
    expect(detail.profile).toBeNull();
    expect(detail.baseline).toBeNull();
  });

  it("answers 404 naming an unknown device", async () => {
    const response = await fixture.request("/api/v1/devices/dev-nope", { client });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ message: 'No device "dev-nope"', field: "id" });
  });
});

describe("traffic", () => {
  it("gives a device's hourly series from its baseline, with its usual by hour of day", async () => {
    const t = await fixture.get<{
      totals: { connections: number };
      hourly: { time: number; bytes: number }[];
      daily: { time: number; connections: number }[];
      usualByHourOfDay: number[];
      topDestinations: { name: string }[];
    }>(`/api/v1/devices/${DEV(1)}/traffic`, client);
    expect(t.totals.connections).toBe(16);
    // Connections every 3 h from Sunday 08:00 for 48 h: 6 on Sunday, 8 on Monday, 2 on Tuesday.
    const sunday = Date.UTC(2026, 2, 1);
    expect(t.daily.map((d) => [d.time, d.connections])).toEqual([
      [sunday, 6],
      [sunday + 86_400_000, 8],
      [sunday + 2 * 86_400_000, 2],
    ]);
    expect(t.hourly).toHaveLength(72);
    expect(t.hourly[0]!.time).toBe(sunday);
    // The seed's first connection starts at T0 − 24 h (08:00 the day before), 2000 bytes.
    expect(t.hourly.find((p) => p.time === T0 - 86_400_000)).toEqual({ time: T0 - 86_400_000, bytes: 2000 });
    // 2000 + h bytes at h = 0, 3, …, 45.
    expect(t.hourly.reduce((sum, p) => sum + p.bytes, 0)).toBe(16 * 2000 + 3 * 120);
    expect(t.usualByHourOfDay).toHaveLength(24);
    // Median of 08:00 over 3 days: 2000 (Sunday), 2024 (Monday), 0 (Tuesday).
    expect(t.usualByHourOfDay[8]).toBe(2000);
    expect(t.usualByHourOfDay[9]).toBe(0);
  });

  it("limits the series to the last days asked for", async () => {
    const t = await fixture.get<{ daily: unknown[]; hourly: unknown[] }>(
      `/api/v1/devices/${DEV(1)}/traffic?days=1`,
      client,
    );
    expect(t.daily).toHaveLength(1);
    expect(t.hourly).toHaveLength(24);
  });

  it("sums the network: totals, protocols, destinations by device count, series", async () => {
    const t = await fixture.get<{
      devices: number;
      totals: { connections: number };
      protocols: Record<string, number>;
      topDestinations: { name: string; devices: number; connections: number }[];
      daily: { connections: number }[];
    }>("/api/v1/traffic", client);
    expect(t.devices).toBe(2);
    expect(t.totals.connections).toBe(32);
    expect(t.protocols).toEqual({ tcp: 32 });
    expect(t.topDestinations.map((d) => [d.name, d.devices, d.connections]).sort()).toEqual([
      ["cdn.example", 2, 16],
      ["cloud.example", 2, 16],
    ]);
    expect(t.daily.map((d) => d.connections)).toEqual([12, 16, 4]);
  });
});
