import { type DecodedPacket, IpProtocol, Malformed } from "./decoded-packet.js";
import { isSupportedLinkType, LinkType } from "./link-type.js";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
/** Bound on IPv6 extension headers walked; real stacks use one or two. */
const MAX_IPV6_EXTENSIONS = 8;
const MAX_VLAN_TAGS = 4;
const TWO_32 = 4294967296;

/**
 * Decodes the link, network and transport headers of one packet into `out` (reused).
 * Never throws and never reads outside data[offset, offset + capturedLength): a malformed
 * packet sets `out.malformed` to a reason index and the decoded prefix stays valid.
 */
export function decodePacket(
  data: Uint8Array,
  offset: number,
  capturedLength: number,
  wireLength: number,
  linkType: number,
  timestampUs: number,
  out: DecodedPacket,
): void {
  out.reset();
  out.timestampUs = timestampUs;
  out.wireLength = wireLength;
  out.capturedLength = capturedLength;
  const end = offset + capturedLength;
  switch (linkType) {
    case LinkType.ETHERNET:
      decodeEthernet(data, offset, end, wireLength, out);
      return;
    case LinkType.LINUX_SLL:
      decodeLinuxCooked(data, offset, end, wireLength, out);
      return;
    case LinkType.LINUX_SLL2:
      decodeLinuxCooked2(data, offset, end, wireLength, out);
      return;
    case LinkType.NULL:
      decodeNullLoopback(data, offset, end, wireLength, out);
      return;
    case LinkType.PPI:
      decodePpi(data, offset, end, wireLength, timestampUs, out);
      return;
    default:
      // RAW, IPV4, IPV6 and the historical raw numbers: the packet starts with the IP header.
      decodeRawIp(data, offset, end, wireLength, out);
  }
}

function readMac(data: Uint8Array, at: number): number {
  return ((data[at]! << 8) | data[at + 1]!) * TWO_32 + readU32(data, at + 2);
}

function readU16(data: Uint8Array, at: number): number {
  return (data[at]! << 8) | data[at + 1]!;
}

function readU32(data: Uint8Array, at: number): number {
  return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
}

function decodeEthernet(data: Uint8Array, start: number, end: number, wireLength: number, out: DecodedPacket): void {
  if (end - start < 14) {
    out.malformed = Malformed.link_header_short;
    return;
  }
  out.dstMac = readMac(data, start);
  out.srcMac = readMac(data, start + 6);
  let type = readU16(data, start + 12);
  let at = start + 14;
  let tags = 0;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (end - at < 4 || tags >= MAX_VLAN_TAGS) {
      out.malformed = Malformed.vlan_header_short;
      return;
    }
    const vlan = readU16(data, at) & 0x0fff;
    if (tags === 0) out.vlanOuter = vlan;
    else if (tags === 1) out.vlanInner = vlan;
    tags++;
    type = readU16(data, at + 2);
    at += 4;
  }
  out.etherType = type;
  decodeEtherPayload(data, at, end, wireLength - (at - start), type, out);
}

function decodeLinuxCooked(data: Uint8Array, start: number, end: number, wireLength: number, out: DecodedPacket): void {
  if (end - start < 16) {
    out.malformed = Malformed.link_header_short;
    return;
  }
  // Only the sender's address is recorded by SLL (packet(7)); 6 bytes for Ethernet.
  if (readU16(data, start + 4) === 6) out.srcMac = readMac(data, start + 6);
  const type = readU16(data, start + 14);
  out.etherType = type;
  decodeEtherPayload(data, start + 16, end, wireLength - 16, type, out);
}

function decodeLinuxCooked2(
  data: Uint8Array,
  start: number,
  end: number,
  wireLength: number,
  out: DecodedPacket,
): void {
  if (end - start < 20) {
    out.malformed = Malformed.link_header_short;
    return;
  }
  if (data[start + 11] === 6) out.srcMac = readMac(data, start + 12);
  const type = readU16(data, start);
  out.etherType = type;
  decodeEtherPayload(data, start + 20, end, wireLength - 20, type, out);
}

function decodeNullLoopback(
  data: Uint8Array,
  start: number,
  end: number,
  wireLength: number,
  out: DecodedPacket,
): void {
  if (end - start < 4) {
    out.malformed = Malformed.link_header_short;
    return;
  }
  decodeRawIp(data, start + 4, end, wireLength - 4, out);
}

/** PPI: version, flags, header length (LE), inner link type (LE), then the inner frame. */
function decodePpi(
  data: Uint8Array,
  start: number,
  end: number,
  wireLength: number,
  ts: number,
  out: DecodedPacket,
): void {
  if (end - start < 8) {
    out.malformed = Malformed.link_header_short;
    return;
  }
  const headerLength = data[start + 2]! | (data[start + 3]! << 8);
  const inner = (data[start + 4]! | (data[start + 5]! << 8) | (data[start + 6]! << 16)) + data[start + 7]! * 16777216;
  if (headerLength < 8 || headerLength > end - start || inner === LinkType.PPI) {
    out.malformed = Malformed.link_header_short;
    return;
  }
  // 802.11 and other inner types we do not decode: the frame is fine, just opaque to us
  // (decodePacket would otherwise take it for raw IP and call it malformed).
  if (!isSupportedLinkType(inner)) return;
  decodePacket(data, start + headerLength, end - start - headerLength, wireLength - headerLength, inner, ts, out);
  // Byte counts are the whole frame's, header included.
  out.wireLength = wireLength;
  out.capturedLength = end - start;
}

function decodeRawIp(data: Uint8Array, start: number, end: number, wireLength: number, out: DecodedPacket): void {
  if (end - start < 1) {
    out.malformed = Malformed.ipv4_header_short;
    return;
  }
  const version = data[start]! >> 4;
  if (version === 4) decodeIpv4(data, start, end, wireLength, out);
  else if (version === 6) decodeIpv6(data, start, end, wireLength, out);
  else out.malformed = Malformed.ip_bad_version;
}

function decodeEtherPayload(
  data: Uint8Array,
  at: number,
  end: number,
  wireLength: number,
  type: number,
  out: DecodedPacket,
): void {
  if (type === ETHERTYPE_IPV4) decodeIpv4(data, at, end, wireLength, out);
  else if (type === ETHERTYPE_IPV6) decodeIpv6(data, at, end, wireLength, out);
  else if (type === ETHERTYPE_ARP) decodeArp(data, at, end, out);
}

function decodeArp(data: Uint8Array, at: number, end: number, out: DecodedPacket): void {
  // Ethernet/IPv4 ARP only (hardware length 6, protocol length 4), which is all a LAN uses.
  if (end - at < 8) {
    out.malformed = Malformed.arp_short;
    return;
  }
  out.isArp = true;
  out.arpOperation = readU16(data, at + 6);
  // The view is reused: clear what a previous ARP packet left when these sizes hold no addresses.
  out.arpSenderMac = 0;
  out.arpSenderIp = 0;
  out.arpTargetMac = 0;
  out.arpTargetIp = 0;
  if (data[at + 4] !== 6 || data[at + 5] !== 4) return;
  if (end - at < 28) {
    out.malformed = Malformed.arp_short;
    return;
  }
  out.arpSenderMac = readMac(data, at + 8);
  out.arpSenderIp = readU32(data, at + 14);
  out.arpTargetMac = readMac(data, at + 18);
  out.arpTargetIp = readU32(data, at + 24);
}

function decodeIpv4(data: Uint8Array, at: number, end: number, wireLength: number, out: DecodedPacket): void {
  if (end - at < 20) {
    // Cut by a short snap length (the wire length says more was sent): cut, not broken.
    if (end - at < 1 || data[at]! >> 4 !== 4 || wireLength <= end - at) out.malformed = Malformed.ipv4_header_short;
    else out.truncated = true;
    return;
  }
  const first = data[at]!;
  if (first >> 4 !== 4) {
    out.malformed = Malformed.ipv4_bad_version;
    return;
  }
  const headerLength = (first & 0x0f) * 4;
  if (headerLength < 20) {
    out.malformed = Malformed.ipv4_bad_header_length;
    return;
  }
  let totalLength = readU16(data, at + 2);
  // Zero means TCP segmentation offload on the capturing host: the length is the frame's.
  if (totalLength === 0) totalLength = wireLength;
  if (totalLength < headerLength || totalLength > wireLength) {
    out.malformed = Malformed.ipv4_bad_total_length;
    return;
  }
  out.ipVersion = 4;
  out.ipOffset = at;
  out.ipLength = totalLength;
  out.ipId = readU16(data, at + 4);
  out.ttl = data[at + 8]!;
  const src = readU32(data, at + 12);
  const dst = readU32(data, at + 16);
  out.srcIp4 = src;
  out.dstIp4 = dst;
  const s = out.srcAddress;
  s[0] = 0;
  s[1] = 0;
  s[2] = 0xffff;
  s[3] = src;
  const d = out.dstAddress;
  d[0] = 0;
  d[1] = 0;
  d[2] = 0xffff;
  d[3] = dst;
  out.ipHasOptions = headerLength > 20;
  const fragment = readU16(data, at + 6);
  const fragmentOffset = fragment & 0x1fff;
  out.isFragment = (fragment & 0x2000) !== 0 || fragmentOffset !== 0;
  out.isLaterFragment = fragmentOffset !== 0;
  out.protocol = data[at + 9]!;
  if (out.isLaterFragment) return;
  if (end - at < headerLength) {
    out.truncated = true;
    return;
  }
  decodeTransport(data, at + headerLength, Math.min(end, at + totalLength), totalLength - headerLength, out);
}

function decodeIpv6(data: Uint8Array, at: number, end: number, wireLength: number, out: DecodedPacket): void {
  if (end - at < 40) {
    if (end - at < 1 || data[at]! >> 4 !== 6 || wireLength <= end - at) out.malformed = Malformed.ipv6_header_short;
    else out.truncated = true;
    return;
  }
  if (data[at]! >> 4 !== 6) {
    out.malformed = Malformed.ipv6_bad_version;
    return;
  }
  let payloadLength = readU16(data, at + 4);
  // Zero is a jumbogram (RFC 2675) or offload; fall back to what the frame holds.
  if (payloadLength === 0) payloadLength = Math.max(0, wireLength - 40);
  else if (payloadLength + 40 > wireLength) {
    // More payload than the frame carried: it would inflate the flow's byte counts.
    out.malformed = Malformed.ipv6_bad_payload_length;
    return;
  }
  out.ipVersion = 6;
  out.ipOffset = at;
  out.ipId = 0;
  out.ipLength = payloadLength + 40;
  out.ttl = data[at + 7]!;
  const s = out.srcAddress;
  const d = out.dstAddress;
  for (let i = 0; i < 4; i++) {
    s[i] = readU32(data, at + 8 + i * 4);
    d[i] = readU32(data, at + 24 + i * 4);
  }
  let next = data[at + 6]!;
  let p = at + 40;
  const packetEnd = at + 40 + payloadLength;
  for (let n = 0; n < MAX_IPV6_EXTENSIONS; n++) {
    if (next !== 0 && next !== 43 && next !== 44 && next !== 60 && next !== 51 && next !== 135 && next !== 139) break;
    if (end - p < 8) {
      // Room in the IP payload but not in the capture: cut. No room in the payload: broken.
      if (packetEnd - p < 8) out.malformed = Malformed.ipv6_extension_header_bad;
      else out.truncated = true;
      out.protocol = next;
      return;
    }
    let length: number;
    if (next === 44) {
      // Fragment header: fixed 8 bytes; only the first fragment carries the transport header.
      out.isFragment = true;
      const fragmentOffset = readU16(data, p + 2) >> 3;
      out.isLaterFragment = fragmentOffset !== 0;
      length = 8;
    } else if (next === 51) {
      length = (data[p + 1]! + 2) * 4;
    } else {
      length = (data[p + 1]! + 1) * 8;
    }
    next = data[p]!;
    p += length;
    if (p > packetEnd) {
      out.malformed = Malformed.ipv6_extension_header_bad;
      return;
    }
    if (p > end) {
      // The header fits the payload but the capture ends inside it.
      out.truncated = true;
      out.protocol = next;
      return;
    }
  }
  out.protocol = next;
  if (out.isLaterFragment) return;
  decodeTransport(data, p, Math.min(end, packetEnd), packetEnd - p, out);
}

/** `end` bounds captured bytes of this IP packet; `length` is the transport length per IP. */
function decodeTransport(data: Uint8Array, at: number, end: number, length: number, out: DecodedPacket): void {
  const captured = end - at;
  switch (out.protocol) {
    case IpProtocol.TCP: {
      if (captured < 20) {
        out.tcpSeq = 0;
        out.tcpAck = 0;
        out.tcpWindow = 0;
        if (captured >= 4) {
          out.srcPort = readU16(data, at);
          out.dstPort = readU16(data, at + 2);
          out.l4Offset = at;
        }
        if (captured >= 14) out.tcpFlags = data[at + 13]!;
        // A segment the IP header makes shorter than a TCP header cannot be whole.
        if (length < 20) out.malformed = Malformed.tcp_bad_data_offset;
        else out.truncated = true;
        return;
      }
      out.l4Offset = at;
      out.srcPort = readU16(data, at);
      out.dstPort = readU16(data, at + 2);
      out.tcpSeq = readU32(data, at + 4);
      out.tcpAck = readU32(data, at + 8);
      const headerLength = (data[at + 12]! >> 4) * 4;
      out.tcpFlags = data[at + 13]!;
      out.tcpWindow = readU16(data, at + 14);
      if (headerLength < 20 || headerLength > length) {
        out.malformed = Malformed.tcp_bad_data_offset;
        return;
      }
      setPayload(at + headerLength, end, length - headerLength, out);
      return;
    }
    case IpProtocol.UDP: {
      if (captured < 8) {
        if (captured >= 4) {
          out.srcPort = readU16(data, at);
          out.dstPort = readU16(data, at + 2);
          out.l4Offset = at;
        }
        if (length < 8) out.malformed = Malformed.udp_bad_length;
        else out.truncated = true;
        return;
      }
      out.l4Offset = at;
      out.srcPort = readU16(data, at);
      out.dstPort = readU16(data, at + 2);
      const udpLength = readU16(data, at + 4);
      // Zero is legal for IPv6 jumbograms; otherwise it must cover the header and fit the packet.
      if (udpLength !== 0 && (udpLength < 8 || udpLength > length)) {
        out.malformed = Malformed.udp_bad_length;
        return;
      }
      setPayload(at + 8, end, (udpLength === 0 ? length : udpLength) - 8, out);
      return;
    }
    case IpProtocol.ICMP:
    case IpProtocol.IPV6_ICMP: {
      if (captured < 4) {
        // Cut by the snap length, or shorter than its own header on the wire.
        if (length < 4) out.malformed = Malformed.icmp_header_short;
        else out.truncated = true;
        return;
      }
      out.l4Offset = at;
      out.icmpType = data[at]!;
      out.icmpCode = data[at + 1]!;
      if (captured >= 8) {
        out.icmpId = readU16(data, at + 4);
        out.icmpSeq = readU16(data, at + 6);
      } else {
        // Not captured: zero, not a previous packet's (flows key echo by this id).
        out.icmpId = 0;
        out.icmpSeq = 0;
        out.truncated = true;
      }
      setPayload(at + 8, end, length - 8, out);
      return;
    }
    default:
      out.l4Offset = at;
      setPayload(at, end, length, out);
  }
}

function setPayload(at: number, end: number, length: number, out: DecodedPacket): void {
  out.payloadOffset = at;
  out.payloadLength = Math.max(0, length);
  out.payloadCapturedLength = Math.max(0, Math.min(end - at, length));
}
