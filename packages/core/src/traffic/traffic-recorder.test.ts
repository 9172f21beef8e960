import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DeviceConnection } from "../profile/device-profile.js";
import { TrafficRecorder } from "./traffic-recorder.js";
import { MINUTE_MS, OTHER_DESTINATIONS } from "./traffic-sample.js";

const T0 = Date.UTC(2026, 2, 2, 8);

function connection(start: number, end: number, overrides: Partial<DeviceConnection> = {}): DeviceConnection {
  return {
    start,
    end,
    protocol: "tcp",
    destination: "cloud.example",
    destinationName: "api.cloud.example",
    remoteIp: "203.0.113.10",
    remotePort: 443,
    localPort: 50000,
    outbound: true,
    bytesUp: 600,
    bytesDown: 1200,
    packetsUp: 6,
    packetsDown: 12,
    ...overrides,
  };
}

describe("TrafficRecorder", () => {
  it("spreads a flow over the minutes it lasted and counts it in the minute it ended", () => {
    const recorder = new TrafficRecorder();
    recorder.add("a", connection(T0 + 30_000, T0 + 150_000));
    const { minutes } = recorder.drainAll();
    expect(minutes.map((m) => [m.minute - T0, m.bytesUp, m.bytesDown, m.packetsUp, m.flows])).toEqual([
      [0, 150, 300, 2, 0],
      [60_000, 300, 600, 3, 0],
      [120_000, 150, 300, 1, 1],
    ]);
  });

  it("aggregates destinations per five minutes with the service port and direction", () => {
    const recorder = new TrafficRecorder();
    recorder.add("a", connection(T0, T0 + 1000));
    recorder.add("a", connection(T0 + 2000, T0 + 3000));
    recorder.add("a", connection(T0 + 4000, T0 + 5000, { outbound: false, localPort: 8080, remotePort: 51234 }));
    const { destinations } = recorder.drainAll();
    expect(destinations.map((d) => [d.destination, d.port, d.direction, d.flows, d.bytesUp + d.bytesDown])).toEqual([
      ["cloud.example", 443, "out", 2, 3600],
      ["cloud.example", 8080, "in", 1, 1800],
    ]);
  });

  it("sums destinations beyond the per-bucket limit under one row, keeping their bytes", () => {
    const recorder = new TrafficRecorder({ destinationsPerBucket: 3 });
    for (let i = 0; i < 50; i++) recorder.add("scanner", connection(T0 + i, T0 + i, { destination: `10.0.0.${i}` }));
    const { destinations } = recorder.drainAll();
    expect(destinations).toHaveLength(4);
    const other = destinations.find((d) => d.destination === OTHER_DESTINATIONS)!;
    expect(other.flows).toBe(47);
    expect(destinations.reduce((sum, d) => sum + d.bytesUp, 0)).toBe(50 * 600);
  });

  it("hands out only what changed since the last drain, with cumulative values", () => {
    const recorder = new TrafficRecorder();
    recorder.add("a", connection(T0, T0 + 1000));
    expect(recorder.drain(T0 + 2000).minutes).toMatchObject([{ bytesUp: 600, flows: 1 }]);
    expect(recorder.drain(T0 + 3000).minutes).toEqual([]);
    recorder.add("a", connection(T0 + 5000, T0 + 6000));
    expect(recorder.drain(T0 + 7000).minutes).toMatchObject([{ bytesUp: 1200, flows: 2 }]);
  });

  it("announces each ended minute once, network-wide, with its busiest devices", () => {
    const recorder = new TrafficRecorder();
    recorder.add("a", connection(T0, T0 + 1000));
    recorder.add("b", connection(T0 + 10_000, T0 + 11_000, { bytesUp: 5000 }));
    recorder.add("a", connection(T0 + MINUTE_MS, T0 + MINUTE_MS + 1000));
    // The second minute has not ended at T0 + 90 s: only the first is announced.
    const first = recorder.drain(T0 + 90_000).events;
    expect(first).toEqual([
      {
        type: "traffic",
        time: T0,
        deviceId: null,
        bytesUp: 5600,
        bytesDown: 2400,
        packets: 36,
        flows: 2,
        devices: 2,
        topDevices: [
          { deviceId: "b", bytes: 6200 },
          { deviceId: "a", bytes: 1800 },
        ],
      },
    ]);
    const second = recorder.drain(T0 + 2 * MINUTE_MS).events;
    expect(second.map((e) => e.time)).toEqual([T0 + MINUTE_MS]);
    expect(recorder.drain(T0 + 3 * MINUTE_MS).events).toEqual([]);
  });

  it("announces only the last hour of a long replay", () => {
    const recorder = new TrafficRecorder();
    for (let m = 0; m < 24 * 60; m++) recorder.add("a", connection(T0 + m * MINUTE_MS, T0 + m * MINUTE_MS + 10));
    const { events, minutes } = recorder.drainAll();
    expect(minutes).toHaveLength(24 * 60);
    expect(events).toHaveLength(60);
    expect(events.at(-1)!.time).toBe(T0 + (24 * 60 - 1) * MINUTE_MS);
  });

  it("forgets buckets past the hold and keeps memory flat in a long live run", () => {
    const recorder = new TrafficRecorder({ holdMs: 10 * MINUTE_MS });
    for (let m = 0; m < 600; m++) {
      recorder.add("a", connection(T0 + m * MINUTE_MS, T0 + m * MINUTE_MS + 10));
      recorder.drain(T0 + m * MINUTE_MS + 20);
    }
    expect(recorder.heldMinutes).toBeLessThanOrEqual(16);
    // A late slice reaching back before the hold lands in the oldest bucket still held.
    recorder.add("a", connection(T0, T0 + 600 * MINUTE_MS));
    const { minutes } = recorder.drainAll();
    expect(Math.min(...minutes.map((m) => m.minute))).toBeGreaterThan(T0 + 580 * MINUTE_MS);
  });

  it("conserves every byte and packet of the connections it is given", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            device: fc.constantFrom("a", "b", "c"),
            start: fc.integer({ min: 0, max: 6 * 3_600_000 }),
            length: fc.integer({ min: 0, max: 40 * MINUTE_MS }),
            bytesUp: fc.nat(10 ** 9),
            bytesDown: fc.nat(10 ** 9),
            packets: fc.nat(10 ** 6),
            destination: fc.constantFrom("x.example", "y.example", "198.51.100.7"),
          }),
          { maxLength: 40 },
        ),
        (flows) => {
          const recorder = new TrafficRecorder({ destinationsPerBucket: 2 });
          for (const f of flows) {
            recorder.add(
              f.device,
              connection(T0 + f.start, T0 + f.start + f.length, {
                bytesUp: f.bytesUp,
                bytesDown: f.bytesDown,
                packetsUp: f.packets,
                packetsDown: 0,
                destination: f.destination,
              }),
            );
          }
          const { minutes, destinations } = recorder.drainAll();
          const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
          expect(sum(minutes.map((m) => m.bytesUp))).toBe(sum(flows.map((f) => f.bytesUp)));
          expect(sum(minutes.map((m) => m.bytesDown))).toBe(sum(flows.map((f) => f.bytesDown)));
          expect(sum(minutes.map((m) => m.flows))).toBe(flows.length);
          expect(sum(destinations.map((d) => d.packets))).toBe(sum(flows.map((f) => f.packets)));
          expect(sum(destinations.map((d) => d.flows))).toBe(flows.length);
        },
      ),
    );
  });
});
