import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiServer } from "../api-server.js";
import { type Fixture, PASSWORD, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
let tlsServer: ApiServer;
let url: string;
let cert: Buffer;
beforeAll(async () => {
  fixture = await startFixture();
  await fixture.server.stop();
  // A throw-away self-signed certificate for 127.0.0.1.
  const key = join(fixture.dir, "key.pem");
  const certPath = join(fixture.dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      certPath,
    ],
    { stdio: "ignore" },
  );
  cert = readFileSync(certPath);
  tlsServer = new ApiServer({
    databasePath: fixture.databasePath,
    port: 0,
    adminPassword: PASSWORD,
    tls: { key: readFileSync(key), cert },
  });
  url = (await tlsServer.start()).url;
});
afterAll(async () => {
  await tlsServer.stop();
  await fixture.close();
});

function post(path: string, body: unknown): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: "POST", ca: cert, headers: { "content-type": "application/json" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("over TLS", () => {
  it("serves HTTPS and marks the session cookie Secure", async () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const response = await post("/api/v1/auth/login", { username: "admin", password: PASSWORD });
    expect(response.status).toBe(200);
    expect(String(response.headers["set-cookie"])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
  });
});
