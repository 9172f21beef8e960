/**
 * macOS network detection over recorded command outputs (test/fixtures/netconfig-darwin/,
 * README there): the CommandRunner is the only thing replaced; parsers and selection are real.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NetworkDetectionError } from "@heimdal/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CommandError, type CommandRunner } from "../command-runner.js";
import {
  DARWIN_COMMANDS,
  detectNetwork,
  parseArp,
  parseIfconfig,
  parseNetstatDefaultRoutes,
  parseRouteGet,
  parseScutilDns,
} from "./netconfig.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/netconfig-darwin/", import.meta.url));

const FILES: Record<keyof typeof DARWIN_COMMANDS, string> = {
  routeGetDefault: "route-get-default",
  routeGetDefault6: "route-get-default6",
  netstatRoutes: "netstat-rn",
  ifconfig: "ifconfig",
  arp: "arp",
  scutilDns: "scutil-dns",
};

/**
 * Plays the Mac recorded in fixtures/netconfig-darwin/NAME: NAME/FILE.out is a command's
 * stdout, NAME/FILE.err its stderr when it exited 1 (as `route get` does for a missing route).
 */
function recorded(name: string): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = (file: string, args: readonly string[]) => {
    calls.push([file, ...args]);
    const key = (Object.keys(DARWIN_COMMANDS) as Array<keyof typeof DARWIN_COMMANDS>).find(
      (k) => DARWIN_COMMANDS[k][0] === file && DARWIN_COMMANDS[k][1].join(" ") === args.join(" "),
    );
    if (key === undefined) throw new Error(`unexpected command ${file} ${args.join(" ")}`);
    const base = join(fixtures, name, FILES[key]);
    if (existsSync(`${base}.out`)) return readFileSync(`${base}.out`, "utf8");
    const stderr = existsSync(`${base}.err`) ? readFileSync(`${base}.err`, "utf8").trim() : "";
    throw new CommandError(`${file} ${args.join(" ")}`, stderr, false, `"${file}" failed: ${stderr}`);
  };
  return Object.assign(run, { calls });
}

describe("detectNetwork on macOS, over recorded outputs", () => {
  it("Wi-Fi at home: en0 among inactive adapters, bridges and AWDL; gateway MAC from ARP; default resolvers only", () => {
    const run = recorded("wifi-home");
    expect(detectNetwork(run)).toEqual({
      interfaceName: "en0",
      mac: "3c:22:fb:8a:41:0e",
      ipv4: { address: "192.168.178.23", prefixLength: 24 },
      gateway: { ipv4: "192.168.178.1", mac: "38:10:d5:4e:2b:1c" },
      dnsServers: ["192.168.178.1", "fd00::3a10:d5ff:fe4e:2b1c"],
      ipv6Router: { address: "fe80::3a10:d5ff:fe4e:2b1c", interfaceName: "en0" },
    });
    // Absolute paths and fixed arguments: nothing of anyone's on a command line.
    for (const call of run.calls)
      expect(Object.values(DARWIN_COMMANDS).map(([f, a]) => [f, ...a])).toContainEqual(call);
  });

  it("a full-tunnel VPN: the kernel's default is the MAC-less utun4, the LAN adapter behind it is chosen", () => {
    expect(detectNetwork(recorded("vpn-full-tunnel"))).toEqual({
      interfaceName: "en0",
      mac: "f8:4d:89:71:0a:3b",
      ipv4: { address: "192.168.1.57", prefixLength: 24 },
      gateway: { ipv4: "192.168.1.1", mac: "a4:91:b1:09:c2:e0" },
      dnsServers: ["10.64.0.1"], // the resolver in effect is the VPN's
      ipv6Router: null,
    });
  });

  it("Ethernet above Wi-Fi: the service order's first wins, the on-link address beats a 169.254 one, an incomplete ARP entry leaves the MAC unknown", () => {
    expect(detectNetwork(recorded("ethernet-and-wifi"))).toEqual({
      interfaceName: "en7",
      mac: "00:e0:4c:68:1a:b7",
      ipv4: { address: "10.0.0.41", prefixLength: 23 },
      // en0 knows the gateway's MAC, but the entry of en7 is incomplete: not borrowed across interfaces.
      gateway: { ipv4: "10.0.0.1", mac: null },
      dnsServers: [],
      ipv6Router: null,
    });
  });

  it("IPv6 only: a clear error naming the IPv6 router", () => {
    expect(() => detectNetwork(recorded("ipv6-only"))).toThrow(NetworkDetectionError);
    expect(() => detectNetwork(recorded("ipv6-only"))).toThrow(
      'Cannot detect the network: only an IPv6 default route (via fe80::1 on "en0"); Heimdal needs an IPv4 address and default route on the local network',
    );
  });

  it("no default route at all", () => {
    expect(() => detectNetwork(recorded("no-default"))).toThrow(
      "Cannot detect the network: no default route: is the network up?",
    );
  });

  it("a failing command is named in the error", () => {
    const run: CommandRunner = (file, args) => {
      throw new CommandError(
        `${file} ${args.join(" ")}`,
        "",
        true,
        `"${file} ${args.join(" ")}" failed: not installed`,
      );
    };
    expect(() => detectNetwork(run)).toThrow(
      'Cannot detect the network: "/sbin/route -n get default" failed: not installed',
    );
  });

  it("default routes only through inactive interfaces", () => {
    const run = recorded("wifi-home");
    const inactive: CommandRunner = (file, args) =>
      run(file, args).replace("status: active\nawdl0", "status: inactive\nawdl0");
    expect(() => detectNetwork(inactive)).toThrow(
      "Cannot detect the network: the default routes lead through en0, none of which is active with an IPv4 address",
    );
  });
});

describe("macOS parsers", () => {
  it("route get: the interface, an IPv4 or IPv6 next hop (zone dropped), none for link# routes", () => {
    expect(parseRouteGet("  interface: utun4\n    gateway: link#22\n")).toEqual({
      interfaceName: "utun4",
      gateway: null,
    });
    expect(parseRouteGet("    gateway: FE80::1%en0\n  interface: en0\n")).toEqual({
      interfaceName: "en0",
      gateway: "fe80::1",
    });
    expect(parseRouteGet("route: writing to routing socket: not in table")).toBeNull();
  });

  it("netstat: default rows by header column, old layout with Refs/Use too, scoped flag", () => {
    const text = readFileSync(join(fixtures, "ethernet-and-wifi/netstat-rn.out"), "utf8");
    expect(parseNetstatDefaultRoutes(text)).toEqual([
      { interfaceName: "en7", gateway: "10.0.0.1", scoped: false },
      { interfaceName: "en0", gateway: "10.0.0.1", scoped: true },
    ]);
  });

  it("ifconfig: netmask to prefix, point-to-point addresses, aliases in order, status", () => {
    const vpn = parseIfconfig(readFileSync(join(fixtures, "vpn-full-tunnel/ifconfig.out"), "utf8"));
    expect(vpn.find((i) => i.name === "utun4")).toEqual({
      name: "utun4",
      mac: null,
      ipv4: [{ address: "10.64.0.7", prefixLength: 32 }],
      active: true,
    });
    expect(parseIfconfig("en9: flags=8863<UP> mtu 1500\n\tinet 10.1.2.3 netmask 0xff00ff00\n")[0]?.ipv4).toEqual([]);
  });

  it("arp: leading zeros restored, incomplete entries skipped", () => {
    expect(
      parseArp("? (10.0.0.1) at 0:24:b2:1:2:3 on en0 ifscope [ethernet]\n? (10.0.0.2) at (incomplete) on en0"),
    ).toEqual([{ ip: "10.0.0.1", mac: "00:24:b2:01:02:03", interfaceName: "en0" }]);
  });

  it("scutil: falls back to the primary interface's scoped resolvers when no default resolver lists one", () => {
    const text =
      "DNS configuration\n\nresolver #1\n  domain   : local\n  options  : mdns\n\nDNS configuration (for scoped queries)\n\nresolver #1\n  nameserver[0] : 10.0.0.1\n  if_index : 8 (en7)\n\nresolver #2\n  nameserver[0] : 10.9.9.9\n  if_index : 6 (en0)\n";
    expect(parseScutilDns(text, "en7")).toEqual(["10.0.0.1"]);
  });

  it("never throw on arbitrary text and return well-formed results", () => {
    const line = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom(
        "  interface: en0",
        "    gateway: 192.168.1.1",
        "default            10.0.0.1           UGSc   en7",
        "Destination        Gateway            Flags               Netif Expire",
        "en0: flags=8863<UP> mtu 1500",
        "\tinet 10.0.0.5 netmask 0xffffff00 broadcast 10.0.0.255",
        "\tether 0:1:2:3:4:5",
        "\tstatus: active",
        "? (10.0.0.1) at 0:24:b2:1:2:3 on en0 ifscope [ethernet]",
        "resolver #1",
        "  nameserver[0] : 10.0.0.1",
        "  domain   : local",
        "DNS configuration (for scoped queries)",
      ),
    );
    const mac = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
    const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const text = lines.join("\n");
        const route = parseRouteGet(text);
        if (route !== null) expect(route.interfaceName).toMatch(/^[A-Za-z][A-Za-z0-9._-]*$/);
        for (const r of parseNetstatDefaultRoutes(text)) if (r.gateway !== null) expect(r.gateway).toMatch(ipv4);
        for (const i of parseIfconfig(text)) {
          if (i.mac !== null) expect(i.mac).toMatch(mac);
          for (const a of i.ipv4) {
            expect(a.address).toMatch(ipv4);
            expect(a.prefixLength).toBeGreaterThanOrEqual(0);
            expect(a.prefixLength).toBeLessThanOrEqual(32);
          }
        }
        for (const n of parseArp(text)) expect(n.mac).toMatch(mac);
        for (const s of parseScutilDns(text, "en0")) expect(s).toMatch(/^[0-9a-fA-F:.%A-Za-z_-]+$/);
      }),
      { numRuns: 500 },
    );
  });
});
