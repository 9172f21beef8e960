import type { TopKEntry, TopKJson } from "@heimdal/core";

/** The heaviest entries of a stored top-k table; tolerant of a table missing from older data. */
export function topEntries(table: TopKJson | undefined, n: number): TopKEntry[] {
  if (!table || !Array.isArray(table.entries)) return [];
  return [...table.entries].sort((a, b) => b.weight - a.weight).slice(0, n);
}
