#!/usr/bin/env node
// Profile and baseline cost: time per connection update, and heap for 10, 100 and 1,000
// devices each holding a week of history with a realistic spread of destinations and ports.
import { DeviceBaseline, DeviceProfile } from "../../packages/core/dist/index.js";

const DAY = 86_400_000;
const start = Date.UTC(2026, 10, 2);
const gc = globalThis.gc ?? (() => {});

function heapMiB() {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

/** A week of connections for one device: 400 a day over 150 destinations (a few heavy, a long tail). */
function* week(device) {
  let seed = device * 7919 + 1;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let day = 0; day < 7; day++) {
    for (let i = 0; i < 400; i++) {
      const t = start + day * DAY + Math.floor(next() * DAY);
      const heavy = next() < 0.7;
      const destination = heavy
        ? `cloud${Math.floor(next() * 5)}.example.com`
        : `site${Math.floor(next() * 150)}.example.net`;
      yield {
        start: t,
        end: t + 2000,
        protocol: next() < 0.9 ? "tcp" : "udp",
        destination,
        destinationName: `api.${destination}`,
        remoteIp: "93.184.216.34",
        remotePort: heavy ? 443 : [80, 443, 8080, 5228, 123][Math.floor(next() * 5)],
        localPort: 40000 + i,
        outbound: true,
        bytesUp: 500,
        bytesDown: 5000,
        packetsUp: 8,
        packetsDown: 10,
      };
    }
  }
}

const rows = [];
for (const devices of [10, 100, 1000]) {
  const before = heapMiB();
  const profiles = [];
  const baselines = [];
  let connections = 0;
  let packets = 0;
  const t0 = process.hrtime.bigint();
  for (let d = 0; d < devices; d++) {
    const profile = new DeviceProfile(`dev-${d}`);
    const baseline = new DeviceBaseline(`dev-${d}`);
    for (const c of week(d)) {
      profile.addConnection(c);
      baseline.addConnection(c);
      connections++;
      packets += c.packetsUp + c.packetsDown;
    }
    profiles.push(profile);
    baselines.push(baseline);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const summaryStart = process.hrtime.bigint();
  for (const b of baselines) b.summary(start + 7 * DAY);
  const summaryMs = Number(process.hrtime.bigint() - summaryStart) / 1e6;
  const heap = heapMiB() - before;
  rows.push({
    devices,
    connections,
    "ns/connection": Math.round((seconds * 1e9) / connections),
    "ns/packet (18 pkts/conn)": Math.round((seconds * 1e9) / packets),
    "heap MiB (week of history)": heap.toFixed(1),
    "KiB/device": ((heap * 1024) / devices).toFixed(0),
    "all summaries ms": summaryMs.toFixed(0),
  });
  profiles.length = 0;
  baselines.length = 0;
}
console.log("\n## Profiles and baselines (a week of history per device)\n");
console.table(rows);
