import { describe, expect, it } from "vitest";
import { PacketPipeline } from "../analyze/packet-pipeline.js";
import { UNKNOWN_TYPE } from "../discovery/device-classifier.js";
import { NO_VENDORS } from "../discovery/vendor-lookup.js";
import {
  dnsMessage,
  ethernetFrame,
  ipv4Packet,
  ipv4Rdata,
  tcpSegment,
  udpDatagram,
} from "../simulate/frame-builder.js";
import { replayFrames } from "../test-support/replay-frames.test-util.js";

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const GATEWAY = { mac: 0x0024b2000001, ip: ip(192, 168, 1, 1) };
const LAPTOP = { mac: 0xf8bc12000001, ip: ip(192, 168, 1, 20) };
const NAS = { mac: 0x001132000001, ip: ip(192, 168, 1, 30) };
const T0 = Date.UTC(2026, 10, 2, 9, 0, 0) * 1000;

type Frame = [number, Uint8Array];

function frame(
  from: { mac: number },
  to: { mac: number },
  src: number,
  dst: number,
  protocol: number,
  payload: Uint8Array,
): Uint8Array {
  return ethernetFrame(to.mac, from.mac, 0x0800, ipv4Packet({ src, dst, protocol }, payload));
}

/** A TCP connection: SYN, SYN-ACK, then `exchanges` data segments each way of the given sizes. */
function connection(
  time: number,
  client: { mac: number; ip: number },
  server: { mac: number; ip: number },
  remoteIp: number,
  port: number,
  up: number,
  down: number,
): Frame[] {
  const c = client;
  const nextHopToServer = server;
  const frames: Frame[] = [];
  const seg = (src: number, dst: number, sport: number, dport: number, flags: number, size: number) =>
    tcpSegment(src, dst, { srcPort: sport, dstPort: dport, seq: 1, ack: 1, flags }, new Uint8Array(size));
  frames.push([time, frame(c, nextHopToServer, c.ip, remoteIp, 6, seg(c.ip, remoteIp, 50000, port, 0x02, 0))]);
  frames.push([time + 1000, frame(nextHopToServer, c, remoteIp, c.ip, 6, seg(remoteIp, c.ip, port, 50000, 0x12, 0))]);
  frames.push([time + 2000, frame(c, nextHopToServer, c.ip, remoteIp, 6, seg(c.ip, remoteIp, 50000, port, 0x18, up))]);
  frames.push([
    time + 3000,
    frame(nextHopToServer, c, remoteIp, c.ip, 6, seg(remoteIp, c.ip, port, 50000, 0x18, down)),
  ]);
  return frames;
}

function dnsLookup(time: number, name: string, answer: number): Frame[] {
  const query = dnsMessage(7, 0x0100, [{ name, type: 1 }]);
  const response = dnsMessage(7, 0x8180, [{ name, type: 1 }], [{ name, type: 1, data: ipv4Rdata(answer) }]);
  return [
    [time, frame(LAPTOP, GATEWAY, LAPTOP.ip, GATEWAY.ip, 17, udpDatagram(LAPTOP.ip, GATEWAY.ip, 40000, 53, query))],
    [
      time + 500,
      frame(GATEWAY, LAPTOP, GATEWAY.ip, LAPTOP.ip, 17, udpDatagram(GATEWAY.ip, LAPTOP.ip, 53, 40000, response)),
    ],
  ];
}

function run(frames: Frame[]) {
  const pipeline = new PacketPipeline({
    classifier: { classify: () => ({ type: UNKNOWN_TYPE, model: null, os: null }) },
    vendors: NO_VENDORS,
  });
  replayFrames(pipeline, frames);
  return pipeline.finish();
}

describe("profile engine", () => {
  it("names a destination by the lookup that resolved it, reduced to its registrable domain", () => {
    const cdn = ip(151, 101, 1, 140);
    const report = run([
      ...dnsLookup(T0, "video.cdn.example.com", cdn),
      ...connection(T0 + 1e6, LAPTOP, GATEWAY, cdn, 443, 500, 9000),
    ]);
    const laptop = report.devices.find((d) => d.mac === "f8:bc:12:00:00:01")!;
    expect(laptop.profile!.topDestinations).toContainEqual({
      destination: "example.com",
      bytes: expect.any(Number),
      connections: 1,
    });
    expect(laptop.profile!.remotePorts).toContainEqual({ port: "tcp/443", connections: 1 });
    expect(laptop.profile!.remotePorts).toContainEqual({ port: "udp/53", connections: 1 });
    // Up and down are from the device's side, in wire bytes.
    const wire = (payload: number) => Math.max(60, 14 + 20 + 20 + payload);
    const toCdn = laptop.profile!.topDestinations.find((d) => d.destination === "example.com")!;
    expect(toCdn.bytes).toBe(wire(0) * 2 + wire(500) + wire(9000));
    expect(laptop.baseline).toMatchObject({ daysObserved: 1, state: "learning", progress: "learning, 1 of 7 days" });
  });

  it("keeps an unnamed address as the destination", () => {
    const report = run(connection(T0, LAPTOP, GATEWAY, ip(203, 0, 113, 9), 8883, 100, 100));
    const laptop = report.devices.find((d) => d.mac === "f8:bc:12:00:00:01")!;
    expect(laptop.profile!.topDestinations.map((d) => d.destination)).toEqual(["203.0.113.9"]);
  });

  it("gives a LAN connection to both ends: outbound for the client, a served port for the server", () => {
    const report = run(connection(T0, LAPTOP, NAS, NAS.ip, 445, 300, 50_000));
    const laptop = report.devices.find((d) => d.mac === "f8:bc:12:00:00:01")!;
    const nas = report.devices.find((d) => d.mac === "00:11:32:00:00:01")!;
    expect(laptop.profile!.remotePorts).toEqual([{ port: "tcp/445", connections: 1 }]);
    expect(nas.profile!.localPorts).toEqual([{ port: "tcp/445", connections: 1 }]);
    expect(nas.profile!.bytesUp).toBe(laptop.profile!.bytesDown);
  });

  it("never attributes internet traffic to the gateway that forwards it", () => {
    const report = run(connection(T0, LAPTOP, GATEWAY, ip(8, 8, 4, 4), 443, 100, 100));
    const gateway = report.devices.find((d) => d.mac === "00:24:b2:00:00:01")!;
    expect(gateway.profile).toBeNull();
  });
});
