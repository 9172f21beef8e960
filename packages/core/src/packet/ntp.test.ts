import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type NtpMessage, type NtpTimeMessage, parseNtp } from "./ntp.js";
import type { Parsed } from "./parsed.js";

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"));
}

function ok<T>(result: Parsed<T>): T {
  if (!result.ok) throw new Error(`expected a parse, got ${result.reason} at ${result.offset}`);
  return result.value;
}

const parse = (b: Uint8Array) => parseNtp(b, 0, b.length);

function time(b: Uint8Array): NtpTimeMessage {
  const m = ok(parse(b));
  if (m.kind !== "time") throw new Error(`expected a time message, got ${m.kind}`);
  return m;
}

function embedded(message: Uint8Array, before: Uint8Array, after: Uint8Array): Parsed<NtpMessage> {
  const buffer = new Uint8Array(before.length + message.length + after.length);
  buffer.set(before);
  buffer.set(message, before.length);
  buffer.set(after, before.length + message.length);
  return parseNtp(buffer, before.length, message.length);
}

// Real messages (UDP payloads from ../shared/data; expected values as tshark 4.0 prints them)

/** bench/iot-sentinel-all-550-merged.pcap frame 120: a client's request. */
const CLIENT_REQUEST = hex(
  "1b0004fa000100000001000000000000000000000000000000000000000000000000000000000000d75c78fda12c3866",
);
/** Same capture, frame 121: the stratum-2 server's reply. */
const SERVER_REPLY = hex(
  "1c0205ed0000025000000bec803b00f5dabb7aa27636e0cfd75c78fda12c3866dabb827ac85a2b55dabb827ac85d82d4",
);
/** Same capture, frame 11455: a stratum-1 server with a GPS reference clock. */
const GPS_REPLY = hex(
  "1c0104ec000000000000001847505300dac477b31055f950bc17c253e99b1b6fdac477bc4759d6d8dac477bc475c60f1",
);
/** Same capture, frame 56837: a device without a clock sends 1970-01-01 (tshark prints NULL). */
const EPOCH_REQUEST = hex(
  "1b0004fa00010000000100000000000000000000000000000000000000000000000000000000000083aa7e8000000000",
);

const MONLIST_REQUEST = hex("1700032a" + "00".repeat(44));
const READVAR_REQUEST = hex("160200010000000000000000");
const REAL = [CLIENT_REQUEST, SERVER_REPLY, GPS_REPLY, EPOCH_REQUEST, MONLIST_REQUEST, READVAR_REQUEST];

describe("parseNtp on real messages (compared with tshark 4.0)", () => {
  it("decodes a client request", () => {
    const m = time(CLIENT_REQUEST);
    expect(m).toMatchObject({
      kind: "time",
      leap: 0,
      version: 3,
      mode: 3,
      stratum: 0,
      poll: 4,
      precision: -6,
      rootDelay: 1,
      rootDispersion: 1,
      referenceId: 0,
      referenceIdText: "",
      extraLength: 0,
    });
    expect(m.originTimestamp).toEqual({ seconds: 0, fraction: 0, unixMs: null });
    // tshark: Jul  1, 2014 00:02:05.629580998 UTC
    expect(new Date(m.transmitTimestamp.unixMs!).toISOString()).toBe("2014-07-01T00:02:05.629Z");
    expect(m.transmitTimestamp.seconds).toBe(0xd75c78fd);
  });

  it("decodes a stratum-2 reply", () => {
    const m = time(SERVER_REPLY);
    expect(m).toMatchObject({
      mode: 4,
      stratum: 2,
      poll: 5,
      precision: -19,
      referenceId: 0x803b00f5,
      referenceIdText: "128.59.0.245",
    });
    expect(m.rootDelay).toBeCloseTo(0x250 / 65536, 12);
    expect(m.rootDispersion).toBeCloseTo(0xbec / 65536, 12);
    // tshark: Apr 15, 2016 15:08:42.782676865 UTC; origin echoes the request's transmit time.
    expect(m.transmitTimestamp.unixMs).toBeCloseTo(1460732922782.6768, 3);
    expect(m.originTimestamp).toEqual(time(CLIENT_REQUEST).transmitTimestamp);
    expect(new Date(m.referenceTimestamp.unixMs!).toISOString()).toBe("2016-04-15T14:35:14.461Z");
  });

  it("decodes a stratum-1 reference clock id", () => {
    expect(time(GPS_REPLY)).toMatchObject({ stratum: 1, referenceIdText: "GPS", precision: -20 });
  });

  it("reports the Unix epoch as 0 where tshark prints NULL", () => {
    expect(time(EPOCH_REQUEST).transmitTimestamp).toEqual({ seconds: 2208988800, fraction: 0, unixMs: 0 });
  });
});

describe("parseNtp on built messages", () => {
  it("decodes a mode 7 monlist request", () => {
    expect(ok(parse(MONLIST_REQUEST))).toEqual({
      kind: "private",
      leap: 0,
      version: 2,
      mode: 7,
      extraLength: 40,
      response: false,
      more: false,
      sequence: 0,
      implementation: 3,
      requestCode: 42,
    });
    const reply = MONLIST_REQUEST.slice();
    reply[0] = 0xd7;
    reply[1] = 0x85;
    expect(ok(parse(reply))).toMatchObject({ kind: "private", response: true, more: true, sequence: 5 });
  });

  it("decodes a mode 6 control message", () => {
    expect(ok(parse(READVAR_REQUEST))).toEqual({
      kind: "control",
      leap: 0,
      version: 2,
      mode: 6,
      extraLength: 0,
      response: false,
      error: false,
      more: false,
      opcode: 2,
      sequence: 1,
      status: 0,
      associationId: 0,
      dataOffset: 0,
      count: 0,
    });
  });

  it("reads kiss codes and masks unprintable reference id bytes", () => {
    const kiss = GPS_REPLY.slice();
    kiss[1] = 0;
    kiss.set([0x52, 0x41, 0x54, 0x45], 12);
    expect(time(kiss).referenceIdText).toBe("RATE");
    kiss.set([0x41, 0x01, 0x00, 0x00], 12);
    expect(time(kiss).referenceIdText).toBe("A?");
  });

  it("places timestamps below 2^31 seconds in era 1 (after 2036)", () => {
    const m = SERVER_REPLY.slice();
    m.set([0, 0, 0, 1, 0x80, 0, 0, 0], 40);
    expect(time(m).transmitTimestamp.unixMs).toBe((2 ** 32 + 1 - 2208988800) * 1000 + 500);
  });

  it("counts bytes after the header (extension fields, MAC)", () => {
    const withMac = new Uint8Array(48 + 20);
    withMac.set(SERVER_REPLY);
    expect(time(withMac).extraLength).toBe(20);
  });

  it("rejects what is not NTP", () => {
    expect(parse(new Uint8Array(0))).toEqual({ ok: false, reason: "ntp_too_short", offset: 0 });
    expect(parse(SERVER_REPLY.subarray(0, 47))).toEqual({ ok: false, reason: "ntp_too_short", offset: 0 });
    expect(parse(READVAR_REQUEST.subarray(0, 11))).toMatchObject({ reason: "ntp_too_short" });
    expect(parse(MONLIST_REQUEST.subarray(0, 7))).toMatchObject({ reason: "ntp_too_short" });
    for (const first of [0x03, 0x2b, 0x33, 0x3b]) {
      const m = SERVER_REPLY.slice();
      m[0] = first;
      expect(parse(m)).toEqual({ ok: false, reason: "ntp_bad_version", offset: 0 });
    }
    expect(parseNtp(new Uint8Array(48), 1, 48)).toMatchObject({ reason: "bad_window" });
  });
});

describe("parseNtp properties", () => {
  it("round-trips header fields", () => {
    fc.assert(
      fc.property(
        fc.record({
          leap: fc.integer({ min: 0, max: 3 }),
          version: fc.integer({ min: 1, max: 4 }),
          mode: fc.integer({ min: 0, max: 5 }),
          stratum: fc.integer({ min: 0, max: 255 }),
          poll: fc.integer({ min: -128, max: 127 }),
          precision: fc.integer({ min: -128, max: 127 }),
          seconds: fc.nat({ max: 0xffffffff }),
          fraction: fc.nat({ max: 0xffffffff }),
        }),
        (f) => {
          const b = new Uint8Array(48);
          b[0] = (f.leap << 6) | (f.version << 3) | f.mode;
          b[1] = f.stratum;
          b[2] = f.poll & 0xff;
          b[3] = f.precision & 0xff;
          new DataView(b.buffer).setUint32(40, f.seconds);
          new DataView(b.buffer).setUint32(44, f.fraction);
          const m = time(b);
          expect(m).toMatchObject({
            leap: f.leap,
            version: f.version,
            mode: f.mode,
            stratum: f.stratum,
            poll: f.poll,
            precision: f.precision,
          });
          expect(m.transmitTimestamp.seconds).toBe(f.seconds);
          expect(m.transmitTimestamp.fraction).toBe(f.fraction);
          if (f.seconds !== 0 || f.fraction !== 0) {
            const era = f.seconds >= 2 ** 31 ? 0 : 1;
            const expected = (f.seconds + era * 2 ** 32 - 2208988800) * 1000 + (f.fraction / 2 ** 32) * 1000;
            expect(m.transmitTimestamp.unixMs).toBeCloseTo(expected, 3);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("never throws, reads only its window, on random and mutated messages and their prefixes", () => {
    const seeds = fc.oneof(fc.constantFrom(...REAL), fc.uint8Array({ maxLength: 120 }));
    fc.assert(
      fc.property(
        seeds,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        (seed, edits, cut, pad) => {
          const message = seed.slice();
          if (message.length > 0) for (const [at, value] of edits) message[at % message.length] = value;
          const length = cut % (message.length + 1);
          const window = message.slice(0, length);
          const alone = parse(window);
          expect(embedded(window, pad, message.subarray(length))).toEqual(alone);
        },
      ),
      { numRuns: 3000 },
    );
    for (const message of REAL) {
      for (let n = 0; n <= message.length; n++) expect(parseNtp(message, 0, n)).toEqual(parse(message.slice(0, n)));
    }
  });
});
