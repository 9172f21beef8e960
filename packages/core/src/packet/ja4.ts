/**
 * JA4 TLS client fingerprint (FoxIO, technical_details/JA4.md), e.g.
 * `t13d1516h2_8daaf6152771_e5627efa2ab1`:
 *
 *   a: protocol (t TCP, q QUIC, d DTLS), version (highest non-GREASE supported_versions entry,
 *      else legacy_version), d/i (server_name extension present or not), cipher count and
 *      extension count (GREASE excluded, at most 99), first and last character of the first
 *      ALPN value (hex digits instead when either byte is not alphanumeric; 00 without ALPN);
 *   b: first 12 hex digits of SHA-256 of the sorted cipher suites ("002f,0035,…");
 *   c: same for the sorted extensions without SNI (0000) and ALPN (0010), then "_" and the
 *      signature algorithms in wire order (no "_" when there are none).
 * GREASE values are left out everywhere, signature algorithms included; an empty list hashes
 * to "000000000000".
 */
import { sha256HexOfText } from "./sha256.js";
import { isGrease, type TlsClientHello } from "./tls-client-hello.js";

export type Ja4Protocol = "t" | "q" | "d";

export interface Ja4Options {
  /** t: TLS over TCP (default), q: QUIC, d: DTLS. */
  protocol?: Ja4Protocol;
  /** JA4_o: ciphers and extensions in wire order, SNI and ALPN kept in the extension list. */
  originalOrder?: boolean;
}

const EMPTY_HASH = "000000000000";
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const EXT_SUPPORTED_VERSIONS = 0x002b;

/**
 * The JA4 fingerprint (JA4_o with `originalOrder`). Undefined when the hello is incomplete
 * (`complete` false): a fingerprint of a partial extension list would name a client that does
 * not exist.
 */
export function ja4(hello: TlsClientHello, options: Ja4Options = {}): string | undefined {
  const parts = ja4Parts(hello, options);
  if (parts === undefined) return undefined;
  return `${parts.a}_${hash12(parts.b)}_${hash12(parts.c)}`;
}

/** The raw fingerprint JA4_r (JA4_ro with `originalOrder`): the lists before hashing. */
export function ja4Raw(hello: TlsClientHello, options: Ja4Options = {}): string | undefined {
  const parts = ja4Parts(hello, options);
  if (parts === undefined) return undefined;
  return `${parts.a}_${parts.b}_${parts.c}`;
}

interface Ja4Parts {
  a: string;
  b: string;
  c: string;
}

function ja4Parts(hello: TlsClientHello, options: Ja4Options): Ja4Parts | undefined {
  if (!hello.complete) return undefined;
  const protocol = options.protocol ?? "t";
  const original = options.originalOrder === true;

  const ciphers = withoutGrease(hello.cipherSuites);
  const extensions = withoutGrease(hello.extensions);
  const signatureAlgorithms = withoutGrease(hello.signatureAlgorithms);

  let version = hello.legacyVersion;
  if (hello.extensions.includes(EXT_SUPPORTED_VERSIONS)) {
    let highest = -1;
    for (const v of hello.supportedVersions) if (!isGrease(v) && v > highest) highest = v;
    if (highest >= 0) version = highest;
  }
  const sni = extensions.includes(EXT_SERVER_NAME) ? "d" : "i";
  const a = `${protocol}${versionCode(version)}${sni}${count2(ciphers.length)}${count2(extensions.length)}${alpnCode(hello.alpn)}`;

  let hashedExtensions = extensions;
  if (!original) {
    hashedExtensions = [];
    for (const v of extensions) if (v !== EXT_SERVER_NAME && v !== EXT_ALPN) hashedExtensions.push(v);
    sortNumbers(ciphers);
    sortNumbers(hashedExtensions);
  }
  const b = hexList(ciphers);
  // An empty extension list yields zeros even with signature algorithms (the spec's rule).
  let c = "";
  if (hashedExtensions.length > 0) {
    c = hexList(hashedExtensions);
    if (signatureAlgorithms.length > 0) c += `_${hexList(signatureAlgorithms)}`;
  }
  return { a, b, c };
}

function withoutGrease(values: readonly number[]): number[] {
  const out: number[] = [];
  for (const v of values) if (!isGrease(v)) out.push(v);
  return out;
}

/** Insertion sort: the lists are short (tens of values) and this avoids a comparator call. */
function sortNumbers(values: number[]): void {
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0 && values[j]! > v) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = v;
  }
}

/** "002f,0035,…": 4 lowercase hex digits per value, comma-separated. */
function hexList(values: readonly number[]): string {
  let s = "";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) s += ",";
    s += hex4(values[i]!);
  }
  return s;
}

function versionCode(version: number): string {
  switch (version) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    case 0x0002:
      return "s2";
    case 0xfeff:
      return "d1";
    case 0xfefd:
      return "d2";
    case 0xfefc:
      return "d3";
    default:
      return "00";
  }
}

function count2(n: number): string {
  const capped = Math.min(n, 99);
  return capped < 10 ? `0${capped}` : `${capped}`;
}

function alpnCode(alpn: readonly string[]): string {
  const first = alpn[0];
  if (first === undefined || first.length === 0) return "00";
  const f = first.charCodeAt(0);
  const l = first.charCodeAt(first.length - 1);
  if (isAlphanumeric(f) && isAlphanumeric(l)) return String.fromCharCode(f, l);
  // Hex of the whole value: its first digit is the high nibble of the first byte, its last the
  // low nibble of the last byte.
  return HEX[(f >>> 4) & 15]! + HEX[l & 15]!;
}

function isAlphanumeric(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

const HEX = "0123456789abcdef";

function hex4(v: number): string {
  return HEX[(v >>> 12) & 15]! + HEX[(v >>> 8) & 15]! + HEX[(v >>> 4) & 15]! + HEX[v & 15]!;
}

function hash12(text: string): string {
  return text.length === 0 ? EMPTY_HASH : sha256HexOfText(text).slice(0, 12);
}
