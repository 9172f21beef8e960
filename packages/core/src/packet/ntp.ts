/**
 * NTP (RFC 5905; mode 6 control messages from RFC 9327 and the ntpd mode 7 private format).
 *
 * Reads only bytes[offset, offset + length) and never throws. Modes 0–5 carry the 48-byte time
 * header; modes 6 and 7 are management messages (mode 7 MON_GETLIST is the classic
 * amplification request) and are reported with their own header. Versions outside 1–4 fail, so
 * random traffic on port 123 is not taken for NTP.
 */
import { type Parsed, parsedFail, parsedOk } from "./parsed.js";

export interface NtpTimestamp {
  /** Seconds since 1900-01-01 (era-relative, as on the wire). */
  seconds: number;
  /** Fraction of a second in units of 2^-32 s. */
  fraction: number;
  /**
   * Milliseconds since the Unix epoch, assuming era 0 for seconds >= 2^31 and era 1 below
   * (RFC 4330 §3: covers 1968–2104); null for the all-zero "unknown" timestamp.
   */
  unixMs: number | null;
}

interface NtpBase {
  /** Leap indicator (0–3; 3 = clock unsynchronized). */
  leap: number;
  version: number;
  mode: number;
  /** Bytes in the window after the fixed header (extension fields, MAC, or control data). */
  extraLength: number;
}

/** Modes 0–5: client, server, symmetric and broadcast time messages. */
export interface NtpTimeMessage extends NtpBase {
  kind: "time";
  stratum: number;
  /** Log2 of the poll interval in seconds (signed). */
  poll: number;
  /** Log2 of the clock precision in seconds (signed). */
  precision: number;
  /** Seconds (NTP short format 16.16). */
  rootDelay: number;
  rootDispersion: number;
  /** The raw 32-bit reference id. */
  referenceId: number;
  /**
   * Stratum 0: the kiss code ("RATE", "DENY"); stratum 1: the reference clock ("GPS", "PPS");
   * stratum 2 and above: the server address in dotted form (for IPv6 servers a hash, as tshark
   * also shows it). NULs at the end of codes are removed; other unprintable bytes become "?".
   */
  referenceIdText: string;
  referenceTimestamp: NtpTimestamp;
  originTimestamp: NtpTimestamp;
  receiveTimestamp: NtpTimestamp;
  transmitTimestamp: NtpTimestamp;
}

/** Mode 6 (RFC 9327): control messages (ntpq). */
export interface NtpControlMessage extends NtpBase {
  kind: "control";
  response: boolean;
  error: boolean;
  more: boolean;
  opcode: number;
  sequence: number;
  status: number;
  associationId: number;
  dataOffset: number;
  count: number;
}

/** Mode 7: ntpd private (ntpdc) messages; request code 42 is MON_GETLIST_1 (monlist). */
export interface NtpPrivateMessage extends NtpBase {
  kind: "private";
  response: boolean;
  more: boolean;
  sequence: number;
  implementation: number;
  requestCode: number;
}

export type NtpMessage = NtpTimeMessage | NtpControlMessage | NtpPrivateMessage;

const TIME_HEADER_LENGTH = 48;
const CONTROL_HEADER_LENGTH = 12;
const PRIVATE_HEADER_LENGTH = 8;
/** Seconds from 1900-01-01 to 1970-01-01. */
const NTP_UNIX_OFFSET = 2_208_988_800;
const ERA_SECONDS = 4_294_967_296;

/** Parses one NTP message occupying the window (the UDP payload). */
export function parseNtp(bytes: Uint8Array, offset: number, length: number): Parsed<NtpMessage> {
  if (
    !(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0) ||
    offset + length > bytes.length
  ) {
    return parsedFail("bad_window", 0);
  }
  if (length < 1) return parsedFail("ntp_too_short", 0);
  const b = offset;
  const first = bytes[b]!;
  const leap = first >>> 6;
  const version = (first >>> 3) & 7;
  const mode = first & 7;
  if (version < 1 || version > 4) return parsedFail("ntp_bad_version", 0);

  if (mode === 6) {
    if (length < CONTROL_HEADER_LENGTH) return parsedFail("ntp_too_short", 0);
    const second = bytes[b + 1]!;
    return parsedOk({
      kind: "control",
      leap,
      version,
      mode,
      extraLength: length - CONTROL_HEADER_LENGTH,
      response: (second & 0x80) !== 0,
      error: (second & 0x40) !== 0,
      more: (second & 0x20) !== 0,
      opcode: second & 0x1f,
      sequence: u16(bytes, b + 2),
      status: u16(bytes, b + 4),
      associationId: u16(bytes, b + 6),
      dataOffset: u16(bytes, b + 8),
      count: u16(bytes, b + 10),
    });
  }
  if (mode === 7) {
    if (length < PRIVATE_HEADER_LENGTH) return parsedFail("ntp_too_short", 0);
    return parsedOk({
      kind: "private",
      // The leap bits carry the response and more flags in mode 7.
      leap: 0,
      version,
      mode,
      extraLength: length - PRIVATE_HEADER_LENGTH,
      response: (first & 0x80) !== 0,
      more: (first & 0x40) !== 0,
      sequence: bytes[b + 1]! & 0x7f,
      implementation: bytes[b + 2]!,
      requestCode: bytes[b + 3]!,
    });
  }

  if (length < TIME_HEADER_LENGTH) return parsedFail("ntp_too_short", 0);
  const stratum = bytes[b + 1]!;
  return parsedOk({
    kind: "time",
    leap,
    version,
    mode,
    extraLength: length - TIME_HEADER_LENGTH,
    stratum,
    poll: (bytes[b + 2]! << 24) >> 24,
    precision: (bytes[b + 3]! << 24) >> 24,
    rootDelay: u32(bytes, b + 4) / 65536,
    rootDispersion: u32(bytes, b + 8) / 65536,
    referenceId: u32(bytes, b + 12),
    referenceIdText: referenceIdText(bytes, b + 12, stratum),
    referenceTimestamp: timestamp(bytes, b + 16),
    originTimestamp: timestamp(bytes, b + 24),
    receiveTimestamp: timestamp(bytes, b + 32),
    transmitTimestamp: timestamp(bytes, b + 40),
  });
}

function referenceIdText(bytes: Uint8Array, at: number, stratum: number): string {
  if (stratum >= 2) return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  let end = at + 4;
  while (end > at && bytes[end - 1] === 0) end--;
  let s = "";
  for (let i = at; i < end; i++) {
    const c = bytes[i]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : "?";
  }
  return s;
}

function timestamp(bytes: Uint8Array, at: number): NtpTimestamp {
  const seconds = u32(bytes, at);
  const fraction = u32(bytes, at + 4);
  let unixMs: number | null = null;
  if (seconds !== 0 || fraction !== 0) {
    const fullSeconds = seconds >= 0x80000000 ? seconds : seconds + ERA_SECONDS;
    unixMs = (fullSeconds - NTP_UNIX_OFFSET) * 1000 + (fraction / ERA_SECONDS) * 1000;
  }
  return { seconds, fraction, unixMs };
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}
