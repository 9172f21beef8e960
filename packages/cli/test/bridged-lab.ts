/**
 * A small LAN of network namespaces for tests of the live sensor: one namespace per station,
 * each joined by a veth pair to a Linux bridge that lives in a namespace of its own. Nothing
 * touches the host's namespace. IPv6 is off everywhere so that only the traffic the test
 * makes exists. Names carry the creating process id ("heimdal-lab-PID-"), so that
 * sweepStaleLabs() removes what a killed run left.
 *
 * The bridge can act as a hub (`hub: true`: no MAC learning, every frame flooded to every
 * port), as a switch's mirror port does for a sensor, so the sensor sees unicast traffic
 * between the other stations too.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sweepStaleLabs } from "../../platform/test/netns-lab.js";

const execFileAsync = promisify(execFile);

export interface LabStation {
  /** Two letters, part of the namespace and interface names. */
  tag: string;
  mac: string;
  /** Static IPv4 address (/24), or undefined for a DHCP client. */
  ip?: string;
  /** Default route via this address. */
  gateway?: string;
}

export async function run(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  try {
    return (await execFileAsync(file, args, { timeout: timeoutMs })).stdout;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`${file} ${args.join(" ")}: ${e.stderr ?? ""}${e.message}`, { cause: error });
  }
}

export class BridgedLab<S extends string> {
  readonly id = randomBytes(3).toString("hex");
  readonly scratch = mkdtempSync(join(tmpdir(), "heimdal-lab-"));
  readonly children = new Set<ChildProcess>();
  readonly switchNs = `heimdal-lab-${process.pid}-${this.id}-sw`;
  readonly bridge = `hb${this.id}`;

  constructor(
    readonly stations: Record<S, LabStation>,
    private readonly options: { hub?: boolean } = {},
  ) {}

  ns(station: S): string {
    return `heimdal-lab-${process.pid}-${this.id}-${this.stations[station].tag}`;
  }

  /** The station's interface in its namespace. */
  iface(station: S): string {
    return `h${this.id}${this.stations[station].tag}d`;
  }

  async create(): Promise<void> {
    await sweepStaleLabs();
    const names = Object.keys(this.stations) as S[];
    for (const ns of [this.switchNs, ...names.map((s) => this.ns(s))]) {
      await run("ip", ["netns", "add", ns]);
      await run("ip", [
        "netns",
        "exec",
        ns,
        "sysctl",
        "-q",
        "-w",
        "net.ipv6.conf.all.disable_ipv6=1",
        "net.ipv6.conf.default.disable_ipv6=1",
      ]);
      await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
    }
    const bridgeOptions = ["mcast_snooping", "0", ...(this.options.hub ? ["ageing_time", "0"] : [])];
    await run("ip", ["-n", this.switchNs, "link", "add", this.bridge, "type", "bridge", ...bridgeOptions]);
    await run("ip", ["-n", this.switchNs, "link", "set", this.bridge, "up"]);
    for (const name of names) {
      const station = this.stations[name];
      const ns = this.ns(name);
      const dev = this.iface(name);
      const port = `${dev.slice(0, -1)}s`;
      await run("ip", ["link", "add", dev, "netns", ns, "type", "veth", "peer", "name", port, "netns", this.switchNs]);
      await run("ip", ["-n", this.switchNs, "link", "set", port, "master", this.bridge]);
      await run("ip", ["-n", this.switchNs, "link", "set", port, "up"]);
      await run("ip", ["-n", ns, "link", "set", dev, "address", station.mac]);
      if (station.ip) await run("ip", ["-n", ns, "addr", "add", `${station.ip}/24`, "dev", dev]);
      await run("ip", ["-n", ns, "link", "set", dev, "up"]);
      if (station.ip && station.gateway) {
        await run("ip", ["-n", ns, "route", "add", "default", "via", station.gateway, "dev", dev]);
      }
    }
  }

  /** Starts a command in a station's namespace; destroy() kills it if still running. */
  spawn(station: S, file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const child = spawn("ip", ["netns", "exec", this.ns(station), file, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env,
    });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  exec(station: S, file: string, args: readonly string[], timeoutMs?: number): Promise<string> {
    return run("ip", ["netns", "exec", this.ns(station), file, ...args], timeoutMs);
  }

  async destroy(): Promise<void> {
    for (const child of this.children) child.kill("SIGKILL");
    const names = Object.keys(this.stations) as S[];
    for (const ns of [this.switchNs, ...names.map((s) => this.ns(s))]) {
      await run("ip", ["netns", "del", ns]).catch(() => undefined);
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** Collects a child's JSON lines and lets a test wait for one. */
export function jsonLines(child: ChildProcess) {
  const events: Record<string, unknown>[] = [];
  const waiters: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] =
    [];
  let tail = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    const lines = (tail + chunk).split("\n");
    tail = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      for (const w of waiters.splice(0)) {
        if (w.match(event)) w.resolve(event);
        else waiters.push(w);
      }
    }
  });
  return {
    events,
    waitFor(
      match: (e: Record<string, unknown>) => boolean,
      timeoutMs: number,
      what: string,
    ): Promise<Record<string, unknown>> {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolveWait, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${what}; last lines ${JSON.stringify(events.slice(-5))}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolveWait(e);
          },
        });
      });
    },
  };
}
