import { afterEach, describe, expect, it } from "vitest";
import { type Fixture, PASSWORD, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe("authentication", () => {
  it("logs in with the admin password and sets an HttpOnly, SameSite=Strict session cookie", async () => {
    fixture = await startFixture();
    const response = await fixture.request("/api/v1/auth/login", {
      method: "POST",
      body: { username: "admin", password: PASSWORD },
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^heimdal_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const body = (await response.json()) as { username: string; csrfToken: string };
    expect(body.username).toBe("admin");
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const session = await fixture.request("/api/v1/auth/session", {
      headers: { cookie: cookie.split(";")[0]! },
    });
    expect(await session.json()).toEqual({ username: "admin", csrfToken: body.csrfToken });
  });

  it("marks the cookie Secure with --secure-cookies", async () => {
    fixture = await startFixture({ secureCookies: true });
    const response = await fixture.request("/api/v1/auth/login", {
      method: "POST",
      body: { username: "admin", password: PASSWORD },
    });
    expect(response.headers.get("set-cookie")).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
  });

  it("refuses a wrong password or user with 401 and no cookie", async () => {
    fixture = await startFixture();
    for (const body of [
      { username: "admin", password: "wrong password" },
      { username: "root", password: PASSWORD },
    ]) {
      const response = await fixture.request("/api/v1/auth/login", { method: "POST", body });
      expect(response.status).toBe(401);
      expect(response.headers.get("set-cookie")).toBeNull();
      expect(await response.json()).toMatchObject({ message: "Wrong user name or password" });
    }
  });

  it("rate-limits failed logins per client address, even with the right password, and not other addresses", async () => {
    fixture = await startFixture({ loginLimits: { maxFailures: 3, windowMs: 60_000, maxAddresses: 100 } });
    const attempt = (password: string, remoteAddress: string) =>
      fixture!.server.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        remoteAddress,
        payload: { username: "admin", password },
      });
    for (let i = 0; i < 3; i++) expect((await attempt("guess", "192.168.1.66")).statusCode).toBe(401);
    const limited = await attempt(PASSWORD, "192.168.1.66");
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.json().message).toMatch(/^Too many failed logins from 192\.168\.1\.66/);
    expect((await attempt(PASSWORD, "192.168.1.67")).statusCode).toBe(200);
  });

  it("logs out: the session no longer works", async () => {
    fixture = await startFixture();
    const client = await fixture.login();
    expect((await fixture.request("/api/v1/devices", { client })).status).toBe(200);
    const out = await fixture.request("/api/v1/auth/logout", { method: "POST", client });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await fixture.request("/api/v1/devices", { client })).status).toBe(401);
  });

  it("requires a session for every API resource, from loopback and from the LAN", async () => {
    fixture = await startFixture();
    const response = await fixture.request("/api/v1/devices");
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ message: expect.stringContaining("POST /api/v1/auth/login") });
    const lan = await fixture.server.inject({ url: "/api/v1/alerts", remoteAddress: "192.168.1.20" });
    expect(lan.statusCode).toBe(401);
    const forged = await fixture.server.inject({
      url: "/api/v1/devices",
      remoteAddress: "192.168.1.20",
      headers: { cookie: "heimdal_session=not-a-session" },
    });
    expect(forged.statusCode).toBe(401);
  });

  it.each([
    "/api/v1/devices",
    "//api/v1/devices",
    "/api/v1//devices",
    "/api/v1/devices/",
    "/api/v1/./devices",
    "/api/v1/x/../devices",
    "/api%2Fv1/devices",
    "/API/v1/devices",
    "/api/v1/devices?x=%00",
  ])("serves no data at %s without a session, however the path is spelled", async (path) => {
    fixture = await startFixture();
    const response = await fixture.server.inject({ url: path, remoteAddress: "192.168.1.20" });
    expect([401, 404]).toContain(response.statusCode);
    expect(response.body).not.toContain("dev-0200");
  });

  it("with --localhost-no-login lets this machine read and get a session without a password, never the LAN", async () => {
    fixture = await startFixture({ localhostNoLogin: true });
    expect((await fixture.request("/api/v1/devices")).status).toBe(200);
    const session = await fixture.request("/api/v1/auth/session");
    expect(session.status).toBe(200);
    expect(((await session.json()) as { username: string }).username).toBe("local");

    const lan = { remoteAddress: "192.168.1.20", headers: { host: "127.0.0.1:8080" } };
    expect((await fixture.server.inject({ url: "/api/v1/devices", ...lan })).statusCode).toBe(401);
    expect((await fixture.server.inject({ url: "/api/v1/auth/session", ...lan })).statusCode).toBe(401);
    // A page whose DNS name was rebound to 127.0.0.1 reaches loopback under its own Host name.
    const rebound = { remoteAddress: "127.0.0.1", headers: { host: "evil.example:8080" } };
    expect((await fixture.server.inject({ url: "/api/v1/devices", ...rebound })).statusCode).toBe(401);
    expect((await fixture.server.inject({ url: "/api/v1/auth/session", ...rebound })).statusCode).toBe(401);
  });

  it("without --localhost-no-login, loopback needs a session too", async () => {
    fixture = await startFixture();
    expect((await fixture.request("/api/v1/auth/session")).status).toBe(401);
    expect((await fixture.server.inject({ url: "/api/v1/status", remoteAddress: "127.0.0.1" })).statusCode).toBe(401);
  });

  it("serves the dashboard's files without a session (they hold no data)", async () => {
    fixture = await startFixture();
    const response = await fixture.request("/");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("<h1>Heimdal</h1>");
    expect(html).not.toMatch(/<script|\sstyle=|\son\w+=/i);
  });
});
