import { TcpFlag } from "../packet/decoded-packet.js";
import {
  arpPacket,
  BROADCAST_MAC,
  concat,
  dhcpMessage,
  dnsMessage,
  ethernetFrame,
  ipv4Packet,
  ipv4Rdata,
  tcpSegment,
  textBytes,
  udpDatagram,
} from "./frame-builder.js";
import { Random } from "./random.js";

/**
 * Labelled scenarios injected into a simulated home network: attacks the detectors must catch
 * and benign surprises they must not alert on. Each writes real-looking packets through the
 * simulator's `send` and returns a label saying what was injected, by whom and when.
 */

export const ATTACK_KINDS = [
  "port_scan",
  "host_sweep",
  "arp_spoofing",
  "dns_tunneling",
  "beaconing",
  "data_exfiltration",
  "brute_force",
] as const;
export const BENIGN_KINDS = ["os_update", "new_streaming_service", "video_call", "dhcp_rejoin"] as const;
export const INJECTION_KINDS = [...ATTACK_KINDS, ...BENIGN_KINDS] as const;
export type InjectionKind = (typeof INJECTION_KINDS)[number];

export interface InjectionSpec {
  kind: InjectionKind;
  /** Seconds from the start of the capture. */
  atSeconds: number;
}

export interface InjectionLabel {
  kind: InjectionKind;
  /** The alert type expected, or "benign". */
  type: string;
  /** The acting device's MAC. */
  mac: string;
  /** Milliseconds since the epoch: the first and last injected packet. */
  start: number;
  end: number;
  description: string;
}

/** A simulated device as injectors see it: `ip` is mutable (a rejoin changes it for the rest of the capture). */
export interface InjectionDevice {
  mac: number;
  ip: number;
  hostname: string;
  persona: { name: string };
}

export interface InjectionContext {
  devices: InjectionDevice[];
  gateway: { mac: number; ip: number };
  /** Queues a frame at `at` (microseconds since the epoch); `wireLength` may exceed the frame (cut to a snap length). */
  send(at: number, frame: Uint8Array, wireLength?: number): void;
}

export function isInjectionKind(value: string): value is InjectionKind {
  return (INJECTION_KINDS as readonly string[]).includes(value);
}

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

export const formatMac = (n: number) =>
  n
    .toString(16)
    .padStart(12, "0")
    .replace(/(..)(?!$)/g, "$1:");

/** Bytes of payload kept in a cut frame (headers are always whole). */
const SNAP_PAYLOAD = 16;
/** A GRO-aggregated segment, as a host capture shows bulk transfers: 44 segments of 1448 bytes. */
const BULK_SEGMENT = 44 * 1448;

/** One direction of a TCP connection: keeps seq/ack and builds frames (cut when the payload is big). */
class TcpPeer {
  seq: number;
  ack = 0;
  constructor(
    readonly mac: number,
    readonly ip: number,
    readonly port: number,
    random: Random,
    readonly ttl = 64,
  ) {
    this.seq = random.int(0, 0xffffffff);
  }

  /** Returns the frame and its wire length; advances seq. */
  frame(to: TcpPeer, toMac: number, flags: number, size: number): [Uint8Array, number] {
    const kept = Math.min(size, SNAP_PAYLOAD);
    const segment = tcpSegment(
      this.ip,
      to.ip,
      { srcPort: this.port, dstPort: to.port, seq: this.seq, ack: flags & TcpFlag.ACK ? to.seq : 0, flags },
      new Uint8Array(kept),
    );
    const packet = ipv4Packet({ src: this.ip, dst: to.ip, protocol: 6, ttl: this.ttl }, segment);
    if (kept < size) setIpTotalLength(packet, 40 + size);
    this.seq = (this.seq + size + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0)) >>> 0;
    const frame = ethernetFrame(toMac, this.mac, 0x0800, packet);
    return [frame, Math.max(60, 14 + 40 + size)];
  }
}

/** Rewrites an IPv4 header's total length (the packet is cut) and its checksum. */
function setIpTotalLength(packet: Uint8Array, total: number): void {
  packet[2] = total >>> 8;
  packet[3] = total & 0xff;
  packet[10] = 0;
  packet[11] = 0;
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (packet[i]! << 8) | packet[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const check = ~sum & 0xffff;
  packet[10] = check >>> 8;
  packet[11] = check & 0xff;
}

/** A UDP frame whose payload is cut to the snap length when big. */
function udpFrame(
  srcMac: number,
  dstMac: number,
  src: number,
  dst: number,
  sport: number,
  dport: number,
  size: number,
  ttl = 64,
): [Uint8Array, number] {
  const kept = Math.min(size, SNAP_PAYLOAD);
  const datagram = udpDatagram(src, dst, sport, dport, new Uint8Array(kept));
  if (kept < size) {
    datagram[4] = (8 + size) >>> 8;
    datagram[5] = (8 + size) & 0xff;
  }
  const packet = ipv4Packet({ src, dst, protocol: 17, ttl }, datagram);
  if (kept < size) setIpTotalLength(packet, 28 + size);
  return [ethernetFrame(dstMac, srcMac, 0x0800, packet), Math.max(60, 14 + 28 + size)];
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

function randomText(random: Random, length: number, alphabet = BASE32): string {
  let text = "";
  for (let i = 0; i < length; i++) text += alphabet[random.int(0, alphabet.length - 1)];
  return text;
}

function txtRdata(text: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < text.length; i += 255) {
    const part = textBytes(text.slice(i, i + 255));
    chunks.push(Uint8Array.of(part.length), part);
  }
  return concat(chunks);
}

class Injector {
  private dnsId = 0x7000;
  private readonly first: number[] = [];
  private readonly last: number[] = [];

  constructor(
    readonly ctx: InjectionContext,
    readonly random: Random,
  ) {}

  send(at: number, frame: Uint8Array, wireLength?: number): void {
    this.first[0] = Math.min(this.first[0] ?? at, at);
    this.last[0] = Math.max(this.last[0] ?? at, at);
    if (wireLength === undefined || wireLength === frame.length) this.ctx.send(at, frame);
    else this.ctx.send(at, frame, wireLength);
  }

  get span(): [number, number] {
    return [this.first[0] ?? 0, this.last[0] ?? 0];
  }

  device(persona: string, exclude: InjectionDevice[] = []): InjectionDevice {
    const candidates = this.ctx.devices.filter((d) => !exclude.includes(d));
    const found = candidates.find((d) => d.persona.name === persona) ?? candidates[0];
    if (!found) throw new Error("injections need at least two devices");
    return found;
  }

  /** A lookup answered by the gateway: A with an address, or TXT with text. */
  dns(d: InjectionDevice, at: number, name: string, answer: { a: number } | { txt: string }): number {
    const { gateway } = this.ctx;
    const id = this.dnsId++ & 0xffff;
    const sport = 20000 + this.random.int(0, 9999);
    const type = "a" in answer ? 1 : 16;
    const query = dnsMessage(id, 0x0100, [{ name, type }]);
    this.send(
      at,
      ethernetFrame(
        gateway.mac,
        d.mac,
        0x0800,
        ipv4Packet({ src: d.ip, dst: gateway.ip, protocol: 17, id }, udpDatagram(d.ip, gateway.ip, sport, 53, query)),
      ),
    );
    const data = "a" in answer ? ipv4Rdata(answer.a) : txtRdata(answer.txt);
    const response = dnsMessage(id, 0x8180, [{ name, type }], [{ name, type, ttl: 60, data }]);
    const back = at + this.random.uniform(3000, 40000);
    this.send(
      back,
      ethernetFrame(
        d.mac,
        gateway.mac,
        0x0800,
        ipv4Packet(
          { src: gateway.ip, dst: d.ip, protocol: 17, id },
          udpDatagram(gateway.ip, d.ip, 53, sport, response),
        ),
      ),
    );
    return back;
  }

  /**
   * A TCP connection from a device through the gateway (or `viaMac`) to a remote address:
   * handshake, `up`/`down` bytes in segments of at most `segment`, close. Returns its end time.
   */
  tcp(
    d: InjectionDevice,
    at: number,
    remote: number,
    port: number,
    up: number,
    down: number,
    options: { segment?: number; spacingUs?: number; viaMac?: number; rttUs?: number } = {},
  ): number {
    const { random } = this;
    const via = options.viaMac ?? this.ctx.gateway.mac;
    const rtt = options.rttUs ?? random.uniform(10_000, 40_000);
    const segment = options.segment ?? 1448;
    const spacing = options.spacingUs ?? 1000;
    const client = new TcpPeer(d.mac, d.ip, random.int(49152, 65000), random);
    const server = new TcpPeer(this.ctx.gateway.mac, remote, port, random, 52);
    let t = at;
    const out = (flags: number, size: number) => {
      const [frame, wire] = client.frame(server, via, flags, size);
      this.send(t, frame, wire);
    };
    const back = (flags: number, size: number) => {
      const [frame, wire] = server.frame(client, d.mac, flags, size);
      this.send(t, frame, wire);
    };
    out(TcpFlag.SYN, 0);
    t += rtt;
    back(TcpFlag.SYN | TcpFlag.ACK, 0);
    t += 200;
    out(TcpFlag.ACK, 0);
    for (let left = up; left > 0; left -= segment) {
      t += spacing;
      out(TcpFlag.ACK | TcpFlag.PSH, Math.min(segment, left));
      back(TcpFlag.ACK, 0);
    }
    for (let left = down; left > 0; left -= segment) {
      t += spacing;
      back(TcpFlag.ACK | TcpFlag.PSH, Math.min(segment, left));
      out(TcpFlag.ACK, 0);
    }
    t += 1000;
    out(TcpFlag.FIN | TcpFlag.ACK, 0);
    t += rtt;
    back(TcpFlag.FIN | TcpFlag.ACK, 0);
    t += 200;
    out(TcpFlag.ACK, 0);
    return t;
  }

  /** A fresh public address: never one a persona uses. */
  freshAddress(): number {
    return ip(
      this.random.pick([45, 91, 146, 185, 193]),
      this.random.int(1, 250),
      this.random.int(0, 255),
      this.random.int(2, 250),
    );
  }
}

type Result = Omit<InjectionLabel, "kind" | "start" | "end">;

const INJECTORS: Record<InjectionKind, (inj: Injector, at: number) => Result> = {
  port_scan(inj, at) {
    const attacker = inj.device("laptop");
    const target = inj.device("printer", [attacker]);
    const ports = Array.from({ length: 1024 }, (_, i) => i + 1);
    for (let i = ports.length - 1; i > 0; i--) {
      const j = inj.random.int(0, i);
      [ports[i], ports[j]] = [ports[j]!, ports[i]!];
    }
    const open = new Set([80, 443, 631, 9100]);
    const scanned = [...new Set([...open, ...ports])].slice(0, 200);
    const sport = inj.random.int(40000, 60000);
    scanned.forEach((port, i) => {
      const t = at + i * 5000;
      const a = new TcpPeer(attacker.mac, attacker.ip, sport, inj.random);
      const b = new TcpPeer(target.mac, target.ip, port, inj.random);
      inj.send(t, a.frame(b, target.mac, TcpFlag.SYN, 0)[0]);
      if (open.has(port)) {
        inj.send(t + 400, b.frame(a, attacker.mac, TcpFlag.SYN | TcpFlag.ACK, 0)[0]);
        inj.send(t + 600, a.frame(b, target.mac, TcpFlag.RST, 0)[0]);
      } else {
        inj.send(t + 400, b.frame(a, attacker.mac, TcpFlag.RST | TcpFlag.ACK, 0)[0]);
      }
    });
    return {
      type: "port_scan",
      mac: formatMac(attacker.mac),
      description: `${attacker.hostname} SYN-scans 200 TCP ports of ${target.hostname}`,
    };
  },

  host_sweep(inj, at) {
    const attacker = inj.device("camera");
    const network = attacker.ip & 0xffffff00;
    for (let host = 1; host < 255; host++) {
      const target = network + host;
      if (target === attacker.ip) continue;
      const t = at + (host - 1) * 8000;
      inj.send(
        t,
        ethernetFrame(BROADCAST_MAC, attacker.mac, 0x0806, arpPacket(1, attacker.mac, attacker.ip, 0, target)),
      );
      const owner =
        target === inj.ctx.gateway.ip
          ? inj.ctx.gateway
          : inj.ctx.devices.find((d) => d.ip === target && d !== attacker);
      if (owner) {
        inj.send(
          t + 1500,
          ethernetFrame(attacker.mac, owner.mac, 0x0806, arpPacket(2, owner.mac, target, attacker.mac, attacker.ip)),
        );
      }
    }
    return {
      type: "host_sweep",
      mac: formatMac(attacker.mac),
      description: `${attacker.hostname} ARP-sweeps the /24`,
    };
  },

  arp_spoofing(inj, at) {
    const attacker = inj.device("laptop");
    const victim = inj.device("phone", [attacker]);
    const { gateway } = inj.ctx;
    const durationUs = 300e6;
    for (let t = at; t < at + durationUs; t += 2e6) {
      inj.send(
        t,
        ethernetFrame(victim.mac, attacker.mac, 0x0806, arpPacket(2, attacker.mac, gateway.ip, victim.mac, victim.ip)),
      );
    }
    // The victim's internet traffic now goes to the attacker, who forwards it to the gateway.
    for (let t = at + 3e6; t < at + durationUs; t += inj.random.uniform(15e6, 40e6)) {
      const remote = ip(17, 248, 185, 10);
      inj.tcp(victim, t, remote, 443, 2000, 30000, { viaMac: attacker.mac });
      inj.tcp({ ...victim, mac: attacker.mac }, t + 300, remote, 443, 2000, 30000);
    }
    return {
      type: "arp_spoofing",
      mac: formatMac(attacker.mac),
      description: `${attacker.hostname} claims the gateway's address to ${victim.hostname} and relays its traffic`,
    };
  },

  dns_tunneling(inj, at) {
    const d = inj.device("laptop");
    const domain = `${randomText(inj.random, 7, "abcdefghijklmnopqrstuvwxyz")}.com`;
    let t = at;
    for (let i = 0; i < 40; i++) {
      const name = `${randomText(inj.random, 52)}.${randomText(inj.random, 40)}.t.${domain}`;
      inj.dns(d, t, name, { txt: randomText(inj.random, 120) });
      t += inj.random.uniform(0.8e6, 2e6);
    }
    return {
      type: "dns_tunneling",
      mac: formatMac(d.mac),
      description: `${d.hostname} sends 40 TXT queries of long base32 labels under ${domain}`,
    };
  },

  beaconing(inj, at) {
    const d = inj.device("plug");
    const remote = inj.freshAddress();
    for (let t = at; t < at + 1800e6; t += 60e6 * inj.random.uniform(0.8, 1.2)) {
      inj.tcp(d, t, remote, 8443, 180, 90, { rttUs: 60_000 });
    }
    return {
      type: "beaconing",
      mac: formatMac(d.mac),
      description: `${d.hostname} connects every 60 s ± 20 % to a fresh address for 30 minutes`,
    };
  },

  data_exfiltration(inj, at) {
    const d = inj.device("laptop");
    const remote = inj.freshAddress();
    // 150 MB in 230 s: a segment every ~1.57 ms... as GRO aggregates, one every ~100 ms.
    const bytes = 150e6;
    const spacing = 230e6 / Math.ceil(bytes / BULK_SEGMENT);
    inj.tcp(d, at, remote, 443, bytes, 0, { segment: BULK_SEGMENT, spacingUs: spacing });
    return {
      type: "data_exfiltration",
      mac: formatMac(d.mac),
      description: `${d.hostname} uploads 150 MB to a fresh address in about 4 minutes`,
    };
  },

  brute_force(inj, at) {
    const attacker = inj.device("camera");
    const target = inj.device("laptop", [attacker]);
    for (let i = 0; i < 40; i++) {
      const t = at + i * 750_000;
      const a = new TcpPeer(attacker.mac, attacker.ip, 40000 + i * 7, inj.random);
      const b = new TcpPeer(target.mac, target.ip, 22, inj.random);
      const to = (x: number, f: [Uint8Array, number]) => inj.send(x, f[0], f[1]);
      to(t, a.frame(b, target.mac, TcpFlag.SYN, 0));
      to(t + 500, b.frame(a, attacker.mac, TcpFlag.SYN | TcpFlag.ACK, 0));
      to(t + 700, a.frame(b, target.mac, TcpFlag.ACK, 0));
      to(t + 5000, b.frame(a, attacker.mac, TcpFlag.ACK | TcpFlag.PSH, 41));
      to(t + 9000, a.frame(b, target.mac, TcpFlag.ACK | TcpFlag.PSH, 21));
      to(t + 60_000, a.frame(b, target.mac, TcpFlag.ACK | TcpFlag.PSH, 120));
      to(t + 400_000, b.frame(a, attacker.mac, TcpFlag.ACK | TcpFlag.PSH, 52));
      to(t + 401_000, b.frame(a, attacker.mac, TcpFlag.FIN | TcpFlag.ACK, 0));
      to(t + 401_500, a.frame(b, target.mac, TcpFlag.FIN | TcpFlag.ACK, 0));
      to(t + 402_000, b.frame(a, attacker.mac, TcpFlag.ACK, 0));
    }
    return {
      type: "brute_force",
      mac: formatMac(attacker.mac),
      description: `${attacker.hostname} opens 40 SSH connections to ${target.hostname} in 30 s`,
    };
  },

  os_update(inj, at) {
    const d = inj.device("laptop");
    const cdn = ip(23, 32, 239, 19);
    const answered = inj.dns(d, at, "tlu.dl.delivery.mp.microsoft.com", { a: cdn });
    // 2 GB in ~10 minutes over 8 parallel ranges.
    const perConnection = 2e9 / 8;
    const segments = Math.ceil(perConnection / BULK_SEGMENT);
    for (let i = 0; i < 8; i++) {
      inj.tcp(d, answered + 50_000 + i * 20_000, cdn, 443, 600, perConnection, {
        segment: BULK_SEGMENT,
        spacingUs: 600e6 / segments,
      });
    }
    return {
      type: "benign",
      mac: formatMac(d.mac),
      description: `${d.hostname} downloads a 2 GB OS update from a CDN it resolves first`,
    };
  },

  new_streaming_service(inj, at) {
    const d = inj.device("tv");
    const server = ip(151, 101, 2, 133);
    const name = "vod-ak.hbomax.com";
    let t = at;
    // 40 minutes of viewing: a 4-second chunk fetch every 4 s, ~2.5 MB each.
    for (let i = 0; i < 600; i++, t += 4e6) {
      const answered = i % 75 === 0 ? inj.dns(d, t, name, { a: server }) : t;
      inj.tcp(d, answered + 20_000, server, 443, 700, 2.5e6, { segment: BULK_SEGMENT, spacingUs: 20_000 });
    }
    return {
      type: "benign",
      mac: formatMac(d.mac),
      description: `${d.hostname} starts streaming from a new service (${name}), about 6 GB/hour`,
    };
  },

  video_call(inj, at) {
    const d = inj.device("laptop");
    const server = ip(170, 114, 52, 2);
    const answered = inj.dns(d, at, "zoomus.zoom.us", { a: server });
    const sport = inj.random.int(50000, 60000);
    const { gateway } = inj.ctx;
    // 20 minutes, 25 packets a second each way (audio and video).
    for (let t = answered + 100_000; t < at + 1200e6; t += 40_000) {
      const [up, upWire] = udpFrame(d.mac, gateway.mac, d.ip, server, sport, 8801, inj.random.int(200, 1200));
      inj.send(t, up, upWire);
      const [down, downWire] = udpFrame(gateway.mac, d.mac, server, d.ip, 8801, sport, inj.random.int(300, 1300), 54);
      inj.send(t + inj.random.uniform(5000, 30000), down, downWire);
    }
    return {
      type: "benign",
      mac: formatMac(d.mac),
      description: `${d.hostname} is on a 20-minute video call (UDP both ways)`,
    };
  },

  dhcp_rejoin(inj, at) {
    const d = inj.device("phone");
    const { gateway } = inj.ctx;
    const used = new Set([...inj.ctx.devices.map((x) => x.ip), gateway.ip]);
    let next = (d.ip & 0xffffff00) + 100;
    while (used.has(next)) next++;
    const oldIp = d.ip;
    d.ip = next;
    const xid = inj.random.int(0, 0xffffffff);
    const common = { xid, clientMac: d.mac, hostname: d.hostname, parameterRequestList: [1, 3, 6, 15, 119, 252] };
    const client = (message: Uint8Array) =>
      ethernetFrame(
        BROADCAST_MAC,
        d.mac,
        0x0800,
        ipv4Packet({ src: 0, dst: 0xffffffff, protocol: 17 }, udpDatagram(0, 0xffffffff, 68, 67, message)),
      );
    const server = (message: Uint8Array) =>
      ethernetFrame(
        d.mac,
        gateway.mac,
        0x0800,
        ipv4Packet({ src: gateway.ip, dst: next, protocol: 17 }, udpDatagram(gateway.ip, next, 67, 68, message)),
      );
    const lease = {
      yourIp: next,
      serverIp: gateway.ip,
      router: gateway.ip,
      dnsServer: gateway.ip,
      leaseSeconds: 86400,
    };
    inj.send(at, client(dhcpMessage({ messageType: 1, ...common })));
    inj.send(at + 2000, server(dhcpMessage({ messageType: 2, xid, clientMac: d.mac, ...lease })));
    inj.send(at + 3500, client(dhcpMessage({ messageType: 3, ...common, requestedIp: next })));
    inj.send(at + 5500, server(dhcpMessage({ messageType: 5, xid, clientMac: d.mac, ...lease })));
    inj.send(at + 55_500, ethernetFrame(BROADCAST_MAC, d.mac, 0x0806, arpPacket(1, d.mac, next, 0, next)));
    const dotted = (n: number) => `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
    return {
      type: "benign",
      mac: formatMac(d.mac),
      description: `${d.hostname} rejoins and moves from ${dotted(oldIp)} to ${dotted(next)}`,
    };
  },
};

/** Injects one scenario at `atUs` (microseconds since the epoch); `seed` makes it reproducible. */
export function inject(kind: InjectionKind, atUs: number, seed: number, ctx: InjectionContext): InjectionLabel {
  const injector = new Injector(ctx, new Random((seed * 0x9e3779b1 + Math.round(atUs / 1e6)) >>> 0));
  const result = INJECTORS[kind](injector, atUs);
  const [first, last] = injector.span;
  return { kind, ...result, start: Math.floor(first / 1000), end: Math.ceil(last / 1000) };
}
