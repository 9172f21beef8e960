/**
 * Automatic enforcement with the real firewall: replaying an ARP-poisoning capture with
 * --enforce in a throwaway network namespace quarantines the attacker through nftables, and
 * the decision (which incident, why, until when) is in the block list.
 */
import { execFile } from "node:child_process";
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
  labUnavailableReason(["nft"]) ??
  (existsSync(join(root, "packages/cli/dist/main.js")) ? undefined : "the CLI is not built (npm run build)") ??
  (existsSync(capture) ? undefined : `${capture} is missing`);

describe.skipIf(unavailable)("automatic enforcement through nftables", () => {
  const ns = `heimdal-lab-${process.pid}-${randomBytes(3).toString("hex")}-enf`;
  const stateDir = mkdtempSync(join(tmpdir(), "heimdal-enforce-"));
  const inNs = async (file: string, args: string[]) =>
    (await execFileAsync("ip", ["netns", "exec", ns, file, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;

  beforeAll(async () => {
    await sweepStaleLabs();
    await execFileAsync("ip", ["netns", "add", ns]);
  });
  afterAll(async () => {
    await execFileAsync("ip", ["netns", "del", ns]).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("quarantines the device of a critical incident only when --enforce is given", async () => {
    const plain = JSON.parse(
      await inNs(process.execPath, [bin, "analyze", capture, "--format", "json", "--state-dir", stateDir]),
    ) as { enforcementRequests: unknown[] };
    expect(plain.enforcementRequests).toEqual([]);
    expect(await inNs(process.execPath, [bin, "block", "list", "--state-dir", stateDir])).toBe("No blocks.\n");

    const started = Date.now();
    const report = JSON.parse(
      await inNs(process.execPath, [bin, "analyze", capture, "--enforce", "--format", "json", "--state-dir", stateDir]),
    ) as { enforcementRequests: Array<{ mac: string; incidentId: string }> };
    expect(report.enforcementRequests).toEqual([expect.objectContaining({ mac: "00:25:b3:bf:91:ee" })]);
    const blocks = JSON.parse(
      await inNs(process.execPath, [bin, "block", "list", "--format", "json", "--state-dir", stateDir]),
    ) as Array<{ kind: string; mac: string; decidedBy: string; reason: string; expiresAt: string; active: boolean }>;
    expect(blocks).toEqual([
      expect.objectContaining({
        kind: "device",
        mac: "00:25:b3:bf:91:ee",
        decidedBy: `automatic: incident ${report.enforcementRequests[0]!.incidentId}`,
        active: true,
      }),
    ]);
    expect(blocks[0]!.reason).toMatch(/^critical arp_spoofing: /);
    // An hour from now (the request's duration), not an hour after the capture's packet time.
    expect(Date.parse(blocks[0]!.expiresAt) - started).toBeGreaterThan(3_500_000);
    const set = await inNs("nft", ["-j", "list", "set", "inet", "heimdal", "quarantined_macs"]);
    expect(set).toContain('"00:25:b3:bf:91:ee"');
  }, 60_000);
});
