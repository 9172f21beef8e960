import { applyWrites, MINUTE_MS, type RepositoryWrite, TrafficRecorder } from "@heimdal/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connection, T0 } from "../test-support/seed.test-util.js";
import { type Client, type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
let client: Client;
beforeAll(async () => {
  fixture = await startFixture();
  client = await fixture.login();
});
afterAll(() => fixture.close());

const DEV = (n: number) => `dev-0200000000${n}`;
const HOUR = 3_600_000;
/** Wednesday 08:00, two days after the seed's Monday: the seeded baselines know hour 8. */
const WED_8 = T0 + 48 * HOUR;

interface TrafficNow {
  asOf: number | null;
  windowMinutes: number;
  network: { bytes: number; bytesUp: number; activeDevices: number; usualBytes: number; ratio: number | null };
  minutes: { minute: number; bytes: number }[];
  devices: { deviceId: string; bytes: number; usualBytes: number; ratio: number | null; basis: string | null }[];
}
interface FlowList {
  total: number;
  flows: { deviceId: string; destination: string; port: number; direction: string; bytesUp: number; flows: number }[];
}

/** Recent traffic as `heimdal analyze --db` stores it: a recorder's drain through the writes. */
function storeTraffic(flows: [device: number, start: number, destination: string, bytes: number][]): void {
  const recorder = new TrafficRecorder();
  for (const [device, start, destination, bytes] of flows)
    recorder.add(DEV(device), connection(start, destination, bytes));
  const { minutes, destinations, events } = recorder.drainAll();
  const writes: RepositoryWrite[] = [
    ...minutes.map((sample) => ({ kind: "traffic_minute" as const, sample })),
    ...destinations.map((sample) => ({ kind: "traffic_destination" as const, sample })),
    ...events.map((event) => ({ kind: "event" as const, event })),
  ];
  applyWrites(fixture.writer, writes);
}

describe("traffic now vs usual, and flows", () => {
  it("answers before any traffic is stored, with nothing to compare", async () => {
    const now = await fixture.get<TrafficNow>("/api/v1/traffic/now", client);
    expect(now).toMatchObject({ asOf: null, windowMinutes: 60, minutes: [], devices: [] });
    expect(now.network).toMatchObject({ bytes: 0, usualBytes: 0, ratio: null });
    expect(await fixture.get<FlowList>("/api/v1/flows", client)).toEqual({ total: 0, flows: [] });
  });

  it("puts the last hour's bytes beside the baselines' usual, most above usual first", async () => {
    storeTraffic([
      [1, WED_8 + 10 * MINUTE_MS, "cloud.example", 5000],
      [2, WED_8 + 20 * MINUTE_MS, "cdn.example", 500],
      [3, WED_8 + 28 * MINUTE_MS, "cloud.example", 100],
      // Two hours earlier: outside the hour that ends at 08:30.
      [1, WED_8 - 2 * HOUR, "old.example", 7778],
    ]);
    const now = await fixture.get<TrafficNow>("/api/v1/traffic/now", client);
    // connection() lasts 1 s, so the newest minute is 08:28 and the window ends at 08:29.
    expect(now.asOf).toBe(WED_8 + 29 * MINUTE_MS);
    // Hour 8's median over Sunday (2000 B), Monday (2024 B) and Tuesday (0) is 2000 B; the
    // window holds 29 minutes of it (hour 7 was silent): 2000 × 29/60 = 967 per seeded device.
    expect(now.devices).toEqual([
      {
        deviceId: DEV(1),
        bytesUp: 2500,
        bytesDown: 2500,
        bytes: 5000,
        usualBytes: 967,
        ratio: 5.17,
        basis: "hour_of_day",
      },
      { deviceId: DEV(3), bytesUp: 50, bytesDown: 50, bytes: 100, usualBytes: 0, ratio: null, basis: null },
      {
        deviceId: DEV(2),
        bytesUp: 250,
        bytesDown: 250,
        bytes: 500,
        usualBytes: 967,
        ratio: 0.52,
        basis: "hour_of_day",
      },
    ]);
    expect(now.network).toMatchObject({ bytes: 5600, activeDevices: 3, usualBytes: 1934, ratio: 2.9 });
    expect(now.minutes.map((m) => [(m.minute - WED_8) / MINUTE_MS, m.bytes])).toEqual([
      [10, 5000],
      [20, 500],
      [28, 100],
    ]);
    const wide = await fixture.get<TrafficNow>("/api/v1/traffic/now?minutes=180&limit=1", client);
    expect(wide.network.bytes).toBe(5600 + 7778);
    expect(wide.devices.map((d) => d.deviceId)).toEqual([DEV(1)]);
  });

  it("lists flows per device and destination, filtered by device, destination and time, paged", async () => {
    const all = await fixture.get<FlowList>("/api/v1/flows", client);
    expect(all.total).toBe(4);
    expect(all.flows.map((f) => [f.deviceId, f.destination, f.port, f.direction, f.bytesUp])).toEqual([
      [DEV(1), "old.example", 443, "out", 3889],
      [DEV(1), "cloud.example", 443, "out", 2500],
      [DEV(2), "cdn.example", 443, "out", 250],
      [DEV(3), "cloud.example", 443, "out", 50],
    ]);
    const cloud = await fixture.get<FlowList>("/api/v1/flows?destination=cloud.example", client);
    expect(cloud.flows.map((f) => f.deviceId)).toEqual([DEV(1), DEV(3)]);
    const one = await fixture.get<FlowList>(`/api/v1/flows?deviceId=${DEV(2)}`, client);
    expect(one.flows.map((f) => f.destination)).toEqual(["cdn.example"]);
    const recent = await fixture.get<FlowList>(`/api/v1/flows?from=${WED_8}&to=${WED_8 + HOUR}`, client);
    expect(recent.total).toBe(3);
    const page = await fixture.get<FlowList>("/api/v1/flows?limit=2&offset=2", client);
    expect(page.total).toBe(4);
    expect(page.flows.map((f) => f.deviceId)).toEqual([DEV(2), DEV(3)]);
  });

  it.each([
    ["/api/v1/flows?limit=0", "limit"],
    ["/api/v1/flows?offset=-1", "offset"],
    ["/api/v1/flows?from=yesterday", "from"],
    [`/api/v1/flows?from=${WED_8}&to=${WED_8 - 1}`, "to"],
    ["/api/v1/flows?deviceId=", "deviceId"],
    [`/api/v1/flows?destination=${"x".repeat(254)}`, "destination"],
    ["/api/v1/flows?colour=red", "colour"],
    ["/api/v1/traffic/now?minutes=0", "minutes"],
    ["/api/v1/traffic/now?minutes=1441", "minutes"],
    ["/api/v1/traffic/now?limit=many", "limit"],
  ])("refuses %s with a 400 naming %s", async (path, field) => {
    const response = await fixture.request(path, { client });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { field: string; message: string };
    expect(body.field).toBe(field);
    expect(body.message).toContain(field);
  });

  it("needs a session", async () => {
    expect((await fixture.request("/api/v1/flows")).status).toBe(401);
    expect((await fixture.request("/api/v1/traffic/now")).status).toBe(401);
  });
});
