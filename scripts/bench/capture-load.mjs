#!/usr/bin/env node
// Live-capture load benchmark: the evidence behind our libpcap binding.
//
//   sudo node scripts/bench/capture-load.mjs [--packets N] [--impl heimdal,heimdal-immediate,node-pcap] [--json]
//
// Builds two throwaway network namespaces joined by a veth pair (no traffic leaves them),
// blasts N packets (default 1,000,000: 1,000 distinct UDP frames of 60–571 bytes, looped by
// tcpreplay --topspeed) from one end, and captures at the other end with each implementation
// in its own Node process:
//   heimdal            LibpcapCaptureProvider from @heimdal/platform (dist): one JS call per batch
//   heimdal-immediate  the same in libpcap's immediate mode (TPACKET_V2, a wakeup per packet)
//   node-pcap          the `pcap` npm package (node_pcap 3.1.0): one JS event per packet
// All use an 8 MiB kernel buffer, a 50 ms buffer timeout, promiscuous mode, snap length 65535.
// For each: packets/s while capturing, packets sent (the sender's tx_packets), delivered to
// JavaScript, drops as reported, unaccounted packets, CPU time of the capturing process (per
// packet: the figure that still compares when the sender, not the capture, sets the pace),
// peak RSS, and whether close() let the process end by itself. Needs root, tcpreplay and a build of @heimdal/platform (this script runs
// `tsc -b packages/platform` and `npm run build:native` when their outputs are missing).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BUFFER_BYTES = 8 * 1024 * 1024;
const BUFFER_TIMEOUT_MS = 50;
const IDLE_MS = 500; // a capture is drained once no packet came for this long after sending ended

// ---------------------------------------------------------------- capturing child
// Runs inside the receiving namespace: `node capture-load.mjs --child IMPL IFACE`. Prints
// {"ready":true}, then on "stop" (stdin) drains, closes and prints its result as one line.

async function child(impl, iface) {
  let delivered = 0;
  let wireBytes = 0;
  let firstAt = 0;
  let lastAt = 0;
  const seen = (count) => {
    const now = performance.now();
    if (firstAt === 0) firstAt = now;
    lastAt = now;
    delivered += count;
  };
  let stats;
  let close;
  let done;
  if (impl === "heimdal" || impl === "heimdal-immediate") {
    const { LibpcapCaptureProvider } = await import("@heimdal/platform");
    const provider = new LibpcapCaptureProvider({
      interface: iface,
      promiscuous: true,
      bufferSize: BUFFER_BYTES,
      bufferTimeoutMs: BUFFER_TIMEOUT_MS,
      immediate: impl === "heimdal-immediate",
    });
    await provider.open();
    done = (async () => {
      for await (const batch of provider.batches()) {
        for (let i = 0; i < batch.count; i++) wireBytes += batch.wireLengths[i];
        seen(batch.count);
      }
    })();
    stats = () => {
      const s = provider.stats();
      // received includes what our queue dropped; delivered is what reached the loop above.
      return { kernel: s.droppedByKernel, iface: s.droppedByInterface, ours: s.droppedByUs };
    };
    close = () => provider.close();
  } else {
    const pcap = createRequire(join(root, "packages/platform/package.json"))("pcap");
    const session = pcap.createSession(iface, {
      promiscuous: true,
      buffer_size: BUFFER_BYTES,
      buffer_timeout: BUFFER_TIMEOUT_MS,
      snap_length: 65535,
    });
    session.on("packet", (packet) => {
      wireBytes += packet.header.readUInt32LE(12);
      seen(1);
    });
    let last = { ps_drop: 0, ps_ifdrop: 0 };
    stats = () => {
      try {
        last = session.stats();
      } catch {
        // closed: keep the last figures
      }
      return { kernel: last.ps_drop, iface: last.ps_ifdrop, ours: 0 };
    };
    close = async () => {
      stats();
      session.close();
    };
    done = Promise.resolve();
  }
  const cpuAtReady = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await new Promise((resolveStop) => {
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => chunk.includes("stop") && resolveStop());
  });
  process.stdin.destroy();
  const stopAt = performance.now();
  await new Promise((resolveIdle) => {
    const timer = setInterval(() => {
      if (performance.now() - Math.max(lastAt, stopAt) >= IDLE_MS) {
        clearInterval(timer);
        resolveIdle();
      }
    }, 20);
  });
  const cpu = process.cpuUsage(cpuAtReady); // capturing and counting, idle waits included
  let figures = stats();
  const closeStarted = performance.now();
  await close();
  await done;
  figures = stats(); // final figures where the implementation keeps them after close
  const result = {
    delivered,
    wireBytes,
    ...figures,
    activeMs: lastAt - firstAt,
    cpuMs: (cpu.user + cpu.system) / 1000,
    closeMs: performance.now() - closeStarted,
    peakRssKiB: process.resourceUsage().maxRSS,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // No process.exit: the parent checks that the process ends by itself after close().
}

// ---------------------------------------------------------------- parent

function sh(file, args, options = {}) {
  return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options });
}

function udpFrame(i, srcMac) {
  const payload = 18 + (i % 512);
  const frame = new Uint8Array(42 + payload).fill(i & 0xff);
  const view = new DataView(frame.buffer);
  frame.set([0x02, 0, 0, 0, 0, 0x99], 0); // not the receiver's MAC: its stack drops it silently
  frame.set(srcMac, 6);
  view.setUint16(12, 0x0800);
  frame.set([0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 200], 14);
  view.setUint16(16, 28 + payload);
  let sum = 0;
  for (let k = 14; k < 34; k += 2) sum += view.getUint16(k);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  view.setUint16(24, ~sum & 0xffff);
  view.setUint16(34, 50000);
  view.setUint16(36, 50001 + (i % 100));
  view.setUint16(38, 8 + payload);
  view.setUint16(40, 0);
  return frame;
}

function pcapFile(frames) {
  const file = new Uint8Array(24 + frames.reduce((n, f) => n + 16 + f.length, 0));
  const view = new DataView(file.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 65535, true);
  view.setUint32(20, 1, true);
  let at = 24;
  frames.forEach((frame, i) => {
    view.setUint32(at, 1_700_000_000, true);
    view.setUint32(at + 4, i, true);
    view.setUint32(at + 8, frame.length, true);
    view.setUint32(at + 12, frame.length, true);
    file.set(frame, at + 16);
    at += 16 + frame.length;
  });
  return file;
}

function ensureBuilt() {
  const binding = join(root, "packages/platform/native/build/Release/heimdal_pcap.node");
  if (!existsSync(binding)) {
    console.error("bench: building the native binding");
    sh("npm", ["run", "build:native", "-w", "@heimdal/platform"], { cwd: root, stdio: "inherit" });
  }
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const build = spawnSync(process.execPath, [tsc, "-b", "packages/platform"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) {
    if (!existsSync(join(root, "packages/platform/dist/index.js"))) {
      throw new Error(`bench: tsc -b packages/platform failed and there is no dist to use:\n${build.stdout}`);
    }
    console.error("bench: tsc -b packages/platform failed; measuring the existing dist build");
  }
}

async function measure(impl, lab, file, loops) {
  const { nsA, nsB, ifA, ifB } = lab;
  const capture = spawn(
    "ip",
    ["netns", "exec", nsB, process.execPath, fileURLToPath(import.meta.url), "--child", impl, ifB],
    {
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  capture.stdout.setEncoding("utf8").on("data", (d) => {
    out += d;
  });
  capture.stderr.setEncoding("utf8").on("data", (d) => {
    err += d;
  });
  const exited = new Promise((r) => capture.once("close", (code, signal) => r({ code, signal })));
  const ready = await new Promise((resolveReady) => {
    const check = setInterval(() => {
      if (out.includes('"ready"')) {
        clearInterval(check);
        resolveReady(true);
      }
    }, 20);
    void exited.then(() => {
      clearInterval(check);
      resolveReady(false);
    });
  });
  if (!ready) {
    // Not loadable or not openable here: that is a result too (e.g. a binary built for another Node ABI).
    const reason = err.trim().split("\n").slice(0, 4).join(" ");
    return { impl, failed: `could not capture: ${reason}` };
  }
  const tx = () => Number(sh("ip", ["netns", "exec", nsA, "cat", `/sys/class/net/${ifA}/statistics/tx_packets`]));
  const txBefore = tx();
  const sendStart = performance.now();
  sh("ip", [
    "netns",
    "exec",
    nsA,
    "tcpreplay",
    "-q",
    "-i",
    ifA,
    "--topspeed",
    `--loop=${loops}`,
    "--preload-pcap",
    file,
  ]);
  const sendSeconds = (performance.now() - sendStart) / 1000;
  const sent = tx() - txBefore;
  capture.stdin.write("stop\n");
  // A clean close lets the process end by itself; give it 10 s beyond the drain.
  const timeout = setTimeout(() => capture.kill("SIGKILL"), 10_000 + IDLE_MS + 5_000);
  const { code, signal } = await exited;
  clearTimeout(timeout);
  const line = out
    .trim()
    .split("\n")
    .find((l) => l.includes('"delivered"'));
  const r = line ? JSON.parse(line) : undefined;
  const closedCleanly = code === 0 && signal === null && r !== undefined;
  return {
    impl,
    sent,
    sendPps: Math.round(sent / sendSeconds),
    delivered: r?.delivered ?? Number.NaN,
    capturePps: r ? Math.round(r.delivered / Math.max(r.activeMs / 1000, 1e-3)) : Number.NaN,
    droppedKernel: r?.kernel ?? Number.NaN,
    droppedIface: r?.iface ?? Number.NaN,
    droppedOurs: r?.ours ?? Number.NaN,
    unaccounted: r ? sent - r.delivered - r.kernel - r.iface - r.ours : Number.NaN,
    cpuMs: r ? Math.round(r.cpuMs) : Number.NaN,
    cpuNsPerPacket: r ? Math.round((r.cpuMs * 1e6) / Math.max(r.delivered, 1)) : Number.NaN,
    peakRssMiB: r ? Math.round(r.peakRssKiB / 1024) : Number.NaN,
    closeMs: r ? Math.round(r.closeMs) : Number.NaN,
    closedCleanly: closedCleanly ? "yes" : `no (${signal ? `killed: ${signal} after 15 s` : `exit ${code}`})`,
    stderr: err.trim().split("\n").slice(-3).join(" | "),
  };
}

function setUpLab() {
  const id = `${process.pid}-${randomBytes(2).toString("hex")}`;
  const lab = {
    nsA: `heimdal-bench-${id}-a`,
    nsB: `heimdal-bench-${id}-b`,
    ifA: `hb${id.slice(-4)}a`,
    ifB: `hb${id.slice(-4)}b`,
  };
  sh("ip", ["netns", "add", lab.nsA]);
  sh("ip", ["netns", "add", lab.nsB]);
  sh("ip", ["link", "add", lab.ifA, "netns", lab.nsA, "type", "veth", "peer", "name", lab.ifB, "netns", lab.nsB]);
  for (const [ns, dev] of [
    [lab.nsA, lab.ifA],
    [lab.nsB, lab.ifB],
  ]) {
    // No IPv6 and no addresses: the only packets on the link are the ones we send.
    sh("ip", [
      "netns",
      "exec",
      ns,
      "sysctl",
      "-q",
      "-w",
      "net.ipv6.conf.all.disable_ipv6=1",
      "net.ipv6.conf.default.disable_ipv6=1",
    ]);
    sh("ip", ["-n", ns, "link", "set", dev, "up"]);
  }
  const mac = sh("ip", ["netns", "exec", lab.nsA, "cat", `/sys/class/net/${lab.ifA}/address`]).trim();
  lab.macA = Uint8Array.from(mac.split(":").map((h) => Number.parseInt(h, 16)));
  return lab;
}

function tearDownLab(lab) {
  for (const ns of [lab.nsA, lab.nsB]) spawnSync("ip", ["netns", "del", ns]);
}

function printTable(rows) {
  const columns = [
    ["implementation", (r) => r.impl],
    ["sent", (r) => r.sent],
    ["send pps", (r) => r.sendPps],
    ["delivered", (r) => r.delivered],
    ["capture pps", (r) => r.capturePps],
    ["kernel drop", (r) => r.droppedKernel],
    ["if drop", (r) => r.droppedIface],
    ["our drop", (r) => r.droppedOurs],
    ["unaccounted", (r) => r.unaccounted],
    ["CPU ms", (r) => r.cpuMs],
    ["CPU ns/packet", (r) => r.cpuNsPerPacket],
    ["peak RSS MiB", (r) => r.peakRssMiB],
    ["close ms", (r) => r.closeMs],
    ["closed cleanly", (r) => r.closedCleanly],
  ];
  const measured = rows.filter((r) => !r.failed);
  const cells = measured.map((r) => columns.map(([, get]) => String(get(r))));
  const widths = columns.map(([name], i) => Math.max(name.length, ...cells.map((c) => c[i].length)));
  const line = (values) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(columns.map(([name]) => name)));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const c of cells) console.log(line(c));
  for (const r of measured) if (r.stderr) console.log(`${r.impl} stderr: ${r.stderr}`);
  for (const r of rows) if (r.failed) console.log(`${r.impl}: ${r.failed}`);
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--child") return child(args[1], args[2]);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const packets = Number(option("--packets", "1000000"));
  const impls = option("--impl", "heimdal,heimdal-immediate,node-pcap").split(",");
  if (!Number.isInteger(packets) || packets < 1000 || packets % 1000 !== 0) {
    throw new Error(`--packets is ${option("--packets")}; expected a positive multiple of 1000`);
  }
  if (process.getuid?.() !== 0) throw new Error("capture-load needs root (network namespaces and raw capture)");
  if (spawnSync("tcpreplay", ["-V"]).error)
    throw new Error('"tcpreplay" is not installed (bash scripts/system-packages.sh)');
  ensureBuilt();

  const scratch = mkdtempSync(join(tmpdir(), "heimdal-capture-load-"));
  const lab = setUpLab();
  const cleanup = () => {
    tearDownLab(lab);
    rmSync(scratch, { recursive: true, force: true });
  };
  process.once("SIGINT", () => {
    cleanup();
    process.exit(130);
  });
  try {
    const file = join(scratch, "load.pcap");
    writeFileSync(file, pcapFile(Array.from({ length: 1000 }, (_, i) => udpFrame(i, lab.macA))));
    const rows = [];
    for (const impl of impls) {
      console.error(`bench: ${impl}: ${packets} packets at top speed over veth`);
      rows.push(await measure(impl, lab, file, packets / 1000));
    }
    console.log(
      `capture-load: ${packets} packets (UDP, 60-571 bytes) over veth, tcpreplay --topspeed; ` +
        `Node ${process.version}, ${sh("uname", ["-r"]).trim()}, ${execFileSync("nproc").toString().trim()} cores`,
    );
    if (args.includes("--json")) console.log(JSON.stringify(rows, null, 2));
    else printTable(rows);
  } finally {
    cleanup();
  }
}

main().catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
