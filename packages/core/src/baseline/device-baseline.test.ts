import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DeviceConnection } from "../profile/device-profile.js";
import { DeviceProfile, hourOfWeek } from "../profile/device-profile.js";
import { TopK } from "../profile/top-k.js";
import { DeviceBaseline, robust } from "./device-baseline.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Monday 2026-11-02 00:00 UTC. */
const MONDAY = Date.UTC(2026, 10, 2);

function connection(start: number, overrides: Partial<DeviceConnection> = {}): DeviceConnection {
  return {
    start,
    end: start + 1000,
    protocol: "tcp",
    destination: "example.com",
    destinationName: "api.example.com",
    remoteIp: "93.184.216.34",
    remotePort: 443,
    localPort: 50000,
    outbound: true,
    bytesUp: 1000,
    bytesDown: 9000,
    packetsUp: 10,
    packetsDown: 12,
    ...overrides,
  };
}

describe("hour of week", () => {
  it("starts on Monday 00:00 and wraps after Sunday 23:00", () => {
    expect(hourOfWeek(MONDAY)).toBe(0);
    expect(hourOfWeek(MONDAY + 25 * HOUR)).toBe(25);
    expect(hourOfWeek(MONDAY + 7 * DAY - 1)).toBe(167);
    expect(hourOfWeek(MONDAY + 7 * DAY)).toBe(0);
    // Local time: 23:30 UTC on Sunday is Monday 01:30 at UTC+2.
    expect(hourOfWeek(MONDAY - 30 * 60_000, 120)).toBe(1);
  });
});

describe("TopK", () => {
  it("keeps at most its capacity and sums what falls out in other", () => {
    const top = new TopK(3);
    for (const [key, weight] of [
      ["a", 10],
      ["b", 5],
      ["c", 1],
      ["d", 2],
      ["a", 10],
    ] as const)
      top.add(key, weight, 0);
    expect(top.size).toBe(3);
    expect(top.top(1)[0]).toMatchObject({ key: "a", weight: 20, count: 2 });
    expect(top.has("c")).toBe(false);
    expect(top.other).toEqual({ weight: 1, count: 1 });
  });

  it("never loses a heavy hitter and conserves weight (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 100 })), { maxLength: 400 }),
        (items) => {
          const capacity = 8;
          const top = new TopK(capacity);
          const truth = new Map<string, number>();
          let total = 0;
          for (const [k, w] of items) {
            top.add(`k${k}`, w, 0);
            truth.set(`k${k}`, (truth.get(`k${k}`) ?? 0) + w);
            total += w;
          }
          expect(top.size).toBeLessThanOrEqual(capacity);
          const kept = top.top().reduce((sum, e) => sum + e.weight - e.error, 0);
          expect(kept + top.other.weight).toBe(total);
          for (const [key, weight] of truth) {
            if (weight > total / capacity) expect(top.has(key)).toBe(true);
          }
          for (const entry of top.top()) expect(entry.weight).toBeGreaterThanOrEqual(truth.get(entry.key)!);
        },
      ),
    );
  });
});

describe("device profile", () => {
  it("spreads a long connection over the hours it spans", () => {
    const profile = new DeviceProfile("d1");
    profile.addConnection(
      connection(MONDAY + 10 * HOUR + 30 * 60_000, {
        end: MONDAY + 12 * HOUR + 30 * 60_000,
        bytesUp: 0,
        bytesDown: 4000,
      }),
    );
    expect(profile.hourOfWeekBytes.slice(10, 13)).toEqual([1000, 2000, 1000]);
    expect(profile.hourlyActivity.reduce((a, b) => a + b, 0)).toBe(4000);
    expect(profile.toJSON()).toMatchObject({
      totalBytes: 4000,
      bytesDown: 4000,
      connections: 1,
      protocols: { tcp: 1 },
    });
  });
});

describe("device baseline", () => {
  it("shows learning progress by observed days and becomes ready after the window", () => {
    const baseline = new DeviceBaseline("d1");
    for (let day = 0; day < 3; day++) baseline.addConnection(connection(MONDAY + day * DAY + 9 * HOUR));
    expect(baseline.summary(MONDAY + 2 * DAY + 10 * HOUR)).toMatchObject({
      daysObserved: 3,
      state: "learning",
      progress: "learning, 3 of 7 days",
      confidence: 0.63,
    });
    for (let day = 3; day < 7; day++) baseline.addConnection(connection(MONDAY + day * DAY + 9 * HOUR));
    const ready = baseline.summary(MONDAY + 6 * DAY + 10 * HOUR);
    expect(ready).toMatchObject({ daysObserved: 7, state: "ready", progress: "ready, 7 of 7 days", usualHours: [9] });
    expect(ready.confidence).toBe(0.9);
    expect(ready.topDestinations[0]).toMatchObject({ destination: "example.com", days: 7, connections: 7 });
  });

  it("counts only the rolling window, and purges history past the retention", () => {
    const baseline = new DeviceBaseline("d1");
    for (let day = 0; day < 40; day++) baseline.addConnection(connection(MONDAY + day * DAY));
    const now = MONDAY + 39 * DAY;
    expect(baseline.summary(now).daysObserved).toBe(7);
    baseline.purge(now);
    expect(baseline.toJSON().days).toHaveLength(30);
    expect(baseline.toJSON().days[0]!.day).toBe(Math.floor(MONDAY / DAY) + 10);
  });

  it("follows a gradual shift but does not absorb one sudden spike", () => {
    const gradual = new DeviceBaseline("g");
    const spiky = new DeviceBaseline("s");
    for (let day = 0; day < 7; day++) {
      gradual.addConnection(
        connection(MONDAY + day * DAY + 20 * HOUR, { bytesUp: 0, bytesDown: 1000 * (1 + day * 0.2) }),
      );
      spiky.addConnection(
        connection(MONDAY + day * DAY + 20 * HOUR, { bytesUp: 0, bytesDown: day === 5 ? 1_000_000 : 1000 }),
      );
    }
    const tomorrow = MONDAY + 7 * DAY + 20 * HOUR;
    expect(gradual.expectedBytes(tomorrow).median).toBeCloseTo(1600, 5);
    const expectation = spiky.expectedBytes(tomorrow);
    expect(expectation).toMatchObject({ median: 1000, mad: 0, basis: "hour_of_day", samples: 7 });
  });

  it("uses the same weekday hour once two weeks of history exist", () => {
    const baseline = new DeviceBaseline("d1");
    for (let day = 0; day < 14; day++) {
      const weekend = day % 7 >= 5;
      baseline.addConnection(
        connection(MONDAY + day * DAY + 10 * HOUR, { bytesUp: 0, bytesDown: weekend ? 50_000 : 1000 }),
      );
    }
    const saturday = MONDAY + 19 * DAY + 10 * HOUR;
    expect(baseline.expectedBytes(saturday)).toMatchObject({ basis: "hour_of_week", median: 50_000, samples: 2 });
    expect(baseline.expectedBytes(MONDAY + 14 * DAY + 10 * HOUR)).toMatchObject({
      basis: "hour_of_week",
      median: 1000,
    });
  });

  it("knows destinations from earlier days and from golden profiles, not from today alone", () => {
    const baseline = new DeviceBaseline("d1");
    baseline.addConnection(connection(MONDAY, { destination: "old.example" }));
    baseline.addConnection(connection(MONDAY + DAY, { destination: "today.example" }));
    const now = MONDAY + DAY + HOUR;
    expect(baseline.knowsDestination("old.example", now)).toBe(true);
    expect(baseline.knowsDestination("today.example", now)).toBe(false);
    baseline.addGolden({ source: "golden:hue-bridge", destinations: ["meethue.com"], ports: ["tcp/443"] });
    expect(baseline.knowsDestination("meethue.com", now)).toBe(true);
  });

  it("round-trips through JSON and merges imports without double counting", () => {
    const baseline = new DeviceBaseline("d1");
    for (let day = 0; day < 3; day++) baseline.addConnection(connection(MONDAY + day * DAY));
    const json = baseline.toJSON();
    const copy = new DeviceBaseline("d1");
    copy.merge(json);
    copy.merge(json);
    expect(copy.toJSON()).toEqual(json);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it("keeps bounded memory per day whatever the number of destinations", () => {
    const baseline = new DeviceBaseline("d1");
    for (let i = 0; i < 5000; i++)
      baseline.addConnection(connection(MONDAY + i * 1000, { destination: `host${i}.example` }));
    const day = baseline.toJSON().days[0]!;
    expect(Object.keys(day.destinations)).toHaveLength(32);
    expect(day.other.connections).toBe(5000 - 32);
  });
});

describe("robust statistics", () => {
  it("median and MAD", () => {
    expect(robust([])).toEqual({ median: 0, mad: 0 });
    expect(robust([1, 2, 3, 4, 100])).toEqual({ median: 3, mad: 1 });
  });
});

describe("restored baselines", () => {
  it("rebuilds a stored day when the same traffic is replayed, and continues it after a restart", () => {
    const day0 = (n: number) => Array.from({ length: n }, (_, i) => connection(MONDAY + i * 60_000));
    const first = new DeviceBaseline("d1");
    for (const c of day0(10)) first.addConnection(c);
    const stored = first.toJSON();

    const replay = new DeviceBaseline("d1");
    replay.merge(stored);
    for (const c of day0(10)) replay.addConnection(c);
    expect(replay.toJSON()).toEqual(stored);

    const restarted = new DeviceBaseline("d1");
    restarted.merge(stored);
    restarted.addConnection(connection(MONDAY + 3 * HOUR));
    expect(restarted.toJSON().days[0]!.connections).toBe(11);
  });
});
