/** Reduces a host name to its registrable domain ("eTLD+1": www.bbc.co.uk → bbc.co.uk). */
export interface DomainParser {
  /** The registrable domain, or undefined for names that have none (IP literals, bare suffixes). */
  registrableDomain(name: string): string | undefined;
}

/**
 * The last two labels: right for .com/.net/.org-style names, wrong under multi-label public
 * suffixes (co.uk, com.au). Products inject a Public Suffix List parser; this serves tests.
 */
export const lastTwoLabels: DomainParser = {
  registrableDomain(name: string): string | undefined {
    const labels = name.toLowerCase().replace(/\.$/, "").split(".");
    if (labels.length < 2 || labels.some((l) => l === "")) return undefined;
    return labels.slice(-2).join(".");
  },
};
