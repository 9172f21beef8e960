/**
 * Just enough Ethernet/IPv4/UDP/TCP/ICMP to build test frames and check captured ones, written
 * out by byte offset so the capture tests do not depend on the decoders they will feed.
 */

export function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(":").map((part) => Number.parseInt(part, 16)));
}

export function ipBytes(ip: string): Uint8Array {
  return Uint8Array.from(ip.split(".").map(Number));
}

function ipv4Checksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += ((header[i] as number) << 8) | (header[i + 1] as number);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet frame carrying an IPv4/UDP datagram (UDP checksum 0: "not computed", RFC 768). */
export function udpFrame(fields: {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}): Uint8Array {
  const frame = new Uint8Array(14 + 20 + 8 + fields.payload.length);
  const view = new DataView(frame.buffer);
  frame.set(macBytes(fields.dstMac), 0);
  frame.set(macBytes(fields.srcMac), 6);
  view.setUint16(12, 0x0800);
  const ip = frame.subarray(14, 34);
  ip[0] = 0x45;
  view.setUint16(16, 20 + 8 + fields.payload.length);
  ip[8] = 64;
  ip[9] = 17;
  ip.set(ipBytes(fields.srcIp), 12);
  ip.set(ipBytes(fields.dstIp), 16);
  view.setUint16(24, ipv4Checksum(ip));
  view.setUint16(34, fields.srcPort);
  view.setUint16(36, fields.dstPort);
  view.setUint16(38, 8 + fields.payload.length);
  frame.set(fields.payload, 42);
  return frame;
}

export interface ParsedFrame {
  dstMac: string;
  srcMac: string;
  etherType: number;
  ip?: { src: string; dst: string; protocol: number; payload: Uint8Array };
  icmp?: { type: number; id: number; seq: number; payload: Uint8Array };
  udp?: { srcPort: number; dstPort: number; payload: Uint8Array };
  tcp?: { srcPort: number; dstPort: number; flags: number; payload: Uint8Array };
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_ACK = 0x10;

const mac = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");

/** Parses an untagged Ethernet frame as far as IPv4 and its transport header. */
export function parseFrame(bytes: Uint8Array): ParsedFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frame: ParsedFrame = {
    dstMac: mac(bytes.subarray(0, 6)),
    srcMac: mac(bytes.subarray(6, 12)),
    etherType: view.getUint16(12),
  };
  if (frame.etherType !== 0x0800 || bytes.length < 34) return frame;
  const ihl = ((bytes[14] as number) & 0x0f) * 4;
  const total = view.getUint16(16);
  const ipPayload = bytes.subarray(14 + ihl, 14 + total);
  frame.ip = {
    src: bytes.subarray(26, 30).join("."),
    dst: bytes.subarray(30, 34).join("."),
    protocol: bytes[23] as number,
    payload: ipPayload,
  };
  const l4 = new DataView(ipPayload.buffer, ipPayload.byteOffset, ipPayload.byteLength);
  if (frame.ip.protocol === 1 && ipPayload.length >= 8) {
    frame.icmp = {
      type: ipPayload[0] as number,
      id: l4.getUint16(4),
      seq: l4.getUint16(6),
      payload: ipPayload.subarray(8),
    };
  } else if (frame.ip.protocol === 17 && ipPayload.length >= 8) {
    frame.udp = { srcPort: l4.getUint16(0), dstPort: l4.getUint16(2), payload: ipPayload.subarray(8) };
  } else if (frame.ip.protocol === 6 && ipPayload.length >= 20) {
    const dataOffset = ((ipPayload[12] as number) >> 4) * 4;
    frame.tcp = {
      srcPort: l4.getUint16(0),
      dstPort: l4.getUint16(2),
      flags: ipPayload[13] as number,
      payload: ipPayload.subarray(dataOffset),
    };
  }
  return frame;
}

/** A classic little-endian microsecond pcap file (Ethernet) holding `frames`. */
export function pcapFile(frames: readonly Uint8Array[]): Uint8Array {
  const size = 24 + frames.reduce((sum, f) => sum + 16 + f.length, 0);
  const file = new Uint8Array(size);
  const view = new DataView(file.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 65535, true);
  view.setUint32(20, 1, true);
  let offset = 24;
  frames.forEach((frame, i) => {
    view.setUint32(offset, 1_700_000_000, true);
    view.setUint32(offset + 4, i, true);
    view.setUint32(offset + 8, frame.length, true);
    view.setUint32(offset + 12, frame.length, true);
    file.set(frame, offset + 16);
    offset += 16 + frame.length;
  });
  return file;
}
