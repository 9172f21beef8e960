import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DeviceConnection } from "../profile/device-profile.js";
import { DEFAULT_BASELINE_OPTIONS, DeviceBaseline } from "./device-baseline.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Monday 2026-11-02 00:00 UTC. */
const MONDAY = Date.UTC(2026, 10, 2);

type Step =
  | { kind: "connection"; at: number; bytes: number; destination: string; port: number }
  | { kind: "purge"; at: number }
  | { kind: "merge"; day: number; connections: number }
  | { kind: "golden"; destination: string }
  | { kind: "query"; at: number };

/** Times over ten days at a few hours, so that steps often land in one hour or day (a cache's key). */
const time = fc
  .tuple(fc.integer({ min: 0, max: 9 }), fc.constantFrom(0, 7, 13, 23), fc.constantFrom(0, 30))
  .map(([day, hour, minute]) => MONDAY + day * DAY + hour * HOUR + minute * 60_000);
const destination = fc.constantFrom("a.com", "b.net", "c.org", "203.0.113.9");
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("connection" as const),
      at: time,
      bytes: fc.integer({ min: 0, max: 5_000_000 }),
      destination,
      port: fc.constantFrom(443, 80, 23),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("purge" as const), at: time }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("merge" as const),
      day: fc.integer({ min: 0, max: 9 }),
      connections: fc.integer({ min: 1, max: 50 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("golden" as const), destination }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("query" as const), at: time }) },
);

function connection(at: number, bytes: number, destination: string, port: number): DeviceConnection {
  return {
    start: at,
    end: at + 1000,
    protocol: "tcp",
    destination,
    destinationName: undefined,
    remoteIp: "203.0.113.9",
    remotePort: port,
    localPort: 50000,
    outbound: true,
    bytesUp: bytes,
    bytesDown: bytes >> 1,
    packetsUp: 1,
    packetsDown: 1,
  };
}

/** What the detectors read at `at`. */
function derived(baseline: DeviceBaseline, at: number) {
  return {
    window: baseline.windowDays(at).map((d) => d.day),
    summary: baseline.summary(at),
    expected: baseline.expectedBytes(at),
    knowsA: baseline.knowsDestination("a.com", at),
  };
}

describe("baseline caches", () => {
  it("revisionBefore moves when a purge drops an earlier day", () => {
    const baseline = new DeviceBaseline("d", { ...DEFAULT_BASELINE_OPTIONS, retentionDays: 4 });
    baseline.addConnection(connection(MONDAY, 1000, "a.com", 443));
    baseline.addConnection(connection(MONDAY + 3 * DAY, 1000, "a.com", 443));
    const day = Math.floor(MONDAY / DAY) + 5;
    const revision = baseline.revisionBefore(day);
    baseline.purge(MONDAY + 4 * DAY);
    expect(baseline.toJSON().days).toHaveLength(1);
    expect(baseline.revisionBefore(day)).not.toBe(revision);
  });

  it("answer as a baseline rebuilt from scratch does; revisionBefore moves with every change to earlier days", () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 60 }),
        fc.constantFrom(0, 120, -300),
        // A short retention too, so that purges drop days within the ten days.
        fc.constantFrom({ windowDays: 7, retentionDays: 30 }, { windowDays: 3, retentionDays: 4 }),
        (steps, utcOffsetMinutes, days) => {
          const options = { ...DEFAULT_BASELINE_OPTIONS, ...days, utcOffsetMinutes };
          const baseline = new DeviceBaseline("d", options);
          const history = new Map<number, { revision: number; days: string }>();
          for (const s of steps) {
            if (s.kind === "connection") baseline.addConnection(connection(s.at, s.bytes, s.destination, s.port));
            else if (s.kind === "purge") baseline.purge(s.at);
            else if (s.kind === "golden")
              baseline.addGolden({ source: "test", destinations: [s.destination], ports: [] });
            else if (s.kind === "merge") {
              const day = Math.floor(MONDAY / DAY) + s.day;
              baseline.merge({
                schema: 1,
                deviceId: "d",
                utcOffsetMinutes,
                golden: [],
                days: [
                  {
                    day,
                    bytesUp: s.connections * 1000,
                    bytesDown: 0,
                    connections: s.connections,
                    hourly: Array.from({ length: 24 }, (_, h) => (h === s.day % 24 ? s.connections * 1000 : 0)),
                    destinations: { "a.com": { bytes: 1000, connections: s.connections } },
                    ports: { "tcp/443": s.connections },
                    other: { bytes: 0, connections: 0 },
                  },
                ],
              });
            } else {
              // revisionBefore(day) holding means no day before it changed.
              const day = Math.floor(s.at / DAY);
              const before = JSON.stringify(baseline.toJSON().days.filter((d) => d.day < day));
              const seen = history.get(day);
              if (seen !== undefined && seen.revision === baseline.revisionBefore(day)) expect(before).toBe(seen.days);
              history.set(day, { revision: baseline.revisionBefore(day), days: before });
              // The cached answers, asked twice, against a fresh baseline with the same days.
              const fresh = new DeviceBaseline("d", options);
              fresh.merge(baseline.toJSON());
              const expected = derived(fresh, s.at);
              expect(derived(baseline, s.at)).toEqual(expected);
              expect(derived(baseline, s.at + HOUR)).toEqual(derived(fresh, s.at + HOUR));
              expect(derived(baseline, s.at)).toEqual(expected);
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
