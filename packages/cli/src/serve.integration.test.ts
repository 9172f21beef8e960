import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";

// The built `heimdal serve` as a user runs it: a real process on a loopback port.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = join(root, "packages/cli/bin/heimdal.js");
const scratch = mkdtempSync(join(tmpdir(), "heimdal-serve-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let running: ChildProcess | undefined;
afterEach(async () => {
  if (running && running.exitCode === null) {
    const exited = new Promise((r) => running!.once("exit", r));
    running.kill("SIGTERM");
    await exited;
  }
  running = undefined;
});

/** Starts `heimdal serve` on a free port; resolves with its URL and what it printed up to then. */
function serve(args: string[], env: Record<string, string> = {}): Promise<{ url: string; stdout: string }> {
  const child = spawn(process.execPath, [bin, "serve", "--port", "0", ...args], {
    env: { ...process.env, HEIMDAL_ADMIN_PASSWORD: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running = child;
  return new Promise((resolveStart, reject) => {
    let stdout = "";
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      const url = /serving (http:\/\/\S+)/.exec(stdout)?.[1];
      // The password line, when there is one, follows the serving line in the same write burst.
      if (url) setTimeout(() => resolveStart({ url, stdout }), 200);
    });
    child.once("exit", (code) => reject(new Error(`heimdal serve exited with ${code}: ${stdout}`)));
  });
}

async function stop(): Promise<void> {
  const child = running!;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
  running = undefined;
}

async function login(url: string, password: string): Promise<number> {
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password }),
  });
  return response.status;
}

describe("heimdal serve", () => {
  it("generates an admin password on first start, prints it once, and keeps it across restarts", async () => {
    const db = join(scratch, "first.db");
    const first = await serve(["--db", db]);
    const password = /with password (\S+)/.exec(first.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await login(first.url, password!)).toBe(200);
    await stop();

    const second = await serve(["--db", db]);
    expect(second.stdout).not.toContain("password");
    expect(await login(second.url, password!)).toBe(200);
  });

  it("takes the password from HEIMDAL_ADMIN_PASSWORD or --admin-password-file, not both", async () => {
    const db = join(scratch, "given.db");
    const fromEnv = await serve(["--db", db], { HEIMDAL_ADMIN_PASSWORD: "from the environment" });
    expect(fromEnv.stdout).not.toContain("password");
    expect(await login(fromEnv.url, "from the environment")).toBe(200);
    await stop();

    const file = join(scratch, "password.txt");
    writeFileSync(file, "from a file\n");
    const fromFile = await serve(["--db", db, "--admin-password-file", file]);
    expect(await login(fromFile.url, "from a file")).toBe(200);
    expect(await login(fromFile.url, "from the environment")).toBe(401);
    await stop();

    await expect(serve(["--db", db, "--admin-password-file", file], { HEIMDAL_ADMIN_PASSWORD: "x" })).rejects.toThrow(
      /exited with 2/,
    );
  });
});
