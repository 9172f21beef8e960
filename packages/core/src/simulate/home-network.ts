import { TcpFlag } from "../packet/decoded-packet.js";
import {
  arpPacket,
  BROADCAST_MAC,
  dhcpMessage,
  dnsMessage,
  dnsName,
  ethernetFrame,
  icmpEcho,
  ipv4Packet,
  ipv4Rdata,
  tcpSegment,
  udpDatagram,
} from "./frame-builder.js";
import { type InjectionLabel, type InjectionSpec, inject } from "./injections.js";
import { PacketHeap } from "./packet-heap.js";

export {
  ATTACK_KINDS,
  BENIGN_KINDS,
  INJECTION_KINDS,
  type InjectionKind,
  type InjectionLabel,
  type InjectionSpec,
  isInjectionKind,
} from "./injections.js";

import { Random } from "./random.js";

/** Where generated packets go (a PcapWriter, or a test's array). */
export interface FrameSink {
  write(timestampUs: number, frame: Uint8Array, wireLength?: number): void;
}

export interface HomeNetworkOptions {
  /** Devices besides the gateway (personas repeat when there are more devices than personas). */
  devices?: number;
  durationSeconds?: number;
  /** Start of the capture, microseconds since the epoch. */
  startUs?: number;
  seed?: number;
  /** Multiplies every persona's activity rate (bench captures use a high one). */
  activityScale?: number;
  /** Labelled attacks and benign surprises to inject (see injections.ts). */
  injections?: InjectionSpec[];
}

export interface SimulatedDevice {
  mac: string;
  ip: string;
  hostname: string;
  persona: string;
}

interface Persona {
  name: string;
  /** IEEE OUI of a vendor that makes such devices. */
  oui: number;
  hostname: string;
  vendorClass?: string;
  /** Cloud services: name and the address it resolves to (documentation ranges are avoided: they look fake). */
  services: { name: string; ip: number; port: number }[];
  /** Mean seconds between sessions. */
  sessionEverySeconds: number;
  /** Data packets per session, each way: [min, max]. */
  packetsPerSession: [number, number];
  /** Bytes per data packet upstream and downstream. */
  upBytes: number;
  downBytes: number;
  /** Announces itself over mDNS with this service type. */
  mdns?: string;
}

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

const PERSONAS: Persona[] = [
  {
    name: "phone",
    oui: 0xf0dbe2, // Apple
    hostname: "Lucas-iPhone",
    services: [
      { name: "gateway.icloud.com", ip: ip(17, 248, 185, 10), port: 443 },
      { name: "api.instagram.com", ip: ip(157, 240, 201, 63), port: 443 },
    ],
    sessionEverySeconds: 40,
    packetsPerSession: [5, 40],
    upBytes: 300,
    downBytes: 1400,
    mdns: "_companion-link._tcp.local",
  },
  {
    name: "laptop",
    oui: 0x3c2200, // placeholder replaced below: Dell
    hostname: "emma-laptop",
    vendorClass: "MSFT 5.0",
    services: [
      { name: "outlook.office365.com", ip: ip(52, 97, 146, 178), port: 443 },
      { name: "www.wikipedia.org", ip: ip(185, 15, 59, 224), port: 443 },
    ],
    sessionEverySeconds: 30,
    packetsPerSession: [8, 80],
    upBytes: 500,
    downBytes: 1400,
  },
  {
    name: "tv",
    oui: 0x8c79f5, // Samsung
    hostname: "Samsung-TV",
    services: [{ name: "occ-0-1.1.nflxso.net", ip: ip(45, 57, 90, 1), port: 443 }],
    sessionEverySeconds: 90,
    packetsPerSession: [100, 400],
    upBytes: 80,
    downBytes: 1448,
    mdns: "_airplay._tcp.local",
  },
  {
    name: "speaker",
    oui: 0x38f73d, // Amazon
    hostname: "amazon-echo",
    services: [{ name: "avs-alexa-na.amazon.com", ip: ip(54, 239, 28, 85), port: 443 }],
    sessionEverySeconds: 60,
    packetsPerSession: [3, 12],
    upBytes: 200,
    downBytes: 600,
  },
  {
    name: "camera",
    oui: 0xb0c554, // D-Link
    hostname: "DCS-930L",
    services: [{ name: "mydlink.com", ip: ip(52, 70, 32, 91), port: 443 }],
    sessionEverySeconds: 45,
    packetsPerSession: [20, 60],
    upBytes: 1300,
    downBytes: 100,
  },
  {
    name: "plug",
    oui: 0x50c7bf, // TP-Link
    hostname: "HS110",
    services: [{ name: "devs.tplinkcloud.com", ip: ip(52, 58, 143, 20), port: 50443 }],
    sessionEverySeconds: 60,
    packetsPerSession: [1, 2],
    upBytes: 120,
    downBytes: 120,
  },
  {
    name: "printer",
    oui: 0x3c2af4, // Brother
    hostname: "BRW3C2AF4",
    services: [{ name: "connect.brother.com", ip: ip(13, 225, 110, 40), port: 443 }],
    sessionEverySeconds: 600,
    packetsPerSession: [2, 6],
    upBytes: 200,
    downBytes: 400,
    mdns: "_ipp._tcp.local",
  },
  {
    name: "thermostat",
    oui: 0x18b430, // Nest
    hostname: "Nest-Thermostat",
    services: [{ name: "frontdoor.nest.com", ip: ip(34, 107, 79, 161), port: 9543 }],
    sessionEverySeconds: 120,
    packetsPerSession: [2, 6],
    upBytes: 250,
    downBytes: 250,
  },
];
PERSONAS[1]!.oui = 0xf8bc12; // Dell

const GATEWAY_MAC = 0x0024b2000001; // Netgear OUI
const GATEWAY_IP = ip(192, 168, 1, 1);
const NETWORK = ip(192, 168, 1, 0);
const MDNS_MAC = 0x01005e0000fb;
const MDNS_IP = ip(224, 0, 0, 251);

/**
 * Generates a home network's traffic in packet-time order: DHCP joins, ARP, DNS lookups
 * answered by the gateway, TCP sessions to each persona's cloud services, NTP, mDNS
 * announcements and pings. Deterministic for a given seed.
 */
export function simulateHomeNetwork(options: HomeNetworkOptions, sink: FrameSink): SimulatedDevice[] {
  return simulateLabelledHomeNetwork(options, sink).devices;
}

/** As simulateHomeNetwork, and also returns the labels of the injected scenarios. */
export function simulateLabelledHomeNetwork(
  options: HomeNetworkOptions,
  sink: FrameSink,
): { devices: SimulatedDevice[]; labels: InjectionLabel[] } {
  const deviceCount = options.devices ?? 8;
  const durationUs = (options.durationSeconds ?? 3600) * 1e6;
  const startUs = options.startUs ?? Date.UTC(2026, 10, 2, 8, 0, 0) * 1000;
  const scale = options.activityScale ?? 1;
  const random = new Random(options.seed ?? 1);
  const heap = new PacketHeap();
  const devices = Array.from({ length: deviceCount }, (_, i) => {
    const persona = PERSONAS[i % PERSONAS.length]!;
    const suffix = i < PERSONAS.length ? "" : `-${Math.floor(i / PERSONAS.length) + 1}`;
    return {
      persona,
      mac: persona.oui * 0x1000000 + ((i * 0x3a5f1 + 0x1234) & 0xffffff),
      ip: NETWORK + 10 + (i % 240),
      hostname: persona.hostname + suffix,
      nextSessionUs: startUs + random.uniform(1e6, 30e6),
      nextNtpUs: startUs + random.uniform(5e6, 60e6),
      nextMdnsUs: startUs + random.uniform(2e6, 20e6),
      port: 49152 + i * 97,
    };
  });

  const send = (at: number, frame: Uint8Array, wireLength?: number) => heap.push(at, frame, wireLength);
  const ipFrame = (srcMac: number, dstMac: number, packet: Uint8Array) => ethernetFrame(dstMac, srcMac, 0x0800, packet);
  let dnsId = 1;

  // Each device joins: DHCP discover/offer/request/ack, then a gratuitous ARP.
  for (const d of devices) {
    const t = startUs + random.uniform(0, 5e6);
    const xid = random.int(0, 0xffffffff);
    const prl = [1, 3, 6, 15, 119, 252];
    const common = { xid, clientMac: d.mac, hostname: d.hostname, parameterRequestList: prl };
    const vendor = d.persona.vendorClass ? { vendorClass: d.persona.vendorClass } : {};
    const client = (message: Uint8Array) =>
      ipFrame(
        d.mac,
        BROADCAST_MAC,
        ipv4Packet({ src: 0, dst: 0xffffffff, protocol: 17 }, udpDatagram(0, 0xffffffff, 68, 67, message)),
      );
    const server = (message: Uint8Array) =>
      ipFrame(
        GATEWAY_MAC,
        d.mac,
        ipv4Packet({ src: GATEWAY_IP, dst: d.ip, protocol: 17 }, udpDatagram(GATEWAY_IP, d.ip, 67, 68, message)),
      );
    const lease = {
      yourIp: d.ip,
      serverIp: GATEWAY_IP,
      router: GATEWAY_IP,
      dnsServer: GATEWAY_IP,
      leaseSeconds: 86400,
    };
    send(t, client(dhcpMessage({ messageType: 1, ...common, ...vendor })));
    send(t + 2000, server(dhcpMessage({ messageType: 2, xid, clientMac: d.mac, ...lease })));
    send(t + 3500, client(dhcpMessage({ messageType: 3, ...common, ...vendor, requestedIp: d.ip })));
    send(t + 5500, server(dhcpMessage({ messageType: 5, xid, clientMac: d.mac, ...lease })));
    send(t + 55_500, ethernetFrame(BROADCAST_MAC, d.mac, 0x0806, arpPacket(1, d.mac, d.ip, 0, d.ip)));
  }

  const dnsLookup = (d: (typeof devices)[number], at: number, name: string, answer: number) => {
    const id = dnsId++ & 0xffff;
    const sport = 30000 + (id % 20000);
    const query = dnsMessage(id, 0x0100, [{ name, type: 1 }]);
    send(
      at,
      ipFrame(
        d.mac,
        GATEWAY_MAC,
        ipv4Packet({ src: d.ip, dst: GATEWAY_IP, protocol: 17, id }, udpDatagram(d.ip, GATEWAY_IP, sport, 53, query)),
      ),
    );
    const response = dnsMessage(
      id,
      0x8180,
      [{ name, type: 1 }],
      [{ name, type: 1, ttl: 300, data: ipv4Rdata(answer) }],
    );
    send(
      at + random.uniform(2000, 30000),
      ipFrame(
        GATEWAY_MAC,
        d.mac,
        ipv4Packet(
          { src: GATEWAY_IP, dst: d.ip, protocol: 17, id },
          udpDatagram(GATEWAY_IP, d.ip, 53, sport, response),
        ),
      ),
    );
  };

  const tcpSession = (d: (typeof devices)[number], at: number, service: Persona["services"][number]) => {
    d.port = d.port >= 65000 ? 49152 : d.port + 1;
    const sport = d.port;
    const rtt = random.uniform(8000, 60000);
    let seqOut = random.int(0, 0xffffffff);
    let seqIn = random.int(0, 0xffffffff);
    const out = (t: number, flags: number, size: number) => {
      const segment = tcpSegment(
        d.ip,
        service.ip,
        { srcPort: sport, dstPort: service.port, seq: seqOut, ack: seqIn, flags },
        new Uint8Array(size),
      );
      send(t, ipFrame(d.mac, GATEWAY_MAC, ipv4Packet({ src: d.ip, dst: service.ip, protocol: 6 }, segment)));
      seqOut = (seqOut + size + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0)) >>> 0;
    };
    const back = (t: number, flags: number, size: number) => {
      const segment = tcpSegment(
        service.ip,
        d.ip,
        { srcPort: service.port, dstPort: sport, seq: seqIn, ack: seqOut, flags },
        new Uint8Array(size),
      );
      send(t, ipFrame(GATEWAY_MAC, d.mac, ipv4Packet({ src: service.ip, dst: d.ip, protocol: 6, ttl: 52 }, segment)));
      seqIn = (seqIn + size + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0)) >>> 0;
    };
    let t = at;
    /** Moves the session's clock on and returns the new time. */
    const after = (delay: number) => {
      t += delay;
      return t;
    };
    out(t, TcpFlag.SYN, 0);
    back(after(rtt), TcpFlag.SYN | TcpFlag.ACK, 0);
    out(after(200), TcpFlag.ACK, 0);
    const [low, high] = d.persona.packetsPerSession;
    const exchanges = random.int(low, high);
    for (let i = 0; i < exchanges; i++) {
      out(
        after(random.uniform(500, 20000)),
        TcpFlag.ACK | TcpFlag.PSH,
        Math.max(40, Math.round(d.persona.upBytes * random.uniform(0.5, 1))),
      );
      back(
        after(rtt / 2),
        TcpFlag.ACK | TcpFlag.PSH,
        Math.max(40, Math.round(d.persona.downBytes * random.uniform(0.5, 1))),
      );
    }
    out(after(1000), TcpFlag.FIN | TcpFlag.ACK, 0);
    back(after(rtt), TcpFlag.FIN | TcpFlag.ACK, 0);
    out(after(200), TcpFlag.ACK, 0);
  };

  const endUs = startUs + durationUs;
  let nextGatewayArpUs = startUs + 10e6;
  // Injections run when packet time reaches them, so a device's new address (a rejoin) sticks.
  const pending = [...(options.injections ?? [])].sort((a, b) => a.atSeconds - b.atSeconds);
  const labels: InjectionLabel[] = [];
  const injectionContext = {
    devices,
    gateway: { mac: GATEWAY_MAC, ip: GATEWAY_IP },
    send,
  };
  for (;;) {
    // The earliest pending activity decides how far packets can be written in order.
    let next = nextGatewayArpUs;
    let device: (typeof devices)[number] | undefined;
    let kind: "session" | "ntp" | "mdns" | "arp" = "arp";
    for (const d of devices) {
      if (d.nextSessionUs < next) [next, device, kind] = [d.nextSessionUs, d, "session"];
      if (d.nextNtpUs < next) [next, device, kind] = [d.nextNtpUs, d, "ntp"];
      if (d.persona.mdns && d.nextMdnsUs < next) [next, device, kind] = [d.nextMdnsUs, d, "mdns"];
    }
    const injection = pending[0];
    if (injection && startUs + injection.atSeconds * 1e6 <= Math.min(next, endUs)) {
      pending.shift();
      labels.push(inject(injection.kind, startUs + injection.atSeconds * 1e6, options.seed ?? 1, injectionContext));
      continue;
    }
    heap.drainBefore(Math.min(next, endUs), sink);
    if (next >= endUs) break;
    if (kind === "arp" || !device) {
      // The router sweeps its neighbours now and then (benign, and common).
      for (const d of devices.slice(0, 4)) {
        send(next, ethernetFrame(BROADCAST_MAC, GATEWAY_MAC, 0x0806, arpPacket(1, GATEWAY_MAC, GATEWAY_IP, 0, d.ip)));
        send(
          next + 3000,
          ethernetFrame(GATEWAY_MAC, d.mac, 0x0806, arpPacket(2, d.mac, d.ip, GATEWAY_MAC, GATEWAY_IP)),
        );
      }
      nextGatewayArpUs = next + 120e6;
      continue;
    }
    const d = device;
    if (kind === "session") {
      const service = random.pick(d.persona.services);
      dnsLookup(d, next, service.name, service.ip);
      tcpSession(d, next + 40_000, service);
      d.nextSessionUs = next + random.exponential((d.persona.sessionEverySeconds * 1e6) / scale);
    } else if (kind === "ntp") {
      const ntpServer = ip(162, 159, 200, 1);
      const request = new Uint8Array(48);
      request[0] = 0x23; // version 4, client
      send(
        next,
        ipFrame(
          d.mac,
          GATEWAY_MAC,
          ipv4Packet({ src: d.ip, dst: ntpServer, protocol: 17 }, udpDatagram(d.ip, ntpServer, 123, 123, request)),
        ),
      );
      const reply = new Uint8Array(48);
      reply[0] = 0x24; // version 4, server
      reply[1] = 2;
      send(
        next + 20_000,
        ipFrame(
          GATEWAY_MAC,
          d.mac,
          ipv4Packet(
            { src: ntpServer, dst: d.ip, protocol: 17, ttl: 55 },
            udpDatagram(ntpServer, d.ip, 123, 123, reply),
          ),
        ),
      );
      send(
        next + 100_000,
        ipFrame(
          d.mac,
          GATEWAY_MAC,
          ipv4Packet({ src: d.ip, dst: GATEWAY_IP, protocol: 1 }, icmpEcho(8, 1, 1, new Uint8Array(32))),
        ),
      );
      send(
        next + 101_000,
        ipFrame(
          GATEWAY_MAC,
          d.mac,
          ipv4Packet({ src: GATEWAY_IP, dst: d.ip, protocol: 1 }, icmpEcho(0, 1, 1, new Uint8Array(32))),
        ),
      );
      d.nextNtpUs = next + 1024e6;
    } else {
      const instance = `${d.hostname}.${d.persona.mdns}`;
      const announce = dnsMessage(
        0,
        0x8400,
        [],
        [
          { name: d.persona.mdns!, type: 12, ttl: 4500, data: dnsName(instance) },
          { name: `${d.hostname}.local`, type: 1, ttl: 120, data: ipv4Rdata(d.ip) },
        ],
      );
      send(
        next,
        ipFrame(
          d.mac,
          MDNS_MAC,
          ipv4Packet(
            { src: d.ip, dst: MDNS_IP, protocol: 17, ttl: 255 },
            udpDatagram(d.ip, MDNS_IP, 5353, 5353, announce),
          ),
        ),
      );
      d.nextMdnsUs = next + 300e6;
    }
  }
  heap.drainBefore(Number.POSITIVE_INFINITY, sink);
  const hex = (n: number) =>
    n
      .toString(16)
      .padStart(12, "0")
      .replace(/(..)(?!$)/g, "$1:");
  const dotted = (n: number) => `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
  return {
    devices: devices.map((d) => ({ mac: hex(d.mac), ip: dotted(d.ip), hostname: d.hostname, persona: d.persona.name })),
    labels,
  };
}
