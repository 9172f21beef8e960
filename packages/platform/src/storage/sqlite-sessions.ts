import type { SqliteDatabase } from "./sqlite-database.js";

/** A login session as stored: the SHA-256 of its cookie value, never the value itself. */
export interface StoredSession {
  tokenHash: string;
  user: string;
  /** Wall clock, ms since the epoch. */
  createdAt: number;
  lastUsedAt: number;
}

interface Row {
  token_hash: string;
  user: string;
  created_at: number;
  last_used_at: number;
}

/** The dashboard's sessions, so that they outlive a restart of the server. */
export class SqliteSessionRepository {
  constructor(private readonly db: SqliteDatabase) {}

  insert(session: StoredSession): void {
    this.db.run("store a session", (sql) =>
      sql("INSERT INTO sessions (token_hash, user, created_at, last_used_at) VALUES (?, ?, ?, ?)").run(
        session.tokenHash,
        session.user,
        session.createdAt,
        session.lastUsedAt,
      ),
    );
  }

  get(tokenHash: string): StoredSession | undefined {
    const row = this.db.run("read a session", (sql) =>
      sql("SELECT * FROM sessions WHERE token_hash = ?").get(tokenHash),
    ) as Row | undefined;
    return row === undefined
      ? undefined
      : { tokenHash: row.token_hash, user: row.user, createdAt: row.created_at, lastUsedAt: row.last_used_at };
  }

  touch(tokenHash: string, lastUsedAt: number): void {
    this.db.run("record a session's use", (sql) =>
      sql("UPDATE sessions SET last_used_at = ? WHERE token_hash = ?").run(lastUsedAt, tokenHash),
    );
  }

  delete(tokenHash: string): void {
    this.db.run("delete a session", (sql) => sql("DELETE FROM sessions WHERE token_hash = ?").run(tokenHash));
  }

  /** Removes sessions last used before `idleBefore` or created before `createdBefore`; how many went. */
  prune(idleBefore: number, createdBefore: number): number {
    return this.db.run(
      "prune expired sessions",
      (sql) =>
        sql("DELETE FROM sessions WHERE last_used_at < ? OR created_at < ?").run(idleBefore, createdBefore).changes,
    );
  }

  /** Keeps the `keep` most recently used sessions and removes the rest. */
  trim(keep: number): void {
    this.db.run("remove the least recently used sessions", (sql) =>
      sql(
        `DELETE FROM sessions WHERE token_hash NOT IN
           (SELECT token_hash FROM sessions ORDER BY last_used_at DESC, created_at DESC LIMIT ?)`,
      ).run(Math.max(0, keep)),
    );
  }

  count(): number {
    return this.db.run("count sessions", (sql) => sql("SELECT count(*) FROM sessions").pluck().get()) as number;
  }
}
