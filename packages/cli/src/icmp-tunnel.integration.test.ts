/**
 * icmp_tunneling against a real tunnel: ptunnel-ng carries an HTTP download through ICMP echo
 * between two network namespaces, and the built `heimdal analyze --interface` captures it
 * live on the far end. Ordinary ping over the same link must stay quiet.
 *
 *   A  198.18.0.1   the "infected" device: ptunnel-ng client, curl through it
 *   B  198.18.0.2   the outside: ptunnel-ng proxy in front of a web server on its loopback;
 *                   the sensor captures on B's interface (B itself is the sensor)
 *
 * Needs root, ptunnel-ng, curl and python3 (bash scripts/system-packages.sh), and the built
 * CLI (`npm run build`; npm test builds first).
 */
import type { ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labUnavailableReason, VethLab } from "../../platform/test/netns-lab.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = join(root, "packages/cli/bin/heimdal.js");
const unavailable =
  labUnavailableReason(["ptunnel-ng", "curl", "python3", "ping"]) ??
  (existsSync(join(root, "packages/cli/dist/main.js")) ? undefined : "the CLI is not built (npm run build)");

const WEB_PORT = 8000;
const TUNNEL_PORT = 2222;
const CAPTURE_SECONDS = 18;

interface AlertJson {
  type: string;
  severity: string;
  mac: string;
  evidence: Record<string, unknown>;
}
interface ReportJson {
  packets: number;
  alerts: AlertJson[];
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `heimdal analyze --interface` inside namespace B, for CAPTURE_SECONDS. */
function captureOnB(lab: VethLab): Promise<ReportJson> {
  const child: ChildProcess = lab.spawn(lab.nsB, process.execPath, [
    bin,
    "analyze",
    "--interface",
    lab.ifB,
    "--duration",
    String(CAPTURE_SECONDS),
    "--format",
    "json",
  ]);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  return new Promise((resolveRun, reject) => {
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`heimdal exited with ${code}: ${stderr}`));
      else resolveRun(JSON.parse(stdout) as ReportJson);
    });
  });
}

describe.skipIf(unavailable)("icmp_tunneling on a real ptunnel-ng tunnel", () => {
  let lab: VethLab;
  let webRoot: string;

  beforeAll(async () => {
    lab = await VethLab.create();
    webRoot = mkdtempSync(join(tmpdir(), "heimdal-ptunnel-"));
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    if (webRoot) rmSync(webRoot, { recursive: true, force: true });
  });

  it("reports the tunnelling device and the proxy it talks to", async () => {
    const blob = randomBytes(200_000);
    writeFileSync(join(webRoot, "blob.bin"), blob);
    // The proxy answers echoes itself; the kernel's own replies would only add noise.
    await lab.exec(lab.nsB, "sysctl", ["-q", "-w", "net.ipv4.icmp_echo_ignore_all=1"]);
    lab.spawn(lab.nsB, "python3", [
      "-m",
      "http.server",
      String(WEB_PORT),
      "--bind",
      "127.0.0.1",
      "--directory",
      webRoot,
    ]);
    lab.spawn(lab.nsB, "ptunnel-ng", ["-r127.0.0.1", `-R${WEB_PORT}`, "-v-1"]);
    lab.spawn(lab.nsA, "ptunnel-ng", [`-p${lab.ipB}`, `-l${TUNNEL_PORT}`, "-r127.0.0.1", `-R${WEB_PORT}`, "-v-1"]);
    const report = captureOnB(lab);
    await sleep(2000);

    // The download really goes through the tunnel: the same bytes come out at A.
    const out = join(webRoot, "received.bin");
    let fetched = false;
    for (let attempt = 0; attempt < 5 && !fetched; attempt++) {
      const result = await lab
        .exec(lab.nsA, "curl", ["-sf", "--max-time", "8", "-o", out, `http://127.0.0.1:${TUNNEL_PORT}/blob.bin`])
        .then(() => true)
        .catch(() => false);
      fetched = result && existsSync(out);
      if (!fetched) await sleep(1000);
    }
    expect(fetched).toBe(true);
    expect(sha256(readFileSync(out))).toBe(sha256(blob));

    const { alerts, packets } = await report;
    expect(packets).toBeGreaterThan(100);
    const tunnel = alerts.filter((a) => a.type === "icmp_tunneling");
    expect(tunnel.length).toBeGreaterThanOrEqual(1);
    expect(tunnel[0]!.mac).toBe(lab.macA);
    expect(["medium", "high"]).toContain(tunnel[0]!.severity);
    expect(tunnel[0]!.evidence.destination).toBe(lab.ipB);
    expect(tunnel[0]!.evidence.distinctSizes as number).toBeGreaterThanOrEqual(3);
    expect(tunnel[0]!.evidence.highEntropyPayloads as number).toBeGreaterThan(0);
  }, 120_000);

  it("stays quiet on ordinary ping, of the default size and of a large one", async () => {
    await lab.exec(lab.nsB, "sysctl", ["-q", "-w", "net.ipv4.icmp_echo_ignore_all=0"]);
    const report = captureOnB(lab);
    await sleep(2000);
    const ping = await lab.exec(lab.nsA, "ping", ["-c", "40", "-i", "0.2", "-q", lab.ipB]);
    const big = await lab.exec(lab.nsA, "ping", ["-c", "20", "-i", "0.2", "-s", "1200", "-q", lab.ipB]);
    expect(ping.stdout).toContain("40 received");
    expect(big.stdout).toContain("20 received");
    const { alerts, packets } = await report;
    // 60 requests and 60 replies were captured, and none of them looks like a tunnel.
    expect(packets).toBeGreaterThanOrEqual(120);
    expect(alerts.filter((a) => a.type === "icmp_tunneling")).toEqual([]);
  }, 120_000);
});
