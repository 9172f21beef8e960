/**
 * A throwaway lab for live-capture tests: two network namespaces joined by a veth pair.
 *
 * Nothing touches the host's own namespace: traffic flows only between the two veth ends,
 * addressed from 198.18.0.0/15 (RFC 2544, reserved for benchmarking). IPv6 is off in both
 * namespaces so that no router solicitation or neighbour discovery adds packets the tests
 * did not send, and the neighbour entries are static so that no ARP does either. Names carry
 * the creating process id, so labs left by a killed run are found and removed by
 * sweepStaleLabs().
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const PREFIX = "heimdal-lab-";

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Why live-capture tests cannot run here, or undefined when they can. */
export function labUnavailableReason(tools: readonly string[] = []): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "creating network namespaces needs root (run the tests as root)";
  for (const tool of ["ip", ...tools]) {
    const found = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].some((dir) => existsSync(`${dir}/${tool}`));
    if (!found) return `"${tool}" is not installed (bash scripts/system-packages.sh installs it)`;
  }
  return undefined;
}

async function run(file: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandResult> {
  try {
    return await execFileAsync(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stderr?: string; stdout?: string };
    throw new Error(`Command failed: ${file} ${args.join(" ")}\n${e.stderr ?? ""}${e.stdout ?? ""}${e.message}`, {
      cause: error,
    });
  }
}

/** Removes labs whose creating process is gone (a run that was killed before its afterAll). */
export async function sweepStaleLabs(): Promise<void> {
  const { stdout } = await run("ip", ["netns", "list"]);
  for (const line of stdout.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const pid = Number(name.slice(PREFIX.length).split("-")[0]);
    if (!name.startsWith(PREFIX) || !Number.isInteger(pid)) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) await run("ip", ["netns", "del", name]).catch(() => undefined);
  }
}

export class VethLab {
  readonly nsA: string;
  readonly nsB: string;
  readonly ifA: string;
  readonly ifB: string;
  readonly ipA = "198.18.0.1";
  readonly ipB = "198.18.0.2";
  macA = "";
  macB = "";
  readonly #children = new Set<ChildProcess>();

  private constructor(readonly id: string) {
    this.nsA = `${PREFIX}${process.pid}-${id}-a`;
    this.nsB = `${PREFIX}${process.pid}-${id}-b`;
    // Interface names are limited to 15 bytes (IFNAMSIZ).
    this.ifA = `hl${id}a`;
    this.ifB = `hl${id}b`;
  }

  static async create(options: { mtu?: number } = {}): Promise<VethLab> {
    await sweepStaleLabs();
    const lab = new VethLab(randomBytes(3).toString("hex"));
    try {
      await lab.#setUp(options.mtu ?? 1500);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  async #setUp(mtu: number): Promise<void> {
    await run("ip", ["netns", "add", this.nsA]);
    await run("ip", ["netns", "add", this.nsB]);
    await run("ip", [
      "link",
      "add",
      this.ifA,
      "netns",
      this.nsA,
      "type",
      "veth",
      "peer",
      "name",
      this.ifB,
      "netns",
      this.nsB,
    ]);
    for (const [ns, dev, ip] of [
      [this.nsA, this.ifA, this.ipA],
      [this.nsB, this.ifB, this.ipB],
    ] as const) {
      await this.exec(ns, "sysctl", [
        "-q",
        "-w",
        "net.ipv6.conf.all.disable_ipv6=1",
        "net.ipv6.conf.default.disable_ipv6=1",
      ]);
      await run("ip", ["-n", ns, "link", "set", dev, "mtu", String(mtu)]);
      await run("ip", ["-n", ns, "addr", "add", `${ip}/24`, "dev", dev]);
      await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
      await run("ip", ["-n", ns, "link", "set", dev, "up"]);
    }
    this.macA = (await this.exec(this.nsA, "cat", [`/sys/class/net/${this.ifA}/address`])).stdout.trim();
    this.macB = (await this.exec(this.nsB, "cat", [`/sys/class/net/${this.ifB}/address`])).stdout.trim();
    // Permanent neighbour entries: without them each stack sends ARP requests and, minutes
    // after a ping, unicast ARP probes, which land in whatever a later test is counting.
    await run("ip", [
      "-n",
      this.nsA,
      "neigh",
      "replace",
      this.ipB,
      "lladdr",
      this.macB,
      "dev",
      this.ifA,
      "nud",
      "permanent",
    ]);
    await run("ip", [
      "-n",
      this.nsB,
      "neigh",
      "replace",
      this.ipA,
      "lladdr",
      this.macA,
      "dev",
      this.ifB,
      "nud",
      "permanent",
    ]);
  }

  /** Adds another veth pair between the namespaces (up, no addresses); returns [end in A, end in B]. */
  async addPair(tag: string): Promise<[string, string]> {
    const a = `hl${this.id}${tag}a`;
    const b = `hl${this.id}${tag}b`;
    await run("ip", ["link", "add", a, "netns", this.nsA, "type", "veth", "peer", "name", b, "netns", this.nsB]);
    await run("ip", ["-n", this.nsA, "link", "set", a, "up"]);
    await run("ip", ["-n", this.nsB, "link", "set", b, "up"]);
    return [a, b];
  }

  /** Runs a command inside a namespace and waits for it. */
  exec(ns: string, file: string, args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
    return run("ip", ["netns", "exec", ns, file, ...args], timeoutMs);
  }

  /** Starts a command inside a namespace; it is killed by destroy() if still running. */
  spawn(ns: string, file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const child = spawn("ip", ["netns", "exec", ns, file, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    this.#children.add(child);
    child.once("exit", () => this.#children.delete(child));
    return child;
  }

  /** An interface counter (/sys/class/net/IF/statistics/NAME) as seen inside its namespace. */
  async counter(ns: string, dev: string, name: string): Promise<number> {
    const { stdout } = await this.exec(ns, "cat", [`/sys/class/net/${dev}/statistics/${name}`]);
    return Number(stdout.trim());
  }

  /** Kills what we started and deletes both namespaces (and with them the veth pair). */
  async destroy(): Promise<void> {
    for (const child of this.#children) child.kill("SIGKILL");
    for (const ns of [this.nsA, this.nsB]) {
      await run("ip", ["netns", "del", ns]).catch(() => undefined);
    }
  }
}
