#!/usr/bin/env node
// `npm run bench`: figures, not assertions. Packets per second and peak memory of Heimdal's
// packet path on real and generated captures, next to peer tools in the same run.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const shared = resolve(root, "../shared/data");
const output = join(root, "bench-output");
mkdirSync(output, { recursive: true });
const heimdal = join(root, "packages/cli/bin/heimdal.js");
const only = process.argv.slice(2);
const wants = (section) => only.length === 0 || only.includes(section);

if (!existsSync(join(root, "packages/cli/dist/main.js"))) {
  console.error("bench: build first (bash scripts/setup.sh or npm run build)");
  process.exit(1);
}

/** Runs a command under GNU time; returns wall seconds and peak RSS in MiB. */
function measure(command, args, options = {}) {
  const result = spawnSync("/usr/bin/time", ["-f", "%e %M", command, ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    ...options,
  });
  const lines = result.stderr.trim().split("\n");
  const [seconds, kib] = (lines.at(-1) ?? "").split(" ").map(Number);
  if (result.status !== 0) {
    return {
      ok: false,
      error: lines.slice(-3).join(" | "),
      seconds: Number.NaN,
      rssMiB: Number.NaN,
      stdout: result.stdout,
    };
  }
  return { ok: true, seconds, rssMiB: kib / 1024, stdout: result.stdout };
}

function countPackets(file) {
  const r = spawnSync("capinfos", ["-c", "-M", "-T", file], { encoding: "utf8" });
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  return Number(line.split("\t")[1]);
}

const rows = [];
function row(tool, input, packets, m, note = "") {
  rows.push({
    tool,
    input,
    packets,
    seconds: m.ok ? m.seconds.toFixed(2) : "-",
    kpps: m.ok ? Math.round(packets / Math.max(m.seconds, 0.01) / 1000) : "-",
    peakRssMiB: m.ok ? m.rssMiB.toFixed(0) : "-",
    note: m.ok ? note : `failed: ${m.error}`,
  });
}

const inputs = [];
if (wants("pipeline")) {
  for (const name of ["iot-sentinel-all-550-merged.pcap", "tj-oconnor-5dev-7day-merged.pcap"]) {
    const file = join(shared, "bench", name);
    if (existsSync(file)) inputs.push({ name, file });
  }
  // A generated multi-million-packet capture: the size where memory must stay flat.
  const generated = join(output, "generated-home-100dev.pcap");
  if (!existsSync(generated)) {
    console.error("bench: generating a multi-million-packet capture (once; kept in bench-output/)…");
    const g = spawnSync(
      process.execPath,
      [heimdal, "simulate", "--out", generated, "--devices", "100", "--hours", "2", "--activity", "3", "--seed", "42"],
      { stdio: "inherit" },
    );
    if (g.status !== 0) process.exit(1);
  }
  inputs.push({ name: "generated-home-100dev.pcap", file: generated });

  for (const { name, file } of inputs) {
    const packets = countPackets(file);
    const sizeMiB = (statSync(file).size / 1048576).toFixed(0);
    const input = `${name} (${sizeMiB} MiB)`;
    row(
      "heimdal analyze",
      input,
      packets,
      measure(process.execPath, [heimdal, "analyze", "--format", "json", file]),
      "decode + flows + devices, whole process",
    );
    row(
      "tcpdump -r -w /dev/null",
      input,
      packets,
      measure("tcpdump", ["-r", file, "-w", "/dev/null"], { env: { ...process.env } }),
      "read floor",
    );
    const argusOut = join(output, "argus.out");
    row("argus -r", input, packets, measure("argus", ["-r", file, "-w", argusOut]), "flow records");
  }
  // tshark builds full dissection trees: measure it on a subset to keep the run short.
  const subset = join(output, "tshark-subset.pcap");
  const first = inputs[inputs.length - 1].file;
  spawnSync("editcap", ["-r", first, subset, "1-200000"]);
  const subsetPackets = countPackets(subset);
  row(
    "tshark -q -z conv,ip",
    "first 200k of generated",
    subsetPackets,
    measure("tshark", ["-n", "-q", "-z", "conv,ip", "-r", subset]),
    "conversations",
  );
  row(
    "heimdal analyze",
    "first 200k of generated",
    subsetPackets,
    measure(process.execPath, [heimdal, "analyze", "--format", "json", subset]),
  );
}

if (rows.length > 0) {
  console.log("\n## Packet path: whole-process runs (wall time includes Node start-up)\n");
  console.table(rows);
}

if (wants("hotpath")) {
  // Without the pipeline section, the shared captures alone (the generated one is made there).
  const files =
    inputs.length > 0
      ? inputs.map((i) => i.file)
      : ["iot-sentinel-all-550-merged.pcap", "tj-oconnor-5dev-7day-merged.pcap"]
          .map((name) => join(shared, "bench", name))
          .filter((file) => existsSync(file));
  // In-process, JIT-warm figures of the hot path alone, per stage.
  const r = spawnSync(process.execPath, ["--expose-gc", join(root, "scripts/bench/hot-path.mjs"), ...files], {
    encoding: "utf8",
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) process.exitCode = 1;
  // The cost of each detector on the week of five IoT devices (docs/bench.md: why it is measured so).
  const week = files.find((file) => file.endsWith("tj-oconnor-5dev-7day-merged.pcap"));
  if (week) {
    const cost = spawnSync(process.execPath, ["--expose-gc", join(root, "scripts/bench/detector-cost.mjs"), week], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (cost.status !== 0) process.exitCode = 1;
  }
}

if (wants("profiles")) {
  const r = spawnSync(process.execPath, ["--expose-gc", join(root, "scripts/bench/profiles.mjs")], {
    stdio: "inherit",
  });
  if (r.status !== 0) process.exitCode = 1;
}

if (wants("interception")) {
  if (process.getuid?.() === 0) {
    console.log("\n## ARP interception: a victim's latency and throughput, direct and through the sensor\n");
    const r = spawnSync("npx", ["vite-node", join(root, "scripts/bench/interception.ts")], {
      stdio: "inherit",
      cwd: root,
    });
    if (r.status !== 0) process.exitCode = 1;
  } else {
    console.log("\n(interception benchmark skipped: it needs root to create network namespaces)");
  }
}

if (wants("capture") && existsSync(join(root, "scripts/bench/capture-load.mjs"))) {
  if (process.getuid?.() === 0) {
    console.log("\n## Live capture over veth (namespaces created and removed by the benchmark)\n");
    const r = spawnSync(process.execPath, [join(root, "scripts/bench/capture-load.mjs")], { stdio: "inherit" });
    if (r.status !== 0) process.exitCode = 1;
  } else {
    console.log("\n(live capture benchmark skipped: it needs root to create network namespaces)");
  }
}

if (wants("api")) {
  // The API under load: 1,000 devices and 100,000 alerts in a real database, the real server,
  // autocannon against the list endpoints (issue 7's target: p99 < 500 ms).
  const r = spawnSync(process.execPath, [join(root, "scripts/bench/api-load.mjs")], { stdio: "inherit" });
  if (r.status !== 0) process.exitCode = 1;
}
