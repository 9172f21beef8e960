/**
 * TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) inside TLS records, or as a bare
 * handshake message (for QUIC CRYPTO data).
 *
 * Reads only bytes[offset, offset + length) and never throws. A ClientHello may not fit in the
 * window: a TCP segment often ends inside a large hello (post-quantum key shares), and a hello
 * may be split over several records. Records that follow in the window are joined; when bytes
 * are still missing, everything up to the compression methods must be there, extensions are
 * read as far as they are whole, and `complete` is false. Lists keep GREASE values (RFC 8701)
 * in wire order; `isGrease` identifies them.
 */
import { type Parsed, parsedFail, parsedOk } from "./parsed.js";

export interface TlsClientHello {
  /**
   * Record-layer version (0x0301 …); 0 when parsed from a bare handshake message, 0x0002 for
   * an SSL 2.0-compatible hello.
   */
  recordVersion: number;
  /**
   * An SSL 2.0-format ClientHello (RFC 5246 Appendix E.2), still sent by old embedded stacks:
   * it has no extensions, and `cipherSuites` keeps only the TLS suites among its 3-byte
   * cipher specs (those whose first byte is 0), as a TLS server reads them.
   */
  sslv2: boolean;
  /** Handshake body length as declared. */
  handshakeLength: number;
  /** False when the window ended before the end of the hello: later extensions are missing. */
  complete: boolean;
  /** ClientHello.legacy_version (0x0303 for TLS 1.2 and 1.3). */
  legacyVersion: number;
  sessionIdLength: number;
  cipherSuites: number[];
  compressionMethods: number[];
  /** Extension types in wire order. */
  extensions: number[];
  /** supported_versions (43) list; empty when absent. */
  supportedVersions: number[];
  /** First host_name of server_name (0); absent when the extension is absent or malformed. */
  serverName?: string;
  /** application_layer_protocol_negotiation (16) protocol names, one character per byte. */
  alpn: string[];
  /** signature_algorithms (13). */
  signatureAlgorithms: number[];
  /** supported_groups (10). */
  supportedGroups: number[];
  /** ec_point_formats (11). */
  ecPointFormats: number[];
  /** True when any list above holds a GREASE value. */
  hasGrease: boolean;
}

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
/** RFC 8446 §5.1: 2^14 bytes of plaintext; RFC 5246 allows 2048 more for expansion. */
const MAX_RECORD_LENGTH = 16384 + 2048;

const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_EC_POINT_FORMATS = 11;
const EXT_SIGNATURE_ALGORITHMS = 13;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;

/** RFC 8701: 0x0a0a, 0x1a1a, … 0xfafa in cipher suites, extensions, groups, versions, … */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >>> 8 === (value & 0xff);
}

/** Scratch buffer for hellos split across records (grown on demand, never shrunk). */
let joined = new Uint8Array(4096);

/** Parses a ClientHello that starts a TLS record stream at the start of the window. */
export function parseTlsClientHello(bytes: Uint8Array, offset: number, length: number): Parsed<TlsClientHello> {
  if (!validWindow(bytes, offset, length)) return parsedFail("bad_window", 0);
  const end = offset + length;
  if (length >= 3 && (bytes[offset]! & 0x80) !== 0 && bytes[offset + 2] === HANDSHAKE_CLIENT_HELLO) {
    return parseSslv2Hello(bytes, offset, end);
  }
  if (length < 5) return parsedFail("tls_record_truncated", 0);
  if (bytes[offset] !== CONTENT_HANDSHAKE) return parsedFail("tls_not_handshake", 0);
  const recordVersion = u16(bytes, offset + 1);
  if (bytes[offset + 1] !== 3 || bytes[offset + 2]! > 4) return parsedFail("tls_bad_record_version", 1);
  const recordLength = u16(bytes, offset + 3);
  if (recordLength === 0 || recordLength > MAX_RECORD_LENGTH) return parsedFail("tls_bad_record_length", 3);
  const fragmentStart = offset + 5;
  const recordEnd = fragmentStart + recordLength;
  const fragmentEnd = Math.min(end, recordEnd);

  if (fragmentEnd - fragmentStart >= 4) {
    if (bytes[fragmentStart] !== HANDSHAKE_CLIENT_HELLO) return parsedFail("tls_not_client_hello", 5);
    const needed = 4 + u24(bytes, fragmentStart + 1);
    if (needed <= recordLength || recordEnd >= end) {
      // The hello lies in the first record, or the window ends inside that record: no copy.
      const result = parseHandshake(bytes, fragmentStart, fragmentEnd, recordVersion);
      return result.ok ? result : parsedFail(result.reason, result.offset + 5);
    }
  }

  // The hello continues in following records (large hellos, or records split on purpose to
  // hide the server name from middleboxes): join the fragments of consecutive handshake records.
  let size = 0;
  let needed = Number.POSITIVE_INFINITY;
  let p = offset;
  while (size < needed && p + 5 <= end) {
    if (bytes[p] !== CONTENT_HANDSHAKE || bytes[p + 1] !== 3) break;
    const n = u16(bytes, p + 3);
    if (n === 0 || n > MAX_RECORD_LENGTH) {
      if (p === offset) return parsedFail("tls_bad_record_length", 3);
      break;
    }
    const take = Math.min(n, end - (p + 5), needed - size);
    if (joined.length < size + take) {
      const grown = new Uint8Array(Math.max(size + take, joined.length * 2));
      grown.set(joined.subarray(0, size));
      joined = grown;
    }
    joined.set(bytes.subarray(p + 5, p + 5 + take), size);
    size += take;
    if (needed === Number.POSITIVE_INFINITY && size >= 4) {
      if (joined[0] !== HANDSHAKE_CLIENT_HELLO) return parsedFail("tls_not_client_hello", 5);
      needed = 4 + u24(joined, 1);
    }
    p += 5 + n;
  }
  if (size < 4) return parsedFail("tls_handshake_truncated", 5);
  const result = parseHandshake(joined, 0, size, recordVersion);
  // Past the first record, offsets count joined fragment bytes (record headers left out).
  return result.ok ? result : parsedFail(result.reason, result.offset + 5);
}

/**
 * Parses a bare ClientHello handshake message (type, 3-byte length, body) at the start of the
 * window, as carried in QUIC CRYPTO frames. `recordVersion` is 0.
 */
export function parseClientHelloHandshake(bytes: Uint8Array, offset: number, length: number): Parsed<TlsClientHello> {
  if (!validWindow(bytes, offset, length)) return parsedFail("bad_window", 0);
  if (length < 4) return parsedFail("tls_handshake_truncated", 0);
  if (bytes[offset] !== HANDSHAKE_CLIENT_HELLO) return parsedFail("tls_not_client_hello", 0);
  return parseHandshake(bytes, offset, offset + length, 0);
}

/**
 * SSL 2.0-compatible ClientHello: 2-byte header (top bit set, 15-bit length), msg_type 1,
 * version, cipher_spec_length, session_id_length, challenge_length, then the cipher specs
 * (3 bytes each), session id and challenge.
 */
function parseSslv2Hello(bytes: Uint8Array, offset: number, end: number): Parsed<TlsClientHello> {
  const messageLength = ((bytes[offset]! & 0x7f) << 8) | bytes[offset + 1]!;
  const body = offset + 2;
  const declaredEnd = body + messageLength;
  if (messageLength < 9) return parsedFail("tls_client_hello_malformed", 0);
  const available = Math.min(end, declaredEnd);
  if (body + 9 > available) return parsedFail("tls_client_hello_truncated", 2);
  const specBytes = u16(bytes, body + 3);
  const sessionIdLength = u16(bytes, body + 5);
  const challengeLength = u16(bytes, body + 7);
  if (specBytes % 3 !== 0 || sessionIdLength > 32 || challengeLength > 32) {
    return parsedFail("tls_client_hello_malformed", 5);
  }
  if (body + 9 + specBytes + sessionIdLength + challengeLength > declaredEnd) {
    return parsedFail("tls_client_hello_malformed", 3);
  }
  if (body + 9 + specBytes > available) return parsedFail("tls_client_hello_truncated", 9);
  const cipherSuites: number[] = [];
  let hasGrease = false;
  for (let p = body + 9; p < body + 9 + specBytes; p += 3) {
    if (bytes[p] !== 0) continue;
    const suite = u16(bytes, p + 1);
    if (isGrease(suite)) hasGrease = true;
    cipherSuites.push(suite);
  }
  return parsedOk({
    recordVersion: 0x0002,
    sslv2: true,
    handshakeLength: messageLength,
    complete: declaredEnd <= end,
    legacyVersion: u16(bytes, body + 1),
    sessionIdLength,
    cipherSuites,
    compressionMethods: [0],
    extensions: [],
    supportedVersions: [],
    alpn: [],
    signatureAlgorithms: [],
    supportedGroups: [],
    ecPointFormats: [],
    hasGrease,
  });
}

/** Parses the handshake message at `start`; bytes[start, available) are the bytes we have. */
function parseHandshake(
  bytes: Uint8Array,
  start: number,
  available: number,
  recordVersion: number,
): Parsed<TlsClientHello> {
  const handshakeLength = u24(bytes, start + 1);
  const body = start + 4;
  const declaredEnd = body + handshakeLength;
  const end = Math.min(declaredEnd, available);
  const fail = (reason: string, at: number): Parsed<TlsClientHello> => parsedFail(reason, at - start);
  /** Why a structure does not fit: past the declared message (malformed) or only past our bytes. */
  const overrun = (at: number, needEnd: number): Parsed<TlsClientHello> =>
    fail(needEnd > declaredEnd ? "tls_client_hello_malformed" : "tls_client_hello_truncated", at);

  // legacy_version (2) + random (32) + session id length (1)
  if (body + 35 > end) return overrun(body, body + 35);
  const legacyVersion = u16(bytes, body);
  const sessionIdLength = bytes[body + 34]!;
  if (sessionIdLength > 32) return fail("tls_bad_session_id", body + 34);
  let p = body + 35 + sessionIdLength;
  if (p + 2 > end) return overrun(p, p + 2);
  const cipherBytes = u16(bytes, p);
  if (cipherBytes % 2 !== 0) return fail("tls_bad_cipher_suites", p);
  if (p + 2 + cipherBytes > end) return overrun(p, p + 2 + cipherBytes);
  let hasGrease = false;
  const cipherSuites: number[] = [];
  for (let i = p + 2; i < p + 2 + cipherBytes; i += 2) {
    const suite = u16(bytes, i);
    if (isGrease(suite)) hasGrease = true;
    cipherSuites.push(suite);
  }
  p += 2 + cipherBytes;
  if (p + 1 > end) return overrun(p, p + 1);
  const compressionCount = bytes[p]!;
  if (p + 1 + compressionCount > end) return overrun(p, p + 1 + compressionCount);
  const compressionMethods: number[] = [];
  for (let i = 0; i < compressionCount; i++) compressionMethods.push(bytes[p + 1 + i]!);
  p += 1 + compressionCount;

  const hello: TlsClientHello = {
    recordVersion,
    sslv2: false,
    handshakeLength,
    complete: declaredEnd <= available,
    legacyVersion,
    sessionIdLength,
    cipherSuites,
    compressionMethods,
    extensions: [],
    supportedVersions: [],
    alpn: [],
    signatureAlgorithms: [],
    supportedGroups: [],
    ecPointFormats: [],
    hasGrease,
  };
  // Extensions are optional before TLS 1.3 (RFC 5246 §7.4.1.2).
  if (p === declaredEnd) return parsedOk(hello);
  if (p + 2 > declaredEnd) return fail("tls_client_hello_malformed", p);
  if (p + 2 > end) return parsedOk(hello);
  const extensionsEnd = p + 2 + u16(bytes, p);
  if (extensionsEnd > declaredEnd) return fail("tls_extensions_overrun", p);
  p += 2;
  const readEnd = Math.min(extensionsEnd, end);
  while (p < extensionsEnd) {
    if (p + 4 > extensionsEnd) return fail("tls_extension_truncated", p);
    if (p + 4 > readEnd) break; // cut by the window
    const type = u16(bytes, p);
    const n = u16(bytes, p + 2);
    const v = p + 4;
    if (v + n > extensionsEnd) return fail("tls_extension_truncated", p);
    if (v + n > readEnd) break; // cut by the window
    hello.extensions.push(type);
    if (isGrease(type)) hello.hasGrease = true;
    readExtension(bytes, type, v, v + n, hello);
    p = v + n;
  }
  return parsedOk(hello);
}

/** Decodes the extensions we report; malformed contents leave the field as it was. */
function readExtension(bytes: Uint8Array, type: number, v: number, e: number, hello: TlsClientHello): void {
  switch (type) {
    case EXT_SERVER_NAME: {
      if (hello.serverName !== undefined || v + 2 > e) return;
      const listEnd = v + 2 + u16(bytes, v);
      if (listEnd > e) return;
      for (let p = v + 2; p + 3 <= listEnd; ) {
        const nameType = bytes[p]!;
        const n = u16(bytes, p + 1);
        if (p + 3 + n > listEnd) return;
        if (nameType === 0) {
          hello.serverName = latin1(bytes, p + 3, p + 3 + n);
          return;
        }
        p += 3 + n;
      }
      return;
    }
    case EXT_ALPN: {
      if (hello.alpn.length > 0 || v + 2 > e) return;
      const listEnd = v + 2 + u16(bytes, v);
      if (listEnd > e) return;
      for (let p = v + 2; p < listEnd; ) {
        const n = bytes[p]!;
        if (p + 1 + n > listEnd) return;
        hello.alpn.push(latin1(bytes, p + 1, p + 1 + n));
        p += 1 + n;
      }
      return;
    }
    case EXT_SIGNATURE_ALGORITHMS:
      if (hello.signatureAlgorithms.length === 0) readU16List(bytes, v, e, 2, hello.signatureAlgorithms, hello);
      return;
    case EXT_SUPPORTED_GROUPS:
      if (hello.supportedGroups.length === 0) readU16List(bytes, v, e, 2, hello.supportedGroups, hello);
      return;
    case EXT_SUPPORTED_VERSIONS:
      if (hello.supportedVersions.length === 0) readU16List(bytes, v, e, 1, hello.supportedVersions, hello);
      return;
    case EXT_EC_POINT_FORMATS: {
      if (hello.ecPointFormats.length > 0 || v + 1 > e) return;
      const n = bytes[v]!;
      if (v + 1 + n > e) return;
      for (let i = 0; i < n; i++) hello.ecPointFormats.push(bytes[v + 1 + i]!);
      return;
    }
    default:
      return;
  }
}

/** A list of 16-bit values behind a 1- or 2-byte byte count, all inside [v, e). */
function readU16List(
  bytes: Uint8Array,
  v: number,
  e: number,
  prefix: 1 | 2,
  out: number[],
  hello: TlsClientHello,
): void {
  if (v + prefix > e) return;
  const n = prefix === 1 ? bytes[v]! : u16(bytes, v);
  const listEnd = v + prefix + n;
  if (n % 2 !== 0 || listEnd > e) return;
  for (let p = v + prefix; p < listEnd; p += 2) {
    const value = u16(bytes, p);
    if (isGrease(value)) hello.hasGrease = true;
    out.push(value);
  }
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

function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end <= start) return "";
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u24(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
}
