/**
 * "Know every device", for real: a small home network of network namespaces joined by a
 * Linux bridge, and the built `heimdal analyze --interface … --active-scan` in the sensor's
 * namespace. Nothing here touches the host's own namespace; even the bridge lives in a
 * namespace of its own, and IPv6 is off everywhere so that only the traffic we mean exists.
 *
 *   router        10.77.0.1   dnsmasq as DHCP server (no router or DNS option, so that the
 *                             gateway can only be known from the sensor's routing table)
 *   sensor        10.77.0.2   default route via the router; runs the CLI
 *   mdns-device   10.77.0.20  a speaker: mDNS responder for kitchen-speaker.local, SSDP
 *   silent-1, -2  10.77.0.30, .31  say nothing; their kernels answer ARP. silent-1 is a camera
 *                             that waits to be asked: it listens on RTSP (TCP 554)
 *   dhcp-device   (DHCP)      busybox udhcpc sending hostname garden-cam
 *
 * Needs root, dnsmasq and busybox (bash scripts/system-packages.sh), and the built CLI
 * (`npm run build`; npm test builds first).
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labUnavailableReason, sweepStaleLabs } from "../../platform/test/netns-lab.js";

const execFileAsync = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = join(root, "packages/cli/bin/heimdal.js");
const responderScript = join(root, "packages/cli/test/peers/mdns-responder.mjs");
const unavailable =
  labUnavailableReason(["dnsmasq", "busybox"]) ??
  (existsSync(join(root, "packages/cli/dist/main.js")) ? undefined : "the CLI is not built (npm run build)");

const SUBNET = "10.77.0";
const OFFLINE_AFTER = 10;
const ANNOUNCE_EVERY = 3;
/** The active run: ready after about a second, the speaker leaves 8 s later, offline 10 s after that. */
const CAPTURE_SECONDS = 28;
const SPEAKER_SERVER = "Linux/5.15 UPnP/1.0 HeimdalTestSpeaker/1.0";

interface Station {
  tag: string;
  mac: string;
  /** Static address, or undefined for the DHCP client. */
  ip?: string;
}

const STATIONS = {
  router: { tag: "rt", mac: "00:24:b2:77:00:01", ip: `${SUBNET}.1` },
  sensor: { tag: "se", mac: "dc:a6:32:77:00:02", ip: `${SUBNET}.2` },
  mdns: { tag: "md", mac: "00:1a:11:77:00:20", ip: `${SUBNET}.20` },
  silent1: { tag: "s1", mac: "3c:49:37:77:00:30", ip: `${SUBNET}.30` },
  silent2: { tag: "s2", mac: "50:c7:bf:77:00:31", ip: `${SUBNET}.31` },
  dhcp: { tag: "dh", mac: "ec:71:db:77:00:64" },
} satisfies Record<string, Station>;
type StationName = keyof typeof STATIONS;

interface DeviceJson {
  id: string;
  mac: string;
  ips: string[];
  hostname: string | null;
  hostnames: { name: string; source: string }[];
  fingerprint: { mdnsServices: string[]; ssdpServers: string[]; serverPorts: string[]; upnpModels: string[] };
  type: string;
  typeEvidence: string[];
  role: string;
  online: boolean;
  firstSeen: string;
  lastSeen: string;
}
interface EventJson {
  type: string;
  time: string;
  deviceId: string;
  mac: string;
}
interface ReportJson {
  devices: DeviceJson[];
  events: EventJson[];
  alerts: { type: string; deviceId: string }[];
}

async function run(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  try {
    return (await execFileAsync(file, args, { timeout: timeoutMs })).stdout;
  } catch (error) {
    const e = error as Error & { stderr?: string };
    throw new Error(`${file} ${args.join(" ")}: ${e.stderr ?? ""}${e.message}`, { cause: error });
  }
}

/** A bridged LAN of namespaces; everything it starts or creates goes in destroy(). */
class HomeLab {
  readonly id = randomBytes(3).toString("hex");
  readonly scratch = mkdtempSync(join(tmpdir(), "heimdal-discovery-"));
  readonly children = new Set<ChildProcess>();
  // The "heimdal-lab-PID-" prefix lets sweepStaleLabs() remove what a killed run left.
  readonly switchNs = `heimdal-lab-${process.pid}-${this.id}-sw`;
  readonly bridge = `hb${this.id}`;

  ns(station: StationName): string {
    return `heimdal-lab-${process.pid}-${this.id}-${STATIONS[station].tag}`;
  }

  /** The station's interface (in its namespace); its bridge port is the same name ending in "s". */
  iface(station: StationName): string {
    return `h${this.id}${STATIONS[station].tag}d`;
  }

  async create(): Promise<void> {
    await sweepStaleLabs();
    for (const ns of [this.switchNs, ...Object.keys(STATIONS).map((s) => this.ns(s as StationName))]) {
      await run("ip", ["netns", "add", ns]);
      // Off before any link exists, so that no router solicitation or MLD report adds traffic.
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
    // A dumb switch: no STP delay, multicast flooded to every port (no IGMP snooping).
    await run("ip", ["-n", this.switchNs, "link", "add", this.bridge, "type", "bridge", "mcast_snooping", "0"]);
    await run("ip", ["-n", this.switchNs, "link", "set", this.bridge, "up"]);
    for (const [name, station] of Object.entries(STATIONS) as [StationName, Station][]) {
      const ns = this.ns(name);
      const dev = this.iface(name);
      const port = `${dev.slice(0, -1)}s`;
      await run("ip", ["link", "add", dev, "netns", ns, "type", "veth", "peer", "name", port, "netns", this.switchNs]);
      await run("ip", ["-n", this.switchNs, "link", "set", port, "master", this.bridge]);
      await run("ip", ["-n", this.switchNs, "link", "set", port, "up"]);
      await run("ip", ["-n", ns, "link", "set", dev, "address", station.mac]);
      if (station.ip) await run("ip", ["-n", ns, "addr", "add", `${station.ip}/24`, "dev", dev]);
      await run("ip", ["-n", ns, "link", "set", dev, "up"]);
      if (station.ip && name !== "router") {
        await run("ip", ["-n", ns, "route", "add", "default", "via", STATIONS.router.ip, "dev", dev]);
      }
    }
  }

  spawn(station: StationName, file: string, args: readonly string[]): ChildProcess {
    const child = spawn("ip", ["netns", "exec", this.ns(station), file, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  exec(station: StationName, file: string, args: readonly string[], timeoutMs?: number): Promise<string> {
    return run("ip", ["netns", "exec", this.ns(station), file, ...args], timeoutMs);
  }

  async destroy(): Promise<void> {
    for (const child of this.children) child.kill("SIGKILL");
    for (const ns of [this.switchNs, ...Object.keys(STATIONS).map((s) => this.ns(s as StationName))]) {
      await run("ip", ["netns", "del", ns]).catch(() => undefined);
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/** Collects a child's JSON lines and lets a test wait for one. */
function jsonLines(child: ChildProcess) {
  const events: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (e: Record<string, unknown>) => boolean; resolve: () => void }> = [];
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
        if (w.match(event)) w.resolve();
        else waiters.push(w);
      }
    }
  });
  return {
    events,
    waitFor(match: (e: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<void> {
      if (events.some(match)) return Promise.resolve();
      return new Promise((resolveWait, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${what}; saw ${JSON.stringify(events)}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: () => {
            clearTimeout(timer);
            resolveWait();
          },
        });
      });
    },
  };
}

/** Waits until a child prints a line equal to `text`. */
function jsonLinesOrText(child: ChildProcess, text: string, timeoutMs: number): Promise<void> {
  return new Promise((resolveWait, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}"; saw ${seen}`)), timeoutMs);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      seen += chunk;
      if (seen.split("\n").includes(text)) {
        clearTimeout(timer);
        resolveWait();
      }
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before "${text}"; saw ${seen}`)));
  });
}

/** Runs the built CLI in the sensor's namespace; resolves with the report when it exits. */
function analyzeInSensor(lab: HomeLab, durationSeconds: number, extra: string[]) {
  const startedMs = Date.now();
  const child = lab.spawn("sensor", process.execPath, [
    bin,
    "analyze",
    "--interface",
    lab.iface("sensor"),
    "--duration",
    String(durationSeconds),
    "--offline-after",
    String(OFFLINE_AFTER),
    "--format",
    "json",
    ...extra,
  ]);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  const done = new Promise<{ report: ReportJson; stderr: string }>((resolveRun, reject) => {
    child.once("close", (code) => {
      if (code !== 0) reject(new Error(`heimdal exited with ${code}: ${stderr}`));
      else resolveRun({ report: JSON.parse(stdout) as ReportJson, stderr });
    });
  });
  return { startedMs, done };
}

const deviceOf = (report: ReportJson, station: StationName) =>
  report.devices.find((d) => d.mac === STATIONS[station].mac);
const ms = (iso: string) => Date.parse(iso);
const lastSeenMsOf = (device: DeviceJson) => ms(device.lastSeen);

describe.skipIf(!existsSync(join(root, "packages/cli/dist/main.js")))("--active-scan on the command line", () => {
  const heimdal = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

  it("needs --interface", () => {
    const result = heimdal("analyze", "--active-scan", "home.pcap");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("heimdal: --active-scan needs --interface (it scans a live network)");
    const probeAlone = heimdal("analyze", "--interface", "lo", "--duration", "1", "--no-service-probe");
    expect(probeAlone.status).toBe(2);
    expect(probeAlone.stderr).toContain("heimdal: --no-service-probe goes with --active-scan");
  });

  it("names an interface it cannot scan before capturing anything", () => {
    const missing = heimdal("analyze", "--interface", "nosuch0", "--duration", "1", "--active-scan");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('heimdal: Cannot scan "nosuch0": no such interface in this network namespace\n');
    const loopback = heimdal("analyze", "--interface", "lo", "--duration", "1", "--active-scan");
    expect(loopback.status).toBe(1);
    expect(loopback.stderr).toBe('heimdal: Cannot scan from "lo": it has no Ethernet MAC address (none)\n');
  });
});

describe.skipIf(unavailable)(
  `device discovery on a bridged network of namespaces${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let lab: HomeLab;
    let speaker: ReturnType<typeof jsonLines>;
    let speakerProcess: ChildProcess;

    beforeAll(async () => {
      lab = new HomeLab();
      await lab.create();
      // dnsmasq with a configuration of our own: DHCP only (port=0: no DNS), and no router
      // or DNS server option, so that only the sensor's routing table names the gateway.
      const conf = join(lab.scratch, "dnsmasq.conf");
      writeFileSync(
        conf,
        [
          `interface=${lab.iface("router")}`,
          "bind-interfaces",
          "port=0",
          "no-resolv",
          "no-hosts",
          "user=root",
          `dhcp-range=${SUBNET}.200,${SUBNET}.220,255.255.255.0,1h`,
          "dhcp-option=option:router",
          "dhcp-option=option:dns-server",
          "no-ping",
          "dhcp-authoritative",
          `dhcp-leasefile=${join(lab.scratch, "leases")}`,
          `pid-file=${join(lab.scratch, "dnsmasq.pid")}`,
          "",
        ].join("\n"),
      );
      const dnsmasq = lab.spawn("router", "dnsmasq", [
        "--keep-in-foreground",
        `--conf-file=${conf}`,
        "--log-facility=-",
      ]);
      dnsmasq.once("exit", (code) => {
        if (code) console.error(`dnsmasq exited with ${code}`);
      });
      // The speaker is on the network before the sensor starts, and keeps announcing.
      speakerProcess = lab.spawn("mdns", process.execPath, [
        responderScript,
        "--name",
        "kitchen-speaker",
        "--address",
        STATIONS.mdns.ip,
        "--announce-every",
        String(ANNOUNCE_EVERY),
      ]);
      speaker = jsonLines(speakerProcess);
      await speaker.waitFor((e) => e.event === "ready", 10_000, "the mDNS responder");
      // The quiet camera: an RTSP port that accepts and closes, and nothing sent on its own.
      const rtsp = lab.spawn("silent1", process.execPath, [
        "-e",
        `require("node:net").createServer((s) => s.destroy()).listen(554, "${STATIONS.silent1.ip}", () => console.log("ready"))`,
      ]);
      await jsonLinesOrText(rtsp, "ready", 10_000);
      // The sensor has talked to its gateway, as any host has: the neighbour table knows its MAC.
      await lab.exec("sensor", "ping", ["-c", "1", "-W", "2", STATIONS.router.ip]);
      await new Promise((r) => setTimeout(r, 3000)); // let the start-up announcements pass
    }, 60_000);

    afterAll(async () => {
      await lab?.destroy();
    });

    it("without --active-scan, the silent devices are not found", async () => {
      const { report } = await analyzeInSensor(lab, 6, []).done;
      const macs = report.devices.map((d) => d.mac);
      expect(macs).not.toContain(STATIONS.silent1.mac);
      expect(macs).not.toContain(STATIONS.silent2.mac);
      // Listening works: the speaker announces itself and is found.
      expect(deviceOf(report, "mdns")).toMatchObject({ hostname: "kitchen-speaker", ips: [STATIONS.mdns.ip] });
    }, 30_000);

    it("with --active-scan, finds every device with its address, names and role, announces each within 30 s, and sees one leave", async () => {
      const live = analyzeInSensor(lab, CAPTURE_SECONDS, ["--active-scan"]);
      // The scanner's first frame is the mDNS query: once the speaker hears it, capture is on.
      await speaker.waitFor(
        (e) => e.event === "query" && e.from === STATIONS.sensor.ip,
        15_000,
        "the sensor's mDNS query",
      );
      const readyMs = Date.now();

      // A camera joins: DHCP with its hostname (broadcast replies, -B, as many embedded clients ask).
      const script = join(lab.scratch, "udhcpc.script");
      const ipTool = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => existsSync(p)) ?? "ip";
      writeFileSync(
        script,
        `#!/bin/sh\ncase "$1" in\n  bound|renew) ${ipTool} addr flush dev "$interface"; ${ipTool} addr add "$ip/\${mask:-24}" dev "$interface" ;;\n  deconfig) ${ipTool} addr flush dev "$interface" ;;\nesac\n`,
      );
      chmodSync(script, 0o755);
      const dhcpStartMs = Date.now();
      await lab.exec(
        "dhcp",
        "busybox",
        [
          "udhcpc",
          "-f",
          "-q",
          "-n",
          "-B",
          "-t",
          "5",
          "-T",
          "1",
          "-i",
          lab.iface("dhcp"),
          "-s",
          script,
          "-x",
          "hostname:garden-cam",
        ],
        15_000,
      );
      const dhcpMs = Date.now() - dhcpStartMs;
      const addr = JSON.parse(await run("ip", ["-n", lab.ns("dhcp"), "-j", "addr", "show", "dev", lab.iface("dhcp")]));
      const leased = (addr[0].addr_info as { family: string; local: string }[]).find((a) => a.family === "inet")?.local;
      expect(leased).toMatch(new RegExp(`^${SUBNET.replaceAll(".", "\\.")}\\.2[0-2]\\d$`));

      // The speaker leaves: its process ends and its namespace (with its link) goes.
      await new Promise((r) => setTimeout(r, Math.max(0, readyMs + 8000 - Date.now())));
      const leftMs = Date.now();
      speakerProcess.kill("SIGKILL");
      await new Promise((r) => speakerProcess.once("close", r));
      await run("ip", ["netns", "del", lab.ns("mdns")]);

      const { report, stderr } = await live.done;
      const t0 = live.startedMs;
      console.log(
        `discovery: ready ${readyMs - t0} ms after start, DHCP took ${dhcpMs} ms, speaker left at ${leftMs - t0} ms; ` +
          `devices ${JSON.stringify(report.devices.map((d) => [d.mac, d.ips, d.hostname, d.role, d.firstSeen, d.lastSeen]))}`,
      );
      expect(stderr).toBe("");

      // Every device, and nothing else but the sensor itself.
      const others = report.devices.filter((d) => d.role !== "sensor").map((d) => d.mac);
      const expectedMacs = (["router", "mdns", "silent1", "silent2", "dhcp"] as const).map((s) => STATIONS[s].mac);
      expect(others.sort()).toEqual([...expectedMacs].sort());
      expect(report.devices.filter((d) => d.role === "sensor").map((d) => d.mac)).toEqual([STATIONS.sensor.mac]);
      for (const name of ["router", "mdns", "silent1", "silent2"] as const) {
        expect({ name, ips: deviceOf(report, name)?.ips }).toEqual({ name, ips: [STATIONS[name].ip] });
      }
      expect(deviceOf(report, "dhcp")?.ips).toEqual([leased]);

      // Names, each from its own protocol.
      const camera = deviceOf(report, "dhcp")!;
      expect(camera.hostname).toBe("garden-cam");
      expect(camera.hostnames).toContainEqual({ name: "garden-cam", source: "dhcp" });
      const speakerDevice = deviceOf(report, "mdns")!;
      expect(speakerDevice.hostname).toBe("kitchen-speaker");
      expect(speakerDevice.hostnames).toContainEqual({ name: "kitchen-speaker", source: "mdns" });
      expect(speakerDevice.fingerprint.mdnsServices).toContain("_googlecast._tcp");
      // Only our M-SEARCH makes the speaker say its SSDP server string (it never NOTIFYs).
      expect(speakerDevice.fingerprint.ssdpServers).toEqual([SPEAKER_SERVER]);
      expect(speaker.events).toContainEqual(
        expect.objectContaining({
          event: "query",
          from: STATIONS.sensor.ip,
          port: 5353,
          questions: [{ name: "_services._dns-sd._udp.local", type: 12, qu: false }],
        }),
      );
      expect(speaker.events).toContainEqual({ event: "msearch", from: STATIONS.sensor.ip, port: 1900, st: "ssdp:all" });
      // Its SSDP answer's LOCATION was followed: the UPnP description names it and its model.
      expect(speaker.events).toContainEqual({
        event: "description",
        from: STATIONS.sensor.ip,
        url: "/ssdp/device-desc.xml",
      });
      expect(speakerDevice.hostnames).toContainEqual({ name: "Kitchen speaker", source: "ssdp" });
      expect(speakerDevice.fingerprint.upnpModels).toEqual(["Google Inc. Google Home"]);

      // Silent devices answer only ARP: asked again before their timeout, they stay online
      // through the whole capture instead of flapping offline between sweeps.
      for (const name of ["silent1", "silent2"] as const) {
        const device = deviceOf(report, name)!;
        const offline = report.events.filter((e) => e.type === "device_offline" && e.deviceId === device.id);
        expect({ name, online: device.online, offline: offline.length }).toEqual({ name, online: true, offline: 0 });
      }

      // The service probe: the camera never spoke, but it answered the SYN to its RTSP port, so
      // it is a camera; the other silent station answered every SYN with a reset: no services.
      const camera554 = deviceOf(report, "silent1")!;
      expect(camera554.fingerprint.serverPorts).toEqual(["tcp/554"]);
      expect(camera554.type).toBe("camera");
      expect(camera554.typeEvidence.join(" ")).toContain("port-rtsp");
      expect(deviceOf(report, "silent2")?.fingerprint.serverPorts).toEqual([]);
      // The sensor's own probes are not a port scan to its detectors.
      const sensorId = report.devices.find((d) => d.role === "sensor")?.id;
      expect(report.alerts.filter((a) => a.deviceId === sensorId)).toEqual([]);

      // The router is the gateway: known only from the sensor's routing and neighbour tables.
      expect(deviceOf(report, "router")?.role).toBe("gateway");
      for (const name of ["mdns", "silent1", "silent2", "dhcp"] as const)
        expect(deviceOf(report, name)?.role).toBe("device");

      // device_new for each, stamped at its first packet; those present from the start were
      // heard within 30 s of the capture's start, the camera within 30 s of joining.
      for (const name of ["router", "mdns", "silent1", "silent2", "dhcp"] as const) {
        const device = deviceOf(report, name)!;
        const news = report.events.filter((e) => e.type === "device_new" && e.deviceId === device.id);
        expect({ name, news: news.length }).toEqual({ name, news: 1 });
        expect(Math.abs(ms(news[0]!.time) - ms(device.firstSeen))).toBeLessThanOrEqual(30_000);
        const since = name === "dhcp" ? dhcpStartMs : t0;
        const heardAfter = ms(device.firstSeen) - since;
        expect({ name, heardAfter, inTime: heardAfter >= -1000 && heardAfter <= 30_000 }).toMatchObject({
          name,
          inTime: true,
        });
      }

      // The speaker went offline OFFLINE_AFTER seconds after its last packet, which came
      // shortly before it left; it was online until then.
      console.log(
        `discovery: speaker last seen ${lastSeenMsOf(speakerDevice) - leftMs} ms after the kill, offline event ${
          ms(report.events.find((e) => e.type === "device_offline" && e.deviceId === speakerDevice.id)?.time ?? "") -
          lastSeenMsOf(speakerDevice)
        } ms after that`,
      );
      const speakerEvents = report.events.filter((e) => e.deviceId === speakerDevice.id).map((e) => e.type);
      expect(speakerEvents).toEqual(["device_new", "device_offline"]);
      const offline = report.events.find((e) => e.type === "device_offline" && e.deviceId === speakerDevice.id)!;
      const lastSeenMs = ms(speakerDevice.lastSeen);
      // Its kernel still sends after the kill: IGMPv3 leave reports for the mDNS and SSDP
      // groups, repeated within the unsolicited report interval (1 s, RFC 3376 §8.11).
      expect(lastSeenMs).toBeLessThanOrEqual(leftMs + 1500);
      expect(lastSeenMs).toBeGreaterThanOrEqual(leftMs - (ANNOUNCE_EVERY + 1) * 1000);
      expect(ms(offline.time) - lastSeenMs).toBeGreaterThanOrEqual(OFFLINE_AFTER * 1000);
      expect(ms(offline.time) - lastSeenMs).toBeLessThanOrEqual(OFFLINE_AFTER * 1000 + 3000);
      expect(ms(offline.time)).toBeLessThan(t0 + CAPTURE_SECONDS * 1000); // within the capture
      expect(speakerDevice.online).toBe(false);
    }, 60_000);
  },
);
