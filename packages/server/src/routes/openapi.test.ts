import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
let client: Client;
interface Operation {
  summary?: string;
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}
let doc: {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};
beforeAll(async () => {
  fixture = await startFixture();
  client = await fixture.login();
  doc = await fixture.get("/api/v1/openapi.json", client);
});
afterAll(() => fixture.close());

const apiRoutes = () =>
  fixture.server
    .routes()
    .filter((r) => r.url.startsWith("/api/v1/") && r.method !== "HEAD")
    .map((r) => ({ method: r.method.toLowerCase(), path: r.url.replace(/:(\w+)/g, "{$1}") }));

describe("the OpenAPI document", () => {
  it("is OpenAPI 3 and describes every API route the server has, and nothing else", () => {
    expect(doc.openapi).toMatch(/^3\./);
    const routes = apiRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(25);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method, path })),
    );
    expect(documented.sort(byKey)).toEqual(routes.sort(byKey));
  });

  it("gives every operation a summary, a success answer and the error answers", () => {
    for (const { method, path } of apiRoutes()) {
      const op = doc.paths[path]![method]!;
      expect(op.summary, `${method} ${path}`).toBeTruthy();
      expect(
        Object.keys(op.responses).some((code) => code.startsWith("2")),
        `${method} ${path}`,
      ).toBe(true);
      expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(["400", "401", "403"]));
    }
  });

  it("documents query parameters, path parameters and bodies from the validating schemas", () => {
    const names = (path: string, method = "get", where = "query") =>
      (doc.paths[path]![method]!.parameters ?? []).filter((p) => p.in === where).map((p) => p.name);
    expect(names("/api/v1/devices")).toEqual(["type", "online", "vendor", "search", "limit", "offset"]);
    expect(names("/api/v1/alerts")).toEqual([
      "severity",
      "deviceId",
      "from",
      "to",
      "acknowledged",
      "type",
      "limit",
      "offset",
    ]);
    expect(names("/api/v1/devices/{id}", "get", "path")).toEqual(["id"]);
    expect(names("/api/v1/events/stream", "get", "header")).toEqual(["last-event-id"]);
    expect(doc.paths["/api/v1/auth/login"]!.post!.requestBody).toBeTruthy();
    expect(doc.paths["/api/v1/config"]!.patch!.requestBody).toBeTruthy();
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["ErrorResponse", "DeviceSummary", "StoredAlert", "Incident", "ExclusionEntry", "Block"]),
    );
  });
});

function byKey(a: { method: string; path: string }, b: { method: string; path: string }): number {
  const x = `${a.path} ${a.method}`;
  const y = `${b.path} ${b.method}`;
  return x < y ? -1 : x > y ? 1 : 0;
}
