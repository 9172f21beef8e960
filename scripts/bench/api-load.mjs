#!/usr/bin/env node
// The API under load: a real SQLite database with 1,000 devices (each with a profile and a
// week of baseline) and 100,000 stored alerts, the real `heimdal serve` in its own process,
// and autocannon against the main list endpoints. Prints requests/s, p50/p99 latency and the
// server's peak memory. The target: p99 < 500 ms.
// Environment: API_BENCH_SECONDS (default 10 per endpoint), API_BENCH_CONNECTIONS (default 10).
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { ALERT_TYPES, alertEvent, DeviceBaseline, DeviceProfile } from "../../packages/core/dist/index.js";
import { createSqliteRepositories, SqliteDatabase } from "../../packages/platform/dist/index.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const output = join(root, "bench-output", "api-load");
const DEVICES = 1_000;
const ALERTS = 100_000;
const SECONDS = Number(process.env.API_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.API_BENCH_CONNECTIONS ?? 10);
const PASSWORD = "bench-password-123";
const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 2);

let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = (list) => list[Math.floor(random() * list.length)];
const deviceId = (i) => `dev-02${i.toString(16).padStart(10, "0")}`;
const mac = (i) => `02:${i.toString(16).padStart(10, "0").match(/../g).join(":")}`;

function deviceRecord(i) {
  const ip = `10.${(i >> 8) & 255}.${i & 255}.${(i % 200) + 10}`;
  return {
    id: deviceId(i),
    mac: mac(i),
    macs: [mac(i)],
    randomizedMac: i % 10 === 0,
    role: "device",
    addresses: [{ ip, firstSeen: START, lastSeen: START + 7 * DAY }],
    hostnames: [{ name: `device-${i}`, source: "dhcp", firstSeen: START, lastSeen: START + 7 * DAY }],
    vendor: pick(["Apple, Inc.", "Espressif Inc.", "Philips Lighting BV", "Samsung Electronics Co.,Ltd", null]),
    type: {
      value: pick(["phone", "computer", "tv", "plug_switch_bulb", "camera", "speaker"]),
      confidence: 0.8,
      evidence: ["oui:bench"],
    },
    model: null,
    os: null,
    fingerprint: {
      mdnsServices: ["_googlecast._tcp"],
      mdnsNames: [`device-${i}.local`],
      mdnsModels: [],
      ssdpServers: [],
      userAgents: ["Mozilla/5.0 (bench)"],
      ja4: ["t13d1516h2_8daaf6152771_02713d6af862"],
      tlsServerNames: ["api.example.com"],
      dnsNames: ["api.example.com", "time.example.net"],
      netbiosNames: [],
      ssdpDeviceTypes: [],
      serverPorts: [],
      httpServers: [],
    },
    firstSeen: START,
    lastSeen: START + 7 * DAY,
    online: random() < 0.7,
    packets: Math.floor(random() * 1e6),
    bytes: Math.floor(random() * 1e9),
  };
}

/** A week of traffic for one device: 60 connections a day over a few clouds and a tail of sites. */
function profileAndBaseline(id) {
  const profile = new DeviceProfile(id);
  const baseline = new DeviceBaseline(id);
  for (let day = 0; day < 7; day++) {
    for (let n = 0; n < 60; n++) {
      const start = START + day * DAY + Math.floor(random() * DAY);
      const destination =
        random() < 0.7
          ? `cloud${Math.floor(random() * 5)}.example.com`
          : `site${Math.floor(random() * 80)}.example.net`;
      const c = {
        start,
        end: start + 2000,
        protocol: "tcp",
        destination,
        destinationName: destination,
        remoteIp: "203.0.113.10",
        remotePort: pick([443, 443, 80, 8883]),
        localPort: 40000 + n,
        outbound: true,
        bytesUp: 500 + Math.floor(random() * 5000),
        bytesDown: 2000 + Math.floor(random() * 50000),
        packetsUp: 8,
        packetsDown: 12,
      };
      profile.addConnection(c);
      baseline.addConnection(c);
    }
  }
  return { profile: profile.toJSON(), baseline: baseline.toJSON() };
}

function alert(n) {
  const device = Math.floor(random() * DEVICES);
  const type = pick(ALERT_TYPES);
  // Mostly low and medium, as a real network's alerts are.
  const r = random();
  const severity = r < 0.35 ? "low" : r < 0.75 ? "medium" : r < 0.92 ? "high" : r < 0.98 ? "critical" : "info";
  const time = START + Math.floor((n / ALERTS) * 30 * DAY);
  const destination = `site${Math.floor(random() * 500)}.example.net`;
  return {
    id: `alert-${type}-${n.toString(16).padStart(8, "0")}-${Math.floor(time / 1000)}`,
    type,
    severity,
    confidence: 0.8,
    deviceId: deviceId(device),
    mac: mac(device),
    time,
    firstEvidence: time - 5000,
    key: `${destination}|${n}`,
    description: `Device "device-${device}" talked to ${destination} for the first time.`,
    normal: "It talks to 5 cloud services, all seen for 7 days.",
    observed: `12 connections to ${destination} on tcp/443, 48 KiB up.`,
    evidence: {
      destination,
      port: "tcp/443",
      connections: 12,
      bytesUp: 49152,
      sample: ["10.0.0.1:40000 → 203.0.113.10:443"],
    },
    repeats: 0,
  };
}

function fill(path) {
  const db = new SqliteDatabase(path);
  db.open();
  const repos = createSqliteRepositories(db);
  const started = performance.now();
  db.transaction("fill devices", () => {
    for (let i = 0; i < DEVICES; i++) {
      const record = deviceRecord(i);
      repos.devices.upsert(record);
      const { profile, baseline } = profileAndBaseline(record.id);
      repos.profiles.put(record.id, profile);
      repos.baselines.save(record.id, baseline);
      repos.events.append({ type: "device_new", time: START, deviceId: record.id, mac: record.mac });
    }
  });
  for (let batch = 0; batch < ALERTS; batch += 10_000) {
    db.transaction("fill alerts", () => {
      for (let n = batch; n < Math.min(ALERTS, batch + 10_000); n++) {
        const a = alert(n);
        repos.alerts.insert(a);
        repos.events.append(alertEvent("alert_raised", a));
      }
    });
  }
  // Some acknowledged, as after a few weeks of use.
  db.run("acknowledge some", (sql) =>
    sql("UPDATE alerts SET acknowledged_at = time + 3600000 WHERE rowid % 3 = 0").run(),
  );
  // Acknowledged behind the repository's back: so are the incidents none of whose alerts is open.
  db.run("settle incidents", (sql) =>
    sql(
      `UPDATE incidents SET acknowledged_at = (
         SELECT max(a.acknowledged_at) FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
         WHERE ia.incident_id = incidents.id)
       WHERE NOT EXISTS (SELECT 1 FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
                         WHERE ia.incident_id = incidents.id AND a.acknowledged_at IS NULL)`,
    ).run(),
  );
  db.close();
  return ((performance.now() - started) / 1000).toFixed(1);
}

function startServer(path, port) {
  const child = spawn(
    process.execPath,
    [join(root, "packages/cli/bin/heimdal.js"), "serve", "--db", path, "--port", String(port)],
    { env: { ...process.env, HEIMDAL_ADMIN_PASSWORD: PASSWORD }, stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolveStart, reject) => {
    let text = "";
    child.stdout.on("data", (chunk) => {
      text += chunk;
      const match = /serving (http:\/\/\S+)/.exec(text);
      if (match) resolveStart({ child, url: match[1] });
    });
    child.once("exit", (code) => reject(new Error(`heimdal serve exited with ${code}: ${text}`)));
  });
}

/** Peak resident memory of a process so far (Linux VmHWM), in MiB. */
function peakRssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

rmSync(output, { recursive: true, force: true });
mkdirSync(output, { recursive: true });
const dbPath = join(output, "sensor.db");
console.log(`api: filling ${dbPath} with ${DEVICES} devices and ${ALERTS} alerts…`);
const fillSeconds = fill(dbPath);
console.log(`api: filled in ${fillSeconds} s; starting heimdal serve`);

const port = 18000 + Math.floor(Math.random() * 1000);
const { child, url } = await startServer(dbPath, port);
try {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  const cookie = login.headers.get("set-cookie").split(";")[0];
  const someDevice = deviceId(123);
  const endpoints = [
    "/api/v1/devices",
    "/api/v1/devices?type=phone&online=true&search=device-1",
    `/api/v1/devices/${someDevice}`,
    "/api/v1/alerts",
    "/api/v1/alerts?severity=high&severity=critical&acknowledged=false",
    `/api/v1/alerts?deviceId=${someDevice}`,
    "/api/v1/alerts?offset=50000&limit=100",
    "/api/v1/incidents",
    "/api/v1/traffic",
    "/api/v1/status",
  ];
  const rows = [];
  for (const path of endpoints) {
    const result = await autocannon({
      url: `${url}${path}`,
      connections: CONNECTIONS,
      duration: SECONDS,
      headers: { cookie },
    });
    const failures = result.non2xx + result.errors + result.timeouts;
    rows.push({
      endpoint: path.length > 70 ? `${path.slice(0, 67)}…` : path,
      "req/s": Math.round(result.requests.average),
      "p50 ms": result.latency.p50,
      "p99 ms": result.latency.p99,
      "max ms": result.latency.max,
      "KiB/req": (result.throughput.average / Math.max(result.requests.average, 1) / 1024).toFixed(1),
      failures,
      "p99 < 500": result.latency.p99 < 500 && failures === 0 ? "yes" : "NO",
    });
  }
  console.log(
    `\n## API under load: ${DEVICES} devices, ${ALERTS} alerts, ${CONNECTIONS} connections, ${SECONDS} s per endpoint\n`,
  );
  console.table(rows);
  console.log(`heimdal serve peak RSS: ${peakRssMiB(child.pid).toFixed(0)} MiB`);
  if (rows.some((r) => r["p99 < 500"] !== "yes")) process.exitCode = 1;
} finally {
  child.kill("SIGTERM");
}
