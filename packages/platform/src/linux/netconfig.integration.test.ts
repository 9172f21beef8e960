/**
 * detectNetwork() against a real kernel: a "host" namespace with two uplinks (veth pairs to a
 * "gateway" namespace, the second with a worse metric), a default route via a peer whose MAC
 * we set, an IPv6 default router and a resolv.conf of its own (ip netns exec bind-mounts
 * /etc/netns/NS/resolv.conf). The probe runs inside the namespace as
 * `ip netns exec NS node vite-node.mjs … test/netconfig-probe.ts` and must report exactly
 * what we configured. Needs root; nothing touches the host's own namespace.
 */
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { NetworkInfo } from "@heimdal/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labUnavailableReason, sweepStaleLabs } from "../../test/netns-lab.js";

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../../..");
const probe = resolve(here, "../../test/netconfig-probe.ts");
const viteNode = resolve(dirname(createRequire(import.meta.url).resolve("vite-node/package.json")), "vite-node.mjs");
const unavailable = labUnavailableReason(["ping"]);

const id = randomBytes(3).toString("hex");
// The "heimdal-lab-PID-" prefix lets sweepStaleLabs() remove these if this run is killed.
const host = `heimdal-lab-${process.pid}-${id}-nh`;
const gateway = `heimdal-lab-${process.pid}-${id}-ng`;
const uplink = `hn${id}u`; // in host
const uplinkPeer = `hn${id}g`; // in gateway
const backup = `hn${id}b`;
const backupPeer = `hn${id}c`;
const HOST_MAC = "00:1b:21:4e:7f:01";
const GATEWAY_MAC = "00:24:b2:4e:7f:fe";
const GATEWAY_LINK_LOCAL = "fe80::224:b2ff:fe4e:7ffe"; // EUI-64 of GATEWAY_MAC
const etcNetns = `/etc/netns/${host}`;

async function ip(...args: string[]): Promise<string> {
  try {
    return (await execFileAsync("ip", args, { timeout: 30_000 })).stdout;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`ip ${args.join(" ")}: ${e.stderr ?? e.message}`, { cause: error });
  }
}

function detectIn(ns: string): { network?: NetworkInfo; error?: { name: string; message: string } } {
  const run = spawnSync(
    "ip",
    ["netns", "exec", ns, process.execPath, viteNode, "--config", `${root}/vitest.config.ts`, probe],
    {
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  const line = run.stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`probe printed nothing (status ${run.status}): ${run.stderr}`);
  return JSON.parse(line);
}

describe.skipIf(unavailable)(
  `detectNetwork in a network namespace${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    beforeAll(async () => {
      await sweepStaleLabs();
      await ip("netns", "add", host);
      await ip("netns", "add", gateway);
      await ip("link", "add", uplink, "netns", host, "type", "veth", "peer", "name", uplinkPeer, "netns", gateway);
      await ip("link", "add", backup, "netns", host, "type", "veth", "peer", "name", backupPeer, "netns", gateway);
      await ip("-n", host, "link", "set", uplink, "address", HOST_MAC);
      await ip("-n", gateway, "link", "set", uplinkPeer, "address", GATEWAY_MAC);
      for (const [ns, dev, cidr] of [
        [host, uplink, "10.66.0.2/24"],
        [gateway, uplinkPeer, "10.66.0.1/24"],
        [host, backup, "10.67.0.2/24"],
        [gateway, backupPeer, "10.67.0.1/24"],
      ] as const) {
        await ip("-n", ns, "addr", "add", cidr, "dev", dev);
        await ip("-n", ns, "link", "set", dev, "up");
      }
      await ip("-n", host, "link", "set", "lo", "up");
      // The backup uplink is listed first but has the worse metric.
      await ip("-n", host, "route", "add", "default", "via", "10.67.0.1", "dev", backup, "metric", "600");
      await ip("-n", host, "route", "add", "default", "via", "10.66.0.1", "dev", uplink, "metric", "100");
      await ip("-n", host, "-6", "route", "add", "default", "via", GATEWAY_LINK_LOCAL, "dev", uplink, "metric", "1024");
      mkdirSync(etcNetns, { recursive: true });
      writeFileSync(`${etcNetns}/resolv.conf`, "# test resolvers\nnameserver 10.66.0.1\nnameserver 2001:db8::53\n");
    });

    afterAll(async () => {
      for (const ns of [host, gateway]) await ip("netns", "del", ns).catch(() => undefined);
      rmSync(etcNetns, { recursive: true, force: true });
    });

    const expected: NetworkInfo = {
      interfaceName: uplink,
      mac: HOST_MAC,
      ipv4: { address: "10.66.0.2", prefixLength: 24 },
      gateway: { ipv4: "10.66.0.1", mac: null },
      dnsServers: ["10.66.0.1", "2001:db8::53"],
      ipv6Router: { address: GATEWAY_LINK_LOCAL, interfaceName: uplink },
    };

    it("reports the primary interface, its address, the gateway without a MAC yet, the resolvers and the IPv6 router", () => {
      expect(detectIn(host)).toEqual({ network: expected });
    });

    it("reports the gateway's MAC once the neighbour table has it", async () => {
      await execFileAsync("ip", ["netns", "exec", host, "ping", "-c", "1", "-W", "2", "10.66.0.1"]);
      expect(detectIn(host)).toEqual({ network: { ...expected, gateway: { ipv4: "10.66.0.1", mac: GATEWAY_MAC } } });
    });

    it("follows the routing table: with the main uplink's route gone, the backup uplink is primary", async () => {
      await ip("-n", host, "route", "del", "default", "via", "10.66.0.1", "dev", uplink);
      const found = detectIn(host).network;
      expect(found).toMatchObject({
        interfaceName: backup,
        ipv4: { address: "10.67.0.2", prefixLength: 24 },
        gateway: { ipv4: "10.67.0.1" },
        ipv6Router: { address: GATEWAY_LINK_LOCAL, interfaceName: uplink },
      });
    });

    it("says there is no default route when there is none", async () => {
      await ip("-n", host, "route", "del", "default", "via", "10.67.0.1", "dev", backup);
      expect(detectIn(host)).toEqual({
        error: {
          name: "NetworkDetectionError",
          message: "Cannot detect the network: no default route: is the network up?",
        },
      });
    });
  },
);
