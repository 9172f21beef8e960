/**
 * The checks of the tshark oracle: for one packet, what we claim for a tshark field and what
 * tshark printed, both as normalised text. Test-only; pure, so it type-checks with core.
 *
 * A check's `ours` returns a string (our value), null (we say the field is absent) or
 * undefined (we make no claim: the layer is not ours to judge for this packet). Only claims
 * are compared. tshark prints every occurrence of a field; unless a check says otherwise the
 * outermost one is compared, because we decode the outermost headers only.
 */
import { formatIp, formatIpv4, formatMac } from "../packet/address.js";
import { type DecodedPacket, IpProtocol, MALFORMED_REASONS } from "../packet/decoded-packet.js";
import { parseDhcp } from "../packet/dhcp.js";
import { parseDns, parseDnsOverTcp } from "../packet/dns.js";
import { LinkType } from "../packet/link-type.js";
import { parseTlsClientHello } from "../packet/tls-client-hello.js";
import { AGGREGATOR, type TsharkField, type TsharkRow } from "./tshark-fields.js";

/** One packet as we decoded it, with its bytes for the application-layer parsers. */
export interface PacketContext {
  p: DecodedPacket;
  linkType: number;
  /** The batch bytes, and where this packet starts in them. */
  data: Uint8Array;
  offset: number;
}

export interface FieldCheck {
  /** Usually the tshark field; derived checks name what they compare ("ip.options"). */
  name: string;
  ours(c: PacketContext): string | null | undefined;
  theirs(row: TsharkRow): string | undefined;
}

/** Ports on which tshark dissects DNS (DNS, mDNS, LLMNR) and we parse it. */
const DNS_PORTS = new Set([53, 5353, 5355]);
const DHCP_PORTS = new Set([67, 68]);

/** tshark prints some integers in hex ("0x0800"); compare numbers as decimal text. */
function numeric(value: string | undefined): string | undefined {
  return value === undefined ? undefined : String(Number(value));
}

function first(field: TsharkField, normalise: (v: string | undefined) => string | undefined = (v) => v) {
  return (row: TsharkRow) => normalise(row.first(field));
}

const isEthernetLike = (c: PacketContext) => c.linkType === LinkType.ETHERNET || c.linkType === LinkType.PPI;
const isCooked = (c: PacketContext) => c.linkType === LinkType.LINUX_SLL || c.linkType === LinkType.LINUX_SLL2;
const decodedIp = (c: PacketContext, version: number) => c.p.ipVersion === version;
/** We decoded the transport header of this protocol (not a later fragment, not cut before the ports). */
const hasPorts = (c: PacketContext, protocol: number) => c.p.protocol === protocol && c.p.l4Offset >= 0;
/** The transport header lies wholly in the capture (and, for TCP, its flags and numbers were read). */
const fullTcp = (c: PacketContext) => hasPorts(c, IpProtocol.TCP) && c.p.l4Offset + 20 <= c.p.payloadOffset;

/** Our claim about an IP protocol's header, given the IP header we decoded. */
function transportClaim(c: PacketContext, protocol: number, value: () => string): string | null | undefined {
  if (c.p.ipVersion === 0) return undefined; // judged by the IP checks
  if (c.p.protocol !== protocol) return null;
  if (c.p.isLaterFragment) return null;
  if (c.p.l4Offset < 0) return c.p.truncated ? undefined : null;
  return value();
}

function icmpEcho(type: number): boolean {
  return type === 0 || type === 8 || type === 128 || type === 129;
}

export const FIELD_CHECKS: readonly FieldCheck[] = [
  { name: "frame.len", ours: (c) => String(c.p.wireLength), theirs: first("frame.len") },
  { name: "frame.cap_len", ours: (c) => String(c.p.capturedLength), theirs: first("frame.cap_len") },
  {
    // Microseconds: nanosecond sources are rounded down by the reader, as documented.
    name: "frame.time_epoch(us)",
    ours: (c) => String(c.p.timestampUs),
    theirs: first("frame.time_epoch", (v) => {
      if (v === undefined) return undefined;
      const [seconds = "0", fraction = ""] = v.split(".");
      return String(BigInt(seconds) * 1_000_000n + BigInt((fraction + "000000").slice(0, 6)));
    }),
  },
  {
    name: "eth.src",
    ours: (c) => (isEthernetLike(c) ? (c.p.srcMac >= 0 ? formatMac(c.p.srcMac) : null) : undefined),
    theirs: first("eth.src"),
  },
  {
    name: "eth.dst",
    ours: (c) => (isEthernetLike(c) ? (c.p.dstMac >= 0 ? formatMac(c.p.dstMac) : null) : undefined),
    theirs: first("eth.dst"),
  },
  {
    // Outer and inner tag; tshark lists every tag, we keep two.
    name: "vlan.id",
    ours: (c) => {
      if (!isEthernetLike(c) || c.p.srcMac < 0) return undefined;
      if (c.p.vlanOuter < 0) return null;
      return c.p.vlanInner < 0 ? String(c.p.vlanOuter) : `${c.p.vlanOuter}${AGGREGATOR}${c.p.vlanInner}`;
    },
    theirs: (row) => {
      const ids = row.all("vlan.id").slice(0, 2);
      return ids.length === 0 ? undefined : ids.join(AGGREGATOR);
    },
  },
  {
    // The EtherType after the tags: the last vlan.etype of the outer Ethernet header, else eth.type.
    name: "ethertype",
    ours: (c) => {
      if (!isEthernetLike(c) || c.p.srcMac < 0 || c.p.malformed !== 0 || c.p.etherType < 0x0600) return undefined;
      return String(c.p.etherType);
    },
    theirs: (row) => {
      const tags = row.all("vlan.etype");
      const outerTags = Math.min(tags.length, Math.max(1, row.all("vlan.id").length));
      const type = tags.length > 0 ? tags[outerTags - 1] : row.first("eth.type");
      return numeric(type);
    },
  },
  {
    name: "sll.src.eth",
    ours: (c) => (isCooked(c) ? (c.p.srcMac >= 0 ? formatMac(c.p.srcMac) : null) : undefined),
    theirs: first("sll.src.eth"),
  },
  {
    name: "sll.etype",
    ours: (c) => (isCooked(c) && c.p.malformed === 0 && c.p.etherType >= 0x0600 ? String(c.p.etherType) : undefined),
    theirs: first("sll.etype", numeric),
  },
  {
    name: "arp.opcode",
    ours: (c) => (c.p.isArp ? String(c.p.arpOperation) : c.p.ipVersion !== 0 ? null : undefined),
    theirs: first("arp.opcode", numeric),
  },
  ...(
    [
      ["arp.src.hw_mac", (p: DecodedPacket) => formatMac(p.arpSenderMac)],
      ["arp.src.proto_ipv4", (p: DecodedPacket) => formatIpv4(p.arpSenderIp)],
      ["arp.dst.hw_mac", (p: DecodedPacket) => formatMac(p.arpTargetMac)],
      ["arp.dst.proto_ipv4", (p: DecodedPacket) => formatIpv4(p.arpTargetIp)],
    ] as const
  ).map(
    ([name, format]): FieldCheck => ({
      name,
      // Addresses are decoded for Ethernet/IPv4 ARP only (hardware size 6, protocol size 4).
      ours: (c) => (c.p.isArp && c.p.malformed === 0 && arpSizesAreEthernetIpv4(c) ? format(c.p) : undefined),
      theirs: first(name),
    }),
  ),
  {
    // Whether an IPv4 header is there at all: our ipVersion against tshark's outer IP layer.
    name: "ip.src",
    ours: (c) => (decodedIp(c, 4) ? formatIpv4(c.p.srcIp4) : ipClaimAbsent(c)),
    theirs: (row) => (row.protocols[outerNetworkLayer(row)] === "ip" ? row.first("ip.src") : undefined),
  },
  {
    name: "ip.dst",
    ours: (c) => (decodedIp(c, 4) ? formatIpv4(c.p.dstIp4) : undefined),
    theirs: first("ip.dst"),
  },
  { name: "ip.proto", ours: (c) => (decodedIp(c, 4) ? String(c.p.protocol) : undefined), theirs: first("ip.proto") },
  { name: "ip.ttl", ours: (c) => (decodedIp(c, 4) ? String(c.p.ttl) : undefined), theirs: first("ip.ttl") },
  { name: "ip.id", ours: (c) => (decodedIp(c, 4) ? String(c.p.ipId) : undefined), theirs: first("ip.id", numeric) },
  { name: "ip.len", ours: (c) => (decodedIp(c, 4) ? String(c.p.ipLength) : undefined), theirs: first("ip.len") },
  {
    name: "ip.options",
    ours: (c) => (decodedIp(c, 4) ? String(c.p.ipHasOptions) : undefined),
    theirs: first("ip.hdr_len", (v) => (v === undefined ? undefined : String(Number(v) > 20))),
  },
  {
    name: "ip.fragment",
    ours: (c) => (decodedIp(c, 4) ? `${c.p.isFragment}/${c.p.isLaterFragment}` : undefined),
    theirs: (row) => {
      const mf = row.first("ip.flags.mf");
      const offset = row.first("ip.frag_offset");
      if (mf === undefined || offset === undefined) return undefined;
      const later = Number(offset) !== 0;
      return `${later || mf === "1" || mf === "True"}/${later}`;
    },
  },
  {
    name: "ipv6.src",
    ours: (c) => (decodedIp(c, 6) ? formatIp(c.p.srcAddress) : ipClaimAbsent(c)),
    theirs: (row) => (row.protocols[outerNetworkLayer(row)] === "ipv6" ? row.first("ipv6.src") : undefined),
  },
  {
    name: "ipv6.dst",
    ours: (c) => (decodedIp(c, 6) ? formatIp(c.p.dstAddress) : undefined),
    theirs: first("ipv6.dst"),
  },
  { name: "ipv6.hlim", ours: (c) => (decodedIp(c, 6) ? String(c.p.ttl) : undefined), theirs: first("ipv6.hlim") },
  {
    name: "ipv6.plen",
    // A zero payload length (jumbogram, offload) is taken from the frame by us: no claim.
    ours: (c) => (decodedIp(c, 6) && readU16(c.data, c.p.ipOffset + 4) !== 0 ? String(c.p.ipLength - 40) : undefined),
    theirs: first("ipv6.plen"),
  },
  {
    name: "ipv6.later_fragment",
    ours: (c) => (decodedIp(c, 6) && c.p.isFragment ? String(c.p.isLaterFragment) : undefined),
    theirs: first("ipv6.fraghdr.offset", (v) => (v === undefined ? undefined : String(Number(v) !== 0))),
  },
  {
    // The protocol after IPv6 extension headers, from tshark's layer list.
    name: "ipv6.upper_protocol",
    ours: (c) =>
      decodedIp(c, 6) && !c.p.isLaterFragment && c.p.malformed === 0 && !c.p.truncated
        ? String(c.p.protocol)
        : undefined,
    theirs: (row) => {
      const upper = UPPER_PROTOCOLS[upperLayer(row) ?? ""];
      return upper === undefined ? undefined : String(upper);
    },
  },
  {
    name: "tcp.srcport",
    ours: (c) => transportClaim(c, IpProtocol.TCP, () => String(c.p.srcPort)),
    theirs: outerTransport("tcp", "tcp.srcport"),
  },
  {
    name: "tcp.dstport",
    ours: (c) => (hasPorts(c, IpProtocol.TCP) ? String(c.p.dstPort) : undefined),
    theirs: first("tcp.dstport"),
  },
  {
    name: "tcp.flags",
    ours: (c) =>
      hasPorts(c, IpProtocol.TCP) && c.p.capturedLength > 0 && capturedFrom(c, c.p.l4Offset) >= 14
        ? String(c.p.tcpFlags)
        : undefined,
    theirs: first("tcp.flags", (v) => (v === undefined ? undefined : String(Number(v) & 0xff))),
  },
  { name: "tcp.seq_raw", ours: (c) => (fullTcp(c) ? String(c.p.tcpSeq) : undefined), theirs: first("tcp.seq_raw") },
  { name: "tcp.ack_raw", ours: (c) => (fullTcp(c) ? String(c.p.tcpAck) : undefined), theirs: first("tcp.ack_raw") },
  {
    name: "tcp.window_size_value",
    ours: (c) => (fullTcp(c) ? String(c.p.tcpWindow) : undefined),
    theirs: first("tcp.window_size_value"),
  },
  {
    name: "tcp.len",
    ours: (c) => (fullTcp(c) && c.p.malformed === 0 ? String(c.p.payloadLength) : undefined),
    theirs: first("tcp.len"),
  },
  {
    name: "udp.srcport",
    ours: (c) => transportClaim(c, IpProtocol.UDP, () => String(c.p.srcPort)),
    theirs: outerTransport("udp", "udp.srcport"),
  },
  {
    name: "udp.dstport",
    ours: (c) => (hasPorts(c, IpProtocol.UDP) ? String(c.p.dstPort) : undefined),
    theirs: first("udp.dstport"),
  },
  {
    name: "udp.length",
    ours: (c) =>
      hasPorts(c, IpProtocol.UDP) &&
      c.p.malformed === 0 &&
      capturedFrom(c, c.p.l4Offset) >= 8 &&
      readU16(c.data, c.p.l4Offset + 4) !== 0
        ? String(c.p.payloadLength + 8)
        : undefined,
    theirs: first("udp.length"),
  },
  {
    name: "icmp.type",
    ours: (c) => (c.p.ipVersion === 4 ? transportClaim(c, IpProtocol.ICMP, () => String(c.p.icmpType)) : undefined),
    theirs: outerTransport("icmp", "icmp.type"),
  },
  {
    name: "icmp.code",
    ours: (c) => (c.p.icmpType >= 0 && c.p.protocol === IpProtocol.ICMP ? String(c.p.icmpCode) : undefined),
    theirs: first("icmp.code"),
  },
  {
    name: "icmp.ident",
    ours: (c) => (icmpEchoHeader(c, IpProtocol.ICMP) ? String(c.p.icmpId) : undefined),
    theirs: first("icmp.ident", numeric),
  },
  {
    name: "icmp.seq",
    ours: (c) => (icmpEchoHeader(c, IpProtocol.ICMP) ? String(c.p.icmpSeq) : undefined),
    theirs: first("icmp.seq", numeric),
  },
  {
    name: "icmpv6.type",
    ours: (c) =>
      c.p.ipVersion === 6 ? transportClaim(c, IpProtocol.IPV6_ICMP, () => String(c.p.icmpType)) : undefined,
    theirs: outerTransport("icmpv6", "icmpv6.type"),
  },
  {
    name: "icmpv6.code",
    ours: (c) => (c.p.icmpType >= 0 && c.p.protocol === IpProtocol.IPV6_ICMP ? String(c.p.icmpCode) : undefined),
    theirs: first("icmpv6.code"),
  },
  {
    name: "icmpv6.echo.identifier",
    ours: (c) => (icmpEchoHeader(c, IpProtocol.IPV6_ICMP) ? String(c.p.icmpId) : undefined),
    theirs: first("icmpv6.echo.identifier", numeric),
  },
  {
    name: "icmpv6.echo.sequence_number",
    ours: (c) => (icmpEchoHeader(c, IpProtocol.IPV6_ICMP) ? String(c.p.icmpSeq) : undefined),
    theirs: first("icmpv6.echo.sequence_number", numeric),
  },
];

/** Application-layer checks: our parsers on the payloads of the usual ports. */
export const APP_CHECKS: readonly FieldCheck[] = [
  {
    name: "dns.qry.name",
    ours: (c) => {
      const p = c.p;
      if (p.malformed !== 0 || p.l4Offset < 0 || p.payloadCapturedLength !== p.payloadLength) return undefined;
      if (!DNS_PORTS.has(p.srcPort) && !DNS_PORTS.has(p.dstPort)) return undefined;
      let result: ReturnType<typeof parseDns>;
      if (p.protocol === IpProtocol.UDP) result = parseDns(c.data, p.payloadOffset, p.payloadCapturedLength);
      else if (p.protocol === IpProtocol.TCP && p.payloadLength > 0) {
        result = parseDnsOverTcp(c.data, p.payloadOffset, p.payloadCapturedLength);
      } else return undefined;
      if (!result.ok) return null;
      const names = result.value.questions.map((q) => tsharkDnsName(q.name));
      return names.length === 0 ? null : names.join(AGGREGATOR);
    },
    // Every question name of the outermost DNS message (tshark lists quoted ones after it).
    theirs: (row) => {
      const names = row.all("dns.qry.name");
      return names.length === 0 ? undefined : names.join(AGGREGATOR);
    },
  },
  {
    name: "dhcp.option.hostname",
    ours: (c) => {
      const p = c.p;
      if (p.malformed !== 0 || p.protocol !== IpProtocol.UDP || p.l4Offset < 0) return undefined;
      if (!DHCP_PORTS.has(p.srcPort) || !DHCP_PORTS.has(p.dstPort)) return undefined;
      if (p.payloadCapturedLength !== p.payloadLength) return undefined;
      const result = parseDhcp(c.data, p.payloadOffset, p.payloadCapturedLength);
      return result.ok ? (result.value.hostname ?? null) : null;
    },
    theirs: first("dhcp.option.hostname"),
  },
  {
    name: "tls.handshake.extensions_server_name",
    ours: (c) => {
      const p = c.p;
      if (p.malformed !== 0 || p.protocol !== IpProtocol.TCP || p.payloadCapturedLength < 6) return undefined;
      // A handshake record (22) of TLS 1.x carrying a ClientHello (1): what tshark shows an SNI for.
      const d = c.data;
      const at = p.payloadOffset;
      if (d[at] !== 22 || d[at + 1] !== 3 || d[at + 5] !== 1) return undefined;
      const result = parseTlsClientHello(d, at, p.payloadCapturedLength);
      return result.ok ? (result.value.serverName ?? null) : null;
    },
    theirs: first("tls.handshake.extensions_server_name"),
  },
];

/** Protocol numbers of tshark's layer names after IPv6. */
const UPPER_PROTOCOLS: Record<string, number> = {
  tcp: 6,
  udp: 17,
  icmpv6: 58,
  icmp: 1,
  gre: 47,
  esp: 50,
  sctp: 132,
  igmp: 2,
};

/**
 * A transport field of the layer right above the outermost IP header. tshark also prints the
 * headers an ICMP error quotes and those inside tunnels; they come later in its lists and in
 * frame.protocols, and they are not what we decode.
 */
function outerTransport(layer: string, field: TsharkField) {
  return (row: TsharkRow) => (upperLayer(row) === layer ? row.first(field) : undefined);
}

/** The layer after the outermost IP header and its IPv6 extension headers. */
function upperLayer(row: TsharkRow): string | undefined {
  const layers = row.protocols;
  let i = outerNetworkLayer(row);
  if (i < 0 || layers[i] === "arp") return undefined;
  i++;
  while (i < layers.length && layers[i]!.startsWith("ipv6.")) i++;
  return layers[i];
}

/** Index in frame.protocols of the first network layer (ip, ipv6, arp), or -1. */
export function outerNetworkLayer(row: TsharkRow): number {
  return row.protocols.findIndex((layer) => layer === "ip" || layer === "ipv6" || layer === "arp");
}

/**
 * We decoded no IP header of this version: we claim there is none. Where we called the packet
 * malformed or truncated, tshark may still show what it could read; differences.ts decides.
 */
function ipClaimAbsent(_c: PacketContext): null {
  return null;
}

/**
 * DecodedPacket does not say where ARP starts, and the decoder leaves all four addresses zero
 * for sizes other than Ethernet/IPv4: take all-zero addresses as "not decoded" (a real ARP
 * packet always has a sender MAC).
 */
function arpSizesAreEthernetIpv4(c: PacketContext): boolean {
  return c.p.arpSenderMac !== 0 || c.p.arpTargetMac !== 0 || c.p.arpSenderIp !== 0 || c.p.arpTargetIp !== 0;
}

function icmpEchoHeader(c: PacketContext, protocol: number): boolean {
  return c.p.protocol === protocol && icmpEcho(c.p.icmpType) && capturedFrom(c, c.p.l4Offset) >= 8;
}

/** Captured bytes from `at` to the end of the packet's capture. */
function capturedFrom(c: PacketContext, at: number): number {
  return c.p.capturedLength - (at - c.offset);
}

function readU16(data: Uint8Array, at: number): number {
  return ((data[at] ?? 0) << 8) | (data[at + 1] ?? 0);
}

/**
 * Our DNS name text as tshark 4.0 prints it (see dns.ts): `\.` and `\\` unescaped, the root
 * as `<Root>`.
 */
export function tsharkDnsName(name: string): string {
  if (name === "") return "<Root>";
  return name.replace(/\\([.\\])/g, "$1");
}

export function malformedName(p: DecodedPacket): string {
  return MALFORMED_REASONS[p.malformed] ?? `unknown_${p.malformed}`;
}
