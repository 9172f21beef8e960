/**
 * What the sensor knows about the network it sits on, found without asking the user
 * ("zero-touch"): the platform layer detects it (platform/src/netconfig.ts picks linux/, darwin/ or win32/netconfig.ts), and core
 * components such as the ActiveScanner act on it. Addresses are text, as people and the
 * JSON report write them: IPv4 as a dotted quad, MACs as aa:bb:cc:dd:ee:ff (lower case).
 */
export interface NetworkInfo {
  /** The primary interface: the one holding the IPv4 default route (lowest metric wins). */
  interfaceName: string;
  /** The interface's MAC; null on links without one (tun, ppp, wireguard). */
  mac: string | null;
  /** The interface's IPv4 address and prefix length (the route's source address when it names one). */
  ipv4: Ipv4Assignment;
  /**
   * The next hop of the default route; null when the route names none (a point-to-point
   * link, or an interface that is not the primary one).
   */
  gateway: GatewayInfo | null;
  /** The resolvers in effect, in order (systemd-resolved's stub replaced by its upstream servers). */
  dnsServers: string[];
  /** The IPv6 default router, when there is one (usually a link-local address). */
  ipv6Router: Ipv6RouterInfo | null;
}

export interface Ipv4Assignment {
  address: string;
  /** 0 to 32. */
  prefixLength: number;
}

export interface GatewayInfo {
  ipv4: string;
  /**
   * The gateway's MAC from the kernel's neighbour table; null when the table holds no
   * complete entry for it yet. An ARP request answers that later (the ActiveScanner's sweep
   * includes the gateway), so consumers should also recognise the gateway by its address.
   */
  mac: string | null;
}

export interface Ipv6RouterInfo {
  address: string;
  /** The interface the router is reached on (a link-local address means nothing without it). */
  interfaceName: string;
}

/** The network cannot be detected; the message says why (no default route, no address, …). */
export class NetworkDetectionError extends Error {
  override name = "NetworkDetectionError";
}
