/**
 * The ARP frames interception reads and writes (RFC 826, Ethernet/IPv4 only). Parsing is
 * done here on the raw frame rather than through the packet decoder because the interceptor
 * sees every ARP frame of the link before the pipeline does, and needs only these fields.
 */
import { arpPacket, ethernetFrame } from "../simulate/frame-builder.js";

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_VLAN = 0x8100;
const TWO_32 = 4294967296;

export interface ArpFrame {
  /** Ethernet source: who put the frame on the wire (may differ from senderMac). */
  ethernetSource: number;
  ethernetDestination: number;
  operation: number;
  senderMac: number;
  senderIp: number;
  targetMac: number;
  targetIp: number;
}

function readMac(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 8) | bytes[offset + 1]!) * TWO_32 + readU32(bytes, offset + 2);
}

function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/**
 * The ARP fields of an Ethernet frame (one 802.1Q tag allowed), or undefined when it is not
 * an Ethernet/IPv4 ARP request or reply or is too short: never throws on any input.
 */
export function parseArpFrame(frame: Uint8Array): ArpFrame | undefined {
  let offset = 12;
  if (frame.length < 14) return undefined;
  let etherType = (frame[offset]! << 8) | frame[offset + 1]!;
  if (etherType === ETHERTYPE_VLAN) {
    offset += 4;
    if (frame.length < offset + 2) return undefined;
    etherType = (frame[offset]! << 8) | frame[offset + 1]!;
  }
  if (etherType !== ETHERTYPE_ARP) return undefined;
  const arp = offset + 2;
  if (frame.length < arp + 28) return undefined;
  const hardware = (frame[arp]! << 8) | frame[arp + 1]!;
  const protocol = (frame[arp + 2]! << 8) | frame[arp + 3]!;
  if (hardware !== 1 || protocol !== 0x0800 || frame[arp + 4] !== 6 || frame[arp + 5] !== 4) return undefined;
  const operation = (frame[arp + 6]! << 8) | frame[arp + 7]!;
  if (operation !== ARP_REQUEST && operation !== ARP_REPLY) return undefined;
  return {
    ethernetDestination: readMac(frame, 0),
    ethernetSource: readMac(frame, 6),
    operation,
    senderMac: readMac(frame, arp + 8),
    senderIp: readU32(frame, arp + 14),
    targetMac: readMac(frame, arp + 18),
    targetIp: readU32(frame, arp + 24),
  };
}

/**
 * A unicast ARP reply telling `to` that `claimedIp` is at `claimedMac`. The Ethernet source is
 * always the sensor's own MAC, also when the claim restores someone else's address: a frame
 * sent from another host's MAC would teach the switch that this host sits on our port.
 */
export function arpReplyFrame(
  sensorMac: number,
  claimedMac: number,
  claimedIp: number,
  to: { mac: number; ip: number },
): Uint8Array {
  return ethernetFrame(to.mac, sensorMac, ETHERTYPE_ARP, arpPacket(ARP_REPLY, claimedMac, claimedIp, to.mac, to.ip));
}
