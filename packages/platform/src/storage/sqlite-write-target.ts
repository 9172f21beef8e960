import { applyWrites, type Repositories, type RepositoryWrite, type WriteTarget } from "@heimdal/core";
import type { SqliteDatabase } from "./sqlite-database.js";
import { createSqliteRepositories } from "./sqlite-repositories.js";

/**
 * Where the BatchedWriter's batches go: one write transaction per batch, so a batch is stored
 * whole or not at all (a crash mid-batch leaves the previous batch as the last one). Throws
 * StorageUnavailableError while the database is locked, read-only or full.
 */
export class SqliteWriteTarget implements WriteTarget<RepositoryWrite> {
  constructor(
    private readonly db: SqliteDatabase,
    /** Repositories over the same database (default: new ones). */
    private readonly repositories: Repositories = createSqliteRepositories(db),
  ) {}

  apply(writes: readonly RepositoryWrite[]): void {
    if (writes.length === 0) return;
    this.db.transaction(`write a batch of ${writes.length} records`, () => applyWrites(this.repositories, writes));
  }
}
