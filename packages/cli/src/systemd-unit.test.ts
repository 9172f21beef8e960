import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const unit = readFileSync(join(root, "deploy/systemd/heimdal-intercept.service"), "utf8");
const bin = join(root, "packages/cli/bin/heimdal.js");
const directive = (name: string) =>
  unit
    .split("\n")
    .filter((line) => line.startsWith(`${name}=`))
    .map((line) => line.slice(name.length + 1));

describe("deploy/systemd/heimdal-intercept.service", () => {
  it("restores ARP before every start and after every exit, and runs unprivileged with two capabilities", () => {
    expect(directive("ExecStartPre")).toEqual(["/usr/bin/heimdal restore-arp"]);
    expect(directive("ExecStopPost")).toEqual(["/usr/bin/heimdal restore-arp"]);
    expect(directive("User")).toEqual(["heimdal"]);
    expect(directive("AmbientCapabilities")).toEqual(["CAP_NET_RAW CAP_NET_ADMIN"]);
    expect(directive("RestartPreventExitStatus")).toEqual(["3"]); // a guard-rail stop is not retried
  });

  it.skipIf(!existsSync(join(root, "packages/cli/dist/main.js")))("names commands the CLI has", () => {
    for (const line of [...directive("ExecStartPre"), ...directive("ExecStart"), ...directive("ExecStopPost")]) {
      const [, command] = line.split(" ");
      const result = spawnSync(process.execPath, [bin, command!, "--help"], { encoding: "utf8" });
      expect(result.status, `${command} --help`).toBe(0);
    }
  });
});
