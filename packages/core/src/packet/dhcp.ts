/**
 * DHCPv4 / BOOTP (RFC 951, RFC 2131, RFC 2132) and a minimal DHCPv6 (RFC 8415).
 *
 * Reads only bytes[offset, offset + length) and never throws. The fields a device reveals about
 * itself (hostname, vendor class, parameter request list, client id, FQDN) are decoded; other
 * options are only listed by code in `optionCodes`, in wire order (itself a fingerprint).
 * An option whose value has the wrong size for its type (a 3-byte requested address) leaves
 * its field unset; an option whose length runs past the message fails the whole message.
 */
import { formatIpv4Bytes, formatIpv6Bytes, readUncompressedName } from "./dns.js";
import { type Parsed, parsedFail, parsedOk } from "./parsed.js";

export interface DhcpMessage {
  /** 1 = BOOTREQUEST, 2 = BOOTREPLY. */
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  broadcast: boolean;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** Client hardware address: `hlen` bytes (at most 16) as lowercase hex pairs joined by colons. */
  chaddr: string;
  /** BOOTP `sname` and `file` fields up to their first NUL; empty when overloaded with options. */
  serverName: string;
  bootFile: string;
  /** False for plain BOOTP (no magic cookie 99.130.83.99): then no options were read. */
  dhcp: boolean;
  /** Option codes in wire order, without pad (0) and end (255), overloaded fields included. */
  optionCodes: number[];
  /** Option 52 value (1 = file, 2 = sname, 3 = both carry options), 0 when absent. */
  overload: number;
  messageType?: number;
  /** tshark's name for the message type ("Discover", "ACK", …), "Unknown" past 18. */
  messageTypeName?: string;
  hostname?: string;
  requestedIp?: string;
  serverId?: string;
  vendorClass?: string;
  parameterRequestList?: number[];
  /** The parameter request list joined by commas ("1,3,6,15"), the usual fingerprint form. */
  parameterRequestListText?: string;
  /** Option 61 as lowercase hex, the type byte included ("01aabbccddeeff"). */
  clientId?: string;
  /** Option 81 domain name (wire format when the E flag is set, else ASCII). */
  clientFqdn?: string;
  leaseTime?: number;
  subnetMask?: string;
  routers?: string[];
  dnsServers?: string[];
  domainName?: string;
}

const FIXED_LENGTH = 236;
const MAGIC_COOKIE = 0x63825363;

/** tshark's names for option 53 values 1–18 (RFC 2132, 4388, 6926, 7724). */
const DHCP_MESSAGE_TYPE_NAMES = [
  "Unknown",
  "Discover",
  "Offer",
  "Request",
  "Decline",
  "ACK",
  "NAK",
  "Release",
  "Inform",
  "Force Renew",
  "Lease query",
  "Lease Unassigned",
  "Lease Unknown",
  "Lease Active",
  "Bulk Lease Query",
  "Lease Query Done",
  "Active LeaseQuery",
  "Lease Query Status",
  "TLS",
];

/** Parses one DHCPv4 or BOOTP message occupying the window (the UDP payload). */
export function parseDhcp(bytes: Uint8Array, offset: number, length: number): Parsed<DhcpMessage> {
  if (!validWindow(bytes, offset, length)) return parsedFail("bad_window", 0);
  if (length < FIXED_LENGTH) return parsedFail("dhcp_too_short", 0);
  const b = offset;
  const op = bytes[b]!;
  if (op !== 1 && op !== 2) return parsedFail("dhcp_bad_op", 0);
  const hlen = bytes[b + 2]!;
  const message: DhcpMessage = {
    op,
    htype: bytes[b + 1]!,
    hlen,
    hops: bytes[b + 3]!,
    xid: u32(bytes, b + 4),
    secs: u16(bytes, b + 8),
    broadcast: (bytes[b + 10]! & 0x80) !== 0,
    ciaddr: ipv4(bytes, b + 12),
    yiaddr: ipv4(bytes, b + 16),
    siaddr: ipv4(bytes, b + 20),
    giaddr: ipv4(bytes, b + 24),
    chaddr: hexPairs(bytes, b + 28, b + 28 + Math.min(hlen, 16)),
    serverName: "",
    bootFile: "",
    dhcp: false,
    optionCodes: [],
    overload: 0,
  };
  const hasCookie = length >= FIXED_LENGTH + 4 && u32(bytes, b + FIXED_LENGTH) === MAGIC_COOKIE;
  if (hasCookie) {
    message.dhcp = true;
    const failedAt = readOptions(bytes, b + FIXED_LENGTH + 4, b + length, message, true);
    if (failedAt >= 0) return parsedFail("dhcp_option_truncated", failedAt - b);
    // RFC 2131 §4.1: with overload, the file field is read before sname.
    if ((message.overload & 1) !== 0) {
      const at = readOptions(bytes, b + 108, b + 236, message, false);
      if (at >= 0) return parsedFail("dhcp_option_truncated", at - b);
    }
    if ((message.overload & 2) !== 0) {
      const at = readOptions(bytes, b + 44, b + 108, message, false);
      if (at >= 0) return parsedFail("dhcp_option_truncated", at - b);
    }
  }
  if ((message.overload & 2) === 0) message.serverName = cString(bytes, b + 44, b + 108);
  if ((message.overload & 1) === 0) message.bootFile = cString(bytes, b + 108, b + 236);
  return parsedOk(message);
}

/**
 * Reads options in bytes[start, end) into `message`. Returns -1 when done (end option or end
 * of the field), or the absolute position of an option whose length runs past `end`.
 * The first occurrence of an option wins (RFC 3396 concatenation is not implemented).
 */
function readOptions(bytes: Uint8Array, start: number, end: number, message: DhcpMessage, main: boolean): number {
  let p = start;
  while (p < end) {
    const code = bytes[p]!;
    if (code === 0) {
      p++;
      continue;
    }
    if (code === 255) return -1;
    if (p + 2 > end) return p;
    const n = bytes[p + 1]!;
    const v = p + 2;
    if (v + n > end) return p;
    message.optionCodes.push(code);
    decodeOption(bytes, code, v, n, message, main);
    p = v + n;
  }
  return -1;
}

function decodeOption(bytes: Uint8Array, code: number, v: number, n: number, m: DhcpMessage, main: boolean): void {
  switch (code) {
    case 1:
      if (n === 4 && m.subnetMask === undefined) m.subnetMask = ipv4(bytes, v);
      return;
    case 3:
      if (n >= 4 && n % 4 === 0 && m.routers === undefined) m.routers = ipv4List(bytes, v, n);
      return;
    case 6:
      if (n >= 4 && n % 4 === 0 && m.dnsServers === undefined) m.dnsServers = ipv4List(bytes, v, n);
      return;
    case 12:
      if (m.hostname === undefined) m.hostname = text(bytes, v, v + n);
      return;
    case 15:
      if (m.domainName === undefined) m.domainName = text(bytes, v, v + n);
      return;
    case 50:
      if (n === 4 && m.requestedIp === undefined) m.requestedIp = ipv4(bytes, v);
      return;
    case 51:
      if (n === 4 && m.leaseTime === undefined) m.leaseTime = u32(bytes, v);
      return;
    case 52:
      // Only the main options field may set the overload (RFC 2132 §9.3).
      if (main && n === 1 && m.overload === 0) m.overload = bytes[v]! & 3;
      return;
    case 53:
      if (n === 1 && m.messageType === undefined) {
        const type = bytes[v]!;
        m.messageType = type;
        m.messageTypeName = DHCP_MESSAGE_TYPE_NAMES[type] ?? "Unknown";
      }
      return;
    case 54:
      if (n === 4 && m.serverId === undefined) m.serverId = ipv4(bytes, v);
      return;
    case 55:
      if (m.parameterRequestList === undefined) {
        const list: number[] = [];
        for (let i = 0; i < n; i++) list.push(bytes[v + i]!);
        m.parameterRequestList = list;
        m.parameterRequestListText = list.join(",");
      }
      return;
    case 60:
      if (m.vendorClass === undefined) m.vendorClass = text(bytes, v, v + n);
      return;
    case 61:
      if (m.clientId === undefined) m.clientId = hex(bytes, v, v + n);
      return;
    case 81: {
      // RFC 4702: flags, RCODE1, RCODE2, then the name; flag E (0x04) means wire format.
      if (n < 3 || m.clientFqdn !== undefined) return;
      const encoded = (bytes[v]! & 0x04) !== 0;
      const name = encoded ? readUncompressedName(bytes, v + 3, v + n) : text(bytes, v + 3, v + n);
      if (name !== undefined) m.clientFqdn = name;
      return;
    }
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// DHCPv6

export interface Dhcpv6Message {
  messageType: number;
  /** tshark's name ("Solicit", "Relay-forw", …), "Unknown" past 13. */
  messageTypeName: string;
  /** 24-bit transaction id; 0 for relay messages, which have none. */
  transactionId: number;
  /** Option codes in wire order. */
  optionCodes: number[];
  /** Option 1 client DUID as lowercase hex. */
  clientDuid?: string;
  /** Option 2 server DUID as lowercase hex. */
  serverDuid?: string;
  /** Option 6 requested option codes. */
  oro?: number[];
  /** Option 8, in hundredths of a second. */
  elapsedTime?: number;
  /** Option 16 enterprise number and its vendor-class-data strings (UTF-8). */
  vendorClassEnterprise?: number;
  vendorClassData?: string[];
  /** Option 39 flags and domain name (RFC 4704), without the trailing dot tshark prints. */
  fqdnFlags?: number;
  fqdn?: string;
  /** Relay messages only (RELAY-FORW, RELAY-REPL). */
  hopCount?: number;
  linkAddress?: string;
  peerAddress?: string;
  /** Option 9 (relay message) parsed, for relay messages. */
  relayed?: Dhcpv6Message;
}

/** tshark's names for DHCPv6 message types 1–13 (RFC 8415 §7.3). */
const DHCPV6_MESSAGE_TYPE_NAMES = [
  "Unknown",
  "Solicit",
  "Advertise",
  "Request",
  "Confirm",
  "Renew",
  "Rebind",
  "Reply",
  "Release",
  "Decline",
  "Reconfigure",
  "Information-request",
  "Relay-forw",
  "Relay-reply",
];

/** RFC 8415 §7.6 HOP_COUNT_LIMIT is 8; allow some slack before calling nesting hostile. */
const DHCPV6_MAX_RELAY_DEPTH = 32;

/** Parses one DHCPv6 message occupying the window (the UDP payload). */
export function parseDhcpv6(bytes: Uint8Array, offset: number, length: number): Parsed<Dhcpv6Message> {
  if (!validWindow(bytes, offset, length)) return parsedFail("bad_window", 0);
  return parseDhcpv6At(bytes, offset, offset + length, offset, 0);
}

function parseDhcpv6At(
  bytes: Uint8Array,
  start: number,
  end: number,
  origin: number,
  depth: number,
): Parsed<Dhcpv6Message> {
  if (end - start < 4) return parsedFail("dhcpv6_too_short", start - origin);
  const messageType = bytes[start]!;
  if (messageType === 0) return parsedFail("dhcpv6_bad_message_type", start - origin);
  const message: Dhcpv6Message = {
    messageType,
    messageTypeName: DHCPV6_MESSAGE_TYPE_NAMES[messageType] ?? "Unknown",
    transactionId: 0,
    optionCodes: [],
  };
  let p: number;
  if (messageType === 12 || messageType === 13) {
    if (end - start < 34) return parsedFail("dhcpv6_relay_too_short", start - origin);
    message.hopCount = bytes[start + 1]!;
    message.linkAddress = ipv6(bytes, start + 2);
    message.peerAddress = ipv6(bytes, start + 18);
    p = start + 34;
  } else {
    message.transactionId = (bytes[start + 1]! << 16) | (bytes[start + 2]! << 8) | bytes[start + 3]!;
    p = start + 4;
  }
  while (p < end) {
    if (p + 4 > end) return parsedFail("dhcpv6_option_truncated", p - origin);
    const code = u16(bytes, p);
    const n = u16(bytes, p + 2);
    const v = p + 4;
    if (v + n > end) return parsedFail("dhcpv6_option_truncated", p - origin);
    message.optionCodes.push(code);
    switch (code) {
      case 1:
        message.clientDuid ??= hex(bytes, v, v + n);
        break;
      case 2:
        message.serverDuid ??= hex(bytes, v, v + n);
        break;
      case 6:
        if (message.oro === undefined) {
          const oro: number[] = [];
          for (let i = 0; i + 1 < n; i += 2) oro.push(u16(bytes, v + i));
          message.oro = oro;
        }
        break;
      case 8:
        if (n === 2 && message.elapsedTime === undefined) message.elapsedTime = u16(bytes, v);
        break;
      case 9:
        if (message.hopCount !== undefined && message.relayed === undefined) {
          if (depth + 1 >= DHCPV6_MAX_RELAY_DEPTH) return parsedFail("dhcpv6_relay_too_deep", p - origin);
          const inner = parseDhcpv6At(bytes, v, v + n, origin, depth + 1);
          if (!inner.ok) return inner;
          message.relayed = inner.value;
        }
        break;
      case 16:
        if (n >= 4 && message.vendorClassEnterprise === undefined) {
          message.vendorClassEnterprise = u32(bytes, v);
          const data: string[] = [];
          let q = v + 4;
          while (q + 2 <= v + n) {
            const m = u16(bytes, q);
            if (q + 2 + m > v + n) break;
            data.push(text(bytes, q + 2, q + 2 + m));
            q += 2 + m;
          }
          message.vendorClassData = data;
        }
        break;
      case 39:
        if (n >= 1 && message.fqdn === undefined) {
          const name = readUncompressedName(bytes, v + 1, v + n);
          if (name !== undefined) {
            message.fqdnFlags = bytes[v]!;
            message.fqdn = name;
          }
        }
        break;
      default:
        break;
    }
    p = v + n;
  }
  return parsedOk(message);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function validWindow(bytes: Uint8Array, offset: number, length: number): boolean {
  return (
    Number.isInteger(offset) &&
    Number.isInteger(length) &&
    offset >= 0 &&
    length >= 0 &&
    offset + length <= bytes.length
  );
}

/**
 * WHATWG TextDecoder, present in every runtime core targets (Node, browsers, Deno, Bun) but
 * outside the ES library that core's tsconfig loads.
 */
declare const TextDecoder: new (label?: string) => { decode(input?: Uint8Array): string };
const utf8 = new TextDecoder("utf-8");

/** UTF-8 text of bytes[start, end) without trailing NULs (many stacks send "name\0"). */
function text(bytes: Uint8Array, start: number, end: number): string {
  let e = end;
  while (e > start && bytes[e - 1] === 0) e--;
  return e === start ? "" : utf8.decode(bytes.subarray(start, e));
}

/** Text of a NUL-terminated field in bytes[start, end). */
function cString(bytes: Uint8Array, start: number, end: number): string {
  let e = start;
  while (e < end && bytes[e] !== 0) e++;
  return e === start ? "" : utf8.decode(bytes.subarray(start, e));
}

const HEX = "0123456789abcdef";

function hex(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += HEX[bytes[i]! >>> 4]! + HEX[bytes[i]! & 15]!;
  return s;
}

function hexPairs(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) {
    if (i > start) s += ":";
    s += HEX[bytes[i]! >>> 4]! + HEX[bytes[i]! & 15]!;
  }
  return s;
}

const ipv4 = formatIpv4Bytes;
const ipv6 = formatIpv6Bytes;

function ipv4List(bytes: Uint8Array, start: number, n: number): string[] {
  const list: string[] = [];
  for (let i = 0; i < n; i += 4) list.push(ipv4(bytes, start + i));
  return list;
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
