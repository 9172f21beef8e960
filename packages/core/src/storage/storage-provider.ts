/**
 * Key-value storage with prefix listing and atomic batches (ARCHITECTURE.md's seam). Values
 * are JSON-serialisable. Implementations: SQLite in platform (the product), memory in tests.
 */
export interface StorageProvider {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  /** Entries whose key starts with `prefix`, in key order. */
  list<T = unknown>(prefix: string): { key: string; value: T }[];
  /** Applies every operation or none. */
  batch(operations: readonly StorageOperation[]): void;
  close(): void;
}

export type StorageOperation = { op: "set"; key: string; value: unknown } | { op: "delete"; key: string };

/** The database cannot take writes now (locked, read-only, disk full, gone); retry later. */
export class StorageUnavailableError extends Error {
  override name = "StorageUnavailableError";
}
