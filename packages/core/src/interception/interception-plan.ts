/**
 * Who the interceptor stands between: the gateway and a set of targets, chosen from the
 * devices discovery found (or a configured list) and checked against the guard-rails that
 * keep interception from touching what it must not (the sensor, the gateway itself,
 * broadcast and multicast, addresses outside the subnet, configured exclusions).
 */

import type { NetworkInfo } from "../discovery/network-info.js";
import { formatIpv4, formatMac, isGroupMac, parseIpv4, parseMac } from "../packet/address.js";

export interface InterceptionHost {
  ip: number;
  mac: number;
}

export interface InterceptionPlan {
  interfaceName: string;
  sensor: InterceptionHost;
  gateway: InterceptionHost;
  targets: InterceptionHost[];
}

export interface TargetSelection {
  /** Addresses (IPv4) or MACs never intercepted. */
  exclude?: readonly string[];
  /** Only these addresses, when given (a configured list); otherwise every candidate. */
  only?: readonly string[];
  /** Largest subnet intercepted, in addresses (default 1024, a /22). */
  maxSubnetSize?: number;
  /** Most targets at once (default 254): each costs two frames per refresh. */
  maxTargets?: number;
}

export const INTERCEPTION_DEFAULTS = { maxSubnetSize: 1024, maxTargets: 254 } as const;

/** Interception cannot start; the message says which setting or fact stops it. */
export class InterceptionRefusedError extends Error {
  override name = "InterceptionRefusedError";
}

/**
 * Validates the network for interception and keeps the candidates that may be targets.
 * Throws InterceptionRefusedError when the sensor has no MAC, there is no gateway or its MAC
 * is unknown, the subnet is larger than allowed, or a setting is malformed.
 */
export function planInterception(
  network: NetworkInfo,
  candidates: readonly InterceptionHost[],
  selection: TargetSelection = {},
): InterceptionPlan {
  const where = `on "${network.interfaceName}"`;
  const sensorMac = network.mac === null ? undefined : parseMac(network.mac);
  const sensorIp = parseIpv4(network.ipv4.address);
  if (sensorMac === undefined || sensorIp === undefined) {
    throw new InterceptionRefusedError(`Cannot intercept ${where}: the interface has no Ethernet MAC or IPv4 address`);
  }
  if (!network.gateway) throw new InterceptionRefusedError(`Cannot intercept ${where}: there is no IPv4 gateway`);
  const gatewayIp = parseIpv4(network.gateway.ipv4);
  const gatewayMac = network.gateway.mac === null ? undefined : parseMac(network.gateway.mac);
  if (gatewayIp === undefined || gatewayMac === undefined) {
    throw new InterceptionRefusedError(
      `Cannot intercept ${where}: the gateway's MAC is not known yet (no neighbour entry for ${network.gateway.ipv4})`,
    );
  }
  const maxSubnetSize = selection.maxSubnetSize ?? INTERCEPTION_DEFAULTS.maxSubnetSize;
  const prefix = network.ipv4.prefixLength;
  const size = 2 ** (32 - prefix);
  if (size > maxSubnetSize) {
    throw new InterceptionRefusedError(
      `Cannot intercept ${where}: the subnet /${prefix} has ${size} addresses, more than maxSubnetSize ${maxSubnetSize}`,
    );
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const subnet = (sensorIp & mask) >>> 0;
  const broadcast = (subnet | (~mask >>> 0)) >>> 0;
  const excluded = parseHostList(selection.exclude ?? [], "exclude");
  const only = selection.only ? parseHostList(selection.only, "targets") : undefined;

  const seen = new Set<number>();
  const targets: InterceptionHost[] = [];
  for (const host of candidates) {
    const inSubnet = (host.ip & mask) >>> 0 === subnet && host.ip !== subnet && host.ip !== broadcast;
    if (!inSubnet || isGroupMac(host.mac) || host.mac === 0) continue;
    if (host.ip === sensorIp || host.mac === sensorMac || host.ip === gatewayIp || host.mac === gatewayMac) continue;
    if (excluded.ips.has(host.ip) || excluded.macs.has(host.mac)) continue;
    if (only && !only.ips.has(host.ip) && !only.macs.has(host.mac)) continue;
    if (seen.has(host.ip)) continue;
    seen.add(host.ip);
    targets.push({ ip: host.ip, mac: host.mac });
  }
  const maxTargets = selection.maxTargets ?? INTERCEPTION_DEFAULTS.maxTargets;
  return {
    interfaceName: network.interfaceName,
    sensor: { ip: sensorIp, mac: sensorMac },
    gateway: { ip: gatewayIp, mac: gatewayMac },
    targets: targets.slice(0, maxTargets),
  };
}

function parseHostList(entries: readonly string[], field: string): { ips: Set<number>; macs: Set<number> } {
  const ips = new Set<number>();
  const macs = new Set<number>();
  for (const entry of entries) {
    const ip = parseIpv4(entry);
    const mac = ip === undefined ? parseMac(entry) : undefined;
    if (ip !== undefined) ips.add(ip);
    else if (mac !== undefined) macs.add(mac);
    else throw new InterceptionRefusedError(`${field}: "${entry}" is neither an IPv4 address nor a MAC`);
  }
  return { ips, macs };
}

export function describeHost(host: InterceptionHost): string {
  return `${formatIpv4(host.ip)} (${formatMac(host.mac)})`;
}
