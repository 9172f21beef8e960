/**
 * A home network in network namespaces for interception tests and the interception bench:
 *
 *   victim1 ─┐                              ┌─ internet (HTTP on .2 and .3, DNS on .2)
 *   victim2 ─┼─ bridge (switch ns) ─ gateway ┘   198.19.77.0/24, reached through NAT
 *   sensor  ─┘   LAN 198.18.77.0/24
 *
 * Addresses come from 198.18.0.0/15 (RFC 2544, reserved for benchmarking); nothing leaves
 * the lab's namespaces. Namespace names carry the creating process id, so sweepStaleLabs()
 * removes a lab whose process was killed. destroy() removes everything, also after a failure.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sweepStaleLabs } from "../../platform/test/netns-lab.js";

const execFileAsync = promisify(execFile);

export const LAN = {
  gateway: "198.18.77.1",
  sensor: "198.18.77.5",
  victim1: "198.18.77.11",
  victim2: "198.18.77.12",
} as const;
export const INTERNET = { gatewayWan: "198.19.77.1", shop: "198.19.77.2", news: "198.19.77.3" } as const;
export const MACS = {
  gateway: "02:48:00:00:00:01",
  sensor: "02:48:00:00:00:05",
  victim1: "02:48:00:00:00:11",
  victim2: "02:48:00:00:00:12",
} as const;
export type Station = keyof typeof MACS;
const STATIONS: Station[] = ["gateway", "sensor", "victim1", "victim2"];

export async function run(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  try {
    return (await execFileAsync(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`${file} ${args.join(" ")}: ${e.stderr ?? ""}${e.message}`, { cause: error });
  }
}

const HTTP_SERVER = `
const http = require("node:http");
for (const address of process.argv.slice(1)) {
  http.createServer((req, res) => {
    const size = Number(new URL(req.url, "http://x").searchParams.get("bytes") ?? "64");
    res.writeHead(200, { "content-type": "application/octet-stream", "x-server": address });
    res.end(Buffer.alloc(Math.min(size, 64 * 1024 * 1024), 97));
  }).listen(80, address);
}`;

export class InterceptionLab {
  readonly id = randomBytes(3).toString("hex");
  readonly scratch = mkdtempSync(join(tmpdir(), "heimdal-intercept-"));
  readonly children = new Set<ChildProcess>();
  readonly switchNs = `heimdal-lab-${process.pid}-${this.id}-sw`;
  readonly internetNs = `heimdal-lab-${process.pid}-${this.id}-in`;

  ns(station: Station): string {
    return `heimdal-lab-${process.pid}-${this.id}-${station.slice(0, 2)}${station.at(-1)}`;
  }

  iface(station: Station): string {
    return `i${this.id}${station.slice(0, 1)}${station.at(-1)}`;
  }

  async create(): Promise<void> {
    await sweepStaleLabs();
    const all = [this.switchNs, this.internetNs, ...STATIONS.map((s) => this.ns(s))];
    for (const ns of all) {
      await run("ip", ["netns", "add", ns]);
      await this.sysctl(ns, ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
      await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
    }
    const bridge = `b${this.id}`;
    await run("ip", ["-n", this.switchNs, "link", "add", bridge, "type", "bridge", "mcast_snooping", "0"]);
    await run("ip", ["-n", this.switchNs, "link", "set", bridge, "up"]);
    for (const station of STATIONS) {
      const ns = this.ns(station);
      const dev = this.iface(station);
      const port = `${dev}p`;
      await run("ip", ["link", "add", dev, "netns", ns, "type", "veth", "peer", "name", port, "netns", this.switchNs]);
      await run("ip", ["-n", this.switchNs, "link", "set", port, "master", bridge]);
      await run("ip", ["-n", this.switchNs, "link", "set", port, "up"]);
      await run("ip", ["-n", ns, "link", "set", dev, "address", MACS[station]]);
      await run("ip", ["-n", ns, "addr", "add", `${LAN[station]}/24`, "dev", dev]);
      await run("ip", ["-n", ns, "link", "set", dev, "up"]);
      if (station !== "gateway") await run("ip", ["-n", ns, "route", "add", "default", "via", LAN.gateway]);
    }
    // The gateway's uplink to the "internet", with NAT as a home router does.
    const wan = `w${this.id}g`;
    const far = `w${this.id}i`;
    await run("ip", [
      "link",
      "add",
      wan,
      "netns",
      this.ns("gateway"),
      "type",
      "veth",
      "peer",
      "name",
      far,
      "netns",
      this.internetNs,
    ]);
    await run("ip", ["-n", this.ns("gateway"), "addr", "add", `${INTERNET.gatewayWan}/24`, "dev", wan]);
    await run("ip", ["-n", this.ns("gateway"), "link", "set", wan, "up"]);
    for (const address of [INTERNET.shop, INTERNET.news]) {
      await run("ip", ["-n", this.internetNs, "addr", "add", `${address}/24`, "dev", far]);
    }
    await run("ip", ["-n", this.internetNs, "link", "set", far, "up"]);
    await this.sysctl(this.ns("gateway"), ["net.ipv4.ip_forward=1"]);
    await this.exec("gateway", "nft", [
      "-f",
      this.#file(
        "nat.nft",
        `table ip nat {\n  chain post {\n    type nat hook postrouting priority 100;\n    oifname "${wan}" masquerade\n  }\n}\n`,
      ),
    ]);
    // Services of the internet namespace: two web servers and a DNS server.
    this.spawnIn(this.internetNs, process.execPath, ["-e", HTTP_SERVER, INTERNET.shop, INTERNET.news]);
    this.spawnIn(this.internetNs, "dnsmasq", [
      "--no-daemon",
      "--no-resolv",
      "--no-hosts",
      `--listen-address=${INTERNET.shop}`,
      "--bind-interfaces",
      `--pid-file=${join(this.scratch, "dnsmasq.pid")}`,
      `--address=/shop.test/${INTERNET.shop}`,
      `--address=/news.test/${INTERNET.news}`,
    ]);
    await this.waitFor(async () => (await this.curl("victim1", INTERNET.shop)).ok, 10_000, "the lab's web server");
  }

  #file(name: string, text: string): string {
    const path = join(this.scratch, name);
    writeFileSync(path, text);
    return path;
  }

  sysctl(ns: string, settings: string[]): Promise<string> {
    return run("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", ...settings]);
  }

  exec(station: Station, file: string, args: readonly string[], timeoutMs?: number): Promise<string> {
    return run("ip", ["netns", "exec", this.ns(station), file, ...args], timeoutMs);
  }

  spawn(station: Station, file: string, args: readonly string[]): ChildProcess {
    return this.spawnIn(this.ns(station), file, args);
  }

  spawnIn(ns: string, file: string, args: readonly string[]): ChildProcess {
    const child = spawn("ip", ["netns", "exec", ns, file, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** One HTTP request from a station; ok with the time it took, or not ok. */
  async curl(
    station: Station,
    address: string,
    bytes = 64,
    timeoutSeconds = 2,
  ): Promise<{ ok: boolean; seconds: number }> {
    try {
      const out = await this.exec(station, "curl", [
        "-s",
        "-o",
        "/dev/null",
        "--max-time",
        String(timeoutSeconds),
        "-w",
        "%{http_code} %{time_total}",
        `http://${address}/?bytes=${bytes}`,
      ]);
      const [code, seconds] = out.trim().split(" ");
      return { ok: code === "200", seconds: Number(seconds) };
    } catch {
      return { ok: false, seconds: Number.NaN };
    }
  }

  /** One DNS lookup from a station through the internet's DNS server; the answer or undefined. */
  async dig(station: Station, name: string): Promise<string | undefined> {
    const out = await this.exec(station, "dig", ["+short", "+time=2", "+tries=1", `@${INTERNET.shop}`, name]).catch(
      () => "",
    );
    return out.trim() || undefined;
  }

  /** The MAC a station's neighbour table holds for an address, or undefined. */
  async neighbourMac(station: Station, address: string): Promise<string | undefined> {
    const json = JSON.parse(await this.exec(station, "ip", ["-j", "neigh", "show", address])) as Array<{
      lladdr?: string;
    }>;
    return json[0]?.lladdr;
  }

  async waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
    const start = Date.now();
    for (;;) {
      if (await check()) return Date.now() - start;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async destroy(): Promise<void> {
    for (const child of this.children) child.kill("SIGKILL");
    for (const ns of [this.switchNs, this.internetNs, ...STATIONS.map((s) => this.ns(s))]) {
      await run("ip", ["netns", "del", ns]).catch(() => undefined);
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** Collects a child's JSON lines; waitFor resolves with the first matching one. */
export function jsonEvents(child: ChildProcess) {
  const events: Array<Record<string, unknown>> = [];
  let tail = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (tail + chunk).split("\n");
    tail = lines.pop() ?? "";
    for (const line of lines) if (line.startsWith("{")) events.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    events,
    exited,
    stderr: () => stderr,
    async waitFor(match: (e: Record<string, unknown>) => boolean, timeoutMs: number, what: string) {
      const start = Date.now();
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        if (Date.now() - start > timeoutMs) {
          throw new Error(`timed out waiting for ${what}; events ${JSON.stringify(events)}; stderr ${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}
