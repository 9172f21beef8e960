import { formatIp, formatIpv4, formatMac, isGroupMac, isLocalUnicast, isPrivateIpv4 } from "../packet/address.js";
import type { DecodedPacket } from "../packet/decoded-packet.js";
import type { DeviceReport } from "./report.js";

interface Entry {
  packets: number;
  bytes: number;
  ips: Set<string>;
  /** Last (address word 3, word 0) pair added, so repeated packets skip the set. */
  lastIpKey: number;
}

/**
 * Local stations by source MAC with the LAN addresses they use. Only addresses that can
 * belong to a LAN host are kept (private IPv4, IPv6 link-local/ULA, ARP claims): a gateway's
 * MAC carries every internet address as a source, and those are not its own.
 */
export class DeviceInventory {
  private readonly entries = new Map<number, Entry>();

  observe(p: DecodedPacket): void {
    const mac = p.srcMac;
    if (mac < 0 || isGroupMac(mac) || mac === 0) return;
    let entry = this.entries.get(mac);
    if (!entry) {
      entry = { packets: 0, bytes: 0, ips: new Set(), lastIpKey: -1 };
      this.entries.set(mac, entry);
    }
    entry.packets++;
    entry.bytes += p.wireLength;
    if (p.isArp) {
      const ip = p.arpSenderIp;
      if (ip !== 0 && p.arpSenderMac === mac && isPrivateIpv4(ip) && entry.lastIpKey !== ip) {
        entry.lastIpKey = ip;
        entry.ips.add(formatIpv4(ip));
      }
      return;
    }
    if (p.ipVersion === 0) return;
    const words = p.srcAddress;
    const key = (words[3]! ^ words[0]!) >>> 0;
    if (key === entry.lastIpKey) return;
    if (!isLocalUnicast(words)) return;
    entry.lastIpKey = key;
    entry.ips.add(formatIp(words));
  }

  report(): DeviceReport[] {
    const devices: DeviceReport[] = [];
    for (const [mac, entry] of this.entries) {
      devices.push({ mac: formatMac(mac), ips: [...entry.ips].sort(compareIps), packets: entry.packets, bytes: entry.bytes });
    }
    return devices.sort((a, b) => b.bytes - a.bytes || a.mac.localeCompare(b.mac));
  }
}

/** IPv4 before IPv6, numeric order within IPv4. */
function compareIps(a: string, b: string): number {
  const a4 = !a.includes(":");
  const b4 = !b.includes(":");
  if (a4 !== b4) return a4 ? -1 : 1;
  if (a4) {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  }
  return a.localeCompare(b);
}
