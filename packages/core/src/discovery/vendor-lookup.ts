/** Maps a MAC's OUI to the organisation that registered it (the IEEE registry). */
export interface VendorLookup {
  /** The registered organisation for a 48-bit MAC number, or undefined. */
  vendorOf(mac: number): string | undefined;
}

/** A lookup over a plain table of 24-bit OUIs, for tests and small deployments. */
export class TableVendorLookup implements VendorLookup {
  constructor(private readonly table: ReadonlyMap<number, string>) {}

  vendorOf(mac: number): string | undefined {
    return this.table.get(Math.floor(mac / 16777216));
  }
}

export const NO_VENDORS: VendorLookup = { vendorOf: () => undefined };
