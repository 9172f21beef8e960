import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiServer } from "../api-server.js";
import { type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
beforeAll(async () => {
  // The fixture's database, served again with a built dashboard next to it, outside of which
  // nothing may be served.
  fixture = await startFixture();
  await fixture.server.stop();
  const dist = join(fixture.dir, "dist");
  mkdirSync(join(dist, "assets"), { recursive: true });
  writeFileSync(join(dist, "index.html"), '<!doctype html><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(dist, "assets", "app.js"), "export const app = 1;\n");
  writeFileSync(join(fixture.dir, "secret.txt"), "not for the web");
  const server = new ApiServer({ databasePath: fixture.databasePath, port: 0, staticDir: dist });
  const started = await server.start();
  fixture = { ...fixture, server, base: started.url };
});
afterAll(() => fixture.close());

describe("the dashboard's files", () => {
  it("serves the built files with their types and the security headers", async () => {
    const index = await fetch(`${fixture.base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/^text\/html/);
    expect(index.headers.get("x-frame-options")).toBe("DENY");
    const script = await fetch(`${fixture.base}/assets/app.js`);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect(await script.text()).toBe("export const app = 1;\n");
  });

  it("answers the app's own routes with index.html, so a reload works", async () => {
    const page = await fetch(`${fixture.base}/devices/dev-1`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("/assets/app.js");
  });

  it("serves nothing outside the directory, and no API data in place of a missing file", async () => {
    for (const path of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/missing.js"]) {
      const response = await fixture.server.inject({ url: path });
      expect(response.statusCode, path).toBe(404);
      expect(response.body, path).not.toContain("not for the web");
    }
    const api = await fetch(`${fixture.base}/api/v1/nothing-here`, { headers: { accept: "text/html" } });
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toMatch(/^application\/json/);
  });
});
