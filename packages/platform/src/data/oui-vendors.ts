import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { VendorLookup } from "@heimdal/core";

const require = createRequire(import.meta.url);

/**
 * The IEEE MA-L registry as the `oui-data` package ships it (maintained upstream, refreshed
 * from the IEEE's public listing), loaded once into a map of 24-bit OUI to organisation name.
 */
export class OuiVendorLookup implements VendorLookup {
  private constructor(private readonly table: Map<number, string>) {}

  /** Loads the registry; throws with the package path when it is missing or unreadable. */
  static load(): OuiVendorLookup {
    // The package exports its JSON as the main entry: resolve that, read it ourselves.
    const path = require.resolve("oui-data");
    let raw: Record<string, string>;
    try {
      raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
    } catch (error) {
      throw new Error(`Cannot read the OUI registry at "${path}": ${(error as Error).message}`, { cause: error });
    }
    const table = new Map<number, string>();
    for (const [prefix, entry] of Object.entries(raw)) {
      if (!/^[0-9A-Fa-f]{6}$/.test(prefix)) continue;
      // Entries are "Organisation\nstreet\ncity\ncountry"; the first line is the name.
      const name = entry.split("\n", 1)[0]?.trim();
      if (name) table.set(Number.parseInt(prefix, 16), name);
    }
    return new OuiVendorLookup(table);
  }

  get size(): number {
    return this.table.size;
  }

  vendorOf(mac: number): string | undefined {
    return this.table.get(Math.floor(mac / 16777216));
  }
}

let shared: OuiVendorLookup | undefined;

/** One registry per process: 50,000 entries are worth loading once. */
export function ouiVendors(): OuiVendorLookup {
  shared ??= OuiVendorLookup.load();
  return shared;
}
