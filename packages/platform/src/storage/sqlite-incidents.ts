import type { IncidentQuery, IncidentRecord, IncidentRepository, StoredIncident } from "@heimdal/core";
import { readRow } from "./incident-filing.js";
import type { SqliteDatabase } from "./sqlite-database.js";

interface IncidentRow {
  incident: string;
  acknowledged_at: number | null;
}

export class SqliteIncidentRepository implements IncidentRepository {
  constructor(private readonly db: SqliteDatabase) {}

  get(id: string): StoredIncident | undefined {
    const row = this.db.run(`read incident "${id}"`, (sql) => readRow(sql, id));
    return row === undefined ? undefined : { incident: row.incident, acknowledgedAt: row.acknowledgedAt };
  }

  list(query: IncidentQuery = {}): StoredIncident[] {
    const { where, args } = incidentFilter(query);
    const offset = query.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0)
      throw new RangeError(`An offset must be a non-negative integer, got ${offset}`);
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A limit must be a positive integer, got ${limit}`);
    const rows = this.db.run("list incidents", (sql) =>
      sql(`SELECT incident, acknowledged_at FROM incidents ${where} ORDER BY end_time DESC, id LIMIT ? OFFSET ?`).all(
        ...args,
        limit,
        offset,
      ),
    ) as IncidentRow[];
    return rows.map((row) => ({
      incident: JSON.parse(row.incident) as IncidentRecord,
      acknowledgedAt: row.acknowledged_at,
    }));
  }

  count(query: IncidentQuery = {}): number {
    const { where, args } = incidentFilter(query);
    const row = this.db.run("count incidents", (sql) =>
      sql(`SELECT count(*) AS n FROM incidents ${where}`).get(...args),
    ) as { n: number };
    return row.n;
  }

  latestEnd(): number | undefined {
    const row = this.db.run("read the latest incident", (sql) =>
      sql("SELECT max(end_time) AS latest FROM incidents").get(),
    ) as { latest: number | null };
    return row.latest ?? undefined;
  }

  acknowledge(id: string, at: number): string[] | undefined {
    return this.db.transaction(`acknowledge incident "${id}"`, (sql) => {
      const row = readRow(sql, id);
      if (row === undefined) return undefined;
      const acknowledged: string[] = [];
      for (const alertId of row.incident.alertIds) {
        const result = sql("UPDATE alerts SET acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL").run(
          at,
          alertId,
        );
        if (result.changes > 0) acknowledged.push(alertId);
      }
      sql("UPDATE incidents SET acknowledged_at = coalesce(acknowledged_at, ?) WHERE id = ?").run(at, id);
      return acknowledged;
    });
  }
}

function incidentFilter(query: IncidentQuery): { where: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (query.severity !== undefined) {
    where.push("severity IN (SELECT value FROM json_each(?))");
    args.push(JSON.stringify(query.severity));
  }
  if (query.deviceId !== undefined) {
    where.push("device_id = ?");
    args.push(query.deviceId);
  }
  if (query.from !== undefined) {
    where.push("end_time >= ?");
    args.push(query.from);
  }
  if (query.to !== undefined) {
    where.push("start_time < ?");
    args.push(query.to);
  }
  if (query.acknowledged !== undefined) {
    where.push(query.acknowledged ? "acknowledged_at IS NOT NULL" : "acknowledged_at IS NULL");
  }
  return { where: where.length > 0 ? `WHERE ${where.join(" AND ")}` : "", args };
}
