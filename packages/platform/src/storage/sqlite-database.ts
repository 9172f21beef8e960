import { StorageUnavailableError } from "@heimdal/core";
import Database from "better-sqlite3";
import { MIGRATIONS, type Migration } from "./migrations.js";
import type { SqlStatements } from "./sql-statements.js";

export interface SqliteDatabaseOptions {
  /**
   * How long a write waits for another connection's lock before it fails (default 500 ms).
   * better-sqlite3 is synchronous: the wait blocks the event loop, so keep it short; a failed
   * batch stays queued in the BatchedWriter and is retried.
   */
  busyTimeoutMs?: number;
  /**
   * "NORMAL" (default): in WAL mode a commit survives the process being killed, and the file
   * stays consistent through a power loss, which may undo the last commits. "FULL" makes
   * commits survive a power loss too, at an fsync per commit.
   */
  synchronous?: "NORMAL" | "FULL";
  /** Wall clock, ms since the epoch, for schema_version.applied_at (default Date.now). */
  now?: () => number;
  /** The schema (default MIGRATIONS). */
  migrations?: readonly Migration[];
}

export { jsonText, type SqlStatements } from "./sql-statements.js";

/** Failures that pass: another writer holds the lock, the disk is full or read-only, the file is gone. */
const TRANSIENT = /^SQLITE_(BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN|PROTOCOL|NOMEM)/;
/** Failures a new connection may cure: the file was read-only or replaced when this one opened it. */
const REOPEN = /^SQLITE_(READONLY|IOERR|CANTOPEN)/;

/**
 * One SQLite file through better-sqlite3: WAL journal (readers never wait for the writer),
 * foreign keys on, a short busy timeout, and the schema migrated at open. Failures that pass
 * become StorageUnavailableError; when the file was read-only or vanished, the connection is
 * dropped and the next use opens the file again, so a database that comes back is used again.
 */
export class SqliteDatabase {
  private connection: Database.Database | null = null;
  private readonly statements = new Map<string, Database.Statement>();
  private closed = false;

  constructor(
    readonly path: string,
    private readonly options: SqliteDatabaseOptions = {},
  ) {}

  /**
   * Opens the file (created when missing) and applies pending migrations. Throws a
   * StorageUnavailableError naming the file when it cannot be opened now, and an Error when it
   * is not a Heimdal database this version can use.
   */
  open(): void {
    this.connect();
  }

  get isOpen(): boolean {
    return this.connection !== null;
  }

  /** The newest migration applied to the file. */
  schemaVersion(): number {
    return this.run("read the schema version", () => currentVersion(this.connect()));
  }

  /**
   * Runs `work` with the connection's prepared statements, opening the file first if needed.
   * SQLite failures that pass are rethrown as StorageUnavailableError; others unchanged.
   */
  run<T>(action: string, work: (sql: SqlStatements) => T): T {
    const connection = this.connect();
    try {
      return work(this.sql);
    } catch (error) {
      // Inside a transaction the outermost call decides, after its rollback.
      if (!connection.inTransaction && REOPEN.test(sqliteCode(error) ?? "")) this.disconnect();
      throw this.describe(action, error);
    }
  }

  /** Like run(), in one write transaction (BEGIN IMMEDIATE); nested calls become savepoints. */
  transaction<T>(action: string, work: (sql: SqlStatements) => T): T {
    return this.run(action, (sql) =>
      this.connect()
        .transaction(() => work(sql))
        .immediate(),
    );
  }

  /** Closes the file (idempotent); later use throws StorageUnavailableError. */
  close(): void {
    this.closed = true;
    this.disconnect();
  }

  private readonly sql: SqlStatements = (text) => {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.connect().prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  };

  private connect(): Database.Database {
    if (this.connection) return this.connection;
    if (this.closed) throw new StorageUnavailableError(`Cannot use the database "${this.path}": it was closed`);
    let connection: Database.Database;
    try {
      connection = new Database(this.path, { timeout: this.options.busyTimeoutMs ?? 500 });
    } catch (error) {
      // better-sqlite3 checks the directory itself ("the directory does not exist"): a disk
      // not mounted yet may come, so that, like SQLite's CANTOPEN, may pass.
      throw openError(this.path, error, sqliteCode(error) === undefined);
    }
    try {
      connection.pragma("journal_mode = WAL");
      connection.pragma(`synchronous = ${this.options.synchronous ?? "NORMAL"}`);
      connection.pragma("foreign_keys = ON");
      migrate(connection, this.path, this.options.migrations ?? MIGRATIONS, this.options.now ?? Date.now);
    } catch (error) {
      try {
        connection.close();
      } catch {
        // The open failed; there is nothing more to release.
      }
      throw openError(this.path, error, false);
    }
    this.connection = connection;
    return connection;
  }

  private disconnect(): void {
    const connection = this.connection;
    this.connection = null;
    this.statements.clear();
    try {
      connection?.close();
    } catch {
      // Closing a connection whose file failed: nothing more to release.
    }
  }

  private describe(action: string, error: unknown): unknown {
    if (error instanceof StorageUnavailableError) return error;
    const code = sqliteCode(error);
    if (code === undefined || !TRANSIENT.test(code)) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new StorageUnavailableError(`Cannot ${action} in "${this.path}": ${message} (${code})`, { cause: error });
  }
}

/** The SQLite result code ("SQLITE_BUSY") of an error or of what caused it. */
export function sqliteCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return code;
  }
  return undefined;
}

/** Why a file could not be opened, naming it: StorageUnavailableError when that may pass. */
function openError(path: string, error: unknown, transient: boolean): unknown {
  const code = sqliteCode(error);
  // Without a code and not from the constructor: ours (a newer schema, naming the file) or a bug.
  if (!(error instanceof Error) || (code === undefined && !transient)) return error;
  const message = `Cannot open the database "${path}": ${error.message}${code === undefined ? "" : ` (${code})`}`;
  return transient || TRANSIENT.test(code ?? "")
    ? new StorageUnavailableError(message, { cause: error })
    : new Error(message, { cause: error });
}

function currentVersion(connection: Database.Database): number {
  const table = connection
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .get();
  if (table === undefined) return 0;
  const row = connection.prepare("SELECT max(version) AS version FROM schema_version").get() as {
    version: number | null;
  };
  return row.version ?? 0;
}

/**
 * Applies the migrations the file lacks, all in one transaction, and records each. A file that
 * is up to date is only read, so a read-only database still opens for reading.
 */
function migrate(connection: Database.Database, path: string, migrations: readonly Migration[], now: () => number) {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration "${m.name}" has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  const newer = (version: number) =>
    new Error(
      `The database "${path}" has schema version ${version}, newer than this Heimdal knows (${latest}): ` +
        "use the Heimdal that wrote it, or another file",
    );
  const found = currentVersion(connection);
  if (found > latest) throw newer(found);
  if (found === latest) return;
  connection
    .transaction(() => {
      connection.exec(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
      );
      // Another process may have migrated between the read above and this write lock.
      const version = currentVersion(connection);
      if (version > latest) throw newer(version);
      const record = connection.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)");
      // Statements of the data steps, prepared once each during the migration.
      const statements = new Map<string, Database.Statement>();
      const sql: SqlStatements = (text) => {
        let statement = statements.get(text);
        if (!statement) {
          statement = connection.prepare(text);
          statements.set(text, statement);
        }
        return statement;
      };
      for (const m of migrations.slice(version)) {
        connection.exec(m.sql);
        m.after?.(sql);
        record.run(m.version, m.name, now());
      }
    })
    .immediate();
}
