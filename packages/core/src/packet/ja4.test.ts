import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ja4, ja4Raw } from "./ja4.js";
import { isGrease, type TlsClientHello } from "./tls-client-hello.js";

function hello(fields: Partial<TlsClientHello>): TlsClientHello {
  return {
    recordVersion: 0x0301,
    sslv2: false,
    handshakeLength: 0,
    complete: true,
    legacyVersion: 0x0303,
    sessionIdLength: 0,
    cipherSuites: [],
    compressionMethods: [0],
    extensions: [],
    supportedVersions: [],
    alpn: [],
    signatureAlgorithms: [],
    supportedGroups: [],
    ecPointFormats: [],
    hasGrease: false,
    ...fields,
  };
}

/** The example of FoxIO's technical_details/JA4.md. */
const SPEC_EXAMPLE = hello({
  cipherSuites: [
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
    0x0035,
  ],
  extensions: [
    0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b,
    0x000a, 0x0015,
  ],
  signatureAlgorithms: [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601],
  supportedVersions: [0x0304, 0x0303],
  alpn: ["h2", "http/1.1"],
  serverName: "example.com",
});

/** Inserts GREASE values the way browsers do: first cipher, first and last extension, etc. */
function greased(h: TlsClientHello): TlsClientHello {
  return {
    ...h,
    cipherSuites: [0x3a3a, ...h.cipherSuites],
    extensions: [0x0a0a, ...h.extensions, 0xfafa],
    signatureAlgorithms: [0x5a5a, ...h.signatureAlgorithms],
    supportedVersions: [0x7a7a, ...h.supportedVersions],
    hasGrease: true,
  };
}

describe("ja4", () => {
  it("reproduces the specification's example, raw and hashed, sorted and original", () => {
    expect(ja4(SPEC_EXAMPLE)).toBe("t13d1516h2_8daaf6152771_e5627efa2ab1");
    expect(ja4Raw(SPEC_EXAMPLE)).toBe(
      "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
    );
    expect(ja4(SPEC_EXAMPLE, { originalOrder: true })).toBe("t13d1516h2_acb858a92679_18f69afefd3d");
    expect(ja4Raw(SPEC_EXAMPLE, { originalOrder: true })).toBe(
      "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601",
    );
  });

  it("hashes the extensions alone when there are no signature algorithms (spec: 6d807ffa2a79)", () => {
    expect(ja4(hello({ ...SPEC_EXAMPLE, signatureAlgorithms: [] }))).toBe("t13d1516h2_8daaf6152771_6d807ffa2a79");
  });

  it("ignores GREASE everywhere", () => {
    expect(ja4(greased(SPEC_EXAMPLE))).toBe(ja4(SPEC_EXAMPLE));
    expect(ja4(greased(SPEC_EXAMPLE), { originalOrder: true })).toBe(ja4(SPEC_EXAMPLE, { originalOrder: true }));
  });

  it("marks the protocol", () => {
    expect(ja4(SPEC_EXAMPLE, { protocol: "q" })).toMatch(/^q13d/);
    expect(ja4(SPEC_EXAMPLE, { protocol: "d" })).toMatch(/^d13d/);
  });

  it("takes the version from supported_versions when present, else from the hello", () => {
    const version = (fields: Partial<TlsClientHello>) => ja4(hello({ cipherSuites: [1], ...fields }))!.slice(1, 3);
    expect(version({ legacyVersion: 0x0303 })).toBe("12");
    expect(version({ legacyVersion: 0x0301 })).toBe("10");
    expect(version({ legacyVersion: 0x0302 })).toBe("11");
    expect(version({ legacyVersion: 0x0300 })).toBe("s3");
    expect(version({ legacyVersion: 0x0002 })).toBe("s2");
    expect(version({ legacyVersion: 0xfeff })).toBe("d1");
    expect(version({ legacyVersion: 0xfefd })).toBe("d2");
    expect(version({ legacyVersion: 0xfefc })).toBe("d3");
    expect(version({ legacyVersion: 0x1234 })).toBe("00");
    expect(version({ extensions: [43], supportedVersions: [0x0303, 0x0304, 0x0302] })).toBe("13");
    // Only GREASE in supported_versions: fall back to the hello's version.
    expect(version({ extensions: [43], supportedVersions: [0x2a2a] })).toBe("12");
    // A list without the extension (cannot come from the parser) is not used.
    expect(version({ supportedVersions: [0x0304] })).toBe("12");
  });

  it("encodes the first ALPN value as the specification says", () => {
    const alpn = (...values: string[]) => ja4(hello({ cipherSuites: [1], alpn: values }))!.slice(8, 10);
    expect(alpn()).toBe("00");
    expect(alpn("")).toBe("00");
    expect(alpn("h2", "http/1.1")).toBe("h2");
    expect(alpn("http/1.1")).toBe("h1");
    expect(alpn("h")).toBe("hh");
    expect(alpn("\xab")).toBe("ab");
    expect(alpn("\xab\xcd")).toBe("ad");
    expect(alpn("0\xab")).toBe("3b");
    expect(alpn("01\xab\xcd")).toBe("3d");
    expect(alpn("0\xab\xcd1")).toBe("01");
    expect(alpn("h2-")).toBe("6d");
  });

  it("caps counts at 99 and writes zeros for empty lists", () => {
    const many = hello({
      cipherSuites: Array.from({ length: 120 }, (_, i) => i + 1),
      extensions: Array.from({ length: 120 }, (_, i) => i + 100),
    });
    expect(ja4(many)!.slice(0, 8)).toBe("t12i9999");
    expect(ja4(hello({}))).toBe("t12i000000_000000000000_000000000000");
    // SNI and ALPN alone: counted, but nothing left to hash.
    expect(ja4(hello({ extensions: [0, 16], alpn: ["h2"] }))).toBe("t12d0002h2_000000000000_000000000000");
  });

  it("refuses to fingerprint an incomplete hello", () => {
    expect(ja4({ ...SPEC_EXAMPLE, complete: false })).toBeUndefined();
    expect(ja4Raw({ ...SPEC_EXAMPLE, complete: false })).toBeUndefined();
  });

  it("is independent of cipher and extension order, unlike JA4_o", () => {
    const list = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(list, list, list, fc.nat(), (ciphers, extensions, sigs, rotate) => {
        const h = hello({ cipherSuites: ciphers, extensions, signatureAlgorithms: sigs });
        const r = (a: number[]) => [...a.slice(rotate % a.length), ...a.slice(0, rotate % a.length)];
        const rotated = hello({ cipherSuites: r(ciphers), extensions: r(extensions), signatureAlgorithms: sigs });
        expect(ja4(rotated)).toBe(ja4(h));
        expect(ja4(h)).toMatch(/^t(12|13)[di]\d{4}00_[0-9a-f]{12}_[0-9a-f]{12}$/);
        const raw = ja4Raw(h)!;
        const nonGrease = ciphers.filter((c) => !isGrease(c));
        expect(raw.split("_")[1]).toBe(
          nonGrease
            .sort((a, b) => a - b)
            .map((c) => c.toString(16).padStart(4, "0"))
            .join(","),
        );
      }),
      { numRuns: 500 },
    );
  });
});
