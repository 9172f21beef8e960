/**
 * The link-, network- and transport-layer fields of one packet, as plain numbers.
 *
 * One instance is reused for every packet (the decoder overwrites it), so the hot path
 * allocates nothing. Addresses are numbers: a MAC is 48 bits (exact in a double), an IPv4
 * address a uint32, and every IP address also sits in `srcAddress`/`dstAddress` as four
 * big-endian 32-bit words with IPv4 mapped as ::ffff:a.b.c.d, so flows key on one shape.
 */
export class DecodedPacket {
  /** Index into MALFORMED_REASONS when the packet is malformed, else 0. */
  malformed = 0;
  /** A header was cut by the snap length: fields past it are absent but the packet is fine. */
  truncated = false;

  timestampUs = 0;
  wireLength = 0;
  capturedLength = 0;

  // Link layer (Ethernet or Linux cooked). -1 when the link type carries no MAC.
  srcMac = -1;
  dstMac = -1;
  /** Outer and inner 802.1Q VLAN ids, -1 when absent. */
  vlanOuter = -1;
  vlanInner = -1;
  etherType = 0;

  /** 4 for IPv4, 6 for IPv6, 0 otherwise (ARP sets isArp). */
  ipVersion = 0;
  isArp = false;
  arpOperation = 0;
  arpSenderMac = 0;
  arpSenderIp = 0;
  arpTargetMac = 0;
  arpTargetIp = 0;

  readonly srcAddress = new Uint32Array(4);
  readonly dstAddress = new Uint32Array(4);
  /** IPv4 addresses as uint32 (0 for IPv6). */
  srcIp4 = 0;
  dstIp4 = 0;
  ttl = 0;
  ipOffset = 0;
  /** Total length of the IP packet from its header (payload length + 40 for IPv6). */
  ipLength = 0;
  ipId = 0;
  ipHasOptions = false;
  isFragment = false;
  /** Not the first fragment: no transport header in this packet. */
  isLaterFragment = false;
  /** IP protocol number after IPv6 extension headers. */
  protocol = -1;

  /** Transport header offset in the batch buffer (-1 when absent). */
  l4Offset = -1;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  icmpType = -1;
  icmpCode = -1;
  icmpId = 0;
  icmpSeq = 0;

  /** Application payload: captured bytes at payloadOffset, and its length per the headers. */
  payloadOffset = 0;
  payloadCapturedLength = 0;
  payloadLength = 0;

  reset(): void {
    this.malformed = 0;
    this.truncated = false;
    this.srcMac = -1;
    this.dstMac = -1;
    this.vlanOuter = -1;
    this.vlanInner = -1;
    this.etherType = 0;
    this.ipVersion = 0;
    this.isArp = false;
    this.srcIp4 = 0;
    this.dstIp4 = 0;
    this.ipHasOptions = false;
    this.isFragment = false;
    this.isLaterFragment = false;
    this.protocol = -1;
    this.l4Offset = -1;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.payloadOffset = 0;
    this.payloadCapturedLength = 0;
    this.payloadLength = 0;
  }
}

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export const IpProtocol = {
  ICMP: 1,
  IGMP: 2,
  TCP: 6,
  UDP: 17,
  IPV6_ICMP: 58,
  SCTP: 132,
} as const;

/**
 * Reasons a packet is malformed; the index is what DecodedPacket.malformed holds. Names are
 * stable: they are the keys of `malformed` in `heimdal analyze --format json`.
 */
export const MALFORMED_REASONS = [
  "none",
  "link_header_short",
  "vlan_header_short",
  "arp_short",
  "ipv4_header_short",
  "ipv4_bad_version",
  "ipv4_bad_header_length",
  "ipv4_bad_total_length",
  "ipv6_header_short",
  "ipv6_bad_version",
  "ipv6_extension_header_bad",
  "tcp_bad_data_offset",
  "udp_bad_length",
  "ip_bad_version",
  "ipv6_bad_payload_length",
  "icmp_header_short",
] as const;

export type MalformedReason = (typeof MALFORMED_REASONS)[number];

export const Malformed: { readonly [K in MalformedReason]: number } = Object.fromEntries(
  MALFORMED_REASONS.map((name, index) => [name, index]),
) as { [K in MalformedReason]: number };
