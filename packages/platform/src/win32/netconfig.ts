/**
 * Zero-touch network detection on Windows: one Windows PowerShell run (present on every
 * Windows since 7; a fixed script, no text of ours or anyone's in it, through a CommandRunner
 * with an argument array) asks the NetTCPIP, NetAdapter and DnsClient modules for the default
 * routes, interface metrics, addresses, adapters' MACs, resolvers and neighbours, and prints
 * them as one JSON object. Locale-independent, unlike `route print` and `ipconfig /all`.
 *
 * The primary interface is the one whose default route has the lowest effective metric
 * (route metric + interface metric, what Windows itself uses), among connected adapters with
 * an IPv4 address, a LAN adapter before a MAC-less tunnel (see primary-uplink.ts).
 *
 * The parser is exported and pure; tests feed it outputs recorded on Windows 10 and 11
 * (packages/platform/test/fixtures/netconfig-win32/).
 */
import { type Ipv4Assignment, NetworkDetectionError, type NetworkInfo, parseIpv4 } from "@heimdal/core";
import { type CommandRunner, execFileRunner } from "../command-runner.js";
import { addressForGateway, choosePrimaryUplink, isGatewayIpv4, normalizeMac } from "../primary-uplink.js";

/**
 * Enums are cast to strings in the script: Windows PowerShell 5.1 prints them as numbers,
 * PowerShell 7 as either. @() keeps one-element results arrays.
 */
export const WINDOWS_SCRIPT = [
  "$ErrorActionPreference = 'Stop'",
  "$routes = @(Get-NetRoute -AddressFamily IPv4 -DestinationPrefix '0.0.0.0/0' -ErrorAction SilentlyContinue | Select-Object ifIndex, InterfaceAlias, NextHop, RouteMetric)",
  "$routes6 = @(Get-NetRoute -AddressFamily IPv6 -DestinationPrefix '::/0' -ErrorAction SilentlyContinue | Select-Object ifIndex, InterfaceAlias, NextHop, RouteMetric)",
  "$interfaces = @(Get-NetIPInterface -AddressFamily IPv4 | Select-Object ifIndex, InterfaceAlias, InterfaceMetric, @{n='ConnectionState';e={[string]$_.ConnectionState}})",
  "$addresses = @(Get-NetIPAddress -AddressFamily IPv4 | Select-Object ifIndex, InterfaceAlias, IPAddress, PrefixLength, @{n='AddressState';e={[string]$_.AddressState}})",
  "$adapters = @(Get-NetAdapter | Select-Object ifIndex, Name, InterfaceDescription, MacAddress, @{n='Status';e={[string]$_.Status}})",
  "$dns = @(Get-DnsClientServerAddress | Select-Object InterfaceIndex, InterfaceAlias, @{n='AddressFamily';e={[int]$_.AddressFamily}}, ServerAddresses)",
  "$neighbors = @(Get-NetNeighbor -AddressFamily IPv4 | Select-Object ifIndex, IPAddress, LinkLayerAddress, @{n='State';e={[string]$_.State}})",
  "[pscustomobject]@{ routes = $routes; routes6 = $routes6; interfaces = $interfaces; addresses = $addresses; adapters = $adapters; dns = $dns; neighbors = $neighbors } | ConvertTo-Json -Depth 4 -Compress",
].join("; ");

export const POWERSHELL_ARGS = [
  "-NoProfile",
  "-NonInteractive",
  "-ExecutionPolicy",
  "Bypass",
  "-Command",
  WINDOWS_SCRIPT,
];

/** Windows PowerShell by its full path when %SystemRoot% is known, so a planted powershell.exe on PATH is not run. */
export function powershellPath(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.SystemRoot ?? env.SYSTEMROOT;
  return root && /^[A-Za-z]:\\[^"<>|?*]*$/.test(root)
    ? `${root}\\System32\\WindowsPowerShell\\v1.0\\powershell.exe`
    : "powershell.exe";
}

export interface WindowsRoute {
  ifIndex: number;
  interfaceAlias: string;
  /** Null for "0.0.0.0" / "::" (on-link). */
  nextHop: string | null;
  routeMetric: number;
}

export interface WindowsNetworkState {
  routes: WindowsRoute[];
  routes6: WindowsRoute[];
  /** IPv4 interface metric and connection state by ifIndex. */
  interfaces: Map<number, { metric: number; connected: boolean }>;
  /** Usable IPv4 addresses (Preferred) by ifIndex, in the order listed. */
  addresses: Map<number, Ipv4Assignment[]>;
  /** Adapter MAC by ifIndex (only adapters that have one). */
  macs: Map<number, string>;
  /** Resolver addresses by ifIndex: IPv4 ones first, then IPv6. */
  dns: Map<number, string[]>;
  neighbours: Array<{ ifIndex: number; ip: string; mac: string }>;
}

/**
 * Detects the network this PC is on. Throws NetworkDetectionError when PowerShell cannot be
 * run or prints no JSON, when there is no IPv4 default route, or no connected interface with
 * an IPv4 address behind one.
 */
export function detectNetwork(
  run: CommandRunner = execFileRunner(),
  env: NodeJS.ProcessEnv = process.env,
): NetworkInfo {
  let output: string;
  try {
    output = run(powershellPath(env), POWERSHELL_ARGS);
  } catch (error) {
    throw new NetworkDetectionError(`Cannot detect the network: ${(error as Error).message}`, { cause: error });
  }
  return networkFromState(parseWindowsNetworkJson(output));
}

/** The selection, apart from the parsing: exported for tests of the rules themselves. */
export function networkFromState(state: WindowsNetworkState): NetworkInfo {
  if (state.routes.length === 0) {
    const v6 = state.routes6.find((r) => r.nextHop !== null);
    throw new NetworkDetectionError(
      v6 === undefined
        ? "Cannot detect the network: no default route: is the network up?"
        : `Cannot detect the network: only an IPv6 default route (via ${v6.nextHop} on "${v6.interfaceAlias}"); Heimdal needs an IPv4 address and default route on the local network`,
    );
  }
  const uplink = choosePrimaryUplink(
    state.routes.map((route, position) => {
      const info = state.interfaces.get(route.ifIndex);
      return {
        interfaceName: String(position), // the route's position, to find it again below
        gateway: route.nextHop,
        // Unknown interface metric: last, rather than guessed first.
        metric: route.routeMetric + (info?.metric ?? 100_000),
        mac: state.macs.get(route.ifIndex) ?? null,
        ipv4: info?.connected === false ? [] : (state.addresses.get(route.ifIndex) ?? []),
      };
    }),
  );
  if (!uplink) {
    const names = [...new Set(state.routes.map((r) => `"${r.interfaceAlias}"`))].join(", ");
    throw new NetworkDetectionError(
      `Cannot detect the network: the default routes lead through ${names}, none of which is connected with an IPv4 address`,
    );
  }
  const route = state.routes[Number(uplink.interfaceName)] as WindowsRoute;
  const ifIndex = route.ifIndex;
  const ipv4 = addressForGateway(uplink.ipv4, uplink.gateway) as Ipv4Assignment;
  const gateway =
    uplink.gateway === null
      ? null
      : {
          ipv4: uplink.gateway,
          mac: state.neighbours.find((n) => n.ifIndex === ifIndex && n.ip === uplink.gateway)?.mac ?? null,
        };
  const router6 =
    state.routes6.filter((r) => r.nextHop !== null).find((r) => r.ifIndex === ifIndex) ??
    state.routes6.find((r) => r.nextHop !== null);
  return {
    interfaceName: route.interfaceAlias,
    mac: uplink.mac,
    ipv4: { address: ipv4.address, prefixLength: ipv4.prefixLength },
    gateway,
    dnsServers: dnsServers(state, ifIndex),
    ipv6Router: router6 ? { address: router6.nextHop as string, interfaceName: router6.interfaceAlias } : null,
  };
}

/** The primary interface's resolvers; when it has none, those of the others by interface metric. */
function dnsServers(state: WindowsNetworkState, primary: number): string[] {
  const own = state.dns.get(primary) ?? [];
  if (own.length > 0) return own;
  const others = [...state.dns.entries()]
    .filter(([index]) => index !== primary && state.interfaces.get(index)?.connected !== false)
    .sort(([a], [b]) => (state.interfaces.get(a)?.metric ?? 100_000) - (state.interfaces.get(b)?.metric ?? 100_000));
  return [...new Set(others.flatMap(([, servers]) => servers))];
}

/**
 * Parses the script's JSON. Tolerates what ConvertTo-Json does on either PowerShell: a lone
 * object where an array was meant, Windows PowerShell 5.1's `{"value": [...], "Count": n}`
 * array wrapper, enums as numbers or names, and missing fields; entries it cannot use are
 * skipped. Throws NetworkDetectionError only when the text is not a JSON object.
 */
export function parseWindowsNetworkJson(text: string): WindowsNetworkState {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new NetworkDetectionError(
      `Cannot detect the network: PowerShell printed no JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
  if (!isRecord(value)) throw new NetworkDetectionError("Cannot detect the network: PowerShell printed no JSON object");

  const state: WindowsNetworkState = {
    routes: routesOf(value.routes, "0.0.0.0"),
    routes6: routesOf(value.routes6, "::"),
    interfaces: new Map(),
    addresses: new Map(),
    macs: new Map(),
    dns: new Map(),
    neighbours: [],
  };
  for (const entry of records(value.interfaces)) {
    const ifIndex = index(entry.ifIndex);
    const metric = nonNegative(entry.InterfaceMetric);
    if (ifIndex === undefined || metric === undefined) continue;
    state.interfaces.set(ifIndex, { metric, connected: !/^(disconnected|0)$/i.test(String(entry.ConnectionState)) });
  }
  for (const entry of records(value.addresses)) {
    const ifIndex = index(entry.ifIndex);
    const address = typeof entry.IPAddress === "string" ? entry.IPAddress : "";
    const prefixLength = nonNegative(entry.PrefixLength);
    // Preferred (4) only: Tentative and Duplicate addresses are not in use.
    const usable = entry.AddressState === undefined || /^(preferred|4)$/i.test(String(entry.AddressState));
    if (ifIndex === undefined || !isGatewayIpv4(address) || prefixLength === undefined || prefixLength > 32) continue;
    if (!usable) continue;
    const list = state.addresses.get(ifIndex) ?? [];
    list.push({ address, prefixLength });
    state.addresses.set(ifIndex, list);
  }
  for (const entry of records(value.adapters)) {
    const ifIndex = index(entry.ifIndex);
    const mac = typeof entry.MacAddress === "string" ? normalizeMac(entry.MacAddress) : null;
    if (ifIndex !== undefined && mac !== null) state.macs.set(ifIndex, mac);
  }
  const dns4 = new Map<number, string[]>();
  const dns6 = new Map<number, string[]>();
  for (const entry of records(value.dns)) {
    const ifIndex = index(entry.InterfaceIndex);
    if (ifIndex === undefined) continue;
    for (const server of stringsOf(entry.ServerAddresses)) {
      const v4 = isGatewayIpv4(server);
      // fec0:0:0:ffff::1..3: the deprecated site-local defaults Windows lists when nothing is configured.
      if (!v4 && (!isIpv6(server) || /^fec0:0:0:ffff::[123](%|$)/i.test(server))) continue;
      const map = v4 ? dns4 : dns6;
      const list = map.get(ifIndex) ?? [];
      if (!list.includes(server)) list.push(server);
      map.set(ifIndex, list);
    }
  }
  for (const ifIndex of new Set([...dns4.keys(), ...dns6.keys()])) {
    state.dns.set(ifIndex, [...(dns4.get(ifIndex) ?? []), ...(dns6.get(ifIndex) ?? [])]);
  }
  for (const entry of records(value.neighbors)) {
    const ifIndex = index(entry.ifIndex);
    const ip = typeof entry.IPAddress === "string" ? entry.IPAddress : "";
    const mac = typeof entry.LinkLayerAddress === "string" ? normalizeMac(entry.LinkLayerAddress) : null;
    // Unreachable (0) and Incomplete (1) entries carry no MAC to trust.
    const complete = !/^(unreachable|incomplete|0|1)$/i.test(String(entry.State));
    if (ifIndex !== undefined && isGatewayIpv4(ip) && mac !== null && complete)
      state.neighbours.push({ ifIndex, ip, mac });
  }
  return state;
}

function routesOf(value: unknown, onLink: string): WindowsRoute[] {
  const routes: WindowsRoute[] = [];
  for (const entry of records(value)) {
    const ifIndex = index(entry.ifIndex);
    const routeMetric = nonNegative(entry.RouteMetric) ?? 0;
    const alias = typeof entry.InterfaceAlias === "string" && entry.InterfaceAlias !== "" ? entry.InterfaceAlias : null;
    const hop = typeof entry.NextHop === "string" ? entry.NextHop.toLowerCase() : "";
    if (ifIndex === undefined || alias === null) continue;
    const valid = onLink === "::" ? isIpv6(hop) : parseIpv4(hop) !== undefined;
    if (!valid) continue;
    routes.push({ ifIndex, interfaceAlias: alias, nextHop: hop === onLink ? null : hop, routeMetric });
  }
  return routes;
}

/** An array of objects from what ConvertTo-Json made of one: an array, one object, or 5.1's {value, Count}. */
function records(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.filter(isRecord);
  if (isRecord(value)) {
    if (Array.isArray(value.value) && "Count" in value) return value.value.filter(isRecord);
    return [value];
  }
  return [];
}

function stringsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  const list = Array.isArray(value) ? value : isRecord(value) && Array.isArray(value.value) ? value.value : [];
  return list.filter((v): v is string => typeof v === "string");
}

function index(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined;
}

function nonNegative(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function isIpv6(text: string): boolean {
  return /^[0-9a-fA-F:.]{2,45}(%[A-Za-z0-9_.-]{1,15})?$/.test(text) && text.includes(":");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
