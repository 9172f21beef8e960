import type { DeviceState } from "../../discovery/device-map.js";
import { formatIpv4, formatMac } from "../../packet/address.js";
import type { DecodedPacket } from "../../packet/decoded-packet.js";
import type { Detector, DetectorContext, DetectorFactory } from "../detector.js";

const ICMP = 1;
const ECHO_REQUEST = 8;
const ECHO_REPLY = 0;
/** Echoes per host pair per window. */
const WINDOW_US = 60e6;
const MAX_PAIRS = 4096;

interface PairState {
  deviceId: string;
  mac: number;
  peer: number;
  startUs: number;
  packets: number;
  bytes: number;
  sizes: Set<number>;
  highEntropy: number;
  ipInside: number;
  samples: { size: number; entropy: number }[];
  raisedUs: number;
}

const counts = new Uint16Array(256);

/** Byte entropy in bits per byte, over at most the first 1,024 bytes. */
export function byteEntropy(data: Uint8Array, offset: number, length: number): number {
  const n = Math.min(length, 1024);
  if (n <= 0) return 0;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[data[offset + i]!]!++;
  let h = 0;
  for (let i = 0; i < 256; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/** An IPv4 header at the start of the payload: version 4, IHL ≥ 5, total length plausible. */
export function looksLikeIpv4(data: Uint8Array, offset: number, length: number): boolean {
  if (length < 20) return false;
  const vihl = data[offset]!;
  if (vihl >> 4 !== 4 || (vihl & 15) < 5) return false;
  const total = (data[offset + 2]! << 8) | data[offset + 3]!;
  return total >= 20 && total <= 65535 && total <= length + 64;
}

/** Echoes in a window that make an alert: 40 at sensitivity 0, 20 at 0.5, 5 at 1. */
export function icmpEchoCount(sensitivity: number): number {
  return Math.max(5, Math.round(40 - 40 * sensitivity));
}

/**
 * icmp_tunneling: per host pair, echo payloads that vary in size and carry high-entropy or
 * IP-in-ICMP data. Ordinary ping sends one size and a fixed or counting pattern (entropy ≤ 6
 * bits/byte over 56 bytes); tunnels (ptunnel, icmpsh, hans) vary sizes and carry encrypted or
 * encapsulated packets.
 */
export function icmpTunnelingDetector(): DetectorFactory {
  return (context: DetectorContext): Detector => {
    const pairs = new Map<string, PairState>();
    return {
      type: "icmp_tunneling",
      onPacket(p: DecodedPacket, data: Uint8Array, sender: DeviceState | undefined): void {
        if (p.protocol !== ICMP || (p.icmpType !== ECHO_REQUEST && p.icmpType !== ECHO_REPLY)) return;
        // The device is the LAN end: the sender of requests, the receiver of replies.
        const device = p.icmpType === ECHO_REQUEST ? sender : context.devices.get(p.dstMac);
        if (!device) return;
        if (context.isSensor(device.mac) || device.role === "sensor" || device.role === "gateway") return;
        const peer = p.icmpType === ECHO_REQUEST ? p.dstIp4 : p.srcIp4;
        const key = `${device.id}|${peer}`;
        const now = p.timestampUs;
        let state = pairs.get(key);
        if (!state || now - state.startUs > WINDOW_US) {
          if (!state && pairs.size >= MAX_PAIRS) pairs.clear();
          state = {
            deviceId: device.id,
            mac: device.mac,
            peer,
            startUs: now,
            packets: 0,
            bytes: 0,
            sizes: new Set(),
            highEntropy: 0,
            ipInside: 0,
            samples: [],
            raisedUs: state?.raisedUs ?? Number.NEGATIVE_INFINITY,
          };
          pairs.set(key, state);
        }
        // The payload after the 8-byte echo header.
        const at = p.payloadOffset;
        const length = p.payloadCapturedLength;
        state.packets++;
        state.bytes += p.payloadLength;
        if (state.sizes.size < 64) state.sizes.add(p.payloadLength);
        const entropy = byteEntropy(data, at, length);
        // A 64-byte random payload reaches about 5.6 bits/byte; 56-byte ping patterns stay under 5.
        const threshold = length >= 256 ? 7 : length >= 64 ? 5.4 : 8;
        if (entropy >= threshold) state.highEntropy++;
        if (looksLikeIpv4(data, at, length)) state.ipInside++;
        if (state.samples.length < 5)
          state.samples.push({ size: p.payloadLength, entropy: Math.round(entropy * 100) / 100 });
        const sensitivity = context.sensitivity("icmp_tunneling", device.id);
        const needed = icmpEchoCount(sensitivity);
        if (state.packets < needed || now - state.raisedUs < WINDOW_US) return;
        const varied = state.sizes.size >= Math.max(3, state.packets / 10);
        const structured = state.highEntropy >= state.packets / 2 || state.ipInside >= state.packets / 4;
        if (!varied || !structured) return;
        state.raisedUs = now;
        const mac = formatMac(state.mac);
        const peerText = formatIpv4(peer);
        context.raise({
          type: "icmp_tunneling",
          severity: state.ipInside > 0 || state.bytes > 100_000 ? "high" : "medium",
          confidence: Math.min(0.95, 0.5 + state.highEntropy / (2 * state.packets) + (state.ipInside > 0 ? 0.2 : 0)),
          deviceId: state.deviceId,
          mac,
          time: Math.floor(now / 1000),
          firstEvidence: Math.floor(state.startUs / 1000),
          key: `${mac}|${peerText}`,
          description: `This device is exchanging ping packets with ${peerText} that carry changing, scrambled data, which is how programs smuggle traffic through ping.`,
          normal: "Ordinary ping sends a few packets of one fixed size with a fixed or counting pattern.",
          observed: `${state.packets} echo packets in ${Math.round((now - state.startUs) / 1e6)} s with ${state.sizes.size} different sizes, ${state.highEntropy} high-entropy, ${state.ipInside} carrying an IP header.`,
          evidence: {
            destination: peerText,
            packets: state.packets,
            payloadBytes: state.bytes,
            distinctSizes: state.sizes.size,
            highEntropyPayloads: state.highEntropy,
            ipHeaderPayloads: state.ipInside,
            samples: state.samples,
          },
        });
      },
      tick(nowUs: number): void {
        // Ticks come every second of packet time: an empty map is not walked.
        if (pairs.size === 0) return;
        for (const [key, state] of pairs) if (nowUs - state.startUs > 2 * WINDOW_US) pairs.delete(key);
      },
    };
  };
}
