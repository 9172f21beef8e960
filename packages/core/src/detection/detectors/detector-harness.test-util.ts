import { PacketPipeline } from "../../analyze/packet-pipeline.js";
import { UNKNOWN_TYPE } from "../../discovery/device-classifier.js";
import { NO_VENDORS } from "../../discovery/vendor-lookup.js";
import {
  dnsMessage,
  ethernetFrame,
  icmpEcho,
  ipv4Packet,
  ipv4Rdata,
  tcpSegment,
  udpDatagram,
} from "../../simulate/frame-builder.js";
import { replayFrames } from "../../test-support/replay-frames.test-util.js";
import type { Alert } from "../alert.js";
import type { DetectorFactory } from "../detector.js";

export const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
export const GATEWAY = { mac: 0x0024b2000001, ip: ip(192, 168, 1, 1) };
export const LAPTOP = { mac: 0xf8bc12000001, ip: ip(192, 168, 1, 20) };
export const T0 = Date.UTC(2026, 10, 2, 9, 0, 0) * 1000;
export type Frame = [number, Uint8Array];
export interface Host {
  mac: number;
  ip: number;
}

/** A TCP segment with the given flags from one host's MAC to another's, addresses given apart (spoofed or routed). */
export const tcpFrame = (
  from: Host,
  to: Host,
  srcIp: number,
  dstIp: number,
  sport: number,
  dport: number,
  flags: number,
): Uint8Array =>
  ethernetFrame(
    to.mac,
    from.mac,
    0x0800,
    ipv4Packet(
      { src: srcIp, dst: dstIp, protocol: 6 },
      tcpSegment(srcIp, dstIp, { srcPort: sport, dstPort: dport, seq: 1, ack: 0, flags }),
    ),
  );

/** A lookup from the laptop to the gateway and its answer (rcode 3 = NXDOMAIN). */
export function lookup(
  time: number,
  name: string,
  type = 1,
  rcode = 0,
  answers: { type: number; data: Uint8Array }[] = [],
): Frame[] {
  const query = dnsMessage(7, 0x0100, [{ name, type }]);
  const response = dnsMessage(
    7,
    0x8180 | rcode,
    [{ name, type }],
    rcode === 0
      ? answers.length > 0
        ? answers.map((a) => ({ name, ...a }))
        : [{ name, type: 1, data: ipv4Rdata(ip(93, 184, 216, 34)) }]
      : [],
  );
  const udp = (src: number, dst: number, sp: number, dp: number, payload: Uint8Array) =>
    ipv4Packet({ src, dst, protocol: 17 }, udpDatagram(src, dst, sp, dp, payload));
  return [
    [time, ethernetFrame(GATEWAY.mac, LAPTOP.mac, 0x0800, udp(LAPTOP.ip, GATEWAY.ip, 40000, 53, query))],
    [time + 300, ethernetFrame(LAPTOP.mac, GATEWAY.mac, 0x0800, udp(GATEWAY.ip, LAPTOP.ip, 53, 40000, response))],
  ];
}

export function echo(time: number, type: 0 | 8, peer: number, seq: number, payload: Uint8Array): Frame {
  const request = type === 8;
  const packet = ipv4Packet(
    { src: request ? LAPTOP.ip : peer, dst: request ? peer : LAPTOP.ip, protocol: 1 },
    icmpEcho(type, 77, seq, payload),
  );
  return request
    ? [time, ethernetFrame(GATEWAY.mac, LAPTOP.mac, 0x0800, packet)]
    : [time, ethernetFrame(LAPTOP.mac, GATEWAY.mac, 0x0800, packet)];
}

export function runDetectors(frames: Frame[], detectors: DetectorFactory[], sensitivity = 0.5): Alert[] {
  const pipeline = new PacketPipeline({
    classifier: { classify: () => ({ type: UNKNOWN_TYPE, model: null, os: null }) },
    vendors: NO_VENDORS,
    detection: { detectors, sensitivity: { global: sensitivity } },
  });
  replayFrames(pipeline, frames);
  pipeline.finish();
  return [...pipeline.detectionEngine.alerts()];
}

/** Deterministic pseudo-random bytes (xorshift). */
export function randomBytes(seed: number, length: number): Uint8Array {
  let x = seed | 1;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}
