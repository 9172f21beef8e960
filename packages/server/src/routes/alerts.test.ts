import { FEEDBACK_SOURCE } from "@heimdal/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0 } from "../test-support/seed.test-util.js";
import { type Client, type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
let client: Client;
const NOW = Date.UTC(2026, 5, 1);
beforeAll(async () => {
  fixture = await startFixture({ now: () => NOW });
  client = await fixture.login();
});
afterAll(() => fixture.close());

interface AlertList {
  total: number;
  alerts: { alert: { id: string; severity: string }; acknowledgedAt: number | null }[];
}
const ids = (list: AlertList) => list.alerts.map((a) => a.alert.id);
const DEV1 = "dev-02000000001";
const DEV2 = "dev-02000000002";

describe("alerts", () => {
  it("lists newest first with the total", async () => {
    const list = await fixture.get<AlertList>("/api/v1/alerts", client);
    expect(list.total).toBe(5);
    expect(ids(list)).toEqual(["alert-000200", "alert-000004", "alert-000003", "alert-000002", "alert-000001"]);
  });

  it.each([
    ["severity=high", ["alert-000003"]],
    ["severity=high&severity=critical", ["alert-000200", "alert-000003"]],
    [`deviceId=${DEV1}`, ["alert-000002", "alert-000001"]],
    ["type=port_scan", ["alert-000003"]],
    [`from=${T0 + 2 * 60_000}&to=${T0 + 4 * 60_000}`, ["alert-000003", "alert-000002"]],
    ["limit=2&offset=1", ["alert-000004", "alert-000003"]],
    ["acknowledged=true", []],
  ])("filters with %s", async (query, expected) => {
    expect(ids(await fixture.get<AlertList>(`/api/v1/alerts?${query}`, client))).toEqual(expected);
  });

  it("shows one alert with its evidence; 404 for an unknown one", async () => {
    const one = await fixture.get<{ alert: { evidence: unknown; description: string } }>(
      "/api/v1/alerts/alert-000003",
      client,
    );
    expect(one.alert.evidence).toEqual({ port: "tcp/23" });
    expect((await fixture.request("/api/v1/alerts/alert-nope", { client })).status).toBe(404);
  });

  it("acknowledges: the first acknowledgement stands, and the event log records it", async () => {
    const lastId = fixture.writer.events.lastId();
    const first = await fixture.request("/api/v1/alerts/alert-000001/acknowledge", { method: "POST", client });
    expect(await first.json()).toEqual({ id: "alert-000001", acknowledgedAt: NOW });
    await fixture.request("/api/v1/alerts/alert-000001/acknowledge", { method: "POST", client });
    expect(fixture.writer.alerts.get("alert-000001")!.acknowledgedAt).toBe(NOW);
    expect(fixture.writer.events.since(lastId).map((e) => e.event)).toEqual([
      expect.objectContaining({ type: "alert_acknowledged", alertId: "alert-000001", time: NOW }),
    ]);
    expect(ids(await fixture.get<AlertList>("/api/v1/alerts?acknowledged=true", client))).toEqual(["alert-000001"]);
    const missing = await fixture.request("/api/v1/alerts/nope/acknowledge", { method: "POST", client });
    expect(missing.status).toBe(404);
  });

  it('"this was me" folds the destination into a new baseline version and acknowledges', async () => {
    expect(fixture.writer.baselines.versions(DEV1)).toHaveLength(1);
    const response = await fixture.request("/api/v1/alerts/alert-000002/expected", { method: "POST", client });
    expect(await response.json()).toEqual({
      id: "alert-000002",
      deviceId: DEV1,
      baselineVersion: 2,
      destinations: ["new-2.example"],
      ports: ["tcp/443"],
    });
    const baseline = fixture.writer.baselines.load(DEV1)!.baseline as { golden: unknown[] };
    expect(baseline.golden).toEqual([{ source: FEEDBACK_SOURCE, destinations: ["new-2.example"], ports: ["tcp/443"] }]);
    expect(fixture.writer.alerts.get("alert-000002")!.acknowledgedAt).toBe(NOW);
    const detail = await fixture.get<{ baseline: { version: number; golden: unknown[] } }>(
      `/api/v1/devices/${DEV1}`,
      client,
    );
    expect(detail.baseline.version).toBe(2);
  });

  it('"this was me" on an alert about no device is a 409 that says why', async () => {
    const response = await fixture.request("/api/v1/alerts/alert-000004/expected", { method: "POST", client });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ message: expect.stringContaining("no baseline to teach") });
    expect((await fixture.request("/api/v1/alerts/nope/expected", { method: "POST", client })).status).toBe(404);
  });
});

describe("incidents", () => {
  interface IncidentList {
    total: number;
    truncated: boolean;
    range: { from: number; to: number };
    incidents: { id: string; deviceId: string | null; severity: string; alertIds: string[]; acknowledged: boolean }[];
  }

  it("correlates alerts of one device close in time into one incident with the highest severity", async () => {
    const list = await fixture.get<IncidentList>("/api/v1/incidents", client);
    expect(list.truncated).toBe(false);
    expect(list.range.to).toBe(T0 + 200 * 60_000 + 1);
    // dev-2: alert 3 at +3 min and alert 200 at +200 min are over 30 min apart: two incidents.
    expect(list.incidents.map((i) => [i.deviceId, i.severity, i.alertIds])).toEqual([
      [DEV2, "critical", ["alert-000200"]],
      [null, "medium", ["alert-000004"]],
      [DEV2, "high", ["alert-000003"]],
      [DEV1, "medium", ["alert-000001", "alert-000002"]],
    ]);
    expect(list.incidents[3]!.acknowledged).toBe(true);
  });

  it("filters incidents by severity and device, and looks one up", async () => {
    const high = await fixture.get<IncidentList>("/api/v1/incidents?severity=high&severity=critical", client);
    expect(high.incidents.map((i) => i.severity)).toEqual(["critical", "high"]);
    const dev1 = await fixture.get<IncidentList>(`/api/v1/incidents?deviceId=${DEV1}`, client);
    expect(dev1.total).toBe(1);
    const one = await fixture.get<{ alertIds: string[] }>(`/api/v1/incidents/${dev1.incidents[0]!.id}`, client);
    expect(one.alertIds).toEqual(["alert-000001", "alert-000002"]);
    expect((await fixture.request("/api/v1/incidents/incident-nope", { client })).status).toBe(404);
  });

  it("acknowledges every alert of an incident", async () => {
    const list = await fixture.get<IncidentList>("/api/v1/incidents?severity=high", client);
    const id = list.incidents[0]!.id;
    const response = await fixture.request(`/api/v1/incidents/${id}/acknowledge`, { method: "POST", client });
    expect(response.status).toBe(200);
    expect(fixture.writer.alerts.get("alert-000003")!.acknowledgedAt).toBe(NOW);
    const after = await fixture.get<IncidentList>("/api/v1/incidents?acknowledged=false", client);
    expect(after.incidents.map((i) => i.id)).not.toContain(id);
  });

  it("sees alerts another process stores after the first request", async () => {
    const before = await fixture.get<IncidentList>("/api/v1/incidents", client);
    fixture.writer.alerts.insert({
      id: "alert-late",
      type: "beaconing",
      severity: "high",
      deviceId: "dev-02000000003",
      time: T0 + 300 * 60_000,
    });
    const after = await fixture.get<IncidentList>("/api/v1/incidents", client);
    expect(after.total).toBe(before.total + 1);
    expect(after.incidents[0]!.alertIds).toEqual(["alert-late"]);
    expect((await fixture.get<AlertList>("/api/v1/alerts?type=beaconing", client)).total).toBe(1);
  });
});
