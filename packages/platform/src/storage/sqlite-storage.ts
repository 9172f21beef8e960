import type { StorageOperation, StorageProvider } from "@heimdal/core";
import { jsonText, type SqliteDatabase } from "./sqlite-database.js";

const GET = "SELECT value FROM kv WHERE key = ?";
const SET = "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
const DELETE = "DELETE FROM kv WHERE key = ?";
const RANGE = "SELECT key, value FROM kv WHERE key >= ? AND key < ?";
const FROM = "SELECT key, value FROM kv WHERE key >= ?";

/**
 * The StorageProvider over the kv table. Keys must be well-formed Unicode (SQLite stores
 * UTF-8, so a lone surrogate would come back as U+FFFD); values are stored as JSON text.
 */
export class SqliteStorage implements StorageProvider {
  constructor(private readonly db: SqliteDatabase) {}

  get<T = unknown>(key: string): T | undefined {
    const row = this.db.run(`read "${key}"`, (sql) => sql(GET).get(key)) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  set(key: string, value: unknown): void {
    const text = jsonText(value, `"${key}"`);
    this.db.run(`write "${key}"`, (sql) => sql(SET).run(key, text));
  }

  delete(key: string): void {
    this.db.run(`delete "${key}"`, (sql) => sql(DELETE).run(key));
  }

  list<T = unknown>(prefix: string): { key: string; value: T }[] {
    const end = prefixEnd(prefix);
    const rows = this.db.run(`list "${prefix}"`, (sql) =>
      end === undefined ? sql(FROM).all(prefix) : sql(RANGE).all(prefix, end),
    ) as { key: string; value: string }[];
    // SQLite orders by UTF-8 bytes (code points); the contract's key order is JavaScript's
    // (UTF-16 code units), as MemoryStorage sorts. They differ past the Basic Multilingual Plane.
    rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return rows.map((row) => ({ key: row.key, value: JSON.parse(row.value) as T }));
  }

  batch(operations: readonly StorageOperation[]): void {
    // Serialise first, so a value without a JSON form fails before anything is written.
    const prepared = operations.map((o) =>
      o.op === "set" ? { key: o.key, text: jsonText(o.value, `"${o.key}"`) } : o,
    );
    if (prepared.length === 0) return;
    this.db.transaction(`write a batch of ${prepared.length}`, (sql) => {
      for (const o of prepared) {
        if ("text" in o) sql(SET).run(o.key, o.text);
        else sql(DELETE).run(o.key);
      }
    });
  }

  /** Closes the database (and with it the repositories over it). */
  close(): void {
    this.db.close();
  }
}

/**
 * The smallest string above every string that starts with `prefix`, in code point order (the
 * order of SQLite's BINARY collation over UTF-8); undefined when no string is above them all.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < 0x10ffff) {
      // Surrogate code points do not exist in UTF-8: the next one after U+D7FF is U+E000.
      points.push(last + 1 === 0xd800 ? 0xe000 : last + 1);
      return String.fromCodePoint(...points);
    }
  }
  return undefined;
}
