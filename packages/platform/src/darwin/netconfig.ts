/**
 * Zero-touch network detection on macOS: the primary interface, its address and prefix, the
 * gateway and its MAC, the resolvers and the IPv6 router, from the system's own tools run
 * through a CommandRunner (absolute paths, fixed argument arrays, no shell):
 *
 *   /sbin/route -n get default          the kernel's choice of default route
 *   /usr/sbin/netstat -rn -f inet       every IPv4 default route (a VPN's and the LAN's)
 *   /sbin/ifconfig -a                   MACs, IPv4 addresses and netmasks
 *   /usr/sbin/arp -a -n                 the gateway's MAC
 *   /usr/sbin/scutil --dns              the resolvers in effect
 *   /sbin/route -n get -inet6 default   the IPv6 router
 *
 * The parsers are exported and pure; tests feed them outputs recorded on macOS
 * (packages/platform/test/fixtures/netconfig-darwin/).
 */
import { type Ipv4Assignment, NetworkDetectionError, type NetworkInfo } from "@heimdal/core";
import { CommandError, type CommandRunner, execFileRunner } from "../command-runner.js";
import {
  addressForGateway,
  choosePrimaryUplink,
  isGatewayIpv4,
  normalizeMac,
  prefixFromNetmask,
} from "../primary-uplink.js";

export const DARWIN_COMMANDS = {
  routeGetDefault: ["/sbin/route", ["-n", "get", "default"]],
  routeGetDefault6: ["/sbin/route", ["-n", "get", "-inet6", "default"]],
  netstatRoutes: ["/usr/sbin/netstat", ["-rn", "-f", "inet"]],
  ifconfig: ["/sbin/ifconfig", ["-a"]],
  arp: ["/usr/sbin/arp", ["-a", "-n"]],
  scutilDns: ["/usr/sbin/scutil", ["--dns"]],
} as const satisfies Record<string, readonly [string, readonly string[]]>;

/** One `route -n get` answer: the interface and the next hop (null for a route onto the link). */
export interface DarwinRoute {
  interfaceName: string;
  gateway: string | null;
}

/** One default row of `netstat -rn`: `scoped` (flag I) routes serve only their interface. */
export interface DarwinDefaultRoute extends DarwinRoute {
  scoped: boolean;
}

export interface DarwinInterface {
  name: string;
  mac: string | null;
  /** In the order ifconfig lists them: the first is the primary address, the others aliases. */
  ipv4: Ipv4Assignment[];
  /** `status: active`, or no status line at all (loopback, tunnels); false for `inactive`. */
  active: boolean;
}

export interface DarwinNeighbour {
  ip: string;
  interfaceName: string;
  mac: string;
}

/**
 * Detects the network this Mac is on. Throws NetworkDetectionError when there is no IPv4
 * default route or no interface with an address behind one; the gateway's MAC is null when
 * the ARP table does not hold it yet, the resolvers an empty list when scutil fails.
 */
export function detectNetwork(run: CommandRunner = execFileRunner()): NetworkInfo {
  const ask = (command: readonly [string, readonly string[]]) => runOrExplain(run, command);
  const kernelChoice = routeOrNull(run, DARWIN_COMMANDS.routeGetDefault, parseRouteGet);
  const defaults = parseNetstatDefaultRoutes(ask(DARWIN_COMMANDS.netstatRoutes));
  if (kernelChoice === null && defaults.length === 0) {
    const v6 = routeOrNull(run, DARWIN_COMMANDS.routeGetDefault6, parseRouteGet);
    throw new NetworkDetectionError(
      v6 === null
        ? "Cannot detect the network: no default route: is the network up?"
        : `Cannot detect the network: only an IPv6 default route (via ${v6.gateway ?? "the link"} on "${v6.interfaceName}"); Heimdal needs an IPv4 address and default route on the local network`,
    );
  }
  const interfaces = parseIfconfig(ask(DARWIN_COMMANDS.ifconfig));
  // The kernel's choice first, then unscoped defaults, then scoped ones: macOS's service order.
  const ordered: DarwinRoute[] = [
    ...(kernelChoice ? [kernelChoice] : []),
    ...defaults.filter((r) => !r.scoped),
    ...defaults.filter((r) => r.scoped),
  ];
  const uplink = choosePrimaryUplink(
    ordered.map((route, index) => {
      const link = interfaces.find((i) => i.name === route.interfaceName);
      return {
        interfaceName: route.interfaceName,
        gateway: route.gateway,
        metric: index,
        mac: link?.mac ?? null,
        ipv4: link?.active ? link.ipv4 : [],
      };
    }),
  );
  if (!uplink) {
    const names = [...new Set(ordered.map((r) => r.interfaceName))].join(", ");
    throw new NetworkDetectionError(
      `Cannot detect the network: the default routes lead through ${names}, none of which is active with an IPv4 address`,
    );
  }
  const ipv4 = addressForGateway(uplink.ipv4, uplink.gateway) as Ipv4Assignment;

  let gateway: NetworkInfo["gateway"] = null;
  if (uplink.gateway !== null) {
    const neighbours = parseArp(optional(run, DARWIN_COMMANDS.arp));
    const entry = neighbours.find((n) => n.ip === uplink.gateway && n.interfaceName === uplink.interfaceName);
    gateway = { ipv4: uplink.gateway, mac: entry?.mac ?? null };
  }

  return {
    interfaceName: uplink.interfaceName,
    mac: uplink.mac,
    ipv4: { address: ipv4.address, prefixLength: ipv4.prefixLength },
    gateway,
    dnsServers: parseScutilDns(optional(run, DARWIN_COMMANDS.scutilDns), uplink.interfaceName),
    ipv6Router: ipv6Router(run),
  };
}

function ipv6Router(run: CommandRunner): NetworkInfo["ipv6Router"] {
  const route = routeOrNull(run, DARWIN_COMMANDS.routeGetDefault6, parseRouteGet);
  if (route?.gateway == null || !route.gateway.includes(":")) return null;
  return { address: route.gateway, interfaceName: route.interfaceName };
}

/** `route -n get` exits 1 with "not in table" when there is no such route: that is an answer, not a failure. */
function routeOrNull(
  run: CommandRunner,
  [file, args]: readonly [string, readonly string[]],
  parse: (text: string) => DarwinRoute | null,
): DarwinRoute | null {
  try {
    return parse(run(file, args));
  } catch (error) {
    if (error instanceof CommandError && /not in table/i.test(error.stderr)) return null;
    throw explain(error);
  }
}

function runOrExplain(run: CommandRunner, [file, args]: readonly [string, readonly string[]]): string {
  try {
    return run(file, args);
  } catch (error) {
    throw explain(error);
  }
}

/** What a missing helper (the ARP table, the resolvers) costs is a field left empty, not the detection. */
function optional(run: CommandRunner, [file, args]: readonly [string, readonly string[]]): string {
  try {
    return run(file, args);
  } catch {
    return "";
  }
}

function explain(error: unknown): NetworkDetectionError {
  return new NetworkDetectionError(`Cannot detect the network: ${(error as Error).message}`, { cause: error });
}

/** Parses `route -n get [-inet6] default`: null when it names no interface. IPv6 zones ("%en0") are dropped. */
export function parseRouteGet(text: string): DarwinRoute | null {
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(\\S+)\\s*$`, "m").exec(text)?.[1];
  const interfaceName = field("interface");
  if (interfaceName === undefined || !isInterfaceName(interfaceName)) return null;
  const raw = field("gateway");
  let gateway: string | null = null;
  if (raw !== undefined) {
    const address = raw.replace(/%.*$/, "");
    if (isGatewayIpv4(address) || /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/.test(address)) gateway = address.toLowerCase();
    // "link#12" or a MAC: a route straight onto the link, no next hop.
  }
  return { interfaceName, gateway };
}

/** Parses `netstat -rn -f inet`: its `default` rows, in the order listed. Columns are found by the header. */
export function parseNetstatDefaultRoutes(text: string): DarwinDefaultRoute[] {
  const routes: DarwinDefaultRoute[] = [];
  let columns: string[] | undefined;
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === "Destination") {
      columns = fields;
      continue;
    }
    if (columns === undefined || fields[0] !== "default") continue;
    const at = (name: string) => {
      const index = columns?.indexOf(name) ?? -1;
      return index < 0 ? undefined : fields[index];
    };
    const interfaceName = at("Netif");
    const gateway = at("Gateway") ?? "";
    const flags = at("Flags") ?? "";
    if (interfaceName === undefined || !isInterfaceName(interfaceName) || !/^[A-Za-z0-9]+$/.test(flags)) continue;
    routes.push({ interfaceName, gateway: isGatewayIpv4(gateway) ? gateway : null, scoped: flags.includes("I") });
  }
  return routes;
}

/** Parses `ifconfig -a`: each interface's MAC (`ether`), IPv4 addresses and whether it is active. */
export function parseIfconfig(text: string): DarwinInterface[] {
  const interfaces: DarwinInterface[] = [];
  let current: DarwinInterface | undefined;
  for (const line of text.split("\n")) {
    const header = /^([A-Za-z][A-Za-z0-9._-]{0,31}): flags=/.exec(line);
    if (header) {
      current = { name: header[1] as string, mac: null, ipv4: [], active: true };
      interfaces.push(current);
      continue;
    }
    if (current === undefined || !/^\s/.test(line)) continue;
    const words = line.trim().split(/\s+/);
    if (words[0] === "ether" && words[1] !== undefined) current.mac = normalizeMac(words[1]);
    else if (words[0] === "status:") current.active = words[1] === "active";
    else if (words[0] === "inet" && words[1] !== undefined) {
      const mask = words[words.indexOf("netmask") + 1];
      const prefixLength = words.includes("netmask") && mask !== undefined ? prefixFromNetmask(mask) : undefined;
      if (isGatewayIpv4(words[1]) && prefixLength !== undefined) current.ipv4.push({ address: words[1], prefixLength });
    }
  }
  return interfaces;
}

/** Parses `arp -a -n`: complete entries (`? (192.168.1.1) at 8c:19:b5:2:e1:70 on en0 ifscope [ethernet]`). */
export function parseArp(text: string): DarwinNeighbour[] {
  const neighbours: DarwinNeighbour[] = [];
  for (const line of text.split("\n")) {
    const m = /^\S*\s*\(([0-9.]{7,15})\) at (\S+) on ([A-Za-z0-9._-]{1,32})(?:\s|$)/.exec(line.trim());
    if (!m) continue;
    const mac = normalizeMac(m[2] as string);
    if (mac === null || !isGatewayIpv4(m[1] as string)) continue; // "(incomplete)"
    neighbours.push({ ip: m[1] as string, mac, interfaceName: m[3] as string });
  }
  return neighbours;
}

/**
 * Parses `scutil --dns`: the name servers of the default resolvers (those without a `domain`,
 * which serve every name), in order, each once. Supplemental resolvers (`domain : local`, a
 * VPN's split domains) and the scoped section are skipped, unless no default resolver lists
 * a server: then the scoped resolvers of the primary interface are used.
 */
export function parseScutilDns(text: string, primaryInterface: string): string[] {
  interface Resolver {
    scoped: boolean;
    domain: boolean;
    interfaceName: string | null;
    servers: string[];
  }
  const resolvers: Resolver[] = [];
  let scopedSection = false;
  let current: Resolver | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (/^DNS configuration/.test(line)) {
      scopedSection = /scoped/i.test(line);
      current = undefined;
    } else if (/^resolver #\d+$/.test(line)) {
      current = { scoped: scopedSection, domain: false, interfaceName: null, servers: [] };
      resolvers.push(current);
    } else if (current !== undefined) {
      const m = /^([a-z_ ]+?)(?:\[\d+\])?\s*:\s*(.*)$/.exec(line);
      if (!m) continue;
      const [, key, value = ""] = m;
      if (key === "domain") current.domain = true;
      else if (key === "nameserver" && isResolverAddress(value)) current.servers.push(value);
      else if (key === "if_index") current.interfaceName = /\(([^)]+)\)/.exec(value)?.[1] ?? null;
    }
  }
  const pick = (list: Resolver[]) => [...new Set(list.flatMap((r) => r.servers))];
  const global = pick(resolvers.filter((r) => !r.scoped && !r.domain));
  if (global.length > 0) return global;
  return pick(resolvers.filter((r) => r.scoped && !r.domain && r.interfaceName === primaryInterface));
}

function isInterfaceName(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9._-]{0,31}$/.test(text);
}

function isResolverAddress(text: string): boolean {
  if (isGatewayIpv4(text)) return true;
  return /^[0-9a-fA-F:.]{2,45}(%[A-Za-z0-9_.-]{1,15})?$/.test(text) && text.includes(":");
}
