/**
 * DNS and mDNS messages (RFC 1035, RFC 6762), over UDP or TCP (RFC 1035 §4.2.2 length prefix).
 *
 * Reads only bytes[offset, offset + length) and never throws. Names are decompressed with
 * loop protection: every compression pointer must point strictly before the start of the label
 * run that led to it (so targets strictly decrease and no loop can form) and at most
 * `DNS_MAX_POINTER_JUMPS` pointers are followed per name; names longer than 255 bytes on the
 * wire are rejected (RFC 1035 §2.3.4).
 *
 * Name text follows tshark 4.0 closely, with one deliberate difference:
 * - printable ASCII as is, including space;
 * - \a \b \t \n \v \f \r as C escapes, other control bytes and DEL as three-digit octal (`\000`);
 * - bytes >= 0x80 decoded as UTF-8 (mDNS names are UTF-8), invalid sequences as U+FFFD;
 * - unlike tshark, a dot inside a label is written `\.` and a backslash `\\` (the RFC 1035
 *   master-file convention), so a label "a.b" cannot pass for two labels. Compare with tshark
 *   after replacing `\.` with `.` and `\\` with `\`.
 * - The root name is the empty string (tshark prints `<Root>`).
 */
import { type Parsed, parsedFail, parsedOk } from "./parsed.js";

export interface DnsQuestion {
  name: string;
  type: number;
  /** Class without the mDNS unicast-response bit. */
  class: number;
  /** mDNS QU bit (top bit of the class, RFC 6762 §5.4); meaningless in unicast DNS. */
  unicastResponse: boolean;
}

export type DnsRdata =
  | { kind: "a"; address: string }
  | { kind: "aaaa"; address: string }
  /** NS, CNAME, PTR, DNAME: one domain name. */
  | { kind: "name"; name: string }
  | { kind: "mx"; preference: number; exchange: string }
  | { kind: "srv"; priority: number; weight: number; port: number; target: string }
  /** Each character-string decoded as UTF-8 (invalid bytes become U+FFFD), no escaping. */
  | { kind: "txt"; strings: string[] }
  | { kind: "hinfo"; cpu: string; os: string }
  | {
      kind: "soa";
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    }
  /** EDNS0 (RFC 6891): payload size from the class, the rest from the TTL field. */
  | {
      kind: "opt";
      udpPayloadSize: number;
      extendedRcode: number;
      version: number;
      dnssecOk: boolean;
      optionCodes: number[];
    }
  | { kind: "null"; length: number }
  | { kind: "other"; length: number }
  /** The record's framing was sound but its data was not (the rest of the message still parsed). */
  | { kind: "malformed"; reason: string; length: number };

export interface DnsRecord {
  name: string;
  type: number;
  /** Class without the mDNS cache-flush bit; for OPT the raw 16-bit field. */
  class: number;
  /** mDNS cache-flush bit (top bit of the class, RFC 6762 §10.2); always false for OPT. */
  cacheFlush: boolean;
  ttl: number;
  /** Offset of the rdata relative to the start of the message. */
  rdataOffset: number;
  rdataLength: number;
  data: DnsRdata;
}

export interface DnsMessage {
  id: number;
  /** The raw 16-bit flags word; the fields below are decoded from it. */
  flags: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** Header RCODE (4 bits); with EDNS0 the OPT record's `extendedRcode` holds the upper bits. */
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  /** Bytes the message occupies: the window over UDP, the length prefix over TCP. */
  length: number;
  /** Bytes after the last record that belong to no record (padding or smuggled data). */
  trailingBytes: number;
}

/** Pointers followed per name at most; real encoders need one or two. */
export const DNS_MAX_POINTER_JUMPS = 32;
/** Records per message at most (all sections); a header claiming more fails fast. */
export const DNS_MAX_RECORDS = 1024;
/** RFC 1035 §2.3.4: 255 bytes for a whole name on the wire. */
const MAX_NAME_WIRE_LENGTH = 255;
const HEADER_LENGTH = 12;
/** Smallest question: root name (1) + type (2) + class (2). */
const MIN_QUESTION_LENGTH = 5;
/** Smallest record: root name (1) + type, class (4) + TTL (4) + rdlength (2). */
const MIN_RECORD_LENGTH = 11;

const TYPE_A = 1;
const TYPE_NS = 2;
const TYPE_CNAME = 5;
const TYPE_SOA = 6;
const TYPE_NULL = 10;
const TYPE_PTR = 12;
const TYPE_HINFO = 13;
const TYPE_MX = 15;
const TYPE_TXT = 16;
const TYPE_AAAA = 28;
const TYPE_SRV = 33;
const TYPE_DNAME = 39;
const TYPE_OPT = 41;

/** Parses one DNS or mDNS message occupying the whole window (DNS over UDP). */
export function parseDns(bytes: Uint8Array, offset: number, length: number): Parsed<DnsMessage> {
  if (!validWindow(bytes, offset, length)) return parsedFail("bad_window", 0);
  return parseMessage(bytes, offset, offset + length);
}

/**
 * Parses the first message of a DNS-over-TCP stream chunk (2-byte length prefix, RFC 1035
 * §4.2.2). The message must lie wholly in the window; the caller advances by 2 + `length`.
 * Failure offsets are relative to the window start (the prefix included).
 */
export function parseDnsOverTcp(bytes: Uint8Array, offset: number, length: number): Parsed<DnsMessage> {
  if (!validWindow(bytes, offset, length)) return parsedFail("bad_window", 0);
  if (length < 2) return parsedFail("dns_tcp_too_short", 0);
  const messageLength = (bytes[offset]! << 8) | bytes[offset + 1]!;
  if (2 + messageLength > length) return parsedFail("dns_tcp_incomplete", 0);
  const result = parseMessage(bytes, offset + 2, offset + 2 + messageLength);
  if (!result.ok) return parsedFail(result.reason, result.offset + 2);
  return result;
}

function validWindow(bytes: Uint8Array, offset: number, length: number): boolean {
  return (
    Number.isInteger(offset) &&
    Number.isInteger(length) &&
    offset >= 0 &&
    length >= 0 &&
    offset + length <= bytes.length
  );
}

function parseMessage(bytes: Uint8Array, base: number, end: number): Parsed<DnsMessage> {
  const length = end - base;
  if (length < HEADER_LENGTH) return parsedFail("dns_too_short", 0);
  const flags = u16(bytes, base + 2);
  const qdCount = u16(bytes, base + 4);
  const anCount = u16(bytes, base + 6);
  const nsCount = u16(bytes, base + 8);
  const arCount = u16(bytes, base + 10);
  const recordCount = anCount + nsCount + arCount;
  // A crafted header may claim 4 × 65535 entries: refuse before allocating anything.
  if (qdCount * MIN_QUESTION_LENGTH + recordCount * MIN_RECORD_LENGTH > length - HEADER_LENGTH) {
    return parsedFail("dns_counts_exceed_length", 4);
  }
  if (qdCount + recordCount > DNS_MAX_RECORDS) return parsedFail("dns_too_many_records", 4);

  const questions: DnsQuestion[] = [];
  let pos = base + HEADER_LENGTH;
  for (let i = 0; i < qdCount; i++) {
    const next = readName(bytes, base, end, pos);
    if (next < 0) return parsedFail(nameErrorReason(next), nameErrorAt - base);
    if (next + 4 > end) return parsedFail("dns_question_truncated", pos - base);
    const rawClass = u16(bytes, next + 2);
    questions.push({
      name: lastName,
      type: u16(bytes, next),
      class: rawClass & 0x7fff,
      unicastResponse: (rawClass & 0x8000) !== 0,
    });
    pos = next + 4;
  }

  const sections: DnsRecord[][] = [[], [], []];
  const counts = [anCount, nsCount, arCount];
  for (let s = 0; s < 3; s++) {
    const records = sections[s]!;
    const count = counts[s]!;
    for (let i = 0; i < count; i++) {
      const next = readName(bytes, base, end, pos);
      if (next < 0) return parsedFail(nameErrorReason(next), nameErrorAt - base);
      if (next + 10 > end) return parsedFail("dns_record_truncated", pos - base);
      const name = lastName;
      const type = u16(bytes, next);
      const rawClass = u16(bytes, next + 2);
      const ttl = u32(bytes, next + 4);
      const rdLength = u16(bytes, next + 8);
      const rdStart = next + 10;
      const rdEnd = rdStart + rdLength;
      if (rdEnd > end) return parsedFail("dns_rdata_truncated", next + 8 - base);
      const isOpt = type === TYPE_OPT;
      records.push({
        name,
        type,
        class: isOpt ? rawClass : rawClass & 0x7fff,
        cacheFlush: !isOpt && (rawClass & 0x8000) !== 0,
        ttl,
        rdataOffset: rdStart - base,
        rdataLength: rdLength,
        data: decodeRdata(bytes, base, end, type, rawClass, ttl, rdStart, rdEnd),
      });
      pos = rdEnd;
    }
  }

  return parsedOk({
    id: u16(bytes, base),
    flags,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    questions,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
    length,
    trailingBytes: end - pos,
  });
}

function decodeRdata(
  bytes: Uint8Array,
  base: number,
  end: number,
  type: number,
  rawClass: number,
  ttl: number,
  start: number,
  rdEnd: number,
): DnsRdata {
  const length = rdEnd - start;
  switch (type) {
    case TYPE_A:
      if (length !== 4) return malformed("dns_a_bad_length", length);
      return { kind: "a", address: formatIpv4Bytes(bytes, start) };
    case TYPE_AAAA:
      if (length !== 16) return malformed("dns_aaaa_bad_length", length);
      return { kind: "aaaa", address: formatIpv6Bytes(bytes, start) };
    case TYPE_NS:
    case TYPE_CNAME:
    case TYPE_PTR:
    case TYPE_DNAME: {
      const next = readName(bytes, base, end, start);
      if (next < 0 || next > rdEnd) return malformed(rdataNameReason(next), length);
      return { kind: "name", name: lastName };
    }
    case TYPE_MX: {
      if (length < 3) return malformed("dns_mx_too_short", length);
      const next = readName(bytes, base, end, start + 2);
      if (next < 0 || next > rdEnd) return malformed(rdataNameReason(next), length);
      return { kind: "mx", preference: u16(bytes, start), exchange: lastName };
    }
    case TYPE_SRV: {
      if (length < 7) return malformed("dns_srv_too_short", length);
      const next = readName(bytes, base, end, start + 6);
      if (next < 0 || next > rdEnd) return malformed(rdataNameReason(next), length);
      return {
        kind: "srv",
        priority: u16(bytes, start),
        weight: u16(bytes, start + 2),
        port: u16(bytes, start + 4),
        target: lastName,
      };
    }
    case TYPE_TXT: {
      const strings: string[] = [];
      let p = start;
      while (p < rdEnd) {
        const n = bytes[p]!;
        if (p + 1 + n > rdEnd) return malformed("dns_txt_string_overrun", length);
        strings.push(decodeUtf8(bytes, p + 1, p + 1 + n));
        p += 1 + n;
      }
      return { kind: "txt", strings };
    }
    case TYPE_HINFO: {
      const cpuLength = length > 0 ? bytes[start]! : 0;
      const osAt = start + 1 + cpuLength;
      if (length < 2 || osAt >= rdEnd || osAt + 1 + bytes[osAt]! > rdEnd) {
        return malformed("dns_hinfo_overrun", length);
      }
      return {
        kind: "hinfo",
        cpu: decodeUtf8(bytes, start + 1, osAt),
        os: decodeUtf8(bytes, osAt + 1, osAt + 1 + bytes[osAt]!),
      };
    }
    case TYPE_SOA: {
      const afterMname = readName(bytes, base, end, start);
      if (afterMname < 0 || afterMname > rdEnd) return malformed(rdataNameReason(afterMname), length);
      const mname = lastName;
      const afterRname = readName(bytes, base, end, afterMname);
      if (afterRname < 0 || afterRname > rdEnd) return malformed(rdataNameReason(afterRname), length);
      if (afterRname + 20 > rdEnd) return malformed("dns_soa_too_short", length);
      return {
        kind: "soa",
        mname,
        rname: lastName,
        serial: u32(bytes, afterRname),
        refresh: u32(bytes, afterRname + 4),
        retry: u32(bytes, afterRname + 8),
        expire: u32(bytes, afterRname + 12),
        minimum: u32(bytes, afterRname + 16),
      };
    }
    case TYPE_OPT: {
      const optionCodes: number[] = [];
      let p = start;
      while (p < rdEnd) {
        if (p + 4 > rdEnd) return malformed("dns_opt_option_truncated", length);
        const optionLength = u16(bytes, p + 2);
        if (p + 4 + optionLength > rdEnd) return malformed("dns_opt_option_truncated", length);
        optionCodes.push(u16(bytes, p));
        p += 4 + optionLength;
      }
      return {
        kind: "opt",
        udpPayloadSize: rawClass,
        extendedRcode: ttl >>> 24,
        version: (ttl >>> 16) & 0xff,
        dnssecOk: (ttl & 0x8000) !== 0,
        optionCodes,
      };
    }
    case TYPE_NULL:
      return { kind: "null", length };
    default:
      return { kind: "other", length };
  }
}

function malformed(reason: string, length: number): DnsRdata {
  return { kind: "malformed", reason, length };
}

function rdataNameReason(code: number): string {
  return code < 0 ? nameErrorReason(code) : "dns_rdata_name_overrun";
}

// ---------------------------------------------------------------------------------------------
// Names

const NAME_TRUNCATED = -1;
const NAME_TOO_LONG = -2;
const NAME_BAD_POINTER = -3;
const NAME_TOO_MANY_JUMPS = -4;
const NAME_BAD_LABEL_TYPE = -5;

function nameErrorReason(code: number): string {
  switch (code) {
    case NAME_TRUNCATED:
      return "dns_name_truncated";
    case NAME_TOO_LONG:
      return "dns_name_too_long";
    case NAME_BAD_POINTER:
      return "dns_name_bad_pointer";
    case NAME_TOO_MANY_JUMPS:
      return "dns_name_too_many_jumps";
    default:
      return "dns_name_bad_label_type";
  }
}

/** Text of the name read by the last successful `readName` (saves an object per name). */
let lastName = "";
/** Absolute position where the last failing `readName` gave up. */
let nameErrorAt = 0;
/**
 * Characters of the name being built. 255 wire bytes escape to at most 4 characters each
 * (`\ooo`), so 1024 code units are enough.
 */
const nameChars = new Uint16Array(1024);
/**
 * WHATWG TextDecoder, present in every runtime core targets (Node, browsers, Deno, Bun) but
 * outside the ES library that core's tsconfig loads.
 */
declare const TextDecoder: new (label?: string) => { decode(input?: Uint8Array): string };
const utf8 = new TextDecoder("utf-8");

/**
 * Reads the (possibly compressed) name at absolute position `pos` in the message
 * bytes[base, end). Returns the position just after the name where it started (after its
 * first pointer, or after the root label) and leaves the text in `lastName`, or returns a
 * negative NAME_* code and leaves the failing position in `nameErrorAt`.
 */
function readName(bytes: Uint8Array, base: number, end: number, pos: number): number {
  let p = pos;
  let resumeAt = -1;
  let runStart = pos;
  let jumps = 0;
  let wireLength = 1; // the terminating root label
  let n = 0;
  for (;;) {
    if (p >= end) {
      nameErrorAt = p;
      return NAME_TRUNCATED;
    }
    const labelLength = bytes[p]!;
    if (labelLength === 0) {
      p += 1;
      break;
    }
    const labelType = labelLength & 0xc0;
    if (labelType === 0xc0) {
      if (p + 2 > end) {
        nameErrorAt = p;
        return NAME_TRUNCATED;
      }
      const target = base + (((labelLength & 0x3f) << 8) | bytes[p + 1]!);
      // Strictly before the run that led here: targets strictly decrease, so no loop.
      if (target >= runStart) {
        nameErrorAt = p;
        return NAME_BAD_POINTER;
      }
      if (++jumps > DNS_MAX_POINTER_JUMPS) {
        nameErrorAt = p;
        return NAME_TOO_MANY_JUMPS;
      }
      if (resumeAt < 0) resumeAt = p + 2;
      p = target;
      runStart = target;
      continue;
    }
    if (labelType !== 0) {
      // 0x40 (extended, RFC 6891 §5) and 0x80 (reserved) label types.
      nameErrorAt = p;
      return NAME_BAD_LABEL_TYPE;
    }
    wireLength += 1 + labelLength;
    if (wireLength > MAX_NAME_WIRE_LENGTH) {
      nameErrorAt = p;
      return NAME_TOO_LONG;
    }
    const labelEnd = p + 1 + labelLength;
    if (labelEnd > end) {
      nameErrorAt = p;
      return NAME_TRUNCATED;
    }
    if (n > 0) nameChars[n++] = 0x2e;
    n = appendLabel(bytes, p + 1, labelEnd, n);
    p = labelEnd;
  }
  lastName = n === 0 ? "" : String.fromCharCode.apply(null, nameChars.subarray(0, n) as unknown as number[]);
  return resumeAt >= 0 ? resumeAt : p;
}

/**
 * Text of an uncompressed wire-format name filling bytes[start, end) (DHCP option 81 with the
 * E flag, DHCPv6 option 39), escaped like DNS names. A partial name without the root label
 * (RFC 4702 §2.3.1) is accepted. Returns undefined when a label overruns the range, a
 * compression pointer or reserved label type appears, or the name exceeds 255 bytes.
 */
export function readUncompressedName(bytes: Uint8Array, start: number, end: number): string | undefined {
  let p = start;
  let n = 0;
  while (p < end) {
    const labelLength = bytes[p]!;
    if (labelLength === 0) break;
    if (labelLength > 63 || p + 1 + labelLength > end || p + 1 + labelLength - start >= MAX_NAME_WIRE_LENGTH) {
      return undefined;
    }
    if (n > 0) nameChars[n++] = 0x2e;
    n = appendLabel(bytes, p + 1, p + 1 + labelLength, n);
    p += 1 + labelLength;
  }
  return n === 0 ? "" : String.fromCharCode.apply(null, nameChars.subarray(0, n) as unknown as number[]);
}

function appendLabel(bytes: Uint8Array, start: number, end: number, n: number): number {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    for (let i = start; i < end; i++) n = appendChar(bytes[i]!, n);
    return n;
  }
  const text = utf8.decode(bytes.subarray(start, end));
  for (let i = 0; i < text.length; i++) n = appendChar(text.charCodeAt(i), n);
  return n;
}

function appendChar(c: number, n: number): number {
  if (c >= 0x20 && c !== 0x7f) {
    if (c === 0x2e || c === 0x5c) nameChars[n++] = 0x5c; // `\.` and `\\`
    nameChars[n++] = c;
    return n;
  }
  nameChars[n++] = 0x5c;
  const letter = c >= 0x07 && c <= 0x0d ? C_ESCAPES.charCodeAt(c - 0x07) : 0;
  if (letter !== 0) {
    nameChars[n++] = letter;
    return n;
  }
  nameChars[n++] = 0x30 + (c >>> 6);
  nameChars[n++] = 0x30 + ((c >>> 3) & 7);
  nameChars[n++] = 0x30 + (c & 7);
  return n;
}

/** Escape letters for 0x07..0x0d as tshark writes them: \a \b \t \n \v \f \r. */
const C_ESCAPES = "abtnvfr";

// ---------------------------------------------------------------------------------------------
// Addresses and text

/** Dotted-quad text of the 4 bytes at `at`. */
export function formatIpv4Bytes(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/**
 * Text of the 16-byte IPv6 address at `at`, as tshark prints it: RFC 5952 (lowercase, no
 * leading zeros, the first longest run of two or more zero groups as `::`), plus dotted IPv4
 * for IPv4-mapped (`::ffff:1.2.3.4`) and IPv4-compatible (`::1.2.3.4`) addresses.
 */
export function formatIpv6Bytes(bytes: Uint8Array, at: number): string {
  let bestStart = -1;
  let bestLength = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = bytes[at + 2 * g] === 0 && bytes[at + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const runLength = g - runStart + 1;
      if (runLength > bestLength) {
        bestStart = runStart;
        bestLength = runLength;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLength < 2) bestStart = -1;
  const embedsIPv4 =
    bestStart === 0 && (bestLength === 6 || (bestLength === 5 && bytes[at + 10] === 0xff && bytes[at + 11] === 0xff));
  let text = "";
  const groups = embedsIPv4 ? 6 : 8;
  for (let g = 0; g < groups; g++) {
    if (g === bestStart) {
      text += "::";
      g += bestLength - 1;
      continue;
    }
    if (text.length > 0 && !text.endsWith(":")) text += ":";
    text += ((bytes[at + 2 * g]! << 8) | bytes[at + 2 * g + 1]!).toString(16);
  }
  if (embedsIPv4) {
    if (!text.endsWith(":")) text += ":";
    text += formatIpv4Bytes(bytes, at + 12);
  }
  return text;
}

function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (start === end) return "";
  return utf8.decode(bytes.subarray(start, end));
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
