/**
 * detectNetwork over outputs captured from real systems (test/fixtures/netconfig/README.md
 * says how each was made), with and without iproute2, and the parsers under fast-check.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NetworkDetectionError, type NetworkInfo } from "@heimdal/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chooseDefaultRoute,
  type DefaultRoute,
  detectNetwork,
  dnsServers,
  type NetconfigSources,
  parseIpAddrJson,
  parseIpNeighJson,
  parseIpRouteJson,
  parseProcNetArp,
  parseProcNetIpv6Route,
  parseProcNetRoute,
  parseResolvConf,
} from "./netconfig.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/netconfig/", import.meta.url));

const IP_OUTPUTS: Record<string, string> = {
  "-j -4 route show default": "ip-route.out",
  "-j -6 route show default": "ip-route6.out",
  "-j addr show": "ip-addr.out",
  "-j -4 neigh show": "ip-neigh.out",
};
const FILES: Record<string, string> = {
  "/proc/net/route": "proc-net-route",
  "/proc/net/ipv6_route": "proc-net-ipv6_route",
  "/proc/net/arp": "proc-net-arp",
  "/etc/resolv.conf": "resolv.conf",
  "/run/systemd/resolve/resolv.conf": "resolved.conf",
};

/** The system as captured in fixtures/netconfig/NAME; `withoutIp` plays a machine without iproute2. */
function captured(name: string, options: { withoutIp?: boolean } = {}): NetconfigSources & { ipCalls: string[][] } {
  const read = (file: string) => {
    const path = join(fixtures, name, file);
    return existsSync(path) ? readFileSync(path, "utf8") : undefined;
  };
  const ipCalls: string[][] = [];
  return {
    ipCalls,
    ip(args) {
      ipCalls.push([...args]);
      if (options.withoutIp) return undefined;
      const file = IP_OUTPUTS[args.join(" ")];
      if (!file) throw new Error(`unexpected ip ${args.join(" ")}`);
      return read(file) ?? "";
    },
    readFile: (path) => (FILES[path] ? read(FILES[path]) : undefined),
    interfaces: () => JSON.parse(read("node-interfaces.json") ?? "{}"),
    endianness: "LE",
  };
}

const SANDBOX: NetworkInfo = {
  interfaceName: "eth0",
  mac: "02:fc:00:00:00:01",
  ipv4: { address: "192.0.2.2", prefixLength: 24 },
  gateway: { ipv4: "192.0.2.1", mac: "02:fc:00:00:00:05" },
  dnsServers: ["10.255.255.53"],
  ipv6Router: { address: "fd00::1", interfaceName: "eth0" },
};

const TWO_UPLINKS: NetworkInfo = {
  interfaceName: "eth0",
  mac: "00:1b:21:3a:4f:10",
  ipv4: { address: "192.168.1.23", prefixLength: 24 },
  gateway: { ipv4: "192.168.1.1", mac: "00:24:b2:aa:bb:cc" },
  dnsServers: ["192.168.1.1", "10.0.0.1", "fe80::224:b2ff:feaa:bbcc%eth0"],
  ipv6Router: { address: "fe80::224:b2ff:feaa:bbcc", interfaceName: "eth0" },
};

describe("detectNetwork over captured systems", () => {
  it("a container: one uplink, the gateway's neighbour entry in DELAY, an IPv6 default route", () => {
    const sources = captured("sandbox");
    expect(detectNetwork(sources)).toEqual(SANDBOX);
    // Fixed argument arrays only: nothing of anyone's on ip's command line.
    expect(sources.ipCalls).toEqual([
      ["-j", "-4", "route", "show", "default"],
      ["-j", "addr", "show"],
      ["-j", "-4", "neigh", "show"],
      ["-j", "-6", "route", "show", "default"],
    ]);
  });

  it("wired and Wi-Fi uplinks: the lower metric wins, the route's source address beats a secondary one, systemd-resolved's stub is replaced by its upstream servers", () => {
    expect(detectNetwork(captured("two-uplinks"))).toEqual(TWO_UPLINKS);
  });

  it("an uplink without carrier loses to a working one with a higher metric", () => {
    expect(detectNetwork(captured("linkdown"))).toEqual({
      interfaceName: "wlan0",
      mac: "dc:a6:32:01:02:03",
      ipv4: { address: "10.0.0.57", prefixLength: 23 },
      gateway: { ipv4: "10.0.0.1", mac: "00:24:b2:11:22:33" },
      dnsServers: ["10.0.0.1", "1.1.1.1"], // the commented, malformed and repeated lines are skipped
      ipv6Router: null, // its only IPv6 default route has no carrier either
    });
  });

  it("a multipath default route uses its first next hop; an INCOMPLETE neighbour entry leaves the gateway's MAC unknown", () => {
    expect(detectNetwork(captured("multipath-no-neighbour"))).toEqual({
      interfaceName: "eth0",
      mac: "00:1b:21:3a:4f:10",
      ipv4: { address: "192.168.1.23", prefixLength: 24 },
      gateway: { ipv4: "192.168.1.1", mac: null },
      dnsServers: [],
      ipv6Router: { address: "fe80::224:b2ff:feaa:bbcc", interfaceName: "eth0" },
    });
  });

  it("a default route without a next hop (a tunnel or PPP link) has no gateway", () => {
    expect(detectNetwork(captured("default-without-gateway"))).toMatchObject({
      interfaceName: "wlan0",
      ipv4: { address: "10.0.0.57", prefixLength: 23 },
      gateway: null,
    });
  });

  it("says so clearly when there is no default route", () => {
    expect(() => detectNetwork(captured("no-default"))).toThrow(NetworkDetectionError);
    expect(() => detectNetwork(captured("no-default"))).toThrow(
      "Cannot detect the network: no default route: is the network up?",
    );
  });

  it("without iproute2, /proc and os.networkInterfaces() give the same answers", () => {
    expect(detectNetwork(captured("sandbox", { withoutIp: true }))).toEqual(SANDBOX);
    expect(detectNetwork(captured("two-uplinks", { withoutIp: true }))).toEqual(TWO_UPLINKS);
  });

  it("names the command when ip fails or prints something that is not JSON", () => {
    const failing: NetconfigSources = {
      ...captured("sandbox"),
      ip: () => {
        throw new Error('"ip -j -4 route show default" failed: Cannot open netlink socket: Permission denied');
      },
    };
    expect(() => detectNetwork(failing)).toThrow(
      'Cannot detect the network: "ip -j -4 route show default" failed: Cannot open netlink socket: Permission denied',
    );
    const garbled: NetconfigSources = { ...captured("sandbox"), ip: () => "default via 192.0.2.1 dev eth0" };
    expect(() => detectNetwork(garbled)).toThrow(
      /^Cannot detect the network: "ip -j -4 route show default" printed no JSON \(/,
    );
  });

  it("says which interface lacks an IPv4 address", () => {
    const sources = captured("sandbox");
    const noV4: NetconfigSources = {
      ...sources,
      ip: (args) =>
        args.join(" ") === "-j addr show"
          ? JSON.stringify(
              JSON.parse(sources.ip(args)!).map((l: { addr_info: unknown[] }) => ({ ...l, addr_info: [] })),
            )
          : sources.ip(args),
    };
    expect(() => detectNetwork(noV4)).toThrow(
      'Cannot detect the network: "eth0" holds the default route but has no IPv4 address',
    );
  });
});

describe("netconfig parsers", () => {
  it("/proc/net/route and ip agree on the captured systems", () => {
    for (const name of ["sandbox", "two-uplinks", "linkdown", "default-without-gateway", "no-default"]) {
      const read = (f: string) => readFileSync(join(fixtures, name, f), "utf8");
      const fromProc = parseProcNetRoute(read("proc-net-route"), "LE").map((r) => [
        r.interfaceName,
        r.gateway,
        r.metric,
      ]);
      const fromIp = parseIpRouteJson(read("ip-route.out")).map((r) => [r.interfaceName, r.gateway, r.metric]);
      expect({ name, routes: fromProc }).toEqual({ name, routes: fromIp });
    }
  });

  it("reads /proc/net/route's addresses in the machine's byte order", () => {
    const text =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n eth0\t00000000\tC0A80101\t0003\t0\t0\t5\t00000000\n";
    expect(parseProcNetRoute(text, "BE")).toEqual([
      { interfaceName: "eth0", gateway: "192.168.1.1", metric: 5, linkDown: false, preferredSource: null },
    ]);
    expect(parseProcNetRoute(text, "LE")[0]?.gateway).toBe("1.1.168.192");
  });

  it("skips blackhole and unreachable defaults, and neighbour entries without a usable MAC", () => {
    const routes = parseIpRouteJson(
      '[{"type":"blackhole","dst":"default","metric":5,"flags":[]},{"type":"unreachable","dst":"default","dev":"lo","metric":6,"flags":[]},{"dst":"default","gateway":"10.0.0.1","dev":"eth1","flags":[]}]',
    );
    expect(routes.map((r) => r.interfaceName)).toEqual(["eth1"]);
    const neighbours = parseIpNeighJson(
      '[{"dst":"10.0.0.1","dev":"eth1","state":["FAILED"]},{"dst":"10.0.0.2","dev":"eth1","lladdr":"00:11:22:33:44:55","state":["INCOMPLETE"]},{"dst":"10.0.0.3","dev":"eth1","lladdr":"AA:BB:CC:DD:EE:FF","state":["PERMANENT"]}]',
    );
    expect(neighbours).toEqual([{ ip: "10.0.0.3", interfaceName: "eth1", mac: "aa:bb:cc:dd:ee:ff" }]);
    expect(
      parseProcNetArp(
        "IP address       HW type     Flags       HW address            Mask     Device\n" +
          "10.0.0.9         0x1         0x0         00:00:00:00:00:00     *        eth1\n" +
          "10.0.0.1         0x1         0x2         00:24:b2:11:22:33     *        eth1\n",
      ),
    ).toEqual([{ ip: "10.0.0.1", interfaceName: "eth1", mac: "00:24:b2:11:22:33" }]);
  });

  it("keeps systemd-resolved's stub when resolved lists no upstream server", () => {
    const files: Record<string, string> = { "/etc/resolv.conf": "nameserver 127.0.0.53\nnameserver 192.168.1.1\n" };
    expect(dnsServers({ readFile: (p) => files[p] })).toEqual(["127.0.0.53", "192.168.1.1"]);
    files["/run/systemd/resolve/resolv.conf"] = "nameserver 192.168.1.1\nnameserver 9.9.9.9\n";
    expect(dnsServers({ readFile: (p) => files[p] })).toEqual(["192.168.1.1", "9.9.9.9"]);
  });

  it("chooses among default routes: carrier first, then the lowest metric, then the first listed", () => {
    const route = (interfaceName: string, metric: number, linkDown = false): DefaultRoute => ({
      interfaceName,
      gateway: "10.0.0.1",
      metric,
      linkDown,
      preferredSource: null,
    });
    expect(chooseDefaultRoute([])).toBeUndefined();
    expect(chooseDefaultRoute([route("a", 100), route("b", 100)])?.interfaceName).toBe("a");
    expect(chooseDefaultRoute([route("a", 100), route("b", 50)])?.interfaceName).toBe("b");
    expect(chooseDefaultRoute([route("a", 0, true), route("b", 600)])?.interfaceName).toBe("b");
    expect(chooseDefaultRoute([route("a", 5, true), route("b", 1, true)])?.interfaceName).toBe("b");
  });

  it("property: the text parsers never throw and return only well-formed values", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 400 }),
        fc.constantFrom<"LE" | "BE">("LE", "BE"),
        (text, order) => {
          for (const r of parseProcNetRoute(text, order))
            expect(r.gateway === null || /^\d+\.\d+\.\d+\.\d+$/.test(r.gateway)).toBe(true);
          for (const r of parseProcNetIpv6Route(text)) expect(r.gateway).toContain(":");
          for (const n of parseProcNetArp(text)) expect(n.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
          for (const s of parseResolvConf(text)) expect(s).toMatch(/^[0-9a-fA-F:.]+(%[\w.-]+)?$/);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("property: the JSON parsers take any JSON, skip what they do not understand, and reject only non-arrays", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const json = JSON.stringify(value);
        for (const parse of [parseIpRouteJson, parseIpAddrJson, parseIpNeighJson]) {
          if (Array.isArray(value)) expect(Array.isArray(parse(json))).toBe(true);
          else expect(() => parse(json)).toThrow(NetworkDetectionError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("property: a default route written as /proc/net/route reads back in either byte order", () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.stringMatching(/^[a-z][a-z0-9]{0,14}$/),
        fc.constantFrom<"LE" | "BE">("LE", "BE"),
        (gateway, metric, iface, order) => {
          const bytes = gateway.split(".").map((b) => Number(b).toString(16).padStart(2, "0"));
          const hex = (order === "LE" ? bytes.reverse() : bytes).join("").toUpperCase();
          const text = `Iface\tDestination\tGateway\n${iface}\t00000000\t${hex}\t0003\t0\t0\t${metric}\t00000000\t0\t0\t0\n`;
          const expected = gateway === "0.0.0.0" ? null : gateway;
          expect(parseProcNetRoute(text, order)).toEqual([
            { interfaceName: iface, gateway: expected, metric, linkDown: false, preferredSource: null },
          ]);
        },
      ),
    );
  });
});
