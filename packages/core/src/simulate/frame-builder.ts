/**
 * Builds valid Ethernet frames (with correct IPv4, TCP and UDP checksums) for generated
 * captures: the demo, the simulator and tests. Allocates freely: it is not on the packet path.
 */

const TWO_32 = 4294967296;
const encoder = new TextEncoder();

export const BROADCAST_MAC = 0xffffffffffff;

function writeMac(out: Uint8Array, at: number, mac: number): void {
  const high = Math.floor(mac / TWO_32);
  const low = mac >>> 0;
  out[at] = (high >> 8) & 0xff;
  out[at + 1] = high & 0xff;
  out[at + 2] = low >>> 24;
  out[at + 3] = (low >>> 16) & 0xff;
  out[at + 4] = (low >>> 8) & 0xff;
  out[at + 5] = low & 0xff;
}

function writeU16(out: Uint8Array, at: number, value: number): void {
  out[at] = (value >>> 8) & 0xff;
  out[at + 1] = value & 0xff;
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

/** RFC 1071 one's-complement sum, starting from `initial`. */
function onesComplementSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if ((end - start) % 2 === 1) sum += bytes[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function checksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesComplementSum(bytes, start, end, initial) & 0xffff;
}

export function ethernetFrame(dstMac: number, srcMac: number, etherType: number, payload: Uint8Array): Uint8Array {
  // Pad to the 60-byte minimum (without FCS) as a real NIC does.
  const frame = new Uint8Array(Math.max(60, 14 + payload.length));
  writeMac(frame, 0, dstMac);
  writeMac(frame, 6, srcMac);
  writeU16(frame, 12, etherType);
  frame.set(payload, 14);
  return frame;
}

export interface Ipv4Fields {
  src: number;
  dst: number;
  protocol: number;
  ttl?: number;
  id?: number;
}

export function ipv4Packet(fields: Ipv4Fields, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(20 + payload.length);
  packet[0] = 0x45;
  writeU16(packet, 2, packet.length);
  writeU16(packet, 4, fields.id ?? 0);
  writeU16(packet, 6, 0x4000); // don't fragment
  packet[8] = fields.ttl ?? 64;
  packet[9] = fields.protocol;
  writeU32(packet, 12, fields.src);
  writeU32(packet, 16, fields.dst);
  writeU16(packet, 10, checksum(packet, 0, 20));
  packet.set(payload, 20);
  return packet;
}

function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

export function udpDatagram(
  src: number,
  dst: number,
  srcPort: number,
  dstPort: number,
  payload: Uint8Array,
): Uint8Array {
  const segment = new Uint8Array(8 + payload.length);
  writeU16(segment, 0, srcPort);
  writeU16(segment, 2, dstPort);
  writeU16(segment, 4, segment.length);
  segment.set(payload, 8);
  const sum = checksum(segment, 0, segment.length, pseudoHeaderSum(src, dst, 17, segment.length));
  writeU16(segment, 6, sum === 0 ? 0xffff : sum);
  return segment;
}

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window?: number;
}

export function tcpSegment(
  src: number,
  dst: number,
  fields: TcpFields,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const segment = new Uint8Array(20 + payload.length);
  writeU16(segment, 0, fields.srcPort);
  writeU16(segment, 2, fields.dstPort);
  writeU32(segment, 4, fields.seq >>> 0);
  writeU32(segment, 8, fields.ack >>> 0);
  segment[12] = 5 << 4;
  segment[13] = fields.flags;
  writeU16(segment, 14, fields.window ?? 64240);
  segment.set(payload, 20);
  writeU16(segment, 16, checksum(segment, 0, segment.length, pseudoHeaderSum(src, dst, 6, segment.length)));
  return segment;
}

export function icmpEcho(type: 0 | 8, id: number, seq: number, payload: Uint8Array): Uint8Array {
  const message = new Uint8Array(8 + payload.length);
  message[0] = type;
  writeU16(message, 4, id);
  writeU16(message, 6, seq);
  message.set(payload, 8);
  writeU16(message, 2, checksum(message, 0, message.length));
  return message;
}

export function arpPacket(
  operation: 1 | 2,
  senderMac: number,
  senderIp: number,
  targetMac: number,
  targetIp: number,
): Uint8Array {
  const packet = new Uint8Array(28);
  writeU16(packet, 0, 1);
  writeU16(packet, 2, 0x0800);
  packet[4] = 6;
  packet[5] = 4;
  writeU16(packet, 6, operation);
  writeMac(packet, 8, senderMac);
  writeU32(packet, 14, senderIp);
  writeMac(packet, 18, targetMac);
  writeU32(packet, 24, targetIp);
  return packet;
}

/** Encodes a DNS name as labels (no compression). */
export function dnsName(name: string): Uint8Array {
  const parts: number[] = [];
  for (const label of name.split(".").filter((l) => l.length > 0)) {
    const bytes = encoder.encode(label);
    parts.push(Math.min(bytes.length, 63), ...bytes.subarray(0, 63));
  }
  parts.push(0);
  return Uint8Array.from(parts);
}

export interface DnsRecordSpec {
  name: string;
  type: number;
  ttl?: number;
  /** Raw rdata. */
  data: Uint8Array;
}

/** A DNS message with questions and answers; flags 0x0100 (query) or 0x8180 (response). */
export function dnsMessage(
  id: number,
  flags: number,
  questions: { name: string; type: number }[],
  answers: DnsRecordSpec[] = [],
): Uint8Array {
  const chunks: Uint8Array[] = [];
  const header = new Uint8Array(12);
  writeU16(header, 0, id);
  writeU16(header, 2, flags);
  writeU16(header, 4, questions.length);
  writeU16(header, 6, answers.length);
  chunks.push(header);
  for (const q of questions) {
    chunks.push(dnsName(q.name));
    const tail = new Uint8Array(4);
    writeU16(tail, 0, q.type);
    writeU16(tail, 2, 1);
    chunks.push(tail);
  }
  for (const a of answers) {
    chunks.push(dnsName(a.name));
    const fixed = new Uint8Array(10);
    writeU16(fixed, 0, a.type);
    writeU16(fixed, 2, 1);
    writeU32(fixed, 4, a.ttl ?? 300);
    writeU16(fixed, 8, a.data.length);
    chunks.push(fixed, a.data);
  }
  return concat(chunks);
}

export function ipv4Rdata(address: number): Uint8Array {
  const data = new Uint8Array(4);
  writeU32(data, 0, address);
  return data;
}

export interface DhcpFields {
  messageType: 1 | 2 | 3 | 5;
  xid: number;
  clientMac: number;
  yourIp?: number;
  serverIp?: number;
  hostname?: string;
  vendorClass?: string;
  requestedIp?: number;
  parameterRequestList?: number[];
  router?: number;
  dnsServer?: number;
  leaseSeconds?: number;
}

/** A DHCPv4 message (RFC 2131) with the options a fingerprint uses. */
export function dhcpMessage(fields: DhcpFields): Uint8Array {
  const fixed = new Uint8Array(240);
  const reply = fields.messageType === 2 || fields.messageType === 5;
  fixed[0] = reply ? 2 : 1;
  fixed[1] = 1;
  fixed[2] = 6;
  writeU32(fixed, 4, fields.xid);
  writeU32(fixed, 16, fields.yourIp ?? 0);
  writeU32(fixed, 20, fields.serverIp ?? 0);
  writeMac(fixed, 28, fields.clientMac);
  writeU32(fixed, 236, 0x63825363);
  const options: number[] = [53, 1, fields.messageType];
  const text = (code: number, value: string | undefined) => {
    if (value === undefined) return;
    const bytes = encoder.encode(value).subarray(0, 255);
    options.push(code, bytes.length, ...bytes);
  };
  const address = (code: number, value: number | undefined) => {
    if (value === undefined) return;
    options.push(code, 4, value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  };
  address(50, fields.requestedIp);
  address(54, reply ? fields.serverIp : undefined);
  if (fields.leaseSeconds !== undefined) {
    const l = fields.leaseSeconds;
    options.push(51, 4, l >>> 24, (l >>> 16) & 0xff, (l >>> 8) & 0xff, l & 0xff);
  }
  address(1, reply ? 0xffffff00 : undefined);
  address(3, fields.router);
  address(6, fields.dnsServer);
  text(12, fields.hostname);
  text(60, fields.vendorClass);
  if (fields.parameterRequestList) options.push(55, fields.parameterRequestList.length, ...fields.parameterRequestList);
  options.push(255);
  return concat([fixed, Uint8Array.from(options)]);
}

export function textBytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The Ethernet group address of an IPv4 multicast group (RFC 1112 §6.4: 01:00:5e + low 23 bits). */
export function ipv4MulticastMac(group: number): number {
  return 0x01005e000000 + (group & 0x7fffff);
}

/** An SSDP search request (UPnP Device Architecture 1.1 §1.3.2), sent to 239.255.255.250:1900. */
export function ssdpSearchPayload(searchTarget = "ssdp:all", maxWaitSeconds = 2): Uint8Array {
  return encoder.encode(
    "M-SEARCH * HTTP/1.1\r\n" +
      "HOST: 239.255.255.250:1900\r\n" +
      'MAN: "ssdp:discover"\r\n' +
      `MX: ${maxWaitSeconds}\r\n` +
      `ST: ${searchTarget}\r\n` +
      "\r\n",
  );
}
