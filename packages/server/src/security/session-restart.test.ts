import { afterEach, describe, expect, it } from "vitest";
import { ApiServer } from "../api-server.js";
import { type Fixture, PASSWORD, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture | undefined;
let restarted: ApiServer | undefined;
afterEach(async () => {
  await restarted?.stop();
  restarted = undefined;
  await fixture?.close();
  fixture = undefined;
});

describe("sessions across a restart", () => {
  it("keep a logged-in cookie and its CSRF token working after the server restarts; logout ends it", async () => {
    fixture = await startFixture();
    const client = await fixture.login();
    await fixture.server.stop();

    restarted = new ApiServer({ databasePath: fixture.databasePath, port: 0, adminPassword: PASSWORD });
    const { url } = await restarted.start();
    const call = (path: string, init: { method?: string; csrf?: string; body?: unknown } = {}) =>
      fetch(`${url}${path}`, {
        method: init.method ?? "GET",
        headers: {
          cookie: client.cookie,
          ...(init.csrf === undefined ? {} : { "x-csrf-token": init.csrf }),
          ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });

    const session = await call("/api/v1/auth/session");
    expect(session.status).toBe(200);
    expect(await session.json()).toEqual({ username: "admin", csrfToken: client.csrfToken });
    expect((await call("/api/v1/devices")).status).toBe(200);
    // A state-changing request with the token from before the restart.
    const patched = await call("/api/v1/config", { method: "PATCH", csrf: client.csrfToken, body: {} });
    expect(patched.status).toBe(200);

    const logout = await call("/api/v1/auth/logout", { method: "POST", csrf: client.csrfToken });
    expect(logout.status).toBe(204);
    expect((await call("/api/v1/auth/session")).status).toBe(401);
    expect((await call("/api/v1/devices")).status).toBe(401);
  });
});
