import { ALERT_TYPES, DEVICE_TYPES, SEVERITIES } from "@heimdal/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0 } from "../test-support/seed.test-util.js";
import { type Fixture, startFixture } from "../test-support/server-fixture.test-util.js";

let fixture: Fixture;
let cookie: string;
beforeAll(async () => {
  fixture = await startFixture();
  cookie = (await fixture.login()).cookie;
});
afterAll(() => fixture.close());

type Query = [string, string][];

async function get(path: string, query: Query) {
  const search = new URLSearchParams(query).toString();
  const response = await fixture.server.inject({ url: `${path}?${search}`, headers: { cookie } });
  return { status: response.statusCode, body: response.json() };
}

const integerIn = (min: number, max: number) => fc.integer({ min, max }).map(String);
/** Text that is not a number (Ajv coerces numeric text such as " 5" or "1e2") and not a boolean word. */
const notNumeric = fc
  .string({ maxLength: 12 })
  .filter((s) => s === "" || Number.isNaN(Number(s)))
  .filter((s) => !["true", "false"].includes(s));
const badCount = (min: number, max: number) =>
  fc.oneof(
    fc.nat(1_000_000).map((n) => String(min - 1 - n)),
    fc.nat(1_000_000).map((n) => String(max + 1 + n)),
    fc.double({ min: min + 0.01, max: max - 0.01, noInteger: true, noNaN: true }).map(String),
    notNumeric,
  );
const notOneOf = (allowed: readonly string[]) => fc.string({ maxLength: 20 }).filter((s) => !allowed.includes(s));

/** Valid values and invalid ones, per parameter of GET /api/v1/alerts. */
const ALERT_PARAMETERS: Record<string, { valid: fc.Arbitrary<string>; invalid: fc.Arbitrary<string> }> = {
  severity: { valid: fc.constantFrom(...SEVERITIES), invalid: notOneOf(SEVERITIES) },
  type: { valid: fc.constantFrom(...ALERT_TYPES), invalid: notOneOf(ALERT_TYPES) },
  deviceId: {
    valid: fc.constantFrom("dev-02000000001", "dev-02000000002", "dev-x"),
    invalid: fc.oneof(fc.constant(""), fc.string({ minLength: 257, maxLength: 300 })),
  },
  from: { valid: integerIn(0, T0 + 10 * 60_000), invalid: badCount(0, 8.64e15) },
  to: { valid: integerIn(T0, T0 + 300 * 60_000), invalid: badCount(0, 8.64e15) },
  acknowledged: {
    valid: fc.constantFrom("true", "false"),
    invalid: fc.string({ maxLength: 8 }).filter((s) => !["true", "false", "1", "0"].includes(s)),
  },
  limit: { valid: integerIn(1, 1000), invalid: badCount(1, 1000) },
  offset: { valid: integerIn(0, 1_000_000), invalid: badCount(0, 1_000_000) },
};

const DEVICE_PARAMETERS: Record<string, { valid: fc.Arbitrary<string>; invalid: fc.Arbitrary<string> }> = {
  type: { valid: fc.constantFrom(...DEVICE_TYPES), invalid: notOneOf(DEVICE_TYPES) },
  online: { valid: fc.constantFrom("true", "false"), invalid: ALERT_PARAMETERS.acknowledged!.invalid },
  vendor: { valid: fc.string({ minLength: 1, maxLength: 10 }), invalid: fc.constant("") },
  search: { valid: fc.string({ minLength: 1, maxLength: 10 }), invalid: fc.string({ minLength: 129, maxLength: 140 }) },
  limit: ALERT_PARAMETERS.limit!,
  offset: ALERT_PARAMETERS.offset!,
};

/** A query of distinct known parameters with valid values. */
function validQuery(parameters: typeof ALERT_PARAMETERS): fc.Arbitrary<Query> {
  return fc
    .subarray(Object.keys(parameters))
    .chain((keys) =>
      fc.tuple(...keys.map((key) => parameters[key]!.valid.map((value): [string, string] => [key, value]))),
    );
}

/** A valid query with one parameter made invalid (a bad value, or a name the endpoint does not know). */
function queryWithOneBad(parameters: typeof ALERT_PARAMETERS) {
  const unknownName = fc
    .stringMatching(/^[A-Za-z_]{1,12}$/)
    .filter((name) => !(name in parameters) && name !== "__proto__");
  return fc.tuple(validQuery(parameters), fc.constantFrom(...Object.keys(parameters), "?")).chain(([query, bad]) => {
    const rest = query.filter(([key]) => key !== bad);
    const corrupt: fc.Arbitrary<[string, string]> =
      bad === "?"
        ? fc.tuple(unknownName, fc.string({ maxLength: 5 }))
        : parameters[bad]!.invalid.map((value): [string, string] => [bad, value]);
    return fc.tuple(fc.constant(rest), corrupt, fc.nat(rest.length)).map(([r, c, at]) => ({
      query: [...r.slice(0, at), c, ...r.slice(at)] as Query,
      bad: c[0],
    }));
  });
}

describe("query parameter validation (property)", () => {
  it("answers a valid alert query with 200 and alerts that match every filter", async () => {
    await fc.assert(
      fc.asyncProperty(validQuery(ALERT_PARAMETERS), async (query) => {
        const { status, body } = await get("/api/v1/alerts", query);
        expect(status).toBe(200);
        const q = Object.fromEntries(query);
        expect(body.alerts.length).toBeLessThanOrEqual(Number(q.limit ?? 100));
        expect(body.alerts.length).toBeLessThanOrEqual(body.total);
        for (const { alert, acknowledgedAt } of body.alerts) {
          if (q.severity) expect(alert.severity).toBe(q.severity);
          if (q.type) expect(alert.type).toBe(q.type);
          if (q.deviceId) expect(alert.deviceId).toBe(q.deviceId);
          if (q.from) expect(alert.time).toBeGreaterThanOrEqual(Number(q.from));
          if (q.to) expect(alert.time).toBeLessThan(Number(q.to));
          if (q.acknowledged) expect(acknowledgedAt !== null).toBe(q.acknowledged === "true");
        }
      }),
      { numRuns: 150 },
    );
  });

  it("answers 400 naming the one bad alert parameter, wherever it is in the query", async () => {
    await fc.assert(
      fc.asyncProperty(queryWithOneBad(ALERT_PARAMETERS), async ({ query, bad }) => {
        const { status, body } = await get("/api/v1/alerts", query);
        expect(status).toBe(400);
        expect(body.field === bad || body.field.startsWith(`${bad}[`)).toBe(true);
        expect(body.message.startsWith(`querystring.${body.field} `)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("answers a valid device query with 200 and devices that match, a bad one with 400 naming it", async () => {
    await fc.assert(
      fc.asyncProperty(validQuery(DEVICE_PARAMETERS), async (query) => {
        const { status, body } = await get("/api/v1/devices", query);
        expect(status).toBe(200);
        const q = Object.fromEntries(query);
        for (const device of body.devices) {
          if (q.type) expect(device.type).toBe(q.type);
          if (q.online) expect(String(device.online)).toBe(q.online);
        }
      }),
      { numRuns: 100 },
    );
    await fc.assert(
      fc.asyncProperty(queryWithOneBad(DEVICE_PARAMETERS), async ({ query, bad }) => {
        const { status, body } = await get("/api/v1/devices", query);
        expect(status).toBe(400);
        expect(body.field).toBe(bad);
        expect(body.message.startsWith(`querystring.${bad} `)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
