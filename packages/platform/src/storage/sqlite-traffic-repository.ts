import {
  type DestinationSample,
  type DeviceTrafficTotal,
  type FlowAggregate,
  type FlowQuery,
  type MinuteTotal,
  TRAFFIC_RETENTION,
  type TrafficRepository,
  type TrafficSample,
} from "@heimdal/core";
import type { SqliteDatabase } from "./sqlite-database.js";

/** Recent traffic in traffic_minutes and traffic_destinations (migration 4). */
export class SqliteTrafficRepository implements TrafficRepository {
  constructor(private readonly db: SqliteDatabase) {}

  putMinute(s: TrafficSample): void {
    this.db.run("store a traffic minute", (sql) =>
      sql(
        `INSERT OR REPLACE INTO traffic_minutes (device_id, minute, bytes_up, bytes_down, packets_up, packets_down, flows)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(s.deviceId, s.minute, s.bytesUp, s.bytesDown, s.packetsUp, s.packetsDown, s.flows),
    );
  }

  putDestination(s: DestinationSample): void {
    this.db.run("store a destination aggregate", (sql) =>
      sql(
        `INSERT OR REPLACE INTO traffic_destinations
           (device_id, bucket, destination, protocol, port, direction, bytes_up, bytes_down, packets, flows)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        s.deviceId,
        s.bucket,
        s.destination,
        s.protocol,
        s.port,
        s.direction,
        s.bytesUp,
        s.bytesDown,
        s.packets,
        s.flows,
      ),
    );
  }

  prune(newestMs: number): void {
    this.db.run("prune recent traffic", (sql) => {
      sql("DELETE FROM traffic_minutes WHERE minute < ?").run(newestMs - TRAFFIC_RETENTION.minutesMs);
      sql("DELETE FROM traffic_destinations WHERE bucket < ?").run(newestMs - TRAFFIC_RETENTION.destinationsMs);
      sql("DELETE FROM events WHERE type = 'traffic' AND time < ?").run(newestMs - TRAFFIC_RETENTION.eventsMs);
    });
  }

  newestMinute(): number | null {
    const row = this.db.run("read the newest traffic minute", (sql) =>
      sql("SELECT max(minute) AS minute FROM traffic_minutes").get(),
    ) as { minute: number | null };
    return row.minute;
  }

  deviceTotals(from: number, to: number): DeviceTrafficTotal[] {
    return this.db.run("sum traffic per device", (sql) =>
      sql(
        `SELECT device_id AS deviceId, sum(bytes_up) AS bytesUp, sum(bytes_down) AS bytesDown,
                sum(packets_up + packets_down) AS packets, sum(flows) AS flows
         FROM traffic_minutes WHERE minute >= ? AND minute < ? GROUP BY device_id ORDER BY device_id`,
      ).all(from, to),
    ) as DeviceTrafficTotal[];
  }

  networkMinutes(from: number, to: number): MinuteTotal[] {
    return this.db.run("sum traffic per minute", (sql) =>
      sql(
        `SELECT minute, sum(bytes_up) AS bytesUp, sum(bytes_down) AS bytesDown
         FROM traffic_minutes WHERE minute >= ? AND minute < ? GROUP BY minute ORDER BY minute`,
      ).all(from, to),
    ) as MinuteTotal[];
  }

  flows(query: FlowQuery = {}): { total: number; flows: FlowAggregate[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.deviceId !== undefined) {
      where.push("device_id = ?");
      args.push(query.deviceId);
    }
    if (query.destination !== undefined) {
      where.push("destination = ?");
      args.push(query.destination);
    }
    if (query.from !== undefined) {
      where.push("bucket >= ?");
      args.push(query.from);
    }
    if (query.to !== undefined) {
      where.push("bucket < ?");
      args.push(query.to);
    }
    const limit = query.limit ?? 100;
    const offset = query.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A limit must be a positive integer, got ${limit}`);
    if (!Number.isInteger(offset) || offset < 0)
      throw new RangeError(`An offset must be a non-negative integer, got ${offset}`);
    const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const groups = `FROM traffic_destinations ${filter} GROUP BY device_id, destination, protocol, port, direction`;
    return this.db.run("list flows", (sql) => {
      const { n } = sql(`SELECT count(*) AS n FROM (SELECT 1 ${groups})`).get(...args) as { n: number };
      const flows = sql(
        `SELECT device_id AS deviceId, destination, protocol, port, direction,
                sum(bytes_up) AS bytesUp, sum(bytes_down) AS bytesDown, sum(packets) AS packets, sum(flows) AS flows,
                min(bucket) AS firstBucket, max(bucket) AS lastBucket
         ${groups}
         ORDER BY sum(bytes_up + bytes_down) DESC, device_id, destination, protocol, port, direction
         LIMIT ? OFFSET ?`,
      ).all(...args, limit, offset) as FlowAggregate[];
      return { total: n, flows };
    });
  }
}
