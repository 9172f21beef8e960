import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const unitPath = join(root, "deploy/systemd/heimdal.service");
const unit = readFileSync(unitPath, "utf8");
const bin = join(root, "packages/cli/bin/heimdal.js");
const directive = (name: string) =>
  unit
    .split("\n")
    .filter((line) => line.startsWith(`${name}=`))
    .map((line) => line.slice(name.length + 1));
const systemdAnalyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => existsSync(p));

describe("deploy/systemd/heimdal.service", () => {
  it("runs the daemon as the heimdal user with exactly CAP_NET_RAW and CAP_NET_ADMIN", () => {
    expect(directive("ExecStart")).toEqual(["/usr/bin/heimdal run"]);
    expect(directive("User")).toEqual(["heimdal"]);
    expect(directive("Group")).toEqual(["heimdal"]);
    expect(directive("AmbientCapabilities")).toEqual(["CAP_NET_RAW CAP_NET_ADMIN"]);
    expect(directive("CapabilityBoundingSet")).toEqual(["CAP_NET_RAW CAP_NET_ADMIN"]);
    expect(directive("NoNewPrivileges")).toEqual(["yes"]);
  });

  it("keeps state in /var/lib/heimdal, the only writable place, and restarts after a failure", () => {
    expect(directive("StateDirectory")).toEqual(["heimdal"]);
    expect(directive("Environment")).toContain("HEIMDAL_STATE_DIR=/var/lib/heimdal");
    expect(directive("ProtectSystem")).toEqual(["strict"]);
    expect(directive("ReadWritePaths")).toEqual(["/var/lib/heimdal"]);
    expect(directive("ProtectHome")).toEqual(["yes"]);
    expect(directive("Restart")).toEqual(["on-failure"]);
    expect(Number(directive("RestartSec")[0])).toBeGreaterThan(0);
    // SIGTERM is the daemon's clean stop (ARP restored, database flushed): give it time.
    expect(directive("KillSignal")).toEqual(["SIGTERM"]);
    expect(Number(directive("TimeoutStopSec")[0])).toBeGreaterThanOrEqual(15);
    // Interception sets net.ipv4.ip_forward: kernel tunables must stay writable.
    expect(directive("ProtectKernelTunables")).toEqual([]);
  });

  it("undoes an interception that a killed run left, before the start and after every exit", () => {
    expect(directive("ExecStartPre")).toEqual(["/usr/bin/heimdal restore-arp"]);
    expect(directive("ExecStopPost")).toEqual(["/usr/bin/heimdal restore-arp"]);
  });

  it.skipIf(!existsSync(join(root, "packages/cli/dist/main.js")))("names commands the CLI has", () => {
    for (const line of [...directive("ExecStartPre"), ...directive("ExecStart"), ...directive("ExecStopPost")]) {
      const [, command] = line.split(" ");
      const result = spawnSync(process.execPath, [bin, command!, "--help"], { encoding: "utf8" });
      expect(result.status, `${command} --help`).toBe(0);
    }
  });

  it.skipIf(!systemdAnalyze)(
    "passes systemd-analyze verify (with the repository's heimdal as /usr/bin/heimdal)",
    () => {
      // The binary is not installed here: point the unit at the repository's, which is executable.
      const dir = mkdtempSync(join(tmpdir(), "heimdal-unit-"));
      try {
        const copy = join(dir, "heimdal.service");
        writeFileSync(copy, unit.replaceAll("/usr/bin/heimdal", bin));
        const result = spawnSync(systemdAnalyze!, ["verify", copy], { encoding: "utf8", timeout: 60_000 });
        expect({ status: result.status, output: `${result.stdout}${result.stderr}`.trim() }).toEqual({
          status: 0,
          output: "",
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
