/**
 * `heimdal run`, the live sensor daemon, for real: a small home network of network
 * namespaces joined by a bridge that floods every frame to every port (the sensor's port is
 * a mirror port), the built CLI in the sensor's namespace with a configuration file and no
 * interface named (it finds the one holding the default route), and devices that do DHCP,
 * announce themselves over mDNS, ping and fetch a web page from each other. A client in the
 * sensor's namespace logs in to the API and follows /devices, /status and the live event
 * stream. Nothing here touches the host's own namespace.
 *
 *   router   10.78.0.1   dnsmasq as DHCP server
 *   sensor   10.78.0.2   default route via the router; runs `heimdal run`
 *   speaker  10.78.0.20  mDNS responder for living-room-speaker.local
 *   web      10.78.0.30  a web server (HTTP on port 80)
 *   laptop   (DHCP)      busybox udhcpc with hostname study-laptop; fetches from web, pings
 *
 * Needs root, dnsmasq and busybox (bash scripts/system-packages.sh), and the built CLI.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SqliteDatabase } from "@heimdal/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labUnavailableReason } from "../../platform/test/netns-lab.js";
import { BridgedLab, jsonLines } from "../test/bridged-lab.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = join(root, "packages/cli/bin/heimdal.js");
const responderScript = join(root, "packages/cli/test/peers/mdns-responder.mjs");
const watchScript = join(root, "packages/cli/test/peers/api-watch.mjs");
const built = existsSync(join(root, "packages/cli/dist/main.js"));
const unavailable =
  labUnavailableReason(["dnsmasq", "busybox"]) ?? (built ? undefined : "the CLI is not built (npm run build)");

const SUBNET = "10.78.0";
const PASSWORD = "daemon-test-password-1";
const PORT = 18_080;
const STATIONS = {
  router: { tag: "rt", mac: "00:24:b2:78:00:01", ip: `${SUBNET}.1` },
  sensor: { tag: "se", mac: "dc:a6:32:78:00:02", ip: `${SUBNET}.2`, gateway: `${SUBNET}.1` },
  speaker: { tag: "sp", mac: "00:1a:11:78:00:20", ip: `${SUBNET}.20`, gateway: `${SUBNET}.1` },
  web: { tag: "wb", mac: "00:17:88:78:00:30", ip: `${SUBNET}.30`, gateway: `${SUBNET}.1` },
  laptop: { tag: "lp", mac: "ec:71:db:78:00:64" },
};
type Station = keyof typeof STATIONS;

interface DeviceSummary {
  id: string;
  mac: string;
  name: string | null;
  addresses: string[];
  online: boolean;
  role: string;
}
interface Health {
  name: string;
  state: string;
  detail?: string;
}
type Capture = Record<string, number> | null;

const heimdal = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });

describe.skipIf(!built)("heimdal run: configuration errors", () => {
  const scratch = mkdtempSync(join(tmpdir(), "heimdal-run-config-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("exits 1 naming the file and the field, before capturing anything", () => {
    const bad = join(scratch, "heimdal.json");
    writeFileSync(bad, JSON.stringify({ interception: { refresh: "x" } }));
    const result = heimdal(["run", "--config", bad]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`heimdal: ${bad}: interception.refresh must be a number of seconds ≥ 2, got "x"\n`);

    writeFileSync(bad, JSON.stringify({ server: { port: 8080, colour: "blue" } }));
    const unknown = heimdal(["run", "--config", bad]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^heimdal: .*: server\.colour is not a known field \(known: host, port, /);

    writeFileSync(bad, JSON.stringify({ activeScan: true, serviceProbe: "no" }));
    const probe = heimdal(["run", "--config", bad]);
    expect(probe.status).toBe(1);
    expect(probe.stderr).toBe(`heimdal: ${bad}: serviceProbe must be true or false, got "no"\n`);

    writeFileSync(bad, "{ not json");
    const notJson = heimdal(["run", "--config", bad]);
    expect(notJson.status).toBe(1);
    expect(notJson.stderr).toMatch(/the configuration must be JSON: /);
  });

  it("exits 2 for a bad flag, naming the flag", () => {
    const result = heimdal(["run", "--port", "http"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('heimdal: --port must be a whole number from 0 to 65535, got "http"');
    const edition = heimdal(["run", "--blocking", "--edition", "desktop-free"]);
    expect(edition.status).toBe(1);
    expect(edition.stderr).toMatch(/blocking cannot be on in the desktop-free edition/);
  });
});

describe.skipIf(unavailable)(
  `heimdal run on a bridged network of namespaces${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    const lab = new BridgedLab<Station>(STATIONS, { hub: true });
    const db = () => join(lab.scratch, "state", "heimdal.db");
    let sensor: ChildProcess;
    let sensorOut = "";
    let sensorErr = "";
    let exited: Promise<number | null>;
    let startedMs = 0;

    beforeAll(async () => {
      await lab.create();
      const conf = join(lab.scratch, "dnsmasq.conf");
      writeFileSync(
        conf,
        [
          `interface=${lab.iface("router")}`,
          "bind-interfaces",
          // DNS too (no upstream: it answers for nothing, which is enough for interception's DNS probe).
          "port=53",
          "no-resolv",
          "no-hosts",
          "user=root",
          `dhcp-range=${SUBNET}.200,${SUBNET}.220,255.255.255.0,1h`,
          "no-ping",
          "dhcp-authoritative",
          `dhcp-leasefile=${join(lab.scratch, "leases")}`,
          `pid-file=${join(lab.scratch, "dnsmasq.pid")}`,
          "",
        ].join("\n"),
      );
      lab.spawn("router", "dnsmasq", ["--keep-in-foreground", `--conf-file=${conf}`, "--log-facility=-"]);
      lab.spawn("web", process.execPath, [
        "-e",
        `require("node:http").createServer((q, r) => r.end("hello from the web station\\n")).listen(80, "${STATIONS.web.ip}")`,
      ]);
      // The sensor has talked to its gateway, as any host has: the neighbour table knows its MAC.
      await lab.exec("sensor", "ping", ["-c", "1", "-W", "2", STATIONS.router.ip]);

      const config = join(lab.scratch, "heimdal.json");
      writeFileSync(
        config,
        JSON.stringify({
          stateDir: join(lab.scratch, "state"),
          server: { host: "127.0.0.1", port: PORT },
          offlineAfter: 120,
          storage: { flushInterval: 1 },
        }),
      );
      startedMs = Date.now();
      sensor = lab.spawn("sensor", process.execPath, [bin, "run", "--config", config], {
        ...process.env,
        HEIMDAL_ADMIN_PASSWORD: PASSWORD,
      });
      sensor.stdout?.setEncoding("utf8").on("data", (c: string) => {
        sensorOut += c;
      });
      sensor.stderr?.setEncoding("utf8").on("data", (c: string) => {
        sensorErr += c;
      });
      exited = new Promise((r) => sensor.once("exit", (code) => r(code)));
      await waitUntil(
        () => sensorOut.includes("heimdal: serving"),
        60_000,
        () => `serving line; ${sensorOut}${sensorErr}`,
      );
    }, 120_000);

    afterAll(async () => {
      await lab.destroy();
    });

    it("finds the devices, stores them as it goes, streams them live, reports capture counters and healthy parts, and stops cleanly", async () => {
      expect(sensorOut).toContain(`sensor on "${lab.iface("sensor")}"`); // the default route's interface, found alone
      const watch = jsonLines(
        lab.spawn("sensor", process.execPath, [watchScript, `http://127.0.0.1:${PORT}`], {
          ...process.env,
          HEIMDAL_ADMIN_PASSWORD: PASSWORD,
        }),
      );
      expect((await watch.waitFor((e) => e.event === "login", 30_000, "login")).status).toBe(200);
      await watch.waitFor((e) => e.event === "stream" && e.status === 200, 30_000, "the event stream");

      // The network comes alive: a speaker announces itself, a laptop joins over DHCP and
      // browses the web station, everyone pings the router.
      const speaker = lab.spawn("speaker", process.execPath, [
        responderScript,
        "--name",
        "living-room-speaker",
        "--address",
        STATIONS.speaker.ip,
        "--announce-every",
        "3",
      ]);
      await jsonLines(speaker).waitFor((e) => e.event === "ready", 15_000, "the mDNS responder");
      const trafficMs = Date.now();
      await lab.exec("speaker", "ping", ["-c", "2", "-i", "0.5", STATIONS.router.ip]);
      const leased = await dhcp("laptop", "study-laptop");
      await lab.exec("laptop", "busybox", ["wget", "-q", "-O", "-", `http://${STATIONS.web.ip}/`], 15_000);
      await lab.exec("laptop", "ping", ["-c", "2", "-i", "0.5", STATIONS.speaker.ip]);

      // Every device in GET /devices within 30 s of its first packet, with its address.
      const expected: [Station, string][] = [
        ["router", STATIONS.router.ip],
        ["speaker", STATIONS.speaker.ip],
        ["web", STATIONS.web.ip],
        ["laptop", leased],
      ];
      const listed = await watch.waitFor(
        (e) =>
          e.event === "devices" &&
          expected.every(([s, ip]) =>
            (e.devices as DeviceSummary[]).some((d) => d.mac === STATIONS[s].mac && d.addresses.includes(ip)),
          ),
        30_000,
        "every device in GET /devices",
      );
      const listedAfter = (listed.at as number) - trafficMs;
      console.log(`run-daemon: every device listed ${listedAfter} ms after the traffic began`);
      expect(listedAfter).toBeLessThanOrEqual(30_000);
      const devices = listed.devices as DeviceSummary[];
      const byMac = (s: Station) => devices.find((d) => d.mac === STATIONS[s].mac)!;
      expect(byMac("speaker").name).toBe("living-room-speaker");
      expect(byMac("laptop").name).toBe("study-laptop");
      expect(byMac("router").role).toBe("gateway");

      // device_new for each on the live stream, the same devices by id.
      const news = await watch.waitFor(
        () =>
          expected.every(([s]) =>
            watch.events.some(
              (e) =>
                e.event === "sse" &&
                e.type === "device_new" &&
                (e.data as { deviceId: string }).deviceId === byMac(s).id,
            ),
          ),
        30_000,
        "device_new events on the stream",
      );
      expect(news).toBeDefined();

      // Capture counters that grow, and every part healthy.
      const statuses = () => watch.events.filter((e) => e.event === "status");
      const first = statuses().at(-1)!;
      const firstCapture = first.capture as Capture;
      expect(firstCapture).not.toBeNull();
      await lab.exec("laptop", "ping", ["-c", "3", "-i", "0.3", STATIONS.router.ip]);
      const later = await watch.waitFor(
        (e) =>
          e.event === "status" &&
          (e.capture as Capture) !== null &&
          (e.capture as Record<string, number>).packets! > firstCapture!.packets!,
        15_000,
        "growing capture counters",
      );
      const capture = later.capture as Record<string, number>;
      console.log(`run-daemon: capture ${JSON.stringify(capture)}`);
      for (const key of [
        "packets",
        "bytes",
        "received",
        "droppedByKernel",
        "droppedByInterface",
        "droppedByQueue",
        "malformed",
      ])
        expect(typeof capture[key], key).toBe("number");
      expect(capture.bytes).toBeGreaterThan(capture.packets! * 40);
      expect(capture.received).toBeGreaterThanOrEqual(capture.packets!);
      const components = later.components as Health[];
      for (const name of ["storage", "capture", "analysis-clock", "api"]) {
        expect(
          components.find((c) => c.name === name),
          name,
        ).toMatchObject({ name, state: "ok" });
      }

      // SIGTERM: a clean stop, exit 0.
      sensor.kill("SIGTERM");
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 30_000))]);
      expect({ code, stderr: sensorErr }).toEqual({ code: 0, stderr: "heimdal: SIGTERM: stopping\n" });
      expect(sensorOut).toContain("heimdal: stopped");
      console.log(`run-daemon: ran ${Date.now() - startedMs} ms`);

      // The database is consistent and complete: SQLite's own check, and heimdal serve reads it.
      const file = new SqliteDatabase(db());
      try {
        expect(file.run("check", (sql) => sql("PRAGMA integrity_check").all())).toEqual([{ integrity_check: "ok" }]);
        // Written as it went, and once more at the stop: the devices' events are there too.
        const stored = file.run("count", (sql) => sql("SELECT type, COUNT(*) AS n FROM events GROUP BY type").all());
        expect(stored).toContainEqual({ type: "device_new", n: expect.any(Number) });
      } finally {
        file.close();
      }
      const served = await serveAndList(db());
      for (const [s, ip] of expected) {
        expect(served.find((d) => d.mac === STATIONS[s].mac)?.addresses, s).toContain(ip);
      }
    }, 180_000);

    it("with --intercept, stands between the devices and the gateway, keeps stored devices known, and restores ARP at SIGTERM", async () => {
      const routerMac = STATIONS.router.mac;
      const sensorMac = STATIONS.sensor.mac;
      const laptopSeesRouterAt = async () => {
        const neigh = await lab.exec("laptop", "ip", ["-j", "neigh", "show", STATIONS.router.ip]);
        return (JSON.parse(neigh) as { lladdr?: string }[])[0]?.lladdr;
      };
      await lab.exec("laptop", "ping", ["-c", "1", "-W", "2", STATIONS.router.ip]);
      expect(await laptopSeesRouterAt()).toBe(routerMac);

      const config = join(lab.scratch, "heimdal-intercept.json");
      writeFileSync(
        config,
        JSON.stringify({
          stateDir: join(lab.scratch, "state"),
          server: { host: "127.0.0.1", port: PORT },
          storage: { flushInterval: 1 },
          interception: { dnsServer: STATIONS.router.ip, refresh: 2, discover: 1 },
        }),
      );
      let out = "";
      let err = "";
      const daemon = lab.spawn("sensor", process.execPath, [bin, "run", "--config", config, "--intercept"], {
        ...process.env,
        HEIMDAL_ADMIN_PASSWORD: PASSWORD,
      });
      daemon.stdout?.setEncoding("utf8").on("data", (c: string) => {
        out += c;
      });
      daemon.stderr?.setEncoding("utf8").on("data", (c: string) => {
        err += c;
      });
      const gone = new Promise<number | null>((r) => daemon.once("exit", (code) => r(code)));
      await waitUntil(
        () => out.includes("heimdal: serving"),
        60_000,
        () => `serving line; ${out}${err}`,
      );

      // The laptop's traffic to the router now goes to the sensor, which forwards it.
      const deadline = Date.now() + 30_000;
      while ((await laptopSeesRouterAt()) !== sensorMac) {
        if (Date.now() > deadline) throw new Error(`the laptop never saw the sensor as the router; ${err}`);
        await lab.exec("laptop", "ping", ["-c", "1", "-W", "1", STATIONS.router.ip]).catch(() => undefined);
      }
      await lab.exec("laptop", "ping", ["-c", "2", "-W", "2", STATIONS.router.ip]); // still reaches it

      const watch = jsonLines(
        lab.spawn("sensor", process.execPath, [watchScript, `http://127.0.0.1:${PORT}`], {
          ...process.env,
          HEIMDAL_ADMIN_PASSWORD: PASSWORD,
        }),
      );
      const status = await watch.waitFor(
        (e) =>
          e.event === "status" && (e.components as Health[]).some((c) => c.name === "interception" && c.state === "ok"),
        30_000,
        "a healthy interception component",
      );
      expect((status.components as Health[]).map((c) => c.name)).toContain("interception");
      // The settings page says so too, with the edition; blocking is off in this configuration.
      const settings = await watch.waitFor(
        (e) => e.event === "config" && (e.interception as { running?: boolean } | undefined)?.running === true,
        30_000,
        "the settings reporting interception running",
      );
      expect(settings.interception).toMatchObject({ running: true, edition: "hardware", blocking: false });
      expect((settings.interception as { blockingUnavailableReason: string }).blockingUnavailableReason).toContain(
        "without blocking",
      );

      daemon.kill("SIGTERM");
      const code = await Promise.race([gone, new Promise((r) => setTimeout(() => r("timeout"), 30_000))]);
      expect({ code, stderr: err }).toMatchObject({ code: 0 });
      expect(err).toMatch(/interception: stopped \{"reason":"sensor stopping","restored":true\}/);
      expect(await laptopSeesRouterAt()).toBe(routerMac); // restored

      // Started again on the same database, the known devices were restored, not new again.
      const file = new SqliteDatabase(db());
      try {
        const news = file.run("count", (sql) =>
          sql("SELECT device_id AS id, COUNT(*) AS n FROM events WHERE type = 'device_new' GROUP BY device_id").all(),
        ) as { id: string; n: number }[];
        expect(news.length).toBeGreaterThanOrEqual(4);
        expect(news.filter((row) => row.n !== 1)).toEqual([]);
      } finally {
        file.close();
      }
    }, 180_000);

    /** The station joins over DHCP with a hostname; resolves with its leased address. */
    async function dhcp(station: Station, hostname: string): Promise<string> {
      const script = join(lab.scratch, "udhcpc.script");
      const ipTool = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => existsSync(p)) ?? "ip";
      writeFileSync(
        script,
        `#!/bin/sh\ncase "$1" in\n  bound|renew) ${ipTool} addr flush dev "$interface"; ${ipTool} addr add "$ip/\${mask:-24}" dev "$interface" ;;\n  deconfig) ${ipTool} addr flush dev "$interface" ;;\nesac\n`,
      );
      chmodSync(script, 0o755);
      const dev = lab.iface(station);
      await lab.exec(
        station,
        "busybox",
        ["udhcpc", "-f", "-q", "-n", "-B", "-t", "5", "-T", "1", "-i", dev, "-s", script, "-x", `hostname:${hostname}`],
        20_000,
      );
      const addr = JSON.parse(await lab.exec(station, "ip", ["-j", "addr", "show", "dev", dev]));
      const leased = (addr[0].addr_info as { family: string; local: string }[]).find((a) => a.family === "inet")?.local;
      if (!leased) throw new Error(`${station} got no address over DHCP`);
      return leased;
    }
  },
);

/** `heimdal serve --db` on a loopback port of the host: the devices it lists. */
async function serveAndList(db: string): Promise<DeviceSummary[]> {
  const child = spawn(process.execPath, [bin, "serve", "--db", db, "--port", "0"], {
    env: { ...process.env, HEIMDAL_ADMIN_PASSWORD: PASSWORD },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (c: string) => {
      out += c;
    });
    await waitUntil(
      () => /serving (http:\/\/\S+)/.test(out),
      30_000,
      () => `heimdal serve; ${out}`,
    );
    const url = /serving (http:\/\/\S+)/.exec(out)![1]!;
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const list = (await (await fetch(`${url}/api/v1/devices?limit=1000`, { headers: { cookie } })).json()) as {
      devices: DeviceSummary[];
    };
    return list.devices;
  } finally {
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await gone;
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
