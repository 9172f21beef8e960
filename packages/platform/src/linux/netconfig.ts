/**
 * Zero-touch network detection on Linux: which interface leads to the internet, our address
 * and prefix on it, the gateway and its MAC, the resolvers, and the IPv6 router. The kernel
 * is asked through iproute2's JSON output (`ip -j`), run with execFile and fixed argument
 * arrays (no shell, and no text of ours or anyone's on its command line); without iproute2,
 * /proc/net/route, /proc/net/ipv6_route, /proc/net/arp and os.networkInterfaces() say the same.
 *
 * The parsers are exported and pure so that tests feed them outputs captured from real
 * systems (packages/platform/test/fixtures/netconfig/).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { endianness, type NetworkInterfaceInfo, networkInterfaces } from "node:os";
import {
  formatIpv6Groups,
  type Ipv4Assignment,
  NetworkDetectionError,
  type NetworkInfo,
  parseIpv4,
} from "@heimdal/core";

/** Where detectNetwork reads the system's state; tests replace it with captured outputs. */
export interface NetconfigSources {
  /**
   * stdout of `ip ARGS` (iproute2), or undefined when ip is not installed. Throws an Error
   * with ip's message when it runs and fails.
   */
  ip(args: readonly string[]): string | undefined;
  /** A file's text, or undefined when it does not exist or cannot be read. */
  readFile(path: string): string | undefined;
  /** os.networkInterfaces(), for addresses when ip is not installed. */
  interfaces(): NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Byte order of /proc/net/route's hexadecimal addresses: the machine's own. */
  endianness: "LE" | "BE";
}

/** A default route: IPv4 when `gateway` is a dotted quad, IPv6 otherwise. */
export interface DefaultRoute {
  interfaceName: string;
  /** Next hop; null for a device route (`default dev wg0`). */
  gateway: string | null;
  metric: number;
  /** The interface has no carrier: the kernel keeps the route but it leads nowhere. */
  linkDown: boolean;
  /** The source address the route prefers (`src`), if it names one. */
  preferredSource: string | null;
}

export interface InterfaceAddresses {
  name: string;
  /** Lower-case MAC of an Ethernet-like link, null for links without one. */
  mac: string | null;
  ipv4: Array<Ipv4Assignment & { secondary: boolean }>;
}

export interface Neighbour {
  ip: string;
  interfaceName: string;
  mac: string;
}

const STUB_RESOLVERS = new Set(["127.0.0.53", "127.0.0.54"]); // systemd-resolved's stub listeners
const RESOLVED_UPSTREAM = "/run/systemd/resolve/resolv.conf";
const IP_CANDIDATES = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"];
const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;
const ATF_COM = 0x2; // a complete ARP entry (include/uapi/linux/if_arp.h)

/**
 * Detects the network this machine is on. Throws NetworkDetectionError when there is no
 * default route ("no default route: is the network up?") or its interface has no IPv4
 * address; the gateway's MAC is null (not an error) when the neighbour table lacks it.
 */
export function detectNetwork(sources: NetconfigSources = systemSources()): NetworkInfo {
  const routes4 = ipOr(sources, ["-j", "-4", "route", "show", "default"], parseIpRouteJson, () =>
    parseProcNetRoute(sources.readFile("/proc/net/route") ?? "", sources.endianness),
  );
  const route = chooseDefaultRoute(routes4.filter((r) => r.gateway === null || parseIpv4(r.gateway) !== undefined));
  if (!route) throw new NetworkDetectionError("Cannot detect the network: no default route: is the network up?");
  const name = route.interfaceName;

  const links = ipOr(sources, ["-j", "addr", "show"], parseIpAddrJson, () => addressesFromNode(sources.interfaces()));
  const link = links.find((l) => l.name === name);
  if (!link) {
    throw new NetworkDetectionError(
      `Cannot detect the network: the default route leads through "${name}", which is not among the interfaces (${links.map((l) => l.name).join(", ") || "none"})`,
    );
  }
  const ipv4 = primaryAddress(link.ipv4, route);
  if (!ipv4) {
    throw new NetworkDetectionError(
      `Cannot detect the network: "${name}" holds the default route but has no IPv4 address`,
    );
  }

  let gateway: NetworkInfo["gateway"] = null;
  if (route.gateway !== null) {
    const neighbours = readNeighbours(sources);
    const entry = neighbours.find((n) => n.ip === route.gateway && n.interfaceName === name);
    gateway = { ipv4: route.gateway, mac: entry?.mac ?? null };
  }

  return {
    interfaceName: name,
    mac: link.mac,
    ipv4: { address: ipv4.address, prefixLength: ipv4.prefixLength },
    gateway,
    dnsServers: dnsServers(sources),
    ipv6Router: ipv6Router(sources, name),
  };
}

/** The real system: iproute2 when installed, /proc and os.networkInterfaces() otherwise. */
/** The kernel's complete IPv4 neighbour entries (`ip -j neigh`, or /proc/net/arp without iproute2). */
export function readNeighbours(sources: NetconfigSources = systemSources()): Neighbour[] {
  return ipOr(sources, ["-j", "-4", "neigh", "show"], parseIpNeighJson, () =>
    parseProcNetArp(sources.readFile("/proc/net/arp") ?? ""),
  );
}

export function systemSources(): NetconfigSources {
  let ipPath: string | undefined;
  return {
    ip(args) {
      ipPath ??= IP_CANDIDATES.find((p) => existsSync(p)) ?? "ip";
      try {
        return execFileSync(ipPath, args, {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
          timeout: 10_000,
          maxBuffer: 16 * 1024 * 1024,
        });
      } catch (error) {
        const e = error as NodeJS.ErrnoException & { stderr?: string };
        if (e.code === "ENOENT") return undefined;
        const reason = (e.stderr ?? "").trim() || e.message;
        throw new Error(`"ip ${args.join(" ")}" failed: ${reason}`, { cause: error });
      }
    },
    readFile(path) {
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
    },
    interfaces: networkInterfaces,
    endianness: endianness(),
  };
}

/** Runs `ip` and parses its output, or takes the fallback when ip is not installed. */
function ipOr<T>(
  sources: NetconfigSources,
  args: readonly string[],
  parse: (json: string, what: string) => T,
  fallback: () => T,
): T {
  let output: string | undefined;
  try {
    output = sources.ip(args);
  } catch (error) {
    throw new NetworkDetectionError(`Cannot detect the network: ${(error as Error).message}`, { cause: error });
  }
  return output === undefined ? fallback() : parse(output, `ip ${args.join(" ")}`);
}

/**
 * The route to use: one with carrier before one without, then the lowest metric, then the
 * first listed (the kernel lists equal routes in the order it would use them).
 */
export function chooseDefaultRoute(routes: readonly DefaultRoute[]): DefaultRoute | undefined {
  let best: DefaultRoute | undefined;
  for (const route of routes) {
    if (!best) best = route;
    else if (best.linkDown !== route.linkDown) {
      if (best.linkDown) best = route;
    } else if (route.metric < best.metric) best = route;
  }
  return best;
}

/** Parses `ip -j route show default` (either family); multipath routes yield their first live next hop. */
export function parseIpRouteJson(json: string, what = "ip -j route"): DefaultRoute[] {
  const routes: DefaultRoute[] = [];
  for (const entry of jsonArray(json, what)) {
    if (!isRecord(entry) || entry.dst !== "default") continue;
    if (entry.type !== undefined && entry.type !== "unicast") continue; // blackhole, unreachable, prohibit
    const metric = typeof entry.metric === "number" && entry.metric >= 0 ? entry.metric : 0;
    const preferredSource = typeof entry.prefsrc === "string" ? entry.prefsrc : null;
    const hops = Array.isArray(entry.nexthops) ? entry.nexthops.filter(isRecord) : [entry];
    const candidates = hops.flatMap((hop) => {
      if (typeof hop.dev !== "string" || hop.dev === "") return [];
      const gateway = typeof hop.gateway === "string" ? hop.gateway : null;
      const flags = [...stringList(entry.flags), ...(hop === entry ? [] : stringList(hop.flags))];
      return [{ interfaceName: hop.dev, gateway, metric, linkDown: flags.includes("linkdown"), preferredSource }];
    });
    const hop = candidates.find((c) => !c.linkDown) ?? candidates[0];
    if (hop) routes.push(hop);
  }
  return routes;
}

/** Parses /proc/net/route: its IPv4 default routes, hex addresses in the machine's byte order. */
export function parseProcNetRoute(text: string, byteOrder: "LE" | "BE"): DefaultRoute[] {
  const routes: DefaultRoute[] = [];
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [iface, destination, gatewayHex, flagsHex, , , metricText, maskHex] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const flags = Number.parseInt(flagsHex, 16);
    if (!(flags & RTF_UP) || destination !== "00000000" || maskHex !== "00000000") continue;
    const gateway = hexIpv4(gatewayHex, byteOrder);
    if (gateway === undefined) continue;
    const metric = Number(metricText);
    routes.push({
      interfaceName: iface,
      gateway: flags & RTF_GATEWAY && gateway !== "0.0.0.0" ? gateway : null,
      metric: Number.isInteger(metric) && metric >= 0 ? metric : 0,
      linkDown: false,
      preferredSource: null,
    });
  }
  return routes;
}

/** Parses /proc/net/ipv6_route: its default routes through a router. */
export function parseProcNetIpv6Route(text: string): DefaultRoute[] {
  const routes: DefaultRoute[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [destination, prefix, , , nextHop, metricHex, , , flagsHex, iface] = f as string[] as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const flags = Number.parseInt(flagsHex, 16);
    if (!/^0{32}$/.test(destination) || prefix !== "00" || !(flags & RTF_UP) || !(flags & RTF_GATEWAY)) continue;
    if (!/^[0-9a-f]{32}$/i.test(nextHop) || /^0{32}$/.test(nextHop) || iface === "lo") continue;
    const groups = Array.from({ length: 8 }, (_, i) => Number.parseInt(nextHop.slice(i * 4, i * 4 + 4), 16));
    routes.push({
      interfaceName: iface,
      gateway: formatIpv6Groups(groups),
      metric: Number.parseInt(metricHex, 16) || 0,
      linkDown: false,
      preferredSource: null,
    });
  }
  return routes;
}

/** Parses `ip -j addr show`: each link's MAC and IPv4 addresses. */
export function parseIpAddrJson(json: string, what = "ip -j addr"): InterfaceAddresses[] {
  const links: InterfaceAddresses[] = [];
  for (const entry of jsonArray(json, what)) {
    if (!isRecord(entry) || typeof entry.ifname !== "string") continue;
    const linkType = entry.link_type;
    const address = typeof entry.address === "string" ? entry.address.toLowerCase() : "";
    const mac = linkType === "ether" && MAC_PATTERN.test(address) ? address : null;
    const ipv4: InterfaceAddresses["ipv4"] = [];
    for (const info of Array.isArray(entry.addr_info) ? entry.addr_info : []) {
      if (!isRecord(info) || info.family !== "inet" || typeof info.local !== "string") continue;
      const prefixLength = info.prefixlen;
      if (parseIpv4(info.local) === undefined || !isPrefixLength(prefixLength)) continue;
      ipv4.push({ address: info.local, prefixLength, secondary: info.secondary === true });
    }
    links.push({ name: entry.ifname, mac, ipv4 });
  }
  return links;
}

/** The same from os.networkInterfaces(), when iproute2 is not installed. */
export function addressesFromNode(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): InterfaceAddresses[] {
  return Object.entries(interfaces).map(([name, infos = []]) => {
    const mac = infos.map((i) => i.mac.toLowerCase()).find((m) => MAC_PATTERN.test(m) && m !== "00:00:00:00:00:00");
    const ipv4 = infos.flatMap((info) => {
      const prefixLength = Number(info.cidr?.split("/")[1]);
      // Node 18.0–18.3 reported the family as the number 4.
      const v4 = info.family === "IPv4" || (info.family as unknown) === 4;
      return v4 && isPrefixLength(prefixLength) ? [{ address: info.address, prefixLength, secondary: false }] : [];
    });
    return { name, mac: mac ?? null, ipv4 };
  });
}

/** Parses `ip -j neigh show`: complete entries only (INCOMPLETE and FAILED carry no MAC we can trust). */
export function parseIpNeighJson(json: string, what = "ip -j neigh"): Neighbour[] {
  const neighbours: Neighbour[] = [];
  for (const entry of jsonArray(json, what)) {
    if (!isRecord(entry) || typeof entry.dst !== "string" || typeof entry.dev !== "string") continue;
    const mac = typeof entry.lladdr === "string" ? entry.lladdr.toLowerCase() : "";
    const state = stringList(entry.state);
    if (!MAC_PATTERN.test(mac) || state.includes("INCOMPLETE") || state.includes("FAILED")) continue;
    neighbours.push({ ip: entry.dst, interfaceName: entry.dev, mac });
  }
  return neighbours;
}

/** Parses /proc/net/arp: complete entries only. */
export function parseProcNetArp(text: string): Neighbour[] {
  const neighbours: Neighbour[] = [];
  for (const line of text.split("\n").slice(1)) {
    const [ip, , flags, mac, , device] = line.trim().split(/\s+/);
    if (ip === undefined || flags === undefined || mac === undefined || device === undefined) continue;
    const lower = mac.toLowerCase();
    if (!(Number.parseInt(flags, 16) & ATF_COM) || !MAC_PATTERN.test(lower) || parseIpv4(ip) === undefined) continue;
    neighbours.push({ ip, interfaceName: device, mac: lower });
  }
  return neighbours;
}

/** The `nameserver` addresses of a resolv.conf, in order, each once; anything else is ignored. */
export function parseResolvConf(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split("\n")) {
    const [keyword, value] = line.trim().split(/\s+/);
    if (keyword !== "nameserver" || value === undefined || !isIpAddress(value)) continue;
    if (!servers.includes(value)) servers.push(value);
  }
  return servers;
}

/**
 * The resolvers in effect: /etc/resolv.conf, where systemd-resolved's stub (127.0.0.53) is
 * replaced by the upstream servers resolved itself uses, when it lists them.
 */
export function dnsServers(sources: Pick<NetconfigSources, "readFile">): string[] {
  const configured = parseResolvConf(sources.readFile("/etc/resolv.conf") ?? "");
  if (!configured.some((s) => STUB_RESOLVERS.has(s))) return configured;
  const upstream = parseResolvConf(sources.readFile(RESOLVED_UPSTREAM) ?? "").filter((s) => !STUB_RESOLVERS.has(s));
  if (upstream.length === 0) return configured;
  const servers: string[] = [];
  for (const server of configured.flatMap((s) => (STUB_RESOLVERS.has(s) ? upstream : [s]))) {
    if (!servers.includes(server)) servers.push(server);
  }
  return servers;
}

function ipv6Router(sources: NetconfigSources, primary: string): NetworkInfo["ipv6Router"] {
  let routes: DefaultRoute[];
  try {
    const output = sources.ip(["-j", "-6", "route", "show", "default"]);
    routes =
      output === undefined
        ? parseProcNetIpv6Route(sources.readFile("/proc/net/ipv6_route") ?? "")
        : parseIpRouteJson(output, "ip -j -6 route show default");
  } catch {
    return null; // a kernel without IPv6 answers with an error: there is no IPv6 router
  }
  const withRouter = routes.filter((r) => r.gateway?.includes(":") && !r.linkDown);
  const route =
    chooseDefaultRoute(withRouter.filter((r) => r.interfaceName === primary)) ?? chooseDefaultRoute(withRouter);
  return route?.gateway ? { address: route.gateway, interfaceName: route.interfaceName } : null;
}

/** The route's source address, else the first primary address whose subnet holds the gateway, else the first. */
function primaryAddress(addresses: InterfaceAddresses["ipv4"], route: DefaultRoute): Ipv4Assignment | undefined {
  const preferred = addresses.find((a) => a.address === route.preferredSource);
  if (preferred) return preferred;
  const primaries = addresses.filter((a) => !a.secondary);
  const gateway = route.gateway === null ? undefined : parseIpv4(route.gateway);
  const onLink =
    gateway === undefined
      ? undefined
      : primaries.find((a) => {
          const size = 2 ** (32 - a.prefixLength);
          return Math.floor(parseIpv4(a.address)! / size) === Math.floor(gateway / size);
        });
  return onLink ?? primaries[0] ?? addresses[0];
}

function jsonArray(json: string, what: string): unknown[] {
  if (json.trim() === "") return []; // older iproute2 prints nothing for an empty table
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new NetworkDetectionError(
      `Cannot detect the network: "${what}" printed no JSON (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  if (!Array.isArray(value))
    throw new NetworkDetectionError(`Cannot detect the network: "${what}" printed no JSON array`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function isPrefixLength(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 32;
}

function isIpAddress(text: string): boolean {
  if (parseIpv4(text) !== undefined) return true;
  // IPv6, optionally with a zone ("fe80::1%eth0"); the resolver itself validates further.
  return /^[0-9a-fA-F:.]{2,45}(%[A-Za-z0-9_.-]{1,15})?$/.test(text) && text.includes(":");
}

function hexIpv4(hex: string, byteOrder: "LE" | "BE"): string | undefined {
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) return undefined;
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return (byteOrder === "LE" ? bytes.reverse() : bytes).join(".");
}
