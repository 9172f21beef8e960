/**
 * What ARP interception costs the devices behind it: HTTP request latency and download
 * throughput of a victim, directly through the gateway and then through the sensor, in the
 * namespace lab of the interception tests (nothing leaves it). Figures, not assertions.
 * Run by `npm run bench -- interception` (needs root and a built CLI).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { INTERNET, InterceptionLab, jsonEvents, LAN, MACS } from "../../packages/cli/test/interception-lab.js";

const root = resolve(import.meta.dirname, "../..");
const bin = join(root, "packages/cli/bin/heimdal.js");
const REQUESTS = 40;
const DOWNLOAD_BYTES = 32 * 1024 * 1024;
const DOWNLOADS = 3;

async function measure(lab: InterceptionLab) {
  const latencies: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const r = await lab.curl("victim1", INTERNET.shop, 64, 5);
    if (!r.ok) throw new Error("a request failed");
    latencies.push(r.seconds * 1000);
  }
  const rates: number[] = [];
  for (let i = 0; i < DOWNLOADS; i++) {
    const r = await lab.curl("victim1", INTERNET.shop, DOWNLOAD_BYTES, 30);
    if (!r.ok) throw new Error("a download failed");
    rates.push(DOWNLOAD_BYTES / r.seconds / 1e6);
  }
  latencies.sort((a, b) => a - b);
  rates.sort((a, b) => a - b);
  return {
    medianMs: latencies[Math.floor(REQUESTS / 2)]!,
    p95Ms: latencies[Math.floor(REQUESTS * 0.95)]!,
    megabytesPerSecond: rates[Math.floor(DOWNLOADS / 2)]!,
  };
}

const lab = new InterceptionLab();
const stateDir = mkdtempSync(join(tmpdir(), "heimdal-bench-state-"));
try {
  await lab.create();
  const direct = await measure(lab);
  const child = lab.spawn("sensor", process.execPath, [
    bin,
    "intercept",
    "--interface",
    lab.iface("sensor"),
    "--dns-server",
    INTERNET.shop,
    "--state-dir",
    stateDir,
  ]);
  const events = jsonEvents(child);
  await events.waitFor((e) => JSON.stringify(e.targets ?? "").includes(LAN.victim1), 20_000, "interception");
  await lab.waitFor(
    async () => {
      await lab.exec("victim1", "ping", ["-c", "1", "-W", "1", LAN.gateway]).catch(() => "");
      return (await lab.neighbourMac("victim1", LAN.gateway)) === MACS.sensor;
    },
    10_000,
    "victim1 to be intercepted",
  );
  const intercepted = await measure(lab);
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const peakMiB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
  child.kill("SIGTERM");
  await events.exited;
  const table = [
    { path: "direct (victim → gateway)", ...round(direct) },
    { path: "intercepted (victim → sensor → gateway)", ...round(intercepted) },
  ];
  console.table(table);
  console.log(
    `added latency: median ${(intercepted.medianMs - direct.medianMs).toFixed(2)} ms, p95 ${(intercepted.p95Ms - direct.p95Ms).toFixed(2)} ms; ` +
      `throughput loss ${(100 * (1 - intercepted.megabytesPerSecond / direct.megabytesPerSecond)).toFixed(1)}%; ` +
      `heimdal intercept peak RSS ${peakMiB.toFixed(0)} MiB ` +
      `(${REQUESTS} requests of 64 B, median of ${DOWNLOADS} downloads of ${DOWNLOAD_BYTES / 1048576} MiB)`,
  );
} finally {
  await lab.destroy();
  rmSync(stateDir, { recursive: true, force: true });
}

function round(m: { medianMs: number; p95Ms: number; megabytesPerSecond: number }) {
  return {
    "median ms": m.medianMs.toFixed(2),
    "p95 ms": m.p95Ms.toFixed(2),
    "download MB/s": m.megabytesPerSecond.toFixed(0),
  };
}
