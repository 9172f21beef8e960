import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiServer } from "../api-server.js";
import { T0 } from "../test-support/seed.test-util.js";
import { type Fixture, PASSWORD, startFixture } from "../test-support/server-fixture.test-util.js";

interface IncidentView {
  id: string;
  deviceId: string | null;
  title: string;
  alertIds: string[];
  acknowledged: boolean;
  acknowledgedAt: number | null;
  end: number;
}

const NOW = Date.UTC(2026, 5, 1);
const DEV1 = "dev-02000000001";
let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture({ now: () => NOW });
});
afterAll(() => fixture.close());

/** Logs in to a server at `base` and GETs `path` as that client. */
async function loggedIn(base: string) {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: PASSWORD }),
  });
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return {
    get: async <T>(path: string) => (await (await fetch(`${base}${path}`, { headers: { cookie } })).json()) as T,
    status: async (path: string) => (await fetch(`${base}${path}`, { headers: { cookie } })).status,
    post: (path: string) => fetch(`${base}${path}`, { method: "POST", headers: { cookie, "x-csrf-token": csrfToken } }),
  };
}

describe("stored incidents through the API", () => {
  it("keeps incidents, their ids and acknowledgements across a restart of the server", async () => {
    const first = await loggedIn(fixture.base);
    const before = await first.get<{ incidents: IncidentView[] }>(`/api/v1/incidents?deviceId=${DEV1}`);
    expect(before.incidents).toHaveLength(1);
    const incident = before.incidents[0]!;
    expect(incident.title).toBe("New device, then unexpected destination");
    const lastEvent = fixture.writer.events.lastId();
    const acknowledged = await first.post(`/api/v1/incidents/${incident.id}/acknowledge`);
    expect(acknowledged.status).toBe(200);
    expect(((await acknowledged.json()) as IncidentView).acknowledgedAt).toBe(NOW);
    // Acknowledging the incident acknowledged its alerts, and logged each.
    for (const id of incident.alertIds) expect(fixture.writer.alerts.get(id)!.acknowledgedAt).toBe(NOW);
    expect(
      fixture.writer.events
        .since(lastEvent)
        .map((e) => e.event as { type: string; alertId?: string })
        .filter((e) => e.type === "alert_acknowledged")
        .map((e) => e.alertId)
        .sort(),
    ).toEqual([...incident.alertIds].sort());
    await fixture.server.stop();

    const restarted = new ApiServer({ databasePath: fixture.databasePath, port: 0, adminPassword: PASSWORD });
    const { url } = await restarted.start();
    try {
      const again = await loggedIn(url);
      const one = await again.get<IncidentView>(`/api/v1/incidents/${incident.id}`);
      expect(one).toMatchObject({
        id: incident.id,
        alertIds: incident.alertIds,
        acknowledged: true,
        acknowledgedAt: NOW,
      });
      const open = await again.get<{ incidents: IncidentView[] }>("/api/v1/incidents?acknowledged=false");
      expect(open.incidents.map((i) => i.id)).not.toContain(incident.id);
      // A new alert of the device within 30 minutes of the incident grows it and opens it again.
      fixture.writer.alerts.insert({
        id: "alert-new",
        type: "port_scan",
        severity: "high",
        deviceId: DEV1,
        time: T0 + 20 * 60_000,
      });
      const grown = await again.get<IncidentView>(`/api/v1/incidents/${incident.id}`);
      expect(grown.alertIds).toEqual([...incident.alertIds, "alert-new"]);
      expect(grown.acknowledged).toBe(false);
      expect(await again.status("/api/v1/incidents/incident-nope")).toBe(404);
    } finally {
      await restarted.stop();
    }
  });
});
