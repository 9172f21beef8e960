/**
 * Builders of link-, network- and transport-layer headers for decoder and flow tests.
 * Test-only. Every builder takes the payload it wraps, so a frame reads inside out:
 * `ethernet({...}, ipv4({...}, udp({...}, payload)))`. Fields default to ordinary values and
 * every length or version field can be overridden to build malformed packets on purpose.
 */
import { be16, be32, concatBytes, internetChecksum, ipv4Bytes, ipv6Bytes, macBytes } from "./bytes.js";

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, IPV6: 0x86dd, VLAN: 0x8100, QINQ: 0x88a8 } as const;

export interface VlanTag {
  /** Tag protocol identifier: 0x8100 (802.1Q) or 0x88a8 (802.1ad outer tag). */
  tpid?: number;
  id: number;
  priority?: number;
}

export interface EthernetOptions {
  dst?: string;
  src?: string;
  etherType: number;
  /** Tags in wire order (outer first). */
  vlans?: VlanTag[];
}

export function ethernet(options: EthernetOptions, payload: ArrayLike<number> = []): Uint8Array {
  const tags = (options.vlans ?? []).map((tag) => [
    ...be16(tag.tpid ?? EtherType.VLAN),
    ...be16(((tag.priority ?? 0) << 13) | (tag.id & 0x0fff)),
  ]);
  return concatBytes(
    macBytes(options.dst ?? "ff:ff:ff:ff:ff:ff"),
    macBytes(options.src ?? "02:00:00:00:00:01"),
    ...tags,
    be16(options.etherType),
    payload,
  );
}

export interface ArpOptions {
  operation?: number;
  senderMac?: string;
  senderIp?: string;
  targetMac?: string;
  targetIp?: string;
  /** Overrides for non-Ethernet/IPv4 ARP. */
  hardwareType?: number;
  protocolType?: number;
  hardwareLength?: number;
  protocolLength?: number;
}

export function arp(options: ArpOptions = {}): Uint8Array {
  return concatBytes(
    be16(options.hardwareType ?? 1),
    be16(options.protocolType ?? EtherType.IPV4),
    [options.hardwareLength ?? 6, options.protocolLength ?? 4],
    be16(options.operation ?? 1),
    macBytes(options.senderMac ?? "02:00:00:00:00:01"),
    ipv4Bytes(options.senderIp ?? "192.168.1.10"),
    macBytes(options.targetMac ?? "00:00:00:00:00:00"),
    ipv4Bytes(options.targetIp ?? "192.168.1.1"),
  );
}

export interface Ipv4Options {
  src?: string;
  dst?: string;
  protocol: number;
  ttl?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In 8-byte units. */
  fragmentOffset?: number;
  /** Option bytes, padded with zeros (end of options) to a multiple of four. */
  options?: ArrayLike<number>;
  /** Overrides: the version nibble, the header length in 32-bit words, the total length. */
  version?: number;
  ihl?: number;
  totalLength?: number;
}

export function ipv4(options: Ipv4Options, payload: ArrayLike<number> = []): Uint8Array {
  const optionBytes = Array.from(options.options ?? []);
  while (optionBytes.length % 4 !== 0) optionBytes.push(0);
  const ihl = options.ihl ?? 5 + optionBytes.length / 4;
  const headerLength = 20 + optionBytes.length;
  const flags = (options.dontFragment ? 0x4000 : 0) | (options.moreFragments ? 0x2000 : 0);
  const header = [
    ((options.version ?? 4) << 4) | (ihl & 0x0f),
    0,
    ...be16(options.totalLength ?? headerLength + payload.length),
    ...be16(options.id ?? 0x1234),
    ...be16(flags | ((options.fragmentOffset ?? 0) & 0x1fff)),
    options.ttl ?? 64,
    options.protocol,
    0,
    0,
    ...ipv4Bytes(options.src ?? "192.168.1.10"),
    ...ipv4Bytes(options.dst ?? "192.168.1.1"),
    ...optionBytes,
  ];
  const checksum = internetChecksum(header);
  header[10] = checksum >>> 8;
  header[11] = checksum & 0xff;
  return concatBytes(header, payload);
}

/** An IPv6 extension header: its type (the Next Header value that announces it) and its bytes after the first two. */
export interface Ipv6Extension {
  type: number;
  /** Bytes after Next Header and Hdr Ext Len (hop-by-hop, routing, destination options, AH); padded as the type needs. */
  body?: ArrayLike<number>;
}

export const Ipv6Ext = { HOP_BY_HOP: 0, ROUTING: 43, FRAGMENT: 44, AH: 51, DEST_OPTS: 60 } as const;

/** Fragment header body: offset in 8-byte units, more-fragments flag, identification. */
export function ipv6FragmentBody(offset: number, more: boolean, id = 0xabcd): number[] {
  return [...be16(((offset & 0x1fff) << 3) | (more ? 1 : 0)), ...be32(id)];
}

export interface Ipv6Options {
  src?: string;
  dst?: string;
  /** The upper-layer protocol after all extension headers. */
  protocol: number;
  hopLimit?: number;
  extensions?: Ipv6Extension[];
  version?: number;
  payloadLength?: number;
}

export function ipv6(options: Ipv6Options, payload: ArrayLike<number> = []): Uint8Array {
  const extensions = options.extensions ?? [];
  const parts: number[][] = [];
  for (let i = 0; i < extensions.length; i++) {
    const ext = extensions[i]!;
    const next = i + 1 < extensions.length ? extensions[i + 1]!.type : options.protocol;
    const body = Array.from(ext.body ?? []);
    if (ext.type === Ipv6Ext.FRAGMENT) {
      const fixed = [...body, 0, 0, 0, 0, 0, 0].slice(0, 6);
      parts.push([next, 0, ...fixed]);
    } else if (ext.type === Ipv6Ext.AH) {
      // AH length counts 4-byte units minus 2 (RFC 4302); pad to a multiple of 4 (8 for IPv6).
      while ((body.length + 2) % 8 !== 0) body.push(0);
      parts.push([next, (body.length + 2) / 4 - 2, ...body]);
    } else {
      while ((body.length + 2) % 8 !== 0) body.push(0);
      parts.push([next, (body.length + 2) / 8 - 1, ...body]);
    }
  }
  const extensionBytes = parts.flat();
  const first = extensions.length > 0 ? extensions[0]!.type : options.protocol;
  return concatBytes(
    [(options.version ?? 6) << 4, 0, 0, 0],
    be16(options.payloadLength ?? extensionBytes.length + payload.length),
    [first, options.hopLimit ?? 64],
    ipv6Bytes(options.src ?? "fe80::1"),
    ipv6Bytes(options.dst ?? "fe80::2"),
    extensionBytes,
    payload,
  );
}

export const TcpFlags = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

export interface TcpOptions {
  srcPort?: number;
  dstPort?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  /** Option bytes, padded with zeros to a multiple of four. */
  options?: ArrayLike<number>;
  /** Override of the data offset in 32-bit words. */
  dataOffset?: number;
}

export function tcp(options: TcpOptions = {}, payload: ArrayLike<number> = []): Uint8Array {
  const optionBytes = Array.from(options.options ?? []);
  while (optionBytes.length % 4 !== 0) optionBytes.push(0);
  const dataOffset = options.dataOffset ?? 5 + optionBytes.length / 4;
  return concatBytes(
    be16(options.srcPort ?? 40000),
    be16(options.dstPort ?? 80),
    be32(options.seq ?? 1000),
    be32(options.ack ?? 0),
    [(dataOffset & 0x0f) << 4, options.flags ?? TcpFlags.SYN],
    be16(options.window ?? 65535),
    [0, 0, 0, 0],
    optionBytes,
    payload,
  );
}

export interface UdpOptions {
  srcPort?: number;
  dstPort?: number;
  /** Override of the UDP length field. */
  length?: number;
}

export function udp(options: UdpOptions = {}, payload: ArrayLike<number> = []): Uint8Array {
  return concatBytes(
    be16(options.srcPort ?? 50000),
    be16(options.dstPort ?? 53),
    be16(options.length ?? 8 + payload.length),
    [0, 0],
    payload,
  );
}

export interface IcmpOptions {
  type: number;
  code?: number;
  /** Identifier and sequence (echo); for other types the four "rest of header" bytes. */
  id?: number;
  seq?: number;
}

/** ICMP and ICMPv6 share the first eight bytes' layout. */
export function icmp(options: IcmpOptions, payload: ArrayLike<number> = []): Uint8Array {
  return concatBytes([options.type, options.code ?? 0, 0, 0], be16(options.id ?? 0), be16(options.seq ?? 0), payload);
}

export interface SllOptions {
  packetType?: number;
  arphrdType?: number;
  /** Link-layer address; its length goes in the address-length field. */
  address?: ArrayLike<number>;
  protocol: number;
}

/** Linux cooked capture v1 (link type 113) header. */
export function sll(options: SllOptions, payload: ArrayLike<number> = []): Uint8Array {
  const address = Array.from(options.address ?? macBytes("02:00:00:00:00:01"));
  const field = [...address, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8);
  return concatBytes(
    be16(options.packetType ?? 0),
    be16(options.arphrdType ?? 1),
    be16(address.length),
    field,
    be16(options.protocol),
    payload,
  );
}

/** Linux cooked capture v2 (link type 276) header. */
export function sll2(options: SllOptions & { interfaceIndex?: number }, payload: ArrayLike<number> = []): Uint8Array {
  const address = Array.from(options.address ?? macBytes("02:00:00:00:00:01"));
  const field = [...address, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8);
  return concatBytes(
    be16(options.protocol),
    [0, 0],
    be32(options.interfaceIndex ?? 2),
    be16(options.arphrdType ?? 1),
    [options.packetType ?? 0, address.length],
    field,
    payload,
  );
}

/** BSD loopback (link type 0): the address family in the capturing host's byte order. */
export function nullLoopback(family: number, payload: ArrayLike<number> = [], littleEndian = true): Uint8Array {
  const bytes = be32(family);
  if (littleEndian) bytes.reverse();
  return concatBytes(bytes, payload);
}

/** Per-Packet Information header (link type 192): little-endian length and inner link type. */
export function ppi(
  innerLinkType: number,
  payload: ArrayLike<number> = [],
  fieldBytes: ArrayLike<number> = [],
): Uint8Array {
  const length = 8 + fieldBytes.length;
  return concatBytes(
    [0, 0, length & 0xff, length >>> 8],
    [innerLinkType & 0xff, (innerLinkType >>> 8) & 0xff, (innerLinkType >>> 16) & 0xff, innerLinkType >>> 24],
    fieldBytes,
    payload,
  );
}
