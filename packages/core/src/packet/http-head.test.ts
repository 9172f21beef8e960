import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HTTP_MAX_HEADERS, HTTP_MAX_LINE_LENGTH, type HttpHead, parseHttpHead } from "./http-head.js";
import type { Parsed } from "./parsed.js";

const encoder = new TextEncoder();
const bytesOf = (text: string) => encoder.encode(text);
/** One byte per character (for header bytes that are not UTF-8). */
const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function ok<T>(result: Parsed<T>): T {
  if (!result.ok) throw new Error(`expected a parse, got ${result.reason} at ${result.offset}`);
  return result.value;
}

const parse = (b: Uint8Array) => parseHttpHead(b, 0, b.length);
const parseText = (text: string) => ok(parse(bytesOf(text)));

function embedded(message: Uint8Array, before: Uint8Array, after: Uint8Array): Parsed<HttpHead> {
  const buffer = new Uint8Array(before.length + message.length + after.length);
  buffer.set(before);
  buffer.set(message, before.length);
  buffer.set(after, before.length + message.length);
  return parseHttpHead(buffer, before.length, message.length);
}

// ---------------------------------------------------------------------------------------------
// Real messages (payloads from ../shared/data, text exactly as captured)

/** bench/iot-sentinel-all-550-merged.pcap frame 60: SSDP byebye from a D-Link camera. */
const SSDP_NOTIFY =
  "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNTS: ssdp:byebye\r\nUSN: uuid:b0c554255b0e-0::upnp:rootdevice\r\nNT: upnp:rootdevice\r\nContent-Length: 0\r\n\r\n";
/** Same capture, frame 515: SSDP search. */
const SSDP_SEARCH =
  'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nMAN: "ssdp:discover"\r\nMX: 3\r\n\r\n';
/** Same capture, frame 20614: a Philips Hue bridge answers a search. */
const SSDP_REPLY =
  "HTTP/1.1 200 OK\r\nHOST: 239.255.255.250:1900\r\nEXT:\r\nCACHE-CONTROL: max-age=100\r\nLOCATION: http://10.10.10.6:80/description.xml\r\nSERVER: Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0\r\nhue-bridgeid: 001788FFFE2476FF\r\nST: upnp:rootdevice\r\nUSN: uuid:2f402f80-da50-11e1-9b23-0017882476ff::upnp:rootdevice\r\n\r\n";
/** ndpi/alexa-app.pcapng frame 22: Android connectivity check. */
const ANDROID_GET =
  "GET /generate_204 HTTP/1.1\r\nUser-Agent: Dalvik/2.1.0 (Linux; U; Android 5.1.1; LGLS751 Build/LMY47V)\r\nHost: connectivitycheck.android.com\r\nConnection: Keep-Alive\r\nAccept-Encoding: gzip\r\n\r\n";
/** bench/iot-sentinel-all-550-merged.pcap frame 28177: a D-Link HNAP reply (body cut short here). */
const HNAP_REPLY =
  'HTTP/1.1 200 OK\r\nContent-Length: 458\r\nConnection: keep-alive\r\nContent-Type: text/xml; charset=utf-8\r\nDate: Thu, 16 Jun 2016 12:34:25 GMT\r\nServer: lighttpd/1.4.34\r\n\r\n<?xml version="1.0" encoding="UTF-8"?><soap:Envelope';

const REAL = [SSDP_NOTIFY, SSDP_SEARCH, SSDP_REPLY, ANDROID_GET, HNAP_REPLY].map(bytesOf);

describe("parseHttpHead on real messages (compared with tshark 4.0)", () => {
  it("decodes an SSDP NOTIFY", () => {
    const h = parseText(SSDP_NOTIFY);
    expect(h).toMatchObject({
      kind: "request",
      method: "NOTIFY",
      path: "*",
      version: "HTTP/1.1",
      host: "239.255.255.250:1900",
      nt: "upnp:rootdevice",
      usn: "uuid:b0c554255b0e-0::upnp:rootdevice",
      complete: true,
      headLength: SSDP_NOTIFY.length,
      skippedLines: 0,
    });
    expect(h.headers).toEqual([
      { name: "host", value: "239.255.255.250:1900" },
      { name: "nts", value: "ssdp:byebye" },
      { name: "usn", value: "uuid:b0c554255b0e-0::upnp:rootdevice" },
      { name: "nt", value: "upnp:rootdevice" },
      { name: "content-length", value: "0" },
    ]);
  });

  it("decodes an SSDP M-SEARCH", () => {
    expect(parseText(SSDP_SEARCH)).toMatchObject({
      kind: "request",
      method: "M-SEARCH",
      path: "*",
      st: "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
    });
  });

  it("decodes an SSDP reply, an empty header value and a custom header", () => {
    const h = parseText(SSDP_REPLY);
    expect(h).toMatchObject({
      kind: "response",
      version: "HTTP/1.1",
      status: 200,
      reason: "OK",
      server: "Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0",
      location: "http://10.10.10.6:80/description.xml",
      st: "upnp:rootdevice",
      usn: "uuid:2f402f80-da50-11e1-9b23-0017882476ff::upnp:rootdevice",
    });
    expect(h.headers[1]).toEqual({ name: "ext", value: "" });
    expect(h.headers[5]).toEqual({ name: "hue-bridgeid", value: "001788FFFE2476FF" });
  });

  it("decodes an HTTP request", () => {
    expect(parseText(ANDROID_GET)).toMatchObject({
      kind: "request",
      method: "GET",
      path: "/generate_204",
      version: "HTTP/1.1",
      host: "connectivitycheck.android.com",
      userAgent: "Dalvik/2.1.0 (Linux; U; Android 5.1.1; LGLS751 Build/LMY47V)",
      complete: true,
    });
  });

  it("stops at the blank line before a body", () => {
    const h = parseText(HNAP_REPLY);
    expect(h).toMatchObject({ status: 200, server: "lighttpd/1.4.34", complete: true });
    expect(h.headLength).toBe(HNAP_REPLY.indexOf("\r\n\r\n") + 4);
    expect(h.headers.map((x) => x.name)).toEqual(["content-length", "connection", "content-type", "date", "server"]);
  });
});

describe("parseHttpHead on built heads", () => {
  it("accepts bare LF line ends and leading empty lines", () => {
    const h = parseText("\r\nGET / HTTP/1.0\nHost: a\n\nbody");
    expect(h).toMatchObject({ method: "GET", version: "HTTP/1.0", host: "a", complete: true, headLength: 26 });
  });

  it("reads a cut head up to the end of the window and says so", () => {
    const text = "GET /x HTTP/1.1\r\nHost: example.com\r\nUser-Agent: cu";
    const h = parseText(text);
    expect(h).toMatchObject({ complete: false, headLength: text.length, host: "example.com", userAgent: "cu" });
    expect(parseText("GET /x HTTP/1.1\r\nHost: a\r")).toMatchObject({ host: "a", complete: false });
    expect(parseText("HTTP/1.1 404 Not Found\r\n")).toMatchObject({ status: 404, headers: [], complete: false });
  });

  it("parses status lines with and without a reason", () => {
    expect(parseText("HTTP/1.0 302\r\n\r\n")).toMatchObject({ status: 302, reason: "" });
    expect(parseText("HTTP/1.1 500 \r\n\r\n")).toMatchObject({ status: 500, reason: "" });
    expect(parseText("HTTP/1.1 200 Très bien\r\n\r\n")).toMatchObject({ reason: "Très bien" });
  });

  it("lowercases names, trims values, joins folded lines, keeps the first value", () => {
    const h = parseText(
      "GET / HTTP/1.1\r\nX-Long:  one\r\n\t two \r\n  three\r\nHOST:\texample.org \r\nHost: other\r\n\r\n",
    );
    expect(h.headers).toEqual([
      { name: "x-long", value: "one two three" },
      { name: "host", value: "example.org" },
      { name: "host", value: "other" },
    ]);
    expect(h.host).toBe("example.org");
    const folded = parseText("GET / HTTP/1.1\r\nServer: a\r\n b\r\n\r\n");
    expect(folded.server).toBe("a b");
  });

  it("skips lines that are not header fields", () => {
    const h = parseText("GET / HTTP/1.1\r\nno colon here\r\n : empty name\r\nBad Name: x\r\nOk: y\r\n\r\n");
    expect(h.headers).toEqual([{ name: "ok", value: "y" }]);
    expect(h.skippedLines).toBe(3);
  });

  it("keeps at most HTTP_MAX_HEADERS headers and skips over-long lines", () => {
    let text = "GET / HTTP/1.1\r\n";
    for (let i = 0; i < HTTP_MAX_HEADERS + 5; i++) text += `X-${i}: ${i}\r\n`;
    const many = parseText(`${text}\r\n`);
    expect(many.headers).toHaveLength(HTTP_MAX_HEADERS);
    expect(many.skippedLines).toBe(5);
    expect(many.complete).toBe(true);
    const long = parseText(`GET / HTTP/1.1\r\nCookie: ${"c".repeat(HTTP_MAX_LINE_LENGTH)}\r\nHost: h\r\n\r\n`);
    expect(long).toMatchObject({ host: "h", skippedLines: 1, complete: true });
    expect(parse(bytesOf(`GET /${"p".repeat(HTTP_MAX_LINE_LENGTH)} HTTP/1.1\r\n\r\n`))).toMatchObject({
      ok: false,
      reason: "http_line_too_long",
    });
  });

  it("decodes header bytes as UTF-8, invalid bytes as U+FFFD", () => {
    const h = ok(parse(latin1("GET / HTTP/1.1\r\nUser-Agent: caf\xc3\xa9 \xff\r\n\r\n")));
    expect(h.userAgent).toBe("café \uFFFD");
  });

  it("rejects what is not an HTTP/1.x head", () => {
    const reasons = [
      "",
      "GET / HTTP/1.1",
      "GET /\r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1 extra\r\n\r\n",
      "GET / HTTPS/1.1\r\n\r\n",
      "G(T / HTTP/1.1\r\n\r\n",
      "SSH-2.0-OpenSSH_8.9\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1\r\n\r\n",
      "HTTP/2 200 OK\r\n\r\n",
      "\u0016\u0003\u0001\u0002\u0000\u0001",
    ].map((t) => {
      const r = parse(bytesOf(t));
      return r.ok ? "ok" : r.reason;
    });
    expect(reasons).toEqual([
      "http_incomplete_start_line",
      "http_incomplete_start_line",
      "http_bad_request_line",
      "http_bad_request_line",
      "http_bad_request_line",
      "http_bad_request_line",
      "http_bad_request_line",
      "http_bad_request_line",
      "http_bad_status_line",
      "http_bad_status_line",
      "http_bad_status_line",
      "http_bad_request_line",
      "http_incomplete_start_line",
    ]);
    expect(parseHttpHead(new Uint8Array(4), 3, 2)).toMatchObject({ reason: "bad_window" });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const tokenArb = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const valueArb = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,40}[\x21-\x7e])?$/);
const headArb = fc.record({
  request: fc.boolean(),
  method: tokenArb,
  path: fc.stringMatching(/^[\x21-\x7e]{1,60}$/),
  status: fc.integer({ min: 100, max: 999 }),
  reason: fc.stringMatching(/^[\x20-\x7e]{0,20}$/),
  minor: fc.integer({ min: 0, max: 9 }),
  headers: fc.array(fc.tuple(tokenArb, fc.option(valueArb, { nil: "" })), { maxLength: 12 }),
  lf: fc.boolean(),
});
type HeadSpec = typeof headArb extends fc.Arbitrary<infer T> ? T : never;

function encodeHead(spec: HeadSpec): Uint8Array {
  const eol = spec.lf ? "\n" : "\r\n";
  let text = spec.request
    ? `${spec.method} ${spec.path} HTTP/1.${spec.minor}${eol}`
    : `HTTP/1.${spec.minor} ${spec.status} ${spec.reason}${eol}`;
  for (const [name, value] of spec.headers) text += `${name}: ${value}${eol}`;
  return bytesOf(`${text}${eol}`);
}

describe("parseHttpHead properties", () => {
  it("round-trips built heads", () => {
    fc.assert(
      fc.property(headArb, (spec) => {
        const bytes = encodeHead(spec);
        const h = ok(parse(bytes));
        expect(h.kind).toBe(spec.request ? "request" : "response");
        if (h.kind === "request") {
          expect(h.method).toBe(spec.method);
          expect(h.path).toBe(spec.path);
        } else {
          expect(h.status).toBe(spec.status);
          expect(h.reason).toBe(spec.reason);
        }
        expect(h.version).toBe(`HTTP/1.${spec.minor}`);
        expect(h.headers).toEqual(spec.headers.map(([name, value]) => ({ name: name.toLowerCase(), value })));
        expect(h.complete).toBe(true);
        expect(h.headLength).toBe(bytes.length);
        const host = spec.headers.find(([name]) => name.toLowerCase() === "host");
        expect(h.host).toBe(host?.[1]);
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws on random bytes and reads only its window", () => {
    const texty = fc.array(fc.constantFrom(..."GET / HTTP/1.1\r\n:a \t\x00\xff"), { maxLength: 300 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          texty.map((chars) => latin1(chars.join(""))),
        ),
        fc.uint8Array({ maxLength: 32 }),
        fc.uint8Array({ maxLength: 32 }),
        (message, before, after) => {
          expect(embedded(message, before, after)).toEqual(parse(message));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never throws on mutated heads, stays fast, and reads only its window", () => {
    const seeds = fc.oneof(fc.constantFrom(...REAL), headArb.map(encodeHead));
    const mutation = fc.array(
      fc.tuple(fc.nat(), fc.constantFrom(0x0a, 0x0d, 0x20, 0x3a, 0x09, 0x00, 0xff, 0x48, 0x31)),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(
        seeds,
        mutation,
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        (seed, edits, cut, pad) => {
          const message = seed.slice();
          for (const [at, value] of edits) message[at % message.length] = value;
          const length = cut % (message.length + 1);
          const window = message.slice(0, length);
          const start = performance.now();
          const alone = parse(window);
          expect(performance.now() - start).toBeLessThan(100);
          expect(embedded(window, pad, message.subarray(length))).toEqual(alone);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("gives the same result for every prefix whether or not the rest follows", () => {
    for (const message of REAL) {
      for (let n = 0; n <= message.length; n++) {
        expect(parseHttpHead(message, 0, n)).toEqual(parse(message.slice(0, n)));
      }
    }
  });

  it("stays linear on a window of a megabyte without line ends", () => {
    const big = new Uint8Array(1 << 20).fill(0x41);
    big.set(bytesOf("GET / HTTP/1.1\r\nX: "), 0);
    const start = performance.now();
    const h = ok(parse(big));
    expect(performance.now() - start).toBeLessThan(200);
    expect(h).toMatchObject({ complete: false, skippedLines: 1, headers: [] });
  });
});
