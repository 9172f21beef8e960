import { formatIpv4, formatMac, isGroupMac, isPrivateIpv4 } from "../../packet/address.js";
import type { DecodedPacket } from "../../packet/decoded-packet.js";
import type { Severity } from "../alert.js";
import type { Detector, DetectorContext } from "../detector.js";

/**
 * port_scan: one source probing many ports on one host (vertical) or one port on many hosts
 * (horizontal), over TCP (SYN, connect, FIN, NULL, XMAS…) or UDP, inbound or outbound.
 *
 * A probe counts as failed when the target answers with a RST or an ICMP unreachable, or does
 * not answer within ANSWER_TIMEOUT_US; TCP segments with flag combinations no stack sends on
 * its own (FIN, NULL, XMAS without ACK) fail at once and count double. Only distinct
 * (host, protocol, port) failures count, so a browser's many connections to one host and
 * port, and the retries of one failing connection, count once. Counting is streaming per
 * source address in windows of WINDOW_US that open at the source's first failure; an alert
 * is raised at the failure that crosses the threshold, so time to detect is the time the
 * scanner needs to reach it plus at most the answer timeout.
 */

/** A probe with no answer after this long failed (nmap's default initial RTT timeout is 1 s). */
const ANSWER_TIMEOUT_US = 3e6;
/** Evidence window per source; Zeek uses 5-minute epochs, we want seconds. */
const WINDOW_US = 60e6;
/** Bounds: sources tracked, probes awaiting an answer and failures kept per source. */
const MAX_SOURCES = 2048;
const MAX_PENDING = 4096;
const MAX_FAILED = 8192;
const SAMPLES = 10;

/** UDP services whose traffic fans out by design (DNS, DHCP, NTP, NetBIOS, SSDP, mDNS, LLMNR, WS-Discovery, Tuya, TP-Link, QUIC…): never probes. */
const BENIGN_UDP = new Set([53, 67, 68, 123, 137, 138, 443, 1900, 3702, 5353, 5355, 6666, 6667, 9999, 20002]);
/** Client ports a device legitimately opens to many internet hosts: horizontal needs more evidence there. */
const BUSY_INTERNET_PORTS = new Set([80, 443, 853, 8080, 8443, 5228, 5223, 993, 587]);

/** Ports IoT worms (Mirai and its descendants) probe across the internet: telnet, SSH, ADB, TR-069, Huawei HG532, Realtek, DVR admin. */
const WORM_PORTS = new Set([22, 23, 2222, 2323, 5555, 7547, 37215, 52869, 9527, 81]);
/** Weighted distinct internet hosts (telnet 3, other service ports 1, ephemeral ports ½) that make a worm-like sweep, × horizontal. */
const INTERNET_SWEEP_FACTOR = 0.75;

const TWO_16 = 65536;
const TWO_17 = 131072;

interface Count {
  /** Distinct failures, weighted (an odd-flag probe counts 2). */
  weight: number;
  distinct: number;
  firstUs: number;
  lastUs: number;
  samples: number[];
  alerted: boolean;
}

interface SourceTracker {
  ip: number;
  mac: number;
  local: boolean;
  gateway: boolean;
  vertical: number;
  horizontal: number;
  /** Probe key → time sent. */
  pending: Map<number, number>;
  /** Failed probe keys in this window. */
  failed: Set<number>;
  perHost: Map<number, Count>;
  /** protocol bit × 65536 + port → count. */
  perPort: Map<number, Count>;
  /** Distinct internet hosts failed on any non-web TCP port (a worm's random-address sweep). */
  internetHosts: Count;
  windowStartUs: number;
  successes: number;
  oddProbes: number;
  dropped: number;
  lastUs: number;
}

/** Probe key: target IPv4 × 2^17 + (UDP ? 2^16 : 0) + port, exact below 2^49. */
function probeKey(target: number, udp: boolean, port: number): number {
  return target * TWO_17 + (udp ? TWO_16 : 0) + port;
}

/** Thresholds monotone in sensitivity: 24 ports / 40 hosts at 0, 12 / 20 at 0.5, 4 / 6 at 1. */
export function portScanThresholds(sensitivity: number): { vertical: number; horizontal: number } {
  return {
    vertical: Math.max(4, Math.round(24 * (1 - sensitivity))),
    horizontal: Math.max(6, Math.round(40 * (1 - sensitivity))),
  };
}

export function portScanDetector(context: DetectorContext): Detector {
  const sources = new Map<number, SourceTracker>();
  let droppedSources = 0;

  function tracker(p: DecodedPacket): SourceTracker | undefined {
    let t = sources.get(p.srcIp4);
    if (t) return t;
    if (sources.size >= MAX_SOURCES) {
      evictIdle(p.timestampUs);
      if (sources.size >= MAX_SOURCES) {
        droppedSources++;
        return undefined;
      }
    }
    const local = isPrivateIpv4(p.srcIp4);
    const state = local ? context.devices.get(p.srcMac) : undefined;
    const gateway = state?.role === "gateway";
    const thresholds = portScanThresholds(context.sensitivity("port_scan", state?.id ?? null));
    // A router's own traffic (DNS forwarding, NAT keep-alives) is busier: twice the evidence.
    const factor = gateway ? 2 : 1;
    t = {
      ip: p.srcIp4,
      mac: p.srcMac,
      local,
      gateway,
      vertical: thresholds.vertical * factor,
      horizontal: thresholds.horizontal * factor,
      pending: new Map(),
      failed: new Set(),
      perHost: new Map(),
      perPort: new Map(),
      internetHosts: newCount(p.timestampUs),
      windowStartUs: -1,
      successes: 0,
      oddProbes: 0,
      dropped: 0,
      lastUs: p.timestampUs,
    };
    sources.set(p.srcIp4, t);
    return t;
  }

  function evictIdle(nowUs: number): void {
    for (const [ip, t] of sources) {
      if (t.pending.size === 0 && nowUs - t.lastUs > WINDOW_US) sources.delete(ip);
    }
  }

  function probe(t: SourceTracker, key: number, nowUs: number): void {
    t.lastUs = nowUs;
    if (t.failed.has(key)) return;
    const sent = t.pending.get(key);
    if (sent !== undefined) {
      // A SYN retransmitted: the sender's own stack gave up waiting for an answer (~1 s, RFC 6298).
      if (nowUs - sent >= 900e3 && key % TWO_17 < TWO_16) {
        t.pending.delete(key);
        fail(t, key, sent, nowUs, 1);
      }
      return;
    }
    if (t.pending.size >= MAX_PENDING) {
      t.dropped++;
      return;
    }
    t.pending.set(key, nowUs);
  }

  function fail(t: SourceTracker, key: number, probeUs: number, nowUs: number, weight: number): void {
    if (t.windowStartUs < 0 || nowUs - t.windowStartUs > WINDOW_US) openWindow(t, nowUs);
    if (t.failed.has(key)) return;
    if (t.failed.size >= MAX_FAILED) {
      t.dropped++;
      return;
    }
    t.failed.add(key);
    const host = Math.floor(key / TWO_17);
    const portKey = key - host * TWO_17;
    const byHost = bump(t.perHost, host, portKey, probeUs, nowUs, weight);
    const byPort = bump(t.perPort, portKey, host, probeUs, nowUs, weight);
    if (!byHost.alerted && byHost.weight >= t.vertical && byHost.distinct >= 3) {
      byHost.alerted = true;
      raise(t, "vertical", host, byHost, nowUs);
    }
    const internet = !isPrivateIpv4(host);
    const needed = t.local && internet && BUSY_INTERNET_PORTS.has(portKey % TWO_16) ? t.horizontal * 3 : t.horizontal;
    if (!byPort.alerted && byPort.weight >= needed && byPort.distinct >= 3) {
      byPort.alerted = true;
      raise(t, "horizontal", portKey, byPort, nowUs);
    }
    // A worm tries one or two ports on each random address: count hosts across ports, weighted.
    if (t.local && internet && portKey < TWO_16 && !BUSY_INTERNET_PORTS.has(portKey) && byHost.distinct === 1) {
      const sweep = t.internetHosts;
      bumpCount(sweep, host, probeUs, nowUs, WORM_PORTS.has(portKey) ? 3 : portKey >= 10000 ? 0.5 : 1);
      if (
        !sweep.alerted &&
        !byPort.alerted &&
        sweep.weight >= t.horizontal * INTERNET_SWEEP_FACTOR &&
        sweep.distinct >= 3
      ) {
        sweep.alerted = true;
        raise(t, "horizontal", busiestPort(t), sweep, nowUs);
      }
    }
  }

  function busiestPort(t: SourceTracker): number {
    let best = 0;
    let most = -1;
    for (const [k, c] of t.perPort) {
      if (c.distinct > most) {
        most = c.distinct;
        best = k;
      }
    }
    return best;
  }

  function openWindow(t: SourceTracker, nowUs: number): void {
    t.windowStartUs = nowUs;
    t.failed.clear();
    t.perHost.clear();
    t.perPort.clear();
    t.internetHosts = newCount(nowUs);
    t.successes = 0;
    t.oddProbes = 0;
  }

  function raise(t: SourceTracker, kind: "vertical" | "horizontal", target: number, count: Count, nowUs: number): void {
    const state = t.local ? context.devices.get(t.mac) : undefined;
    const actorName = t.local ? deviceName(state, t.ip) : formatIpv4(t.ip);
    const seconds = Math.max(1, Math.round((count.lastUs - count.firstUs) / 1e6));
    const formatPort = (k: number) => `${k >= TWO_16 ? "udp" : "tcp"}/${k % TWO_16}`;
    let severity: Severity;
    let description: string;
    let observed: string;
    const evidence: Record<string, unknown> = {
      kind,
      direction: t.local
        ? kind === "vertical"
          ? isPrivateIpv4(target)
            ? "lan"
            : "outbound"
          : "outbound"
        : "inbound",
      source: formatIpv4(t.ip),
      failedProbes: count.distinct,
      weightedEvidence: count.weight,
      oddFlagProbes: t.oddProbes,
      answered: t.successes,
      windowSeconds: seconds,
      droppedTargets: t.dropped,
      droppedSources,
    };
    if (kind === "vertical") {
      const internal = isPrivateIpv4(target);
      const targetState = internal ? context.devices.stateForIp(formatIpv4(target)) : undefined;
      const targetName = internal ? deviceName(targetState, target) : formatIpv4(target);
      severity = !t.local ? "medium" : internal ? (count.distinct >= 100 ? "high" : "medium") : "medium";
      description = `${actorName} tried ${count.distinct.toLocaleString("en-US")} ports on ${targetName} in ${seconds} seconds: this is how attackers look for weak services.`;
      observed = `${count.distinct} distinct ports on ${formatIpv4(target)} failed (refused or unanswered) within ${seconds} s.`;
      evidence.destination = formatIpv4(target);
      evidence.samplePorts = count.samples.map(formatPort);
    } else {
      const internal = isPrivateIpv4(count.samples[0] ?? 0);
      severity = t.local ? "high" : "medium";
      description = `${actorName} tried ${formatPort(target)} on ${count.distinct.toLocaleString("en-US")} ${internal ? "devices on this network" : "internet addresses"} in ${seconds} seconds: this is how attackers and worms look for vulnerable machines.`;
      observed = `${count.distinct} distinct hosts failed on ${formatPort(target)} within ${seconds} s.`;
      evidence.port = formatPort(target);
      evidence.sampleHosts = count.samples.map(formatIpv4);
    }
    if (t.gateway) severity = "low";
    const ratio = count.weight / Math.max(t.vertical, t.horizontal);
    const confidence = Math.min(0.99, 0.6 + 0.1 * Math.min(3, ratio) + (t.oddProbes > 0 ? 0.1 : 0));
    context.raise({
      type: "port_scan",
      severity,
      confidence: Math.round(confidence * 100) / 100,
      deviceId: state?.id ?? null,
      mac: t.local ? formatMac(t.mac) : null,
      time: Math.floor(nowUs / 1000),
      firstEvidence: Math.floor(count.firstUs / 1000),
      key: `${t.local ? formatMac(t.mac) : formatIpv4(t.ip)}|${kind}`,
      description,
      normal: normalFor(t),
      observed,
      evidence,
    });
  }

  function normalFor(t: SourceTracker): string {
    if (!t.local) return "Internet hosts do not normally reach devices on this network directly.";
    if (t.gateway) return "The router forwards traffic but seldom opens connections to many ports or hosts itself.";
    return "Ordinary devices connect to a few services, usually many times to the same host and port.";
  }

  function tcp(p: DecodedPacket): void {
    const flags = p.tcpFlags;
    // SYN+ACK or RST: an answer to a probe the other side sent.
    if ((flags & 0x12) === 0x12 || (flags & 0x04) !== 0) {
      const t = sources.get(p.dstIp4);
      if (t === undefined) return;
      const key = probeKey(p.srcIp4, false, p.srcPort);
      const sent = t.pending.get(key);
      if (sent === undefined) return;
      t.pending.delete(key);
      if ((flags & 0x04) !== 0) fail(t, key, sent, p.timestampUs, 1);
      else t.successes++;
      return;
    }
    if ((flags & 0x10) !== 0) return; // ACK set: an established conversation
    if (context.isSensor(p.srcMac) || isGroupMac(p.dstMac)) return;
    const t = tracker(p);
    if (t === undefined) return;
    const key = probeKey(p.dstIp4, false, p.dstPort);
    if ((flags & 0x3f) === 0x02) {
      probe(t, key, p.timestampUs);
      return;
    }
    // No ACK and not a plain SYN: FIN, NULL, XMAS, SYN+FIN… no stack sends these unprompted.
    t.lastUs = p.timestampUs;
    t.pending.delete(key);
    if (!t.failed.has(key)) t.oddProbes++;
    fail(t, key, p.timestampUs, p.timestampUs, 2);
  }

  function udp(p: DecodedPacket): void {
    const answered = sources.get(p.dstIp4);
    if (answered?.pending.delete(probeKey(p.srcIp4, true, p.srcPort))) {
      answered.successes++;
      return;
    }
    const dport = p.dstPort;
    if (BENIGN_UDP.has(dport) || BENIGN_UDP.has(p.srcPort)) return;
    // A server's answer whose request we missed, broadcasts and multicast: not probes.
    if ((p.srcPort < 1024 && dport >= 1024) || isGroupMac(p.dstMac) || (p.dstIp4 & 0xff) === 0xff) return;
    if (context.isSensor(p.srcMac)) return;
    const t = tracker(p);
    if (t !== undefined) probe(t, probeKey(p.dstIp4, true, dport), p.timestampUs);
  }

  /** ICMP destination unreachable: the embedded header names the probe it answers. */
  function unreachable(p: DecodedPacket, data: Uint8Array): void {
    const at = p.payloadOffset;
    if (p.payloadCapturedLength < 20) return;
    const ihl = (data[at]! & 0x0f) * 4;
    if (ihl < 20 || p.payloadCapturedLength < ihl + 4) return;
    const protocol = data[at + 9]!;
    if (protocol !== 6 && protocol !== 17) return;
    const src = ((data[at + 12]! << 24) | (data[at + 13]! << 16) | (data[at + 14]! << 8) | data[at + 15]!) >>> 0;
    const dst = ((data[at + 16]! << 24) | (data[at + 17]! << 16) | (data[at + 18]! << 8) | data[at + 19]!) >>> 0;
    const t = sources.get(src);
    if (t === undefined) return;
    const port = (data[at + ihl + 2]! << 8) | data[at + ihl + 3]!;
    const key = probeKey(dst, protocol === 17, port);
    const sent = t.pending.get(key);
    if (sent === undefined) return;
    t.pending.delete(key);
    fail(t, key, sent, p.timestampUs, 1);
  }

  return {
    type: "port_scan",
    onPacket(p, data) {
      if (p.ipVersion !== 4 || p.isLaterFragment) return;
      const protocol = p.protocol;
      if (protocol === 6) tcp(p);
      else if (protocol === 17) udp(p);
      else if (protocol === 1 && p.icmpType === 3) unreachable(p, data);
    },
    tick(nowUs) {
      // Ticks come every second of packet time: an empty map is not walked.
      if (sources.size === 0) return;
      for (const [ip, t] of sources) {
        for (const [key, sent] of t.pending) {
          // Map iteration is in insertion order, which is time order: stop at the first young probe.
          if (nowUs - sent < ANSWER_TIMEOUT_US) break;
          t.pending.delete(key);
          fail(t, key, sent, sent + ANSWER_TIMEOUT_US, 1);
        }
        if (t.pending.size === 0 && nowUs - t.lastUs > 2 * WINDOW_US) sources.delete(ip);
      }
    },
  };
}

function newCount(firstUs: number): Count {
  return { weight: 0, distinct: 0, firstUs, lastUs: firstUs, samples: [], alerted: false };
}

function bump(
  map: Map<number, Count>,
  key: number,
  sample: number,
  probeUs: number,
  nowUs: number,
  weight: number,
): Count {
  let c = map.get(key);
  if (!c) {
    c = newCount(probeUs);
    map.set(key, c);
  }
  return bumpCount(c, sample, probeUs, nowUs, weight);
}

function bumpCount(c: Count, sample: number, probeUs: number, nowUs: number, weight: number): Count {
  if (c.distinct === 0 || probeUs < c.firstUs) c.firstUs = probeUs;
  c.weight += weight;
  c.distinct++;
  if (nowUs > c.lastUs) c.lastUs = nowUs;
  if (c.samples.length < SAMPLES) c.samples.push(sample);
  return c;
}

function deviceName(state: { hostnames: Map<string, { name: string }>; mac: number } | undefined, ip: number): string {
  const name = state ? [...state.hostnames.values()][0]?.name : undefined;
  return name ? `Device "${name}" (${formatIpv4(ip)})` : `Device ${formatIpv4(ip)}`;
}
