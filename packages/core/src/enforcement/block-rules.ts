/**
 * Blocking decisions as data: quarantine a device, or block a destination (an address, a
 * CIDR block or a domain) for one device or for all, with an optional expiry and a record
 * of who or what decided. Everything here is validated before a firewall sees it: MACs,
 * addresses and domain names are checked against strict grammars, so no text from the
 * network or a user reaches the firewall's command language unchecked.
 */
import { formatMac, isGroupMac, parseIpv4, parseMac } from "../packet/address.js";

export type BlockRule =
  | {
      kind: "device";
      id: string;
      /** The quarantined device (lower case). */
      mac: string;
      /** Its IPv4 addresses, so traffic toward it is stopped too. */
      ips: string[];
      decidedBy: string;
      reason: string;
      /** ISO 8601 UTC. */
      createdAt: string;
      expiresAt: string | null;
    }
  | {
      kind: "destination";
      id: string;
      /** An IPv4 address, an IPv4 CIDR block, or a domain name (lower case). */
      destination: string;
      /** Addresses the domain resolved to when blocked (empty for an address). */
      resolved: string[];
      /** Only this device's traffic, or null for every device. */
      mac: string | null;
      decidedBy: string;
      reason: string;
      createdAt: string;
      expiresAt: string | null;
    };

export type DestinationKind = "ipv4" | "cidr" | "domain";

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** A unicast MAC in canonical form; throws naming the field. */
export function validateBlockMac(text: string, field = "mac"): string {
  const mac = parseMac(text.trim());
  if (mac === undefined) throw new Error(`${field}: "${text}" is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  if (isGroupMac(mac)) throw new Error(`${field}: ${text} is a broadcast or multicast address, not a device`);
  return formatMac(mac);
}

/** Classifies and canonicalises a destination; throws naming the field. */
export function validateDestination(text: string, field = "destination"): { value: string; kind: DestinationKind } {
  const value = text.trim().toLowerCase();
  const [address, prefix, extra] = value.split("/");
  if (address !== undefined && parseIpv4(address) !== undefined && extra === undefined) {
    if (prefix === undefined) return { value, kind: "ipv4" };
    const bits = /^\d{1,2}$/.test(prefix) ? Number(prefix) : Number.NaN;
    if (bits >= 0 && bits <= 32) return { value, kind: "cidr" };
    throw new Error(`${field}: "${text}" has a prefix length outside 0-32`);
  }
  if (DOMAIN.test(value)) return { value, kind: "domain" };
  throw new Error(`${field}: "${text}" is neither an IPv4 address, an IPv4 CIDR block nor a domain name`);
}

/** Seconds until expiry, validated; null means no expiry. Throws naming the field. */
export function expiryFrom(nowMs: number, seconds: number | null, field = "expires"): string | null {
  if (seconds === null) return null;
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds > 366 * 86400) {
    throw new Error(`${field}: ${seconds} must be a whole number of seconds between 1 and 31622400`);
  }
  return new Date(nowMs + seconds * 1000).toISOString();
}

/** Whether a rule is still in force at `nowMs`. */
export function blockRuleActive(rule: BlockRule, nowMs: number): boolean {
  return rule.expiresAt === null || Date.parse(rule.expiresAt) > nowMs;
}
