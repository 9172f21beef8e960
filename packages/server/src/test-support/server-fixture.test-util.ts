import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSqliteRepositories, SqliteDatabase } from "@heimdal/platform";
import { ApiServer } from "../api-server.js";
import type { ApiServerOptions } from "../server-options.js";
import { seedNetwork } from "./seed.test-util.js";

export const PASSWORD = "correct horse battery";

export interface Client {
  cookie: string;
  csrfToken: string;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  client?: Client | undefined;
  /** Send this CSRF token instead of the client's (null: none). */
  csrf?: string | null;
  headers?: Record<string, string>;
}

/**
 * A real server on 127.0.0.1 with an ephemeral port over a real SQLite file in a temporary
 * directory, seeded with a small network. `writer` is a second connection to the same file,
 * standing in for the analysis process that writes while the server reads.
 */
export async function startFixture(options: Partial<ApiServerOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "heimdal-api-"));
  const databasePath = join(dir, "sensor.db");
  const writerDb = new SqliteDatabase(databasePath);
  writerDb.open();
  const writer = createSqliteRepositories(writerDb);
  const seeded = seedNetwork(writer);
  const server = new ApiServer({ databasePath, port: 0, adminPassword: PASSWORD, eventPollMs: 50, ...options });
  const started = await server.start();
  const base = started.url;

  async function request(path: string, o: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.client) headers.cookie = o.client.cookie;
    const csrf = o.csrf === undefined ? o.client?.csrfToken : o.csrf;
    if (csrf !== null && csrf !== undefined) headers["x-csrf-token"] = csrf;
    if (o.body !== undefined) headers["content-type"] = "application/json";
    return fetch(`${base}${path}`, {
      method: o.method ?? "GET",
      headers,
      ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
    });
  }

  async function login(username = "admin", password = PASSWORD): Promise<Client> {
    const response = await request("/api/v1/auth/login", { method: "POST", body: { username, password } });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
    const cookie = response.headers.get("set-cookie")!.split(";")[0]!;
    const { csrfToken } = (await response.json()) as { csrfToken: string };
    return { cookie, csrfToken };
  }

  /** GET as a logged-in client, expecting 200; the parsed body. */
  async function get<T = Record<string, unknown>>(path: string, client: Client): Promise<T> {
    const response = await request(path, { client });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async function close(): Promise<void> {
    await server.stop();
    writerDb.close();
    rmSync(dir, { recursive: true, force: true });
  }

  return { server, base, databasePath, dir, writer, seeded, request, login, get, close };
}

export type Fixture = Awaited<ReturnType<typeof startFixture>>;
