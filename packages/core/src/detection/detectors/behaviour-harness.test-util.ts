/**
 * Test support for the behaviour detectors: a small home network built from real frames,
 * replayed through a real PacketPipeline (learning, then analysis). Not shipped code.
 */
import { PacketPipeline } from "../../analyze/packet-pipeline.js";
import type { DeviceClassifier } from "../../discovery/device-classifier.js";
import type { DeviceType } from "../../discovery/device-record.js";
import { NO_VENDORS } from "../../discovery/vendor-lookup.js";
import {
  dnsMessage,
  ethernetFrame,
  ipv4Packet,
  ipv4Rdata,
  tcpSegment,
  udpDatagram,
} from "../../simulate/frame-builder.js";
import { pcapBytes, replayFrames } from "../../test-support/replay-frames.test-util.js";
import type { SensitivityConfig } from "../detection-engine.js";
import type { DetectorFactory } from "../detector.js";

export const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

export interface Host {
  mac: number;
  ip: number;
}

export const GATEWAY: Host = { mac: 0x0024b2000001, ip: ip(192, 168, 1, 1) };
export const CAMERA: Host = { mac: 0x001a2b000010, ip: ip(192, 168, 1, 10) };
export const LOCK: Host = { mac: 0x001a2b000011, ip: ip(192, 168, 1, 11) };
export const PHONE: Host = { mac: 0x001a2b000012, ip: ip(192, 168, 1, 12) };
export const PLUG: Host = { mac: 0x001a2b000013, ip: ip(192, 168, 1, 13) };

const TYPES = new Map<string, DeviceType>([
  ["00:1a:2b:00:00:10", "camera"],
  ["00:1a:2b:00:00:11", "doorbell_lock"],
  ["00:1a:2b:00:00:12", "phone"],
  ["00:1a:2b:00:00:13", "plug_switch_bulb"],
]);

const classifier: DeviceClassifier = {
  classify(input) {
    const value = TYPES.get(input.mac) ?? "unknown";
    return { type: { value, confidence: 0.9, evidence: [`test:${value}`] }, model: null, os: null };
  },
};

/** Monday 2026-11-02 00:00 UTC, in microseconds. */
export const T0 = Date.UTC(2026, 10, 2, 0, 0, 0) * 1000;
export const SECOND = 1e6;
export const MINUTE = 60e6;
export const HOUR = 3600e6;
export const DAY = 86_400e6;

/** Time (µs), frame, and the wire length when the capture cut the frame short. */
export type Frame = [number, Uint8Array, number?];

function frame(from: Host, to: Host, src: number, dst: number, protocol: number, payload: Uint8Array): Uint8Array {
  return ethernetFrame(to.mac, from.mac, 0x0800, ipv4Packet({ src, dst, protocol }, payload));
}

/**
 * A TCP connection from `client` (through the gateway) to `remote`: handshake, `up` bytes of
 * payload sent in segments of at most 1400, `down` bytes back, then FIN both ways.
 */
export function tcpConnection(
  out: Frame[],
  time: number,
  client: Host,
  remote: number,
  port: number,
  up: number,
  down: number,
  srcPort = 40000 + (Math.floor(time / 1e6) % 20000),
  durationUs = 2000,
): void {
  const seg = (src: number, dst: number, sport: number, dport: number, flags: number, size: number) =>
    tcpSegment(src, dst, { srcPort: sport, dstPort: dport, seq: 1, ack: 1, flags }, new Uint8Array(size));
  const toRemote = (t: number, flags: number, size: number) =>
    out.push([t, frame(client, GATEWAY, client.ip, remote, 6, seg(client.ip, remote, srcPort, port, flags, size))]);
  const fromRemote = (t: number, flags: number, size: number) =>
    out.push([t, frame(GATEWAY, client, remote, client.ip, 6, seg(remote, client.ip, port, srcPort, flags, size))]);
  toRemote(time, 0x02, 0);
  fromRemote(time + 100, 0x12, 0);
  const upSegments = Math.ceil(up / 1400);
  const downSegments = Math.ceil(down / 1400);
  const segments = Math.max(1, upSegments + downSegments);
  const step = Math.max(1, Math.floor(durationUs / segments));
  let t = time + 200;
  for (let left = up; left > 0; left -= 1400, t += step) toRemote(t, 0x18, Math.min(1400, left));
  for (let left = down; left > 0; left -= 1400, t += step) fromRemote(t, 0x18, Math.min(1400, left));
  toRemote(t + 100, 0x11, 0);
  fromRemote(t + 200, 0x11, 0);
}

/** A UDP exchange: one datagram out, one back. */
export function udpExchange(
  out: Frame[],
  time: number,
  client: Host,
  remote: number,
  port: number,
  up = 48,
  down = 48,
) {
  out.push([
    time,
    frame(client, GATEWAY, client.ip, remote, 17, udpDatagram(client.ip, remote, 41000, port, new Uint8Array(up))),
  ]);
  out.push([
    time + 20_000,
    frame(GATEWAY, client, remote, client.ip, 17, udpDatagram(remote, client.ip, port, 41000, new Uint8Array(down))),
  ]);
}

/** `client` looks `name` up at the gateway and gets `answer`. */
export function dnsLookup(out: Frame[], time: number, client: Host, name: string, answer: number): void {
  const query = dnsMessage(7, 0x0100, [{ name, type: 1 }]);
  const response = dnsMessage(7, 0x8180, [{ name, type: 1 }], [{ name, type: 1, data: ipv4Rdata(answer) }]);
  out.push([
    time,
    frame(client, GATEWAY, client.ip, GATEWAY.ip, 17, udpDatagram(client.ip, GATEWAY.ip, 40000, 53, query)),
  ]);
  out.push([
    time + 500,
    frame(GATEWAY, client, GATEWAY.ip, client.ip, 17, udpDatagram(GATEWAY.ip, client.ip, 53, 40000, response)),
  ]);
}

export function newPipeline(detectors: DetectorFactory[], sensitivity?: SensitivityConfig): PacketPipeline {
  return new PacketPipeline({
    classifier,
    vendors: NO_VENDORS,
    detection: { detectors, ...(sensitivity ? { sensitivity } : {}) },
  });
}

export { pcapBytes };

export function replay(pipeline: PacketPipeline, frames: Frame[]): void {
  replayFrames(pipeline, frames);
}

/** A deterministic pseudo-random generator (mulberry32) for jitter. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CLOUD = ip(52, 70, 158, 224);
export const NTP = ip(129, 6, 15, 28);

/**
 * A learning week for the lock, camera and phone: hourly lookups of their clouds, a keep-alive
 * every 5 minutes, NTP every 15 minutes, the camera uploading a 2 MB clip a few times a day,
 * the phone browsing a few sites. `days` days starting at T0.
 */
export function normalWeek(days = 7, start = T0): Frame[] {
  const out: Frame[] = [];
  const random = seeded(7);
  const sites = ["news.example.org", "mail.example.net", "shop.example.com", "video.example.tv"];
  for (let t = start; t < start + days * DAY; t += 5 * MINUTE) {
    if ((t - start) % HOUR === 0) {
      dnsLookup(out, t, LOCK, "a30hje92j76kem.iot.us-west-2.amazonaws.com", CLOUD);
      dnsLookup(out, t + 1000, CAMERA, "vs-cam.u011.immedia-semi.com", ip(3, 227, 188, 171));
    }
    tcpConnection(out, t + 5 * SECOND, LOCK, CLOUD, 8883, 200, 120);
    tcpConnection(out, t + 9 * SECOND, CAMERA, ip(3, 227, 188, 171), 443, 300, 200);
    if ((t - start) % (15 * MINUTE) === 0) udpExchange(out, t + 20 * SECOND, LOCK, NTP, 123);
    if ((t - start) % (6 * HOUR) === 3 * HOUR)
      tcpConnection(out, t + 30 * SECOND, CAMERA, ip(3, 227, 188, 171), 443, 2_000_000, 20_000, 45000, 20 * SECOND);
    const hour = Math.floor(((t - start) % DAY) / HOUR);
    if (hour >= 8 && hour <= 22 && random() < 0.2) {
      const site = sites[Math.floor(random() * sites.length)]!;
      const address = ip(151, 101, 1 + Math.floor(random() * 4), 10);
      dnsLookup(out, t + 40 * SECOND, PHONE, site, address);
      tcpConnection(out, t + 41 * SECOND, PHONE, address, 443, 2000, 80_000);
    }
  }
  return out;
}

/**
 * A bulk upload of `bytes` over `durationUs` in 1,400-byte segments captured truncated (headers
 * only, wire length kept), with an ACK back for every ten segments: cheap to build, counted in full.
 */
export function bulkUpload(
  out: Frame[],
  time: number,
  client: Host,
  remote: number,
  port: number,
  bytes: number,
  durationUs: number,
  srcPort = 47000,
): void {
  const seg = (src: number, dst: number, sport: number, dport: number, flags: number) =>
    tcpSegment(src, dst, { srcPort: sport, dstPort: dport, seq: 1, ack: 1, flags }, new Uint8Array(0));
  const up = frame(client, GATEWAY, client.ip, remote, 6, seg(client.ip, remote, srcPort, port, 0x10));
  const ack = frame(GATEWAY, client, remote, client.ip, 6, seg(remote, client.ip, port, srcPort, 0x10));
  out.push([time, frame(client, GATEWAY, client.ip, remote, 6, seg(client.ip, remote, srcPort, port, 0x02))]);
  out.push([time + 100, frame(GATEWAY, client, remote, client.ip, 6, seg(remote, client.ip, port, srcPort, 0x12))]);
  const segments = Math.ceil(bytes / 1400);
  const step = durationUs / segments;
  for (let i = 0; i < segments; i++) {
    const t = time + 200 + Math.floor(i * step);
    out.push([t, up, 14 + 40 + 1400]);
    if (i % 10 === 9) out.push([t + 1, ack]);
  }
}
