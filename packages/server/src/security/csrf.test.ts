import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
let client: Client;
beforeAll(async () => {
  fixture = await startFixture();
  client = await fixture.login();
});
afterAll(() => fixture.close());

/** Every state-changing route, each with a body it would accept. */
const CHANGES: { method: string; path: string; body?: unknown }[] = [
  { method: "POST", path: "/api/v1/alerts/alert-000002/acknowledge" },
  { method: "POST", path: "/api/v1/alerts/alert-000002/expected" },
  { method: "POST", path: "/api/v1/incidents/x/acknowledge" },
  { method: "POST", path: "/api/v1/exclusions", body: { id: "e1", comment: "ok", port: "tcp/22" } },
  { method: "DELETE", path: "/api/v1/exclusions/e1" },
  { method: "POST", path: "/api/v1/mutes", body: { deviceId: "dev-1", destination: "a.example" } },
  { method: "PATCH", path: "/api/v1/config", body: { sensitivity: ["0.6"] } },
  { method: "POST", path: "/api/v1/blocking", body: { target: { kind: "device", deviceId: "dev-1" } } },
  { method: "DELETE", path: "/api/v1/blocking/b1" },
  { method: "POST", path: "/api/v1/auth/logout" },
];

describe("CSRF protection", () => {
  it.each(CHANGES)("refuses $method $path without the X-CSRF-Token header", async ({ method, path, body }) => {
    const response = await fixture.request(path, { method, body, client, csrf: null });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      field: "X-CSRF-Token",
      message: expect.stringContaining("X-CSRF-Token"),
    });
  });

  it.each(CHANGES)("refuses $method $path with another token", async ({ method, path, body }) => {
    const wrong = `${client.csrfToken.slice(0, -1)}${client.csrfToken.endsWith("A") ? "B" : "A"}`;
    expect((await fixture.request(path, { method, body, client, csrf: wrong })).status).toBe(403);
  });

  it("refuses another session's token", async () => {
    const other = await fixture.login();
    const response = await fixture.request("/api/v1/alerts/alert-000002/acknowledge", {
      method: "POST",
      client,
      csrf: other.csrfToken,
    });
    expect(response.status).toBe(403);
  });

  it("accepts the session's own token, and nothing was changed by the refused requests", async () => {
    const before = await fixture.get<{ acknowledgedAt: number | null }>("/api/v1/alerts/alert-000002", client);
    expect(before.acknowledgedAt).toBeNull();
    expect((await fixture.get<{ exclusions: unknown[] }>("/api/v1/exclusions", client)).exclusions).toEqual([]);
    const response = await fixture.request("/api/v1/alerts/alert-000002/acknowledge", { method: "POST", client });
    expect(response.status).toBe(200);
  });

  it("does not parse text/plain bodies, which a cross-site form could send", async () => {
    const response = await fixture.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "text/plain" },
    });
    expect(response.status).toBe(415);
  });
});
