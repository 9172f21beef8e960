import { formatIpv4, formatMac, isGroupMac, isPrivateIpv4 } from "../../packet/address.js";
import type { DecodedPacket } from "../../packet/decoded-packet.js";
import type { Severity } from "../alert.js";
import type { Detector, DetectorContext } from "../detector.js";

/**
 * host_sweep: one sender looking for which addresses are alive, by ARP requests to many
 * distinct IPs (an ARP scan of the LAN) or ICMP echo, timestamp or address-mask requests to
 * many distinct hosts (a ping sweep). A separate type from port_scan: a sweep finds hosts, a
 * scan then finds their services.
 *
 * Benign look-alikes left out: DHCP address probes (sender IP 0.0.0.0, RFC 5227), gratuitous
 * ARP (sender IP == target IP), the sensor's own discovery, and the router, which ARPs for
 * every client it forwards to (it needs four times the evidence and alerts as "low").
 */

/** Slips counts 5 IPs in 30 s; a phone waking up ARPs for the gateway, DNS and a few peers, so we need more. */
const WINDOW_US = 30e6;
const MAX_SENDERS = 1024;
const MAX_TARGETS = 1024;
const SAMPLES = 10;

/** Distinct targets in 30 s that make a sweep: 32 at sensitivity 0, 16 at 0.5, 6 at 1 (ARP); ICMP 20 / 10 / 4. */
export function hostSweepThresholds(sensitivity: number): { arp: number; icmp: number } {
  return {
    arp: Math.max(6, Math.round(32 * (1 - sensitivity))),
    icmp: Math.max(4, Math.round(20 * (1 - sensitivity))),
  };
}

interface Sweep {
  kind: "arp" | "icmp";
  sender: number;
  mac: number;
  threshold: number;
  gateway: boolean;
  targets: Set<number>;
  internalTargets: number;
  samples: number[];
  windowStartUs: number;
  firstUs: number;
  lastUs: number;
  dropped: number;
  alerted: boolean;
}

function forgetIdle(map: Map<number, Sweep>, nowUs: number): void {
  for (const [k, s] of map) if (nowUs - s.lastUs > 2 * WINDOW_US) map.delete(k);
}

export function hostSweepDetector(context: DetectorContext): Detector {
  // ARP sweeps per sender MAC, ICMP sweeps per sender IPv4.
  const arp = new Map<number, Sweep>();
  const icmp = new Map<number, Sweep>();

  function sweep(map: Map<number, Sweep>, kind: "arp" | "icmp", key: number, p: DecodedPacket): Sweep | undefined {
    let s = map.get(key);
    if (s) return s;
    if (map.size >= MAX_SENDERS) {
      for (const [k, old] of map) if (p.timestampUs - old.lastUs > WINDOW_US) map.delete(k);
      if (map.size >= MAX_SENDERS) return undefined;
    }
    const state = context.devices.get(p.srcMac);
    const gateway = state?.role === "gateway";
    const thresholds = hostSweepThresholds(context.sensitivity("host_sweep", state?.id ?? null));
    const base = kind === "arp" ? thresholds.arp : thresholds.icmp;
    s = {
      kind,
      sender: kind === "arp" ? p.arpSenderIp : p.srcIp4,
      mac: p.srcMac,
      threshold: gateway ? base * 4 : base,
      gateway,
      targets: new Set(),
      internalTargets: 0,
      samples: [],
      windowStartUs: p.timestampUs,
      firstUs: p.timestampUs,
      lastUs: p.timestampUs,
      dropped: 0,
      alerted: false,
    };
    map.set(key, s);
    return s;
  }

  function add(s: Sweep, target: number, nowUs: number): void {
    if (nowUs - s.windowStartUs > WINDOW_US) {
      s.windowStartUs = nowUs;
      s.firstUs = nowUs;
      s.targets.clear();
      s.samples.length = 0;
      s.internalTargets = 0;
      s.alerted = false;
    }
    s.lastUs = nowUs;
    if (s.targets.has(target)) return;
    if (s.targets.size >= MAX_TARGETS) {
      s.dropped++;
      return;
    }
    s.targets.add(target);
    if (isPrivateIpv4(target)) s.internalTargets++;
    if (s.samples.length < SAMPLES) s.samples.push(target);
    if (!s.alerted && s.targets.size >= s.threshold) {
      s.alerted = true;
      raise(s, nowUs);
    }
  }

  function raise(s: Sweep, nowUs: number): void {
    const state = context.devices.get(s.mac);
    const name = [...(state?.hostnames.values() ?? [])][0]?.name;
    const who = name ? `Device "${name}" (${formatIpv4(s.sender)})` : `Device ${formatIpv4(s.sender)}`;
    const count = s.targets.size;
    const seconds = Math.max(1, Math.round((nowUs - s.firstUs) / 1e6));
    const internal = s.internalTargets * 2 >= count;
    const how = s.kind === "arp" ? "ARP requests" : "pings";
    let severity: Severity = count >= 64 && internal ? "high" : internal ? "medium" : "low";
    if (s.gateway) severity = "low";
    const local = s.kind === "arp" || isPrivateIpv4(s.sender);
    context.raise({
      type: "host_sweep",
      severity,
      confidence: Math.round(Math.min(0.95, 0.6 + (0.1 * count) / s.threshold) * 100) / 100,
      deviceId: local ? (state?.id ?? null) : null,
      mac: local ? formatMac(s.mac) : null,
      time: Math.floor(nowUs / 1000),
      firstEvidence: Math.floor(s.firstUs / 1000),
      key: `${local ? formatMac(s.mac) : formatIpv4(s.sender)}|${s.kind}`,
      description: `${who} sent ${how} to ${count} different ${internal ? "addresses on this network" : "internet addresses"} in ${seconds} seconds: this is how attackers map which devices are present before attacking them.`,
      normal: s.gateway
        ? "The router looks up the addresses of devices it forwards traffic to, a few at a time."
        : "A device normally looks up only the router and the few devices it talks to.",
      observed: `${how} to ${count} distinct addresses within ${seconds} s.`,
      evidence: {
        kind: s.kind,
        source: formatIpv4(s.sender),
        targets: count,
        sampleHosts: s.samples.map(formatIpv4),
        destination: formatIpv4(s.samples[0] ?? 0),
        windowSeconds: seconds,
        droppedTargets: s.dropped,
      },
    });
  }

  return {
    type: "host_sweep",
    onPacket(p) {
      if (p.isArp) {
        // Requests only; DHCP probes (sender 0.0.0.0) and gratuitous announcements are not sweeps.
        if (p.arpOperation !== 1 || p.arpSenderIp === 0 || p.arpSenderIp === p.arpTargetIp) return;
        if (context.isSensor(p.srcMac) || context.isSensor(p.arpSenderMac)) return;
        const s = sweep(arp, "arp", p.srcMac, p);
        if (s) add(s, p.arpTargetIp, p.timestampUs);
        return;
      }
      // ICMP echo (8), timestamp (13) and address mask (17) requests.
      if (p.protocol !== 1 || p.ipVersion !== 4) return;
      const type = p.icmpType;
      if (type !== 8 && type !== 13 && type !== 17) return;
      if (isGroupMac(p.dstMac) || (p.dstIp4 & 0xff) === 0xff || context.isSensor(p.srcMac)) return;
      const s = sweep(icmp, "icmp", p.srcIp4, p);
      if (s) add(s, p.dstIp4, p.timestampUs);
    },
    tick(nowUs) {
      // Ticks come every second of packet time: nothing allocated, and empty maps not walked.
      if (arp.size > 0) forgetIdle(arp, nowUs);
      if (icmp.size > 0) forgetIdle(icmp, nowUs);
    },
  };
}
