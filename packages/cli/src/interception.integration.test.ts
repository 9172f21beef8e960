/**
 * ARP interception for real, in network namespaces (see test/interception-lab.ts): the
 * victims' traffic crosses the sensor and still works, blocking stops it and unblocking
 * brings it back, a normal stop and a SIGKILL followed by `heimdal restore-arp` both leave
 * the victims' neighbour tables pointing at the real gateway, and a defending gateway or
 * forwarding switched off makes interception stop and restore by itself.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
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
  async function startIntercepting(extra: string[] = [], dir = stateDir, unprivileged = false) {
    // As the systemd unit runs it: an ordinary user with CAP_NET_RAW and CAP_NET_ADMIN only.
    const asService = ["--reuid=65534", "--regid=65534", "--clear-groups"].concat(
      ["--inh-caps", "--ambient-caps"].map((flag) => `${flag}=-all,+net_raw,+net_admin`),
    );
    const [file, prefix] = unprivileged ? ["setpriv", [...asService, process.execPath]] : [process.execPath, []];
    const child = lab.spawn("sensor", file, [
      ...prefix,
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
      dir,
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

  const journalPath = () => join(stateDir, "arp-journal.json");

  it("runs without root, with CAP_NET_RAW and CAP_NET_ADMIN only, and restores on stop", async () => {
    const serviceDir = mkdtempSync(join(tmpdir(), "heimdal-service-state-"));
    chmodSync(serviceDir, 0o777);
    try {
      await lab.sysctl(lab.ns("sensor"), ["net.ipv4.ip_forward=0"]); // it must switch it on itself
      const { child, events } = await startIntercepting([], serviceDir, true);
      expect(events.events.find((e) => e.event === "forwarding")).toMatchObject({ before: { ipForward: false } });
      expect((await lab.curl("victim1", INTERNET.shop)).ok).toBe(true);
      child.kill("SIGTERM");
      expect(await events.exited).toBe(0);
      await lab.waitFor(victimsSeeRealGateway, 3_000, "the victims' tables to be restored");
    } finally {
      rmSync(serviceDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("after a normal stop, both victims map the gateway to its real MAC again", async () => {
    const { child, events } = await startIntercepting();
    expect(existsSync(journalPath())).toBe(true);
    child.kill("SIGTERM");
    expect(await events.exited).toBe(0);
    expect(events.events.at(-1)).toMatchObject({ event: "stopped", reason: "stopped by signal", restored: true });
    await lab.waitFor(victimsSeeRealGateway, 3_000, "the victims' tables to be restored");
    expect(await lab.neighbourMac("gateway", LAN.victim1)).toBe(MACS.victim1);
    expect(await lab.neighbourMac("gateway", LAN.victim2)).toBe(MACS.victim2);
    expect(existsSync(journalPath())).toBe(false);
  }, 60_000);

  it("after SIGKILL, heimdal restore-arp restores from the journal", async () => {
    const { child, events } = await startIntercepting();
    child.kill("SIGKILL");
    await events.exited;
    expect(existsSync(journalPath())).toBe(true);
    expect(await lab.neighbourMac("victim1", LAN.gateway)).toBe(MACS.sensor); // still intercepted
    const startedAt = Date.now();
    expect(await heimdal(["restore-arp"])).toMatch(/restored 2 target\(s\) and the gateway/);
    await lab.waitFor(victimsSeeRealGateway, 3_000, "the victims' tables to be restored");
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(await lab.neighbourMac("gateway", LAN.victim1)).toBe(MACS.victim1);
    expect(existsSync(journalPath())).toBe(false);
    expect(await heimdal(["restore-arp"])).toMatch(/nothing to restore/);
  }, 60_000);

  it("blocks a device, a destination for all, and a destination for one device; unblocking and expiry restore traffic", async () => {
    const { child, events } = await startIntercepting();
    const reachable = async (victim: "victim1" | "victim2", address: string) => (await lab.curl(victim, address)).ok;
    try {
      const rule = JSON.parse(await heimdal(["block", "device", MACS.victim1, "--reason", "test quarantine"])) as {
        id: string;
        ips: string[];
      };
      expect(rule.ips).toContain(LAN.victim1);
      expect(await reachable("victim1", INTERNET.shop)).toBe(false);
      expect(await reachable("victim2", INTERNET.shop)).toBe(true);
      const listed = JSON.parse(await heimdal(["block", "list", "--format", "json"])) as Array<Record<string, unknown>>;
      expect(listed).toEqual([
        expect.objectContaining({ id: rule.id, kind: "device", reason: "test quarantine", active: true }),
      ]);
      await heimdal(["unblock", "device", MACS.victim1]);
      expect(await reachable("victim1", INTERNET.shop)).toBe(true);

      await heimdal(["block", "destination", INTERNET.news]);
      expect(await reachable("victim1", INTERNET.news)).toBe(false);
      expect(await reachable("victim2", INTERNET.news)).toBe(false);
      expect(await reachable("victim1", INTERNET.shop)).toBe(true);
      await heimdal(["unblock", "destination", INTERNET.news]);
      expect(await reachable("victim2", INTERNET.news)).toBe(true);

      await heimdal(["block", "destination", INTERNET.news, "--device", MACS.victim2, "--expires", "3"]);
      expect(await reachable("victim2", INTERNET.news)).toBe(false);
      expect(await reachable("victim1", INTERNET.news)).toBe(true);
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await reachable("victim2", INTERNET.news)).toBe(true); // the kernel expired it
      await heimdal(["unblock", "destination", INTERNET.news, "--device", MACS.victim2]);
    } finally {
      child.kill("SIGTERM");
      await events.exited;
    }
  }, 90_000);

  it("refuses to block on the Free desktop edition", async () => {
    await expect(heimdal(["block", "device", MACS.victim1, "--edition", "desktop-free"])).rejects.toThrow(
      /blocking needs Heimdal Pro or Enterprise/,
    );
  });

  it("stops and restores by itself when the gateway defends its ARP entry", async () => {
    const { events } = await startIntercepting();
    await lab.exec("gateway", "busybox", ["arping", "-U", "-c", "4", "-I", lab.iface("gateway"), LAN.gateway], 15_000);
    const stopped = await events.waitFor((e) => e.event === "stopped", 15_000, "interception to stop");
    expect(stopped.reason).toMatch(/the gateway 198.18.77.1 \(02:48:00:00:00:01\) defends its ARP entry/);
    expect(await events.exited).toBe(3);
    expect(stopped.restored).toBe(true);
    await lab.waitFor(victimsSeeRealGateway, 3_000, "the victims' tables to be restored");
  }, 60_000);

  it("stops and restores by itself when forwarding is switched off", async () => {
    const { events } = await startIntercepting();
    try {
      await lab.sysctl(lab.ns("sensor"), ["net.ipv4.ip_forward=0"]);
      const stopped = await events.waitFor((e) => e.event === "stopped", 10_000, "interception to stop");
      expect(stopped.reason).toBe("guard: IPv4 forwarding was switched off (net.ipv4.ip_forward = 0)");
      expect(await events.exited).toBe(3);
      await lab.waitFor(victimsSeeRealGateway, 3_000, "the victims' tables to be restored");
      // Restored in time: the victims reach the internet without the sensor.
      expect((await lab.curl("victim1", INTERNET.shop)).ok).toBe(true);
    } finally {
      await lab.sysctl(lab.ns("sensor"), ["net.ipv4.ip_forward=1"]);
    }
  }, 60_000);

  it("restarts the interceptor within 10 s when it cannot send, and intercepts again", async () => {
    const { child, events } = await startIntercepting();
    try {
      const before = events.events.filter((e) => e.event === "intercepting").length;
      await lab.exec("sensor", "ip", ["link", "set", lab.iface("sensor"), "down"]);
      const restarting = await events.waitFor((e) => e.event === "restarting", 15_000, "a restart");
      expect(restarting.inMs).toBeLessThanOrEqual(10_000);
      await lab.exec("sensor", "ip", ["link", "set", lab.iface("sensor"), "up"]);
      await events.waitFor(
        (e) => e.event === "intercepting" && events.events.filter((x) => x.event === "intercepting").length > before,
        20_000,
        "interception to start again",
      );
      await lab.waitFor(
        async () => {
          await lab.exec("victim1", "ping", ["-c", "1", "-W", "1", LAN.gateway]).catch(() => "");
          return (await lab.neighbourMac("victim1", LAN.gateway)) === MACS.sensor;
        },
        10_000,
        "victim1 to be intercepted again",
      );
    } finally {
      await lab.exec("sensor", "ip", ["link", "set", lab.iface("sensor"), "up"]).catch(() => "");
      child.kill("SIGTERM");
      await events.exited;
    }
  }, 90_000);
});
