/**
 * Blocking through the API on the real firewall: `heimdal serve --blocking` in a throwaway
 * network namespace (its nftables are the namespace's own), driven with curl inside it.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labUnavailableReason, sweepStaleLabs } from "../../platform/test/netns-lab.js";

const execFileAsync = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = join(root, "packages/cli/bin/heimdal.js");
const capture = resolve(root, "../shared/data/chrissanders/arppoison.pcapng");
const unavailable =
  labUnavailableReason(["nft", "curl"]) ??
  (existsSync(join(root, "packages/cli/dist/main.js")) ? undefined : "the CLI is not built (npm run build)") ??
  (existsSync(capture) ? undefined : `${capture} is missing`);

describe.skipIf(unavailable)("blocking through the API (heimdal serve --blocking)", () => {
  const ns = `heimdal-lab-${process.pid}-${randomBytes(3).toString("hex")}-api`;
  const scratch = mkdtempSync(join(tmpdir(), "heimdal-serve-blocking-"));
  const db = join(scratch, "sensor.db");
  const jar = join(scratch, "cookies");
  let server: ChildProcess | undefined;
  let url = "";
  const inNs = async (file: string, args: string[]) =>
    (await execFileAsync("ip", ["netns", "exec", ns, file, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  const curl = async (method: string, path: string, body?: unknown, csrf?: string) => {
    const args = ["-s", "-b", jar, "-c", jar, "-X", method, "-w", "\n%{http_code}", `${url}${path}`];
    if (body !== undefined) args.push("-H", "content-type: application/json", "--data", JSON.stringify(body));
    if (csrf) args.push("-H", `x-csrf-token: ${csrf}`);
    const out = await inNs("curl", args);
    const split = out.lastIndexOf("\n");
    const text = out.slice(0, split);
    return { status: Number(out.slice(split + 1)), json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  beforeAll(async () => {
    await sweepStaleLabs();
    await execFileAsync("ip", ["netns", "add", ns]);
    await inNs("ip", ["link", "set", "lo", "up"]);
    await execFileAsync(process.execPath, [bin, "analyze", "--db", db, capture]);
    server = spawn(
      "ip",
      [
        "netns",
        "exec",
        ns,
        process.execPath,
        bin,
        "serve",
        "--db",
        db,
        "--port",
        "0",
        "--blocking",
        "--state-dir",
        scratch,
      ],
      { env: { ...process.env, HEIMDAL_ADMIN_PASSWORD: "correct horse battery" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    url = await new Promise<string>((resolveUrl, reject) => {
      let out = "";
      server!.stdout!.on("data", (chunk) => {
        out += chunk;
        const found = /serving (http:\/\/\S+)/.exec(out)?.[1];
        if (found) resolveUrl(found);
      });
      server!.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
  }, 60_000);

  afterAll(async () => {
    server?.kill("SIGKILL");
    await execFileAsync("ip", ["netns", "del", ns]).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("quarantines a device and blocks a destination through nftables, lists them, and lifts them", async () => {
    const login = await curl("POST", "/api/v1/auth/login", { username: "admin", password: "correct horse battery" });
    expect(login.status).toBe(200);
    const csrf = login.json.csrfToken as string;
    const devices = (await curl("GET", "/api/v1/devices")).json as { devices: Array<{ id: string; mac: string }> };
    const attacker = devices.devices.find((d) => d.mac === "00:25:b3:bf:91:ee")!;

    const quarantine = await curl(
      "POST",
      "/api/v1/blocking",
      { target: { kind: "device", deviceId: attacker.id }, reason: "poisoning ARP" },
      csrf,
    );
    expect(quarantine.status).toBe(201);
    const destination = await curl(
      "POST",
      "/api/v1/blocking",
      { target: { kind: "destination", destination: "203.0.113.0/24" } },
      csrf,
    );
    expect(destination.status).toBe(201);
    expect(await inNs("nft", ["-j", "list", "set", "inet", "heimdal", "quarantined_macs"])).toContain(
      '"00:25:b3:bf:91:ee"',
    );
    expect(await inNs("nft", ["list", "set", "inet", "heimdal", "blocked_destinations"])).toContain("203.0.113.0/24");

    const listed = (await curl("GET", "/api/v1/blocking")).json as { blocks: Array<Record<string, unknown>> };
    expect(listed.blocks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ target: { kind: "device", deviceId: attacker.id }, decidedBy: "admin" }),
      ]),
    );
    expect(await inNs(process.execPath, [bin, "block", "list", "--state-dir", scratch])).toContain("poisoning ARP");

    const lifted = await curl("DELETE", `/api/v1/blocking/${quarantine.json.id as string}`, undefined, csrf);
    expect(lifted.status).toBeLessThan(300);
    expect(await inNs("nft", ["-j", "list", "set", "inet", "heimdal", "quarantined_macs"])).not.toContain(
      "00:25:b3:bf:91:ee",
    );
  }, 60_000);
});
