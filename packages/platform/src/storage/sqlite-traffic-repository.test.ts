import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyWrites,
  type DestinationSample,
  MINUTE_MS,
  type RepositoryWrite,
  TRAFFIC_RETENTION,
  type TrafficSample,
} from "@heimdal/core";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteDatabase } from "./sqlite-database.js";
import { createSqliteRepositories } from "./sqlite-repositories.js";
import { SqliteTrafficRepository } from "./sqlite-traffic-repository.js";

const scratch = mkdtempSync(join(tmpdir(), "heimdal-traffic-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
function open() {
  const db = new SqliteDatabase(join(scratch, `traffic-${++files}.sqlite`));
  db.open();
  return { db, traffic: new SqliteTrafficRepository(db) };
}

const T0 = Date.UTC(2026, 2, 2, 8);
const minute = (deviceId: string, m: number, bytesUp: number, bytesDown = 0): TrafficSample => ({
  deviceId,
  minute: T0 + m * MINUTE_MS,
  bytesUp,
  bytesDown,
  packetsUp: 1,
  packetsDown: 1,
  flows: 1,
});
const destination = (deviceId: string, bucket: number, name: string, bytes: number, port = 443): DestinationSample => ({
  deviceId,
  bucket: T0 + bucket * 5 * MINUTE_MS,
  destination: name,
  protocol: "tcp",
  port,
  direction: "out",
  bytesUp: bytes,
  bytesDown: 0,
  packets: 2,
  flows: 1,
});

describe("SqliteTrafficRepository", () => {
  it("replaces a sample written again (cumulative values), so writes are idempotent", () => {
    const { db, traffic } = open();
    traffic.putMinute(minute("a", 0, 100));
    traffic.putMinute(minute("a", 0, 250));
    traffic.putMinute(minute("a", 0, 250));
    expect(traffic.deviceTotals(T0, T0 + MINUTE_MS)).toEqual([
      { deviceId: "a", bytesUp: 250, bytesDown: 0, packets: 2, flows: 1 },
    ]);
    db.close();
  });

  it("sums per device and per minute over a time range", () => {
    const { db, traffic } = open();
    traffic.putMinute(minute("a", 0, 100, 10));
    traffic.putMinute(minute("a", 1, 200));
    traffic.putMinute(minute("b", 1, 50));
    traffic.putMinute(minute("b", 5, 999));
    expect(traffic.newestMinute()).toBe(T0 + 5 * MINUTE_MS);
    expect(traffic.deviceTotals(T0, T0 + 2 * MINUTE_MS).map((t) => [t.deviceId, t.bytesUp, t.bytesDown])).toEqual([
      ["a", 300, 10],
      ["b", 50, 0],
    ]);
    expect(traffic.networkMinutes(T0 + MINUTE_MS, T0 + 10 * MINUTE_MS)).toEqual([
      { minute: T0 + MINUTE_MS, bytesUp: 250, bytesDown: 0 },
      { minute: T0 + 5 * MINUTE_MS, bytesUp: 999, bytesDown: 0 },
    ]);
    db.close();
  });

  it("lists flows summed over buckets, most bytes first, filtered and paged", () => {
    const { db, traffic } = open();
    traffic.putDestination(destination("a", 0, "cloud.example", 100));
    traffic.putDestination(destination("a", 1, "cloud.example", 300));
    traffic.putDestination(destination("a", 1, "cdn.example", 250));
    traffic.putDestination(destination("b", 2, "cloud.example", 50, 8883));
    const all = traffic.flows();
    expect(all.total).toBe(3);
    expect(all.flows.map((f) => [f.deviceId, f.destination, f.port, f.bytesUp, f.flows])).toEqual([
      ["a", "cloud.example", 443, 400, 2],
      ["a", "cdn.example", 443, 250, 1],
      ["b", "cloud.example", 8883, 50, 1],
    ]);
    expect(all.flows[0]).toMatchObject({ firstBucket: T0, lastBucket: T0 + 5 * MINUTE_MS });
    expect(traffic.flows({ destination: "cloud.example" }).total).toBe(2);
    expect(traffic.flows({ deviceId: "b" }).flows.map((f) => f.port)).toEqual([8883]);
    expect(traffic.flows({ from: T0 + 5 * MINUTE_MS, to: T0 + 10 * MINUTE_MS }).flows[0]!.bytesUp).toBe(300);
    const page = traffic.flows({ limit: 1, offset: 1 });
    expect(page.total).toBe(3);
    expect(page.flows.map((f) => f.destination)).toEqual(["cdn.example"]);
    expect(() => traffic.flows({ limit: 0 })).toThrow(/limit must be a positive integer/);
    db.close();
  });

  it("prunes by retention counted back from the newest sample, traffic events included", () => {
    const { db } = open();
    const repos = createSqliteRepositories(db);
    const newest = T0 + 10 * 86_400_000;
    const writes: RepositoryWrite[] = [
      { kind: "traffic_minute", sample: { ...minute("a", 0, 1), minute: newest - TRAFFIC_RETENTION.minutesMs - 1 } },
      { kind: "traffic_minute", sample: { ...minute("a", 0, 2), minute: newest - TRAFFIC_RETENTION.minutesMs } },
      {
        kind: "traffic_destination",
        sample: { ...destination("a", 0, "old.example", 1), bucket: newest - TRAFFIC_RETENTION.destinationsMs - 1 },
      },
      { kind: "traffic_destination", sample: { ...destination("a", 0, "new.example", 1), bucket: newest } },
      { kind: "event", event: { type: "traffic", time: newest - TRAFFIC_RETENTION.eventsMs - 1, deviceId: null } },
      { kind: "event", event: { type: "traffic", time: newest, deviceId: null } },
      { kind: "event", event: { type: "device_new", time: 0, deviceId: "a" } },
      { kind: "traffic_prune", newestMs: newest },
    ];
    db.transaction("apply", () => applyWrites(repos, writes));
    expect(repos.traffic.deviceTotals(0, newest + 1).map((t) => t.bytesUp)).toEqual([2]);
    expect(repos.traffic.flows().flows.map((f) => f.destination)).toEqual(["new.example"]);
    expect(repos.events.since(0).map((e) => [e.event.type, e.event.time])).toEqual([
      ["traffic", newest],
      ["device_new", 0],
    ]);
    db.close();
  });
});
