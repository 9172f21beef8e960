import { describe, expect, it } from "vitest";
import type { NetworkInfo } from "../discovery/network-info.js";
import { parseIpv4, parseMac } from "../packet/address.js";
import { InterceptionRefusedError, planInterception } from "./interception-plan.js";

const network: NetworkInfo = {
  interfaceName: "eth0",
  mac: "02:00:00:00:00:5e",
  ipv4: { address: "192.168.1.5", prefixLength: 24 },
  gateway: { ipv4: "192.168.1.1", mac: "02:00:00:00:00:01" },
  dnsServers: ["192.168.1.1"],
  ipv6Router: null,
};
const host = (ipText: string, macText: string) => ({ ip: parseIpv4(ipText)!, mac: parseMac(macText)! });

describe("planInterception", () => {
  it("keeps devices of the subnet and drops the sensor, the gateway, group MACs and outsiders", () => {
    const plan = planInterception(network, [
      host("192.168.1.10", "02:00:00:00:00:10"),
      host("192.168.1.5", "02:00:00:00:00:99"), // the sensor's address
      host("192.168.1.11", "02:00:00:00:00:5e"), // the sensor's MAC
      host("192.168.1.1", "02:00:00:00:00:01"), // the gateway
      host("192.168.1.12", "01:00:5e:00:00:fb"), // multicast MAC
      host("192.168.1.255", "02:00:00:00:00:13"), // broadcast address
      host("192.168.2.14", "02:00:00:00:00:14"), // another subnet
      host("192.168.1.10", "02:00:00:00:00:15"), // the same address twice: first wins
      host("192.168.1.16", "02:00:00:00:00:16"),
    ]);
    expect(plan.targets).toEqual([
      host("192.168.1.10", "02:00:00:00:00:10"),
      host("192.168.1.16", "02:00:00:00:00:16"),
    ]);
    expect(plan.gateway).toEqual(host("192.168.1.1", "02:00:00:00:00:01"));
    expect(plan.sensor).toEqual(host("192.168.1.5", "02:00:00:00:00:5e"));
  });

  it("applies exclusions by address or MAC and a configured list of targets", () => {
    const candidates = [1, 2, 3, 4].map((n) => host(`192.168.1.${20 + n}`, `02:00:00:00:01:0${n}`));
    const excluded = planInterception(network, candidates, { exclude: ["192.168.1.21", "02:00:00:00:01:02"] });
    expect(excluded.targets.map((t) => t.ip & 0xff)).toEqual([23, 24]);
    const only = planInterception(network, candidates, { only: ["192.168.1.24"] });
    expect(only.targets.map((t) => t.ip & 0xff)).toEqual([24]);
    expect(planInterception(network, candidates, { maxTargets: 2 }).targets).toHaveLength(2);
  });

  it("refuses with the reason: large subnet, unknown gateway MAC, no gateway, bad exclusion", () => {
    const wide = { ...network, ipv4: { address: "10.0.0.5", prefixLength: 16 } };
    expect(() => planInterception(wide, [])).toThrow(/65536 addresses, more than maxSubnetSize 1024/);
    expect(() => planInterception(network, [], { maxSubnetSize: 128 })).toThrow(InterceptionRefusedError);
    expect(() => planInterception({ ...network, gateway: { ipv4: "192.168.1.1", mac: null } }, [])).toThrow(
      /gateway's MAC is not known/,
    );
    expect(() => planInterception({ ...network, gateway: null }, [])).toThrow(/no IPv4 gateway/);
    expect(() => planInterception({ ...network, mac: null }, [])).toThrow(/no Ethernet MAC/);
    expect(() => planInterception(network, [], { exclude: ["printer"] })).toThrow(
      /exclude: "printer" is neither an IPv4 address nor a MAC/,
    );
  });
});
