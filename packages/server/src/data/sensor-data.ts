import { type Repositories, UserSettings } from "@heimdal/core";
import {
  createSqliteRepositories,
  SqliteDatabase,
  SqliteDeviceLabelRepository,
  SqliteSessionRepository,
} from "@heimdal/platform";

/** Results kept at most; all go when the data changes. */
const MAX_CACHED = 64;

/**
 * The sensor's database as the API reads it, with a cache of derived views (device summaries,
 * incidents, traffic totals) that lives exactly as long as the data it came from. The writer is
 * usually another process (`heimdal analyze`, the daemon): SQLite's data_version tells when any
 * other connection committed, and this server counts its own writes.
 */
export class SensorData {
  readonly repositories: Repositories;
  readonly settings: UserSettings;
  /** What the user calls devices: written only through the API. */
  readonly labels: SqliteDeviceLabelRepository;
  readonly sessions: SqliteSessionRepository;
  private readonly db: SqliteDatabase;
  private ownWrites = 0;
  private cachedAt = "";
  private readonly cache = new Map<string, unknown>();

  constructor(readonly path: string) {
    this.db = new SqliteDatabase(path);
    this.repositories = createSqliteRepositories(this.db);
    this.settings = new UserSettings(this.repositories.kv);
    this.labels = new SqliteDeviceLabelRepository(this.db);
    this.sessions = new SqliteSessionRepository(this.db);
  }

  open(): void {
    this.db.open();
  }

  close(): void {
    this.db.close();
  }

  schemaVersion(): number {
    return this.db.schemaVersion();
  }

  /** Changes whenever the stored data may have changed, whoever wrote it. */
  version(): string {
    const row = this.db.run("read the data version", (sql) => sql("PRAGMA data_version").get()) as {
      data_version: number;
    };
    return `${row.data_version}:${this.ownWrites}`;
  }

  /** Call after every write through this server, so cached views are rebuilt. */
  wrote(): void {
    this.ownWrites++;
  }

  /** `compute()` once per data version and key. */
  memo<T>(key: string, compute: () => T): T {
    const version = this.version();
    if (version !== this.cachedAt) {
      this.cache.clear();
      this.cachedAt = version;
    }
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const value = compute();
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, value);
    return value;
  }
}
