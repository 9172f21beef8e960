/** Small measurements of DNS names and strings shared by the DNS detectors. */

const counts = new Int32Array(65536);
const seen: number[] = [];

/** Shannon entropy of the characters of `text`, in bits per character (0 for empty text). */
export function shannonEntropy(text: string): number {
  const n = text.length;
  if (n === 0) return 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (counts[c] === 0) seen.push(c);
    counts[c]!++;
  }
  let h = 0;
  for (const c of seen) {
    const p = counts[c]! / n;
    h -= p * Math.log2(p);
    counts[c] = 0;
  }
  seen.length = 0;
  return h;
}

/** Names that never leave the LAN or are reverse lookups: never tunnels, never DGA. */
const LOCAL_SUFFIXES = [".arpa", ".local", ".lan", ".home", ".internal", ".localdomain", ".corp", ".intranet"];

export function isLocalName(name: string): boolean {
  if (!name.includes(".")) return true;
  for (const suffix of LOCAL_SUFFIXES) if (name.endsWith(suffix)) return true;
  return false;
}

/** A label that can be a top-level domain: letters (2..24) or an IDNA A-label. */
const TLD = /^(?:[a-z]{2,24}|xn--[a-z0-9-]{2,59})$/;

export function hasPlausibleTld(name: string): boolean {
  const dot = name.lastIndexOf(".");
  return TLD.test(dot < 0 ? name : name.slice(dot + 1));
}

/** Lower case, without a trailing dot. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}
