/**
 * Choosing the primary interface without asking, the same way on macOS and Windows: among the
 * interfaces holding an IPv4 default route and an IPv4 address, a LAN adapter (one with a MAC:
 * Ethernet, Wi-Fi) before a tunnel (utun, WireGuard), then the lowest metric, then the first
 * listed. A full-tunnel VPN routes everything through its tunnel, but the devices Heimdal
 * watches are on the LAN behind the adapter the tunnel runs over.
 */
import { type Ipv4Assignment, parseIpv4 } from "@heimdal/core";

export interface UplinkCandidate {
  interfaceName: string;
  /** The default route's IPv4 next hop; null for a route straight onto the link (a tunnel). */
  gateway: string | null;
  /** Lower wins; the platform's own measure (Windows: route + interface metric; macOS: service order). */
  metric: number;
  /** The interface's MAC, lower case; null for links without one. */
  mac: string | null;
  /** The interface's usable IPv4 addresses, preferred first. */
  ipv4: Ipv4Assignment[];
}

export function choosePrimaryUplink(candidates: readonly UplinkCandidate[]): UplinkCandidate | undefined {
  let best: UplinkCandidate | undefined;
  for (const c of candidates) {
    if (c.ipv4.length === 0) continue;
    if (best === undefined) best = c;
    else if ((best.mac === null) !== (c.mac === null)) {
      if (best.mac === null) best = c;
    } else if (c.metric < best.metric) best = c;
  }
  return best;
}

/** The address on the gateway's subnet, else the first that is not link-local (169.254/16), else the first. */
export function addressForGateway(
  addresses: readonly Ipv4Assignment[],
  gateway: string | null,
): Ipv4Assignment | undefined {
  const gw = gateway === null ? undefined : parseIpv4(gateway);
  if (gw !== undefined) {
    const onLink = addresses.find((a) => {
      const size = 2 ** (32 - a.prefixLength);
      return Math.floor((parseIpv4(a.address) ?? -1) / size) === Math.floor(gw / size);
    });
    if (onLink) return onLink;
  }
  return addresses.find((a) => !a.address.startsWith("169.254.")) ?? addresses[0];
}

/**
 * A MAC as aa:bb:cc:dd:ee:ff from the spellings systems print: macOS drops leading zeros
 * ("8c:19:b5:2:e1:70"), Windows uses dashes and capitals ("8C-19-B5-02-E1-70"). Null for
 * anything else, and for the all-zero and broadcast addresses (incomplete entries show them).
 */
export function normalizeMac(text: string): string | null {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return null;
  const mac = parts.map((p) => p.toLowerCase().padStart(2, "0")).join(":");
  return mac === "00:00:00:00:00:00" || mac === "ff:ff:ff:ff:ff:ff" ? null : mac;
}

/** Prefix length of a contiguous netmask written as hex ("0xffffff00") or dotted ("255.255.255.0"). */
export function prefixFromNetmask(mask: string): number | undefined {
  const value = /^0x[0-9a-fA-F]{8}$/.test(mask) ? Number.parseInt(mask.slice(2), 16) : parseIpv4(mask);
  if (value === undefined) return undefined;
  const ones = value.toString(2).replace(/0+$/, "");
  if (value !== 0 && /0/.test(ones)) return undefined; // 255.0.255.0 is not a prefix
  return value === 0 ? 0 : ones.length;
}

/** A dotted quad that parseIpv4 accepts, and not 0.0.0.0 (Windows' "on-link" next hop). */
export function isGatewayIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined && text !== "0.0.0.0";
}
