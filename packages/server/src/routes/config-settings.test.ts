import { afterEach, describe, expect, it } from "vitest";
import { type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

interface Config {
  sensitivity: { settings: string[] };
  interception: Record<string, unknown>;
  notifications: {
    severities: string[];
    quietHours: { start: string; end: string } | null;
    criticalDuringQuietHours: boolean;
  };
  cloud: { enabled: boolean; connected: boolean; shares: string[]; neverShared: string[] };
}

describe("settings: interception, notifications and cloud", () => {
  it("reports interception and blocking: off by default, with the reason", async () => {
    fixture = await startFixture();
    const client = await fixture.login();
    const config = await fixture.get<Config>("/api/v1/config", client);
    expect(config.interception).toMatchObject({
      running: false,
      blocking: false,
      blockingUnavailableReason: expect.stringContaining("Blocking is not available"),
      edition: null,
      editions: expect.stringContaining("Free (desktop-free): visibility only"),
    });
  });

  it("gives the edition's reason on /config and on every blocking endpoint", async () => {
    const reason = "The desktop-free edition shows devices and alerts but never blocks (Pro and above)";
    fixture = await startFixture({ edition: "desktop-free", blockingUnavailableReason: reason });
    const client = await fixture.login();
    const config = await fixture.get<Config>("/api/v1/config", client);
    expect(config.interception).toMatchObject({
      blocking: false,
      blockingUnavailableReason: reason,
      edition: "desktop-free",
    });
    const blocked = await fixture.request("/api/v1/blocking", {
      method: "POST",
      client,
      body: { target: { kind: "destination", destination: "203.0.113.7" } },
    });
    expect(blocked.status).toBe(503);
    expect(((await blocked.json()) as { message: string }).message).toBe(reason);
  });

  it("stores notifications (merged field by field) and the cloud switch (off by default)", async () => {
    fixture = await startFixture();
    const client = await fixture.login();
    const before = await fixture.get<Config>("/api/v1/config", client);
    expect(before.notifications).toEqual({
      severities: ["high", "critical"],
      quietHours: null,
      criticalDuringQuietHours: true,
    });
    expect(before.cloud).toMatchObject({ enabled: false, connected: false });
    expect(before.cloud.shares.join(" ")).toContain("alert types");
    expect(before.cloud.neverShared.join(" ")).toContain("MAC and IP addresses");

    const patched = await fixture.request("/api/v1/config", {
      method: "PATCH",
      client,
      body: {
        notifications: { severities: ["medium", "high", "critical"], quietHours: { start: "22:30", end: "06:45" } },
        cloud: { enabled: true },
      },
    });
    expect(patched.status).toBe(200);
    const again = await fixture.request("/api/v1/config", {
      method: "PATCH",
      client,
      body: { notifications: { criticalDuringQuietHours: false } },
    });
    expect(again.status).toBe(200);
    const after = await fixture.get<Config>("/api/v1/config", client);
    expect(after.notifications).toEqual({
      severities: ["medium", "high", "critical"],
      quietHours: { start: "22:30", end: "06:45" },
      criticalDuringQuietHours: false,
    });
    expect(after.cloud.enabled).toBe(true);
  });

  it.each([
    [{ notifications: { severities: ["loud"] } }, "notifications.severities[0]"],
    [{ notifications: { quietHours: { start: "25:00", end: "06:00" } } }, "notifications.quietHours.start"],
    [{ notifications: { quietHours: { start: "06:00", end: "06:00" } } }, "notifications.quietHours.end"],
    [{ notifications: { quietHours: { start: "06:00" } } }, "notifications.quietHours.end"],
    [{ notifications: { sound: true } }, "notifications.sound"],
    [{ cloud: { enabled: "maybe" } }, "cloud.enabled"],
    [{ cloud: { enabled: true, endpoint: "https://x" } }, "cloud.endpoint"],
  ])("refuses %j with 400 naming %s and changes nothing", async (body, field) => {
    fixture = await startFixture();
    const client = await fixture.login();
    // A valid part next to the invalid one: the whole request is refused.
    const response = await fixture.request("/api/v1/config", {
      method: "PATCH",
      client,
      body: { sensitivity: ["0.9"], ...body },
    });
    expect(response.status).toBe(400);
    const error = (await response.json()) as { field: string; message: string };
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    const config = await fixture.get<Config>("/api/v1/config", client);
    expect(config.sensitivity.settings).toEqual([]);
    expect(config.notifications.severities).toEqual(["high", "critical"]);
    expect(config.cloud.enabled).toBe(false);
  });

  it("needs a session and the CSRF token to change them", async () => {
    fixture = await startFixture();
    const client = await fixture.login();
    const body = { cloud: { enabled: true } };
    expect((await fixture.request("/api/v1/config", { method: "PATCH", body })).status).toBe(401);
    expect((await fixture.request("/api/v1/config", { method: "PATCH", body, client, csrf: null })).status).toBe(403);
    expect((await fixture.get<Config>("/api/v1/config", client)).cloud.enabled).toBe(false);
  });
});
