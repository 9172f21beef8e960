/**
 * HTTP/1.x request and response heads (RFC 9112), including SSDP, which is HTTP over UDP
 * (M-SEARCH, NOTIFY and `HTTP/1.1 200 OK` replies).
 *
 * Reads only bytes[offset, offset + length) and never throws. Only the head is read: the start
 * line and header lines up to the blank line, or up to the end of the window when the head is
 * cut (then `complete` is false and the last header may be cut too). Lines may end in CRLF or
 * a bare LF; obsolete line folding is joined with one space. Text is decoded as UTF-8 with
 * invalid bytes as U+FFFD.
 */
import { type Parsed, parsedFail, parsedOk } from "./parsed.js";

export interface HttpHeader {
  /** Lowercased field name. */
  name: string;
  /** Field value with surrounding spaces and tabs removed. */
  value: string;
}

interface HttpHeadBase {
  /** "HTTP/1.1", "HTTP/1.0", … */
  version: string;
  /** Header fields in wire order, at most `HTTP_MAX_HEADERS`. */
  headers: HttpHeader[];
  /** Header lines left out: past the count limit, longer than the line limit, or without a colon. */
  skippedLines: number;
  /** True when the blank line ending the head lies in the window. */
  complete: boolean;
  /** Bytes of the head, the blank line included (the whole window when incomplete). */
  headLength: number;
  /** First value of the headers of the same name. */
  host?: string;
  userAgent?: string;
  server?: string;
  location?: string;
  /** SSDP search target, notification type and unique service name. */
  st?: string;
  nt?: string;
  usn?: string;
}

export interface HttpRequestHead extends HttpHeadBase {
  kind: "request";
  method: string;
  /** Request target as sent ("/index.html", "*", "http://host/…"). */
  path: string;
}

export interface HttpResponseHead extends HttpHeadBase {
  kind: "response";
  status: number;
  reason: string;
}

export type HttpHead = HttpRequestHead | HttpResponseHead;

/** Header fields kept at most; real requests carry 5–30. */
export const HTTP_MAX_HEADERS = 64;
/** Longest start or header line read (bytes, without the line end); servers refuse ~8 KiB. */
export const HTTP_MAX_LINE_LENGTH = 8192;
/** Longest method name accepted: the longest registered method (UPDATEREDIRECTREF) has 17. */
const MAX_METHOD_LENGTH = 24;

const SP = 0x20;
const HT = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

/** Parses an HTTP/1.x or SSDP head at the start of the window. */
export function parseHttpHead(bytes: Uint8Array, offset: number, length: number): Parsed<HttpHead> {
  if (
    !(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0) ||
    offset + length > bytes.length
  ) {
    return parsedFail("bad_window", 0);
  }
  const end = offset + length;
  let p = offset;
  // RFC 9112 §2.2: a server should ignore at least one empty line before the request line.
  for (let i = 0; i < 2 && p < end; i++) {
    if (bytes[p] === CR && p + 1 < end && bytes[p + 1] === LF) p += 2;
    else if (bytes[p] === LF) p += 1;
  }
  const lineEnd = findLineEnd(bytes, p, end);
  if (lineEnd < 0) {
    return parsedFail(end - p > HTTP_MAX_LINE_LENGTH ? "http_line_too_long" : "http_incomplete_start_line", 0);
  }
  const contentEnd = trimCr(bytes, p, lineEnd);
  if (contentEnd - p > HTTP_MAX_LINE_LENGTH) return parsedFail("http_line_too_long", p - offset);

  let head: HttpHead;
  if (startsWithHttpVersion(bytes, p, contentEnd)) {
    // Status line: HTTP-version SP 3DIGIT [SP reason-phrase]
    const s = p + 8;
    if (
      s + 4 > contentEnd ||
      bytes[s] !== SP ||
      !isDigit(bytes[s + 1]) ||
      !isDigit(bytes[s + 2]) ||
      !isDigit(bytes[s + 3]) ||
      (s + 4 < contentEnd && bytes[s + 4] !== SP)
    ) {
      return parsedFail("http_bad_status_line", p - offset);
    }
    head = {
      kind: "response",
      version: latin1(bytes, p, p + 8),
      status: (bytes[s + 1]! - 0x30) * 100 + (bytes[s + 2]! - 0x30) * 10 + (bytes[s + 3]! - 0x30),
      reason: s + 5 <= contentEnd ? utf8Text(bytes, s + 5, contentEnd) : "",
      headers: [],
      skippedLines: 0,
      complete: false,
      headLength: length,
    };
  } else {
    // Request line: method SP request-target SP HTTP-version
    let m = p;
    while (m < contentEnd && isTokenChar(bytes[m]!)) m++;
    if (m === p || m - p > MAX_METHOD_LENGTH || m >= contentEnd || bytes[m] !== SP) {
      return parsedFail("http_bad_request_line", p - offset);
    }
    const targetStart = m + 1;
    let t = targetStart;
    while (t < contentEnd && bytes[t] !== SP) t++;
    if (t === targetStart || t + 9 !== contentEnd || !startsWithHttpVersion(bytes, t + 1, contentEnd)) {
      return parsedFail("http_bad_request_line", p - offset);
    }
    head = {
      kind: "request",
      method: latin1(bytes, p, m),
      path: utf8Text(bytes, targetStart, t),
      version: latin1(bytes, t + 1, contentEnd),
      headers: [],
      skippedLines: 0,
      complete: false,
      headLength: length,
    };
  }

  p = lineEnd < end ? lineEnd + 1 : end;
  /** Whether the previous header line was kept (a folded continuation then extends it). */
  let previousKept = false;
  while (p < end) {
    let e = findLineEnd(bytes, p, end);
    const cut = e < 0;
    if (cut) e = end;
    const ce = trimCr(bytes, p, e);
    if (ce === p && !cut) {
      head.complete = true;
      head.headLength = e + 1 - offset;
      break;
    }
    const next = cut ? end : e + 1;
    if (ce - p > HTTP_MAX_LINE_LENGTH) {
      head.skippedLines++;
      previousKept = false;
      p = next;
      continue;
    }
    const first = bytes[p]!;
    if (first === SP || first === HT) {
      // Obsolete line folding (RFC 9112 §5.2): continue the previous value.
      if (previousKept) {
        const last = head.headers[head.headers.length - 1]!;
        const more = utf8Text(bytes, skipWhitespace(bytes, p, ce), trimWhitespaceEnd(bytes, p, ce));
        if (more.length > 0) {
          last.value = last.value.length > 0 ? `${last.value} ${more}` : more;
          setConvenience(head, last.name, last.value, true);
        }
      } else {
        head.skippedLines++;
      }
      p = next;
      continue;
    }
    let c = p;
    while (c < ce && isTokenChar(bytes[c]!)) c++;
    if (c === p || c >= ce || bytes[c] !== COLON || head.headers.length >= HTTP_MAX_HEADERS) {
      head.skippedLines++;
      previousKept = false;
      p = next;
      continue;
    }
    const name = latin1(bytes, p, c).toLowerCase();
    const value = utf8Text(bytes, skipWhitespace(bytes, c + 1, ce), trimWhitespaceEnd(bytes, c + 1, ce));
    head.headers.push({ name, value });
    setConvenience(head, name, value, false);
    previousKept = true;
    p = next;
  }
  return parsedOk(head);
}

function setConvenience(head: HttpHead, name: string, value: string, replace: boolean): void {
  switch (name) {
    case "host":
      if (replace || head.host === undefined) head.host = value;
      return;
    case "user-agent":
      if (replace || head.userAgent === undefined) head.userAgent = value;
      return;
    case "server":
      if (replace || head.server === undefined) head.server = value;
      return;
    case "location":
      if (replace || head.location === undefined) head.location = value;
      return;
    case "st":
      if (replace || head.st === undefined) head.st = value;
      return;
    case "nt":
      if (replace || head.nt === undefined) head.nt = value;
      return;
    case "usn":
      if (replace || head.usn === undefined) head.usn = value;
      return;
    default:
      return;
  }
}

/** Position of the next LF in [start, end) within the line limit (+1 for a CR), or -1. */
function findLineEnd(bytes: Uint8Array, start: number, end: number): number {
  const limit = Math.min(end, start + HTTP_MAX_LINE_LENGTH + 2);
  for (let i = start; i < limit; i++) if (bytes[i] === LF) return i;
  if (limit < end) {
    // Over-long line: find its end anyway so that the caller can skip it.
    for (let i = limit; i < end; i++) if (bytes[i] === LF) return i;
  }
  return -1;
}

function trimCr(bytes: Uint8Array, start: number, lf: number): number {
  return lf > start && bytes[lf - 1] === CR ? lf - 1 : lf;
}

/** "HTTP/" DIGIT "." DIGIT at `at`, ending at or before `end`. */
function startsWithHttpVersion(bytes: Uint8Array, at: number, end: number): boolean {
  return (
    at + 8 <= end &&
    bytes[at] === 0x48 &&
    bytes[at + 1] === 0x54 &&
    bytes[at + 2] === 0x54 &&
    bytes[at + 3] === 0x50 &&
    bytes[at + 4] === 0x2f &&
    isDigit(bytes[at + 5]) &&
    bytes[at + 6] === 0x2e &&
    isDigit(bytes[at + 7])
  );
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

/** RFC 9110 §5.6.2 tchar. */
function isTokenChar(b: number): boolean {
  return b < 128 && TOKEN_CHARS[b] === 1;
}

const TOKEN_CHARS = (() => {
  const table = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  for (const ch of "!#$%&'*+-.^_`|~") table[ch.charCodeAt(0)] = 1;
  return table;
})();

function skipWhitespace(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && (bytes[i] === SP || bytes[i] === HT)) i++;
  return i;
}

function trimWhitespaceEnd(bytes: Uint8Array, start: number, end: number): number {
  let i = end;
  while (i > start && (bytes[i - 1] === SP || bytes[i - 1] === HT)) i--;
  return i;
}

/**
 * WHATWG TextDecoder, present in every runtime core targets (Node, browsers, Deno, Bun) but
 * outside the ES library that core's tsconfig loads.
 */
declare const TextDecoder: new (label?: string) => { decode(input?: Uint8Array): string };
const utf8 = new TextDecoder("utf-8");

function utf8Text(bytes: Uint8Array, start: number, end: number): string {
  return end <= start ? "" : utf8.decode(bytes.subarray(start, end));
}

/** ASCII-only fields (method, version, names): one character per byte. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}
