import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, and the built CLI and dashboard the tests run as a user would. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const bin = join(root, "packages/cli/bin/heimdal.js");
export const dashboardDist = join(root, "packages/dashboard/dist");
export const sharedData = resolve(root, "../shared/data");
export const screenshotDir = join(root, "test-output/screenshots");

/** Replays captures into a sensor database with `heimdal analyze --db`. */
export function analyzeInto(db: string, captures: string[]): void {
  execFileSync(process.execPath, [bin, "analyze", "--db", db, ...captures], {
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 120_000,
  });
}

export interface RunningSensor {
  url: string;
  stop: () => Promise<void>;
}

/** Starts `heimdal serve` on an ephemeral loopback port with a known admin password; `extraArgs` go after. */
export function serve(db: string, password: string, extraArgs: readonly string[] = []): Promise<RunningSensor> {
  if (!existsSync(join(dashboardDist, "index.html")))
    throw new Error(`The dashboard is not built: no ${dashboardDist}/index.html (run npm run build)`);
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, "serve", "--db", db, "--host", "127.0.0.1", "--port", "0", ...extraArgs],
    {
      env: { ...process.env, HEIMDAL_ADMIN_PASSWORD: password },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolveStart, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      const url = /serving (http:\/\/\S+)/.exec(output)?.[1];
      if (url) resolveStart({ url, stop });
    });
    child.stderr!.on("data", (chunk) => {
      output += chunk;
    });
    child.once("exit", (code) => reject(new Error(`heimdal serve exited with ${code}: ${output}`)));
  });
}

/** A logged-in API client on the Node side: the truth the pages are checked against. */
export async function apiSession(url: string, password: string) {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password }),
  });
  if (!login.ok) throw new Error(`Login failed: ${login.status}`);
  const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  return {
    get: async <T>(path: string): Promise<T> => {
      const response = await fetch(`${url}/api/v1${path}`, { headers: { cookie } });
      if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
      return (await response.json()) as T;
    },
  };
}
