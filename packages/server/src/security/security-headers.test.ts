import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
let client: Client;
beforeAll(async () => {
  fixture = await startFixture();
  client = await fixture.login();
});
afterAll(() => fixture.close());

function expectSecurityHeaders(headers: Headers, what: string) {
  const csp = headers.get("content-security-policy") ?? "";
  expect(csp, what).toMatch(/(^|; )default-src 'self'(;|$)/);
  expect(csp, what).toContain("frame-ancestors 'none'");
  expect(csp, what).not.toContain("unsafe-inline");
  expect(csp, what).not.toContain("unsafe-eval");
  expect(headers.get("x-frame-options"), what).toBe("DENY");
  expect(headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(headers.get("referrer-policy"), what).toBe("no-referrer");
}

describe("security headers", () => {
  it.each([
    ["an API answer", "/api/v1/devices", true, 200],
    ["a refusal", "/api/v1/devices", false, 401],
    ["a validation error", "/api/v1/alerts?limit=0", true, 400],
    ["an unknown API path", "/api/v1/nope", true, 404],
    ["the dashboard", "/", false, 200],
    ["an unknown file", "/nope.js", false, 404],
  ])("are on %s", async (what, path, loggedIn, status) => {
    const response = await fixture.request(path, loggedIn ? { client } : {});
    expect(response.status).toBe(status);
    expectSecurityHeaders(response.headers, what);
  });

  it("are on the event stream, which bypasses the usual reply path", async () => {
    const controller = new AbortController();
    const response = await fetch(`${fixture.base}/api/v1/events/stream`, {
      headers: { cookie: client.cookie },
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expectSecurityHeaders(response.headers, "the event stream");
    controller.abort();
  });

  it("answer JSON as application/json, so attacker-controlled names are never served as markup", async () => {
    const response = await fixture.request("/api/v1/devices?search=onerror", { client });
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const { devices } = (await response.json()) as { devices: { name: string }[] };
    expect(devices.map((d) => d.name)).toEqual(['<img src=x onerror="alert(1)">']);
  });
});
