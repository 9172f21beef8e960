/**
 * Which product and tier may block. Blocking is a gated feature: the hardware sensor may
 * always block; the desktop agent only on Pro and Enterprise (Free sees, never blocks).
 * This one function is the gate until the desktop product's licensing replaces it.
 */
export type ProductEdition = "hardware" | "desktop-free" | "desktop-pro" | "desktop-enterprise";

export const PRODUCT_EDITIONS: readonly ProductEdition[] = [
  "hardware",
  "desktop-free",
  "desktop-pro",
  "desktop-enterprise",
];

export function blockingAllowed(edition: ProductEdition): boolean {
  return edition !== "desktop-free";
}

/** Why an edition may not block, in the words the dashboard shows; undefined when it may. */
export function blockingRefusal(edition: ProductEdition): string | undefined {
  if (blockingAllowed(edition)) return undefined;
  return `The ${edition} edition shows devices and alerts but never blocks: blocking needs Pro, Enterprise or the hardware sensor`;
}

/** Parses an edition name; throws naming the field and the accepted values. */
export function parseProductEdition(text: string, field = "edition"): ProductEdition {
  if ((PRODUCT_EDITIONS as readonly string[]).includes(text)) return text as ProductEdition;
  throw new Error(`${field}: "${text}" is not one of ${PRODUCT_EDITIONS.join(", ")}`);
}
