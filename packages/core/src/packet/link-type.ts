/** Link-layer header types (tcpdump.org/linktypes.html) that the decoders understand. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW as OpenBSD numbers it; some captures carry 12 or 14 for raw IP. */
  RAW_OPENBSD: 12,
  RAW_14: 14,
  RAW: 101,
  LINUX_SLL: 113,
  /** Per-Packet Information header (used by some 802.11 captures) wrapping another link type. */
  PPI: 192,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const supported = new Set<number>([
  LinkType.ETHERNET,
  LinkType.RAW,
  LinkType.RAW_OPENBSD,
  LinkType.RAW_14,
  LinkType.LINUX_SLL,
  LinkType.IPV4,
  LinkType.IPV6,
  LinkType.LINUX_SLL2,
  LinkType.NULL,
  LinkType.PPI,
]);

export function isSupportedLinkType(linkType: number): boolean {
  return supported.has(linkType);
}
