/** Formatting and classification of the numeric addresses DecodedPacket carries. */

const TWO_32 = 4294967296;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** aa:bb:cc:dd:ee:ff from a 48-bit MAC number. */
export function formatMac(mac: number): string {
  const high = Math.floor(mac / TWO_32);
  const low = mac >>> 0;
  return `${HEX[(high >> 8) & 0xff]}:${HEX[high & 0xff]}:${HEX[low >>> 24]}:${HEX[(low >>> 16) & 0xff]}:${HEX[(low >>> 8) & 0xff]}:${HEX[low & 0xff]}`;
}

/** Parses aa:bb:cc:dd:ee:ff (or with dashes) to a MAC number; undefined when malformed. */
export function parseMac(text: string): number | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^[0-9a-fA-F]{2}$/.test(part)) return undefined;
    value = value * 256 + Number.parseInt(part, 16);
  }
  return value;
}

export function formatIpv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

/**
 * Dotted quad to its number: four parts of one to three ASCII digits (leading zeros allowed),
 * each at most 255. Character by character, because detectors ask this of every flow's
 * addresses and splitting allocated on the packet path.
 */
export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 3) return undefined;
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

/** True when four words hold an IPv4-mapped address (::ffff:a.b.c.d). */
export function isMappedIpv4(words: ArrayLike<number>): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}

/** An IP address from its four words: dotted quad for mapped IPv4, RFC 5952 text for IPv6. */
export function formatIp(words: ArrayLike<number>): string {
  if (isMappedIpv4(words)) return formatIpv4(words[3]!);
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = words[i]!;
    groups.push(w >>> 16, w & 0xffff);
  }
  return formatIpv6Groups(groups);
}

/** RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
export function formatIpv6Groups(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}

/** Group bit set: broadcast and multicast destinations (IEEE 802: first octet bit 0). */
export function isGroupMac(mac: number): boolean {
  return (firstOctet(mac) & 0x01) !== 0;
}

/**
 * The first octet of a MAC number (bits 40–47), as Math.floor(mac / 2^40) would give it
 * (−1 for the −1 of "no MAC"). Multiplies by 2^−32 instead of dividing: this runs for every
 * packet, and the subtraction leaves an exact multiple of 2^32.
 */
function firstOctet(mac: number): number {
  return (((mac - (mac >>> 0)) * 2.3283064365386963e-10) | 0) >> 8;
}

/** Locally administered bit: set by randomised ("private") MAC addresses. */
export function isLocallyAdministeredMac(mac: number): boolean {
  return (firstOctet(mac) & 0x02) !== 0;
}

/** RFC 1918, RFC 6598 shared, link-local and loopback IPv4: addresses that belong to a LAN. */
export function isPrivateIpv4(address: number): boolean {
  const a = address >>> 24;
  const b = (address >>> 16) & 0xff;
  return (
    a === 10 ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b < 128) ||
    a === 127
  );
}

/** A unicast address a local device can own: private/link-local IPv4, or IPv6 link-local/ULA. */
export function isLocalUnicast(words: ArrayLike<number>): boolean {
  if (isMappedIpv4(words)) {
    const v4 = words[3]!;
    return v4 !== 0 && isPrivateIpv4(v4) && (v4 & 0xff) !== 0xff;
  }
  const top = words[0]! >>> 16;
  // fe80::/10 link-local, fc00::/7 unique local.
  return (top & 0xffc0) === 0xfe80 || (top & 0xfe00) === 0xfc00;
}
