/**
 * Windows network detection over recorded PowerShell outputs (test/fixtures/netconfig-win32/,
 * README there): the CommandRunner is the only thing replaced; parser and selection are real.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NetworkDetectionError } from "@heimdal/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CommandError, type CommandRunner } from "../command-runner.js";
import {
  detectNetwork,
  POWERSHELL_ARGS,
  parseWindowsNetworkJson,
  powershellPath,
  WINDOWS_SCRIPT,
} from "./netconfig.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/netconfig-win32/", import.meta.url));
const ENV = { SystemRoot: "C:\\Windows" };

function recorded(name: string): CommandRunner & { calls: Array<[string, readonly string[]]> } {
  const calls: Array<[string, readonly string[]]> = [];
  const run = (file: string, args: readonly string[]) => {
    calls.push([file, args]);
    return readFileSync(join(fixtures, `${name}.json`), "utf8");
  };
  return Object.assign(run, { calls });
}

describe("detectNetwork on Windows, over recorded outputs", () => {
  it("Wi-Fi at home beside a Hyper-V switch without a default route and a disconnected Ethernet port", () => {
    const run = recorded("wifi-home");
    expect(detectNetwork(run, ENV)).toEqual({
      interfaceName: "Wi-Fi",
      mac: "f4:7b:09:5e:21:a9",
      ipv4: { address: "192.168.1.34", prefixLength: 24 },
      gateway: { ipv4: "192.168.1.1", mac: "a4:91:b1:09:c2:e0" },
      dnsServers: ["192.168.1.1", "fd00::a691:b1ff:fe09:c2e0"],
      ipv6Router: { address: "fe80::a691:b1ff:fe09:c2e0", interfaceName: "Wi-Fi" },
    });
    // One run of Windows PowerShell by its full path, a fixed script as one argument, no shell.
    expect(run.calls).toEqual([["C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", POWERSHELL_ARGS]]);
  });

  it("Ethernet and Wi-Fi on one LAN: the lower route + interface metric wins; PowerShell 5.1's shapes; an Incomplete neighbour leaves the MAC unknown", () => {
    expect(detectNetwork(recorded("ethernet-and-wifi-ps51"), ENV)).toEqual({
      interfaceName: "Ethernet",
      mac: "00:e0:4c:68:1a:b7",
      ipv4: { address: "10.0.0.41", prefixLength: 23 },
      gateway: { ipv4: "10.0.0.1", mac: null },
      dnsServers: ["10.0.0.1"],
      ipv6Router: null,
    });
  });

  it("a WireGuard tunnel with the lowest metric: the Wi-Fi adapter it runs over is chosen, a disconnected TAP adapter ignored", () => {
    expect(detectNetwork(recorded("vpn-wireguard"), ENV)).toEqual({
      interfaceName: "Wi-Fi",
      mac: "dc:21:5c:3a:90:11",
      ipv4: { address: "192.168.0.104", prefixLength: 24 },
      gateway: { ipv4: "192.168.0.1", mac: "50:c7:bf:00:fc:a3" },
      // Wi-Fi lists only the fec0:0:0:ffff::N placeholders: the connected interfaces' resolvers by metric.
      dnsServers: ["10.64.0.1"],
      ipv6Router: null, // the tunnel's ::/0 is on-link, no router
    });
  });

  it("IPv6 only: a clear error naming the router", () => {
    expect(() => detectNetwork(recorded("ipv6-only"), ENV)).toThrow(NetworkDetectionError);
    expect(() => detectNetwork(recorded("ipv6-only"), ENV)).toThrow(
      'Cannot detect the network: only an IPv6 default route (via fe80::1 on "Ethernet"); Heimdal needs an IPv4 address and default route on the local network',
    );
  });

  it("no default route", () => {
    expect(() => detectNetwork(recorded("no-default"), ENV)).toThrow(
      "Cannot detect the network: no default route: is the network up?",
    );
  });

  it("PowerShell missing or printing no JSON", () => {
    const missing: CommandRunner = (file) => {
      throw new CommandError(file, "", true, `"${file}" failed: not installed`);
    };
    expect(() => detectNetwork(missing, {})).toThrow(
      'Cannot detect the network: "powershell.exe" failed: not installed',
    );
    expect(() => detectNetwork(() => "Get-NetRoute : Access is denied.", ENV)).toThrow(
      /^Cannot detect the network: PowerShell printed no JSON/,
    );
    expect(() => detectNetwork(() => "[1, 2]", ENV)).toThrow(
      "Cannot detect the network: PowerShell printed no JSON object",
    );
  });

  it("the script is fixed text and PowerShell's path never comes from a doubtful %SystemRoot%", () => {
    expect(WINDOWS_SCRIPT).toContain("ConvertTo-Json -Depth 4 -Compress");
    expect(POWERSHELL_ARGS.at(-1)).toBe(WINDOWS_SCRIPT);
    expect(powershellPath({ SystemRoot: 'C:\\Windows" & calc' })).toBe("powershell.exe");
    expect(powershellPath({ SYSTEMROOT: "D:\\WINDOWS" })).toBe(
      "D:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    );
  });
});

describe("parseWindowsNetworkJson", () => {
  it("drops the fec0 placeholders, permanent multicast and all-zero neighbour entries, tentative addresses", () => {
    const state = parseWindowsNetworkJson(readFileSync(join(fixtures, "wifi-home.json"), "utf8"));
    expect(state.dns.get(7)).toBeUndefined();
    expect(state.addresses.get(7)).toBeUndefined();
    expect(state.neighbours.filter((n) => n.ifIndex === 12).map((n) => n.ip)).toEqual([
      "239.255.255.250",
      "224.0.0.251",
      "192.168.1.20",
      "192.168.1.1",
    ]);
  });

  it("never throws on arbitrary JSON objects and returns well-formed state", () => {
    const scalar = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer({ min: -5, max: 300 }),
      fc.constantFrom("0.0.0.0", "10.0.0.1", "fe80::1", "Preferred", "Connected", "Disconnected", "AA-BB-CC-DD-EE-FF"),
      fc.constant(null),
    );
    const entry = fc.dictionary(
      fc.constantFrom(
        "ifIndex",
        "InterfaceIndex",
        "InterfaceAlias",
        "NextHop",
        "RouteMetric",
        "InterfaceMetric",
        "ConnectionState",
        "IPAddress",
        "PrefixLength",
        "AddressState",
        "MacAddress",
        "AddressFamily",
        "ServerAddresses",
        "LinkLayerAddress",
        "State",
        "value",
        "Count",
      ),
      fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })),
    );
    const list = fc.oneof(fc.array(entry, { maxLength: 4 }), entry, scalar);
    const keys = ["routes", "routes6", "interfaces", "addresses", "adapters", "dns", "neighbors"] as const;
    const document = fc.record(
      Object.fromEntries(keys.map((k) => [k, list])) as Record<(typeof keys)[number], typeof list>,
      {
        requiredKeys: [],
      },
    );
    const mac = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
    fc.assert(
      fc.property(document, (doc) => {
        const state = parseWindowsNetworkJson(JSON.stringify(doc));
        for (const r of state.routes) {
          expect(r.ifIndex).toBeGreaterThan(0);
          if (r.nextHop !== null) expect(r.nextHop).toMatch(/^\d{1,3}(\.\d{1,3}){3}$/);
        }
        for (const m of state.macs.values()) expect(m).toMatch(mac);
        for (const n of state.neighbours) expect(n.mac).toMatch(mac);
        for (const list of state.addresses.values())
          for (const a of list) expect(a.prefixLength).toBeLessThanOrEqual(32);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseWindowsNetworkJson(text);
        } catch (error) {
          expect(error).toBeInstanceOf(NetworkDetectionError);
        }
      }),
    );
  });
});
