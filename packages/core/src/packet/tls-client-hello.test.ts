import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ja4 } from "./ja4.js";
import type { Parsed } from "./parsed.js";
import { isGrease, parseClientHelloHandshake, parseTlsClientHello, type TlsClientHello } from "./tls-client-hello.js";

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));
}

function ok<T>(result: Parsed<T>): T {
  if (!result.ok) throw new Error(`expected a parse, got ${result.reason} at ${result.offset}`);
  return result.value;
}

const parse = (b: Uint8Array) => parseTlsClientHello(b, 0, b.length);

function embedded(message: Uint8Array, before: Uint8Array, after: Uint8Array): Parsed<TlsClientHello> {
  const buffer = new Uint8Array(before.length + message.length + after.length);
  buffer.set(before);
  buffer.set(message, before.length);
  buffer.set(after, before.length + message.length);
  return parseTlsClientHello(buffer, before.length, message.length);
}

/** Re-frames the handshake bytes of a single-record hello into records of the given sizes. */
function splitIntoRecords(record: Uint8Array, sizes: number[]): Uint8Array {
  const handshake = record.subarray(5);
  const out: number[] = [];
  let at = 0;
  for (let i = 0; at < handshake.length; i++) {
    const n = Math.min(Math.max(1, sizes[i % sizes.length] ?? 1), handshake.length - at);
    out.push(22, record[1]!, record[2]!, n >>> 8, n & 0xff, ...handshake.subarray(at, at + n));
    at += n;
  }
  return new Uint8Array(out);
}

// ---------------------------------------------------------------------------------------------
// Real hellos (TCP payloads from ../shared/data; expected values as tshark 4.0 prints them)

/** ndpi/android.pcap frame 241: Chrome on Android, TLS 1.3, GREASE, padding extension. */
const CHROME_ANDROID = hex(
  "1603010200010001fc03030bccec6d3ba84e9886167c1be2b60e2bfbb5a0960f0654d30026c6ff8d090fab207534e4c5d201856fa20ae3eda100e9bd488c46b3ae08e228404c33b4907070250022baba130113021303c02bc02fc02cc030cca9cca8c013c014009c009d002f0035000a01000191baba00000000001d001b0000186461746173617665722e676f6f676c65617069732e636f6d00170000ff01000100000a000a0008aaaa001d00170018000b00020100002300000010000e000c02683208687474702f312e31000500050100000000000d00140012040308040401050308050501080606010201001200000033002b0029aaaa000100001d00208f6e68315a02b71baa5eeb70a9381a1397236a2b76c8ec7fa8f7542b2eac150e002d00020101002b000b0a7a7a0304030303020301001b00030200021a1a000100001500c0" +
    "00".repeat(192),
);
/** ndpi/alexa-app.pcapng frame 161: TLS 1.2 hello with GREASE from an Android app. */
const ALEXA_TLS12 = hex(
  "16030100df010000db0303fbdccd6cc48d87911807f15d412f7792530585fa536f07194341fb655c662b7e000020fafacca9cca8cc14cc13c02bc02fc02cc030c013c014009c009d002f0035000a01000092caca0000ff010001000000002d002b000028636f676e69746f2d6964656e746974792e75732d656173742d312e616d617a6f6e6177732e636f6d0017000000230000000d00140012040308040401050308050501080606010201000500050100000000001200000010000e000c02683208687474702f312e31000b00020100000a000a0008dada001d001700186a6a000100",
);
/** ndpi/alexa-app.pcapng frame 1116: TLS 1.0 hello without SNI. */
const NO_SNI_TLS10 = hex(
  "16030100a9010000a503019dc5e576b682776547400e1495df515b27c549fc2e19b5fd621d142a71cd850120833ef7b297ca249c0e988b0f4cd747757eac8db90407b97e59c083a7378abcdb001cc009c00ac013c0140033003900320038c007c011002f0035000500ff01000040000b000403000102000a00340032000e000d0019000b000c00180009000a00160017000800060007001400150004000500120013000100020003000f00100011",
);
/** bench/iot-sentinel-all-550-merged.pcap frame 9930: an IoT hub whose only extension is SNI. */
const SNI_ONLY = hex(
  "16030100700100006c03015718f37d8fa4a6decba7701e02793868d257c6a4a0c68703bcb412f8aa505a7a00002e00390038003500160013000a00330032009a0099002f0096000500040015001200090014001100080006000300ff0100001500000011000f00000c6170692e786263732e6e6574",
);
/** bench/iot-sentinel-all-550-merged.pcap frame 192: SSL 2.0-compatible hello. */
const SSLV2_HELLO = hex(
  "807d01030100540000002000003900003800003500001600001300000a0700c000003300003200002f0000070500800300800000050000040100800000150000120000090600400000140000110000080000060400800000030200800000ff69cd765d385bf0b5592a6218ad816319a5643a96004a65dfe1548bd96be5f1d8",
);

const REAL = [CHROME_ANDROID, ALEXA_TLS12, NO_SNI_TLS10, SNI_ONLY, SSLV2_HELLO];

describe("parseTlsClientHello on real hellos (compared with tshark 4.0)", () => {
  it("decodes Chrome's TLS 1.3 hello with GREASE", () => {
    const h = ok(parse(CHROME_ANDROID));
    expect(h).toMatchObject({
      recordVersion: 0x0301,
      sslv2: false,
      handshakeLength: 508,
      complete: true,
      legacyVersion: 0x0303,
      sessionIdLength: 32,
      serverName: "datasaver.googleapis.com",
      alpn: ["h2", "http/1.1"],
      compressionMethods: [0],
      ecPointFormats: [0],
      hasGrease: true,
    });
    expect(h.cipherSuites).toEqual([
      0xbaba, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
      0x002f, 0x0035, 0x000a,
    ]);
    expect(h.extensions).toEqual([47802, 0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51, 45, 43, 27, 6682, 21]);
    expect(h.signatureAlgorithms).toEqual([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201]);
    expect(h.supportedGroups).toEqual([0xaaaa, 0x001d, 0x0017, 0x0018]);
    expect(h.supportedVersions).toEqual([0x7a7a, 0x0304, 0x0303, 0x0302, 0x0301]);
    expect(ja4(h)).toBe("t13d1615h2_46e7e9700bed_45f260be83e2");
  });

  it("decodes a TLS 1.2 hello with GREASE", () => {
    const h = ok(parse(ALEXA_TLS12));
    expect(h).toMatchObject({
      legacyVersion: 0x0303,
      sessionIdLength: 0,
      serverName: "cognito-identity.us-east-1.amazonaws.com",
      alpn: ["h2", "http/1.1"],
      supportedVersions: [],
      supportedGroups: [0xdada, 0x001d, 0x0017, 0x0018],
    });
    expect(h.cipherSuites).toHaveLength(16);
    expect(h.cipherSuites[0]).toBe(0xfafa);
    expect(h.extensions).toEqual([51914, 65281, 0, 23, 35, 13, 5, 18, 16, 11, 10, 27242]);
    expect(ja4(h)).toBe("t12d1510h2_f0daf39aad75_e69ac49eb88f");
  });

  it("decodes a hello without SNI", () => {
    const h = ok(parse(NO_SNI_TLS10));
    expect(h.serverName).toBeUndefined();
    expect(h).toMatchObject({
      legacyVersion: 0x0301,
      extensions: [11, 10],
      ecPointFormats: [0, 1, 2],
      hasGrease: false,
    });
    expect(h.supportedGroups).toHaveLength(25);
    expect(h.cipherSuites).toEqual([
      0xc009, 0xc00a, 0xc013, 0xc014, 0x0033, 0x0039, 0x0032, 0x0038, 0xc007, 0xc011, 0x002f, 0x0035, 0x0005, 0x00ff,
    ]);
    expect(ja4(h)).toBe("t10i140200_37d7d24289bf_33a13ba74d1c");
  });

  it("decodes a hello whose only extension is SNI", () => {
    const h = ok(parse(SNI_ONLY));
    expect(h).toMatchObject({ serverName: "api.xbcs.net", extensions: [0], signatureAlgorithms: [] });
    expect(h.cipherSuites).toHaveLength(23);
    expect(ja4(h)).toBe("t10d230100_6a57a6f57151_000000000000");
  });

  it("decodes an SSL 2.0-compatible hello, keeping the TLS cipher suites", () => {
    const h = ok(parse(SSLV2_HELLO));
    expect(h).toMatchObject({ sslv2: true, recordVersion: 0x0002, legacyVersion: 0x0301, complete: true });
    // tshark's cipherspec list without the SSL 2.0-only specs (first byte non-zero).
    expect(h.cipherSuites).toEqual([
      0x39, 0x38, 0x35, 0x16, 0x13, 0x0a, 0x33, 0x32, 0x2f, 0x07, 0x05, 0x04, 0x15, 0x12, 0x09, 0x14, 0x11, 0x08, 0x06,
      0x03, 0xff,
    ]);
    expect(h.extensions).toEqual([]);
    expect(ja4(h)).toBe("t10i210000_e91ed181b052_000000000000");
  });
});

// ---------------------------------------------------------------------------------------------

interface HelloSpec {
  version?: number;
  sessionId?: number[];
  ciphers: number[];
  compression?: number[];
  /** Extension type and body. */
  extensions?: [number, number[]][];
  /** Omit the extensions block entirely (pre-TLS 1.2 style). */
  noExtensions?: boolean;
}

const u16 = (v: number) => [v >>> 8, v & 0xff];

function handshake(spec: HelloSpec): number[] {
  const body: number[] = [...u16(spec.version ?? 0x0303), ...Array(32).fill(7)];
  const sid = spec.sessionId ?? [];
  body.push(sid.length, ...sid, ...u16(spec.ciphers.length * 2), ...spec.ciphers.flatMap(u16));
  const compression = spec.compression ?? [0];
  body.push(compression.length, ...compression);
  if (!spec.noExtensions) {
    const ext = (spec.extensions ?? []).flatMap(([type, data]) => [...u16(type), ...u16(data.length), ...data]);
    body.push(...u16(ext.length), ...ext);
  }
  return [1, body.length >>> 16, (body.length >>> 8) & 0xff, body.length & 0xff, ...body];
}

function record(spec: HelloSpec): Uint8Array {
  const hs = handshake(spec);
  return new Uint8Array([22, 3, 1, ...u16(hs.length), ...hs]);
}

const sniExtension = (name: string): [number, number[]] => {
  const n = Array.from(new TextEncoder().encode(name));
  return [0, [...u16(n.length + 3), 0, ...u16(n.length), ...n]];
};
const alpnExtension = (...protocols: string[]): [number, number[]] => {
  const list = protocols.flatMap((p) => [p.length, ...Array.from(p, (c) => c.charCodeAt(0))]);
  return [16, [...u16(list.length), ...list]];
};
const u16ListExtension = (type: number, values: number[], prefix: 1 | 2 = 2): [number, number[]] => {
  const list = values.flatMap(u16);
  return [type, [...(prefix === 1 ? [list.length] : u16(list.length)), ...list]];
};

describe("parseTlsClientHello on built hellos", () => {
  it("accepts a hello without extensions", () => {
    const h = ok(parse(record({ ciphers: [0x2f], noExtensions: true, version: 0x0301 })));
    expect(h).toMatchObject({ cipherSuites: [0x2f], extensions: [], complete: true, legacyVersion: 0x0301 });
  });

  it("keeps the first server name of host_name type", () => {
    const list = [1, ...u16(2), 0x61, 0x62, 0, ...u16(3), 0x78, 0x79, 0x7a, 0, ...u16(1), 0x71];
    const h = ok(parse(record({ ciphers: [1], extensions: [[0, [...u16(list.length), ...list]]] })));
    expect(h.serverName).toBe("xyz");
  });

  it("leaves fields unset when an extension's content is malformed, and goes on", () => {
    const h = ok(
      parse(
        record({
          ciphers: [1],
          extensions: [
            [0, [0, 9, 0]],
            [16, [0, 3, 5, 0x68]],
            [13, [0, 3, 4, 1, 2]],
            [43, [3, 3, 4, 3]],
            [11, [4, 0]],
            u16ListExtension(10, [0x1d]),
          ],
        }),
      ),
    );
    expect(h.serverName).toBeUndefined();
    expect(h).toMatchObject({
      alpn: [],
      signatureAlgorithms: [],
      supportedVersions: [],
      ecPointFormats: [],
      supportedGroups: [0x1d],
      extensions: [0, 16, 13, 43, 11, 10],
    });
  });

  it("parses a bare handshake message (QUIC CRYPTO data)", () => {
    const hs = new Uint8Array(handshake({ ciphers: [0x1301], extensions: [sniExtension("q.example")] }));
    const h = ok(parseClientHelloHandshake(hs, 0, hs.length));
    expect(h).toMatchObject({ recordVersion: 0, serverName: "q.example", complete: true });
    expect(parseClientHelloHandshake(hs, 0, 3)).toMatchObject({ reason: "tls_handshake_truncated" });
    expect(parseClientHelloHandshake(new Uint8Array([2, 0, 0, 0]), 0, 4)).toMatchObject({
      reason: "tls_not_client_hello",
    });
  });

  it("joins a hello split over several records, even one byte per record", () => {
    const whole = ok(parse(CHROME_ANDROID));
    for (const sizes of [[100], [1], [3, 1, 250], [508, 1], [2]]) {
      expect(ok(parse(splitIntoRecords(CHROME_ANDROID, sizes)))).toEqual(whole);
    }
  });

  it("reads what the window holds of a cut hello and says so", () => {
    // Cut inside supported_versions: the extensions before it are there, it is not.
    const cut = ok(parse(CHROME_ANDROID.subarray(0, 300)));
    expect(cut.complete).toBe(false);
    expect(cut.extensions).toEqual([47802, 0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51, 45]);
    expect(cut.supportedVersions).toEqual([]);
    expect(cut.serverName).toBe("datasaver.googleapis.com");
    expect(ja4(cut)).toBeUndefined();
    // Cut in the second of several records.
    const split = splitIntoRecords(CHROME_ANDROID, [200]);
    expect(ok(parse(split.subarray(0, 260)))).toMatchObject({
      complete: false,
      serverName: "datasaver.googleapis.com",
    });
    // Cut before the cipher suites end: nothing useful is left.
    expect(parse(CHROME_ANDROID.subarray(0, 80))).toEqual({
      ok: false,
      reason: "tls_client_hello_truncated",
      offset: 5 + 4 + 35 + 32,
    });
    expect(parse(CHROME_ANDROID.subarray(0, 7))).toMatchObject({ reason: "tls_handshake_truncated" });
  });

  it("names malformed hellos", () => {
    const reasons = [
      new Uint8Array([22, 3, 1]),
      new Uint8Array([23, 3, 3, 0, 5, 1, 0, 0, 1, 0]),
      new Uint8Array([22, 2, 0, 0, 5, 1, 0, 0, 1, 0]),
      new Uint8Array([22, 3, 1, 0, 0]),
      new Uint8Array([22, 3, 1, 0x50, 0x01]),
      new Uint8Array([22, 3, 1, 0, 4, 2, 0, 0, 0]),
      record({ ciphers: [1], sessionId: Array(33).fill(1) }),
      (() => {
        const r = record({ ciphers: [1, 2] });
        r[5 + 4 + 35 + 1] = 3; // odd cipher suite byte count
        return r;
      })(),
      (() => {
        const r = record({ ciphers: [1], extensions: [[5, [0]]] });
        r[r.length - 6] = r[r.length - 6]! + 1; // extensions block longer than the message
        return r;
      })(),
      (() => {
        const r = record({ ciphers: [1], extensions: [[5, [0, 0]]] });
        r[r.length - 3] = 9; // one extension longer than the block
        return r;
      })(),
      (() => {
        // Handshake length says more than the record, which is whole and followed by nothing
        // else: the hello is merely cut.
        const r = record({ ciphers: [1, 2, 3] });
        r[5 + 3] = r[5 + 3]! + 4;
        return r;
      })(),
      (() => {
        const r = record({ ciphers: [1, 2, 3] });
        r[5 + 4 + 35 + 1] = 200; // cipher suites past the declared message
        return r;
      })(),
    ].map((b) => {
      const r = parse(b);
      return r.ok ? (r.value.complete ? "ok" : "incomplete") : r.reason;
    });
    expect(reasons).toEqual([
      "tls_record_truncated",
      "tls_not_handshake",
      "tls_bad_record_version",
      "tls_bad_record_length",
      "tls_bad_record_length",
      "tls_not_client_hello",
      "tls_bad_session_id",
      "tls_bad_cipher_suites",
      "tls_extensions_overrun",
      "tls_extension_truncated",
      "incomplete",
      "tls_client_hello_malformed",
    ]);
    expect(parseTlsClientHello(new Uint8Array(3), 2, 5)).toMatchObject({ reason: "bad_window" });
  });

  it("identifies the 16 GREASE values and nothing else", () => {
    const grease: number[] = [];
    for (let v = 0; v < 0x10000; v++) if (isGrease(v)) grease.push(v);
    expect(grease).toEqual(Array.from({ length: 16 }, (_, i) => 0x0a0a + i * 0x1010));
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const helloArb = fc.record({
  version: fc.constantFrom(0x0301, 0x0302, 0x0303),
  sessionId: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 32 }),
  ciphers: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 40 }),
  sni: fc.option(fc.stringMatching(/^[a-z0-9.-]{1,60}$/), { nil: undefined }),
  alpn: fc.array(fc.stringMatching(/^[\x21-\x7e]{1,12}$/), { maxLength: 3 }),
  groups: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 }),
  sigs: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }),
  versions: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 5 }),
  other: fc.array(fc.tuple(fc.integer({ min: 17, max: 0xffff }), fc.uint8Array({ maxLength: 20 })), { maxLength: 5 }),
  shuffle: fc.nat(),
});
type HelloArb = typeof helloArb extends fc.Arbitrary<infer T> ? T : never;

function buildHello(spec: HelloArb): { bytes: Uint8Array; extensions: [number, number[]][] } {
  const extensions: [number, number[]][] = [];
  if (spec.sni !== undefined) extensions.push(sniExtension(spec.sni));
  if (spec.alpn.length > 0) extensions.push(alpnExtension(...spec.alpn));
  if (spec.groups.length > 0) extensions.push(u16ListExtension(10, spec.groups));
  if (spec.sigs.length > 0) extensions.push(u16ListExtension(13, spec.sigs));
  if (spec.versions.length > 0) extensions.push(u16ListExtension(43, spec.versions, 1));
  for (const [type, data] of spec.other) {
    if ([0, 10, 11, 13, 16, 43].includes(type)) continue;
    extensions.push([type, Array.from(data)]);
  }
  // Rotate to vary the order.
  const k = extensions.length > 0 ? spec.shuffle % extensions.length : 0;
  const ordered = [...extensions.slice(k), ...extensions.slice(0, k)];
  const bytes = record({
    version: spec.version,
    sessionId: spec.sessionId,
    ciphers: spec.ciphers,
    extensions: ordered,
  });
  return { bytes, extensions: ordered };
}

describe("parseTlsClientHello properties", () => {
  it("round-trips built hellos, whole or split into records", () => {
    fc.assert(
      fc.property(
        helloArb,
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 }),
        (spec, sizes) => {
          const { bytes, extensions } = buildHello(spec);
          const h = ok(parse(bytes));
          expect(h).toMatchObject({
            complete: true,
            legacyVersion: spec.version,
            sessionIdLength: spec.sessionId.length,
            cipherSuites: spec.ciphers,
            extensions: extensions.map(([type]) => type),
            alpn: spec.alpn,
            supportedGroups: spec.groups,
            signatureAlgorithms: spec.sigs,
            supportedVersions: spec.versions,
          });
          expect(h.serverName).toBe(spec.sni);
          const lists = [spec.ciphers, spec.groups, spec.sigs, spec.versions, extensions.map(([t]) => t)];
          expect(h.hasGrease).toBe(lists.some((l) => l.some(isGrease)));
          expect(ok(parse(splitIntoRecords(bytes, sizes)))).toEqual(h);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never throws on random bytes and reads only its window", () => {
    const recordish = fc.uint8Array({ minLength: 5, maxLength: 400 }).map((b) => {
      b[0] = 22;
      b[1] = 3;
      b[2] = b[2]! & 3;
      b[5] = 1;
      return b;
    });
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 400 }), recordish),
        fc.uint8Array({ maxLength: 32 }),
        fc.uint8Array({ maxLength: 32 }),
        (message, before, after) => {
          expect(embedded(message, before, after)).toEqual(parse(message));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("never throws on mutated hellos, stays fast, and reads only its window", () => {
    const seeds = fc.oneof(
      fc.constantFrom(...REAL),
      fc.constantFrom(...REAL).map((b) => (b[0] === 22 ? splitIntoRecords(b, [61, 7]) : b)),
      helloArb.map((s) => buildHello(s).bytes),
    );
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });
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
          if (alone.ok) expect(() => ja4(alone.value)).not.toThrow();
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("gives the same result for every prefix whether or not the rest follows", () => {
    for (const message of [...REAL, splitIntoRecords(CHROME_ANDROID, [97, 13])]) {
      for (let n = 0; n <= message.length; n++) {
        expect(parseTlsClientHello(message, 0, n)).toEqual(parse(message.slice(0, n)));
      }
    }
  });
});
