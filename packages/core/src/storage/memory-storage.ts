import type { StorageOperation, StorageProvider } from "./storage-provider.js";

/** An in-memory StorageProvider: the reference the SQLite implementation's contract suite also runs against. */
export class MemoryStorage implements StorageProvider {
  private readonly entries = new Map<string, string>();

  get<T = unknown>(key: string): T | undefined {
    const raw = this.entries.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  set(key: string, value: unknown): void {
    this.entries.set(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  list<T = unknown>(prefix: string): { key: string; value: T }[] {
    return [...this.entries.keys()]
      .filter((key) => key.startsWith(prefix))
      .sort()
      .map((key) => ({ key, value: JSON.parse(this.entries.get(key)!) as T }));
  }

  batch(operations: readonly StorageOperation[]): void {
    // Serialise first so a value that cannot be stored leaves nothing half-applied.
    const prepared = operations.map((o) => (o.op === "set" ? { ...o, raw: JSON.stringify(o.value) } : o));
    for (const o of prepared) {
      if (o.op === "set") this.entries.set(o.key, o.raw);
      else this.entries.delete(o.key);
    }
  }

  close(): void {}
}
