import type { FlowRecord } from "../flow/flow-record.js";
import type { TalkerReport } from "./report.js";

const PROTOCOL_NAMES: Record<number, string> = { 1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp" };

/** Aggregates ended flows into per-host byte totals; runs per flow, not per packet. */
export class TalkerTally {
  private readonly hosts = new Map<string, TalkerReport>();
  private readonly protocols = new Map<string, number>();
  count = 0;

  add(flow: FlowRecord): void {
    this.count++;
    const name = PROTOCOL_NAMES[flow.protocol] ?? `ip-${flow.protocol}`;
    this.protocols.set(name, (this.protocols.get(name) ?? 0) + 1);
    this.account(flow.srcIp, flow.bytesOut, flow.bytesIn, flow.packetsOut + flow.packetsIn);
    this.account(flow.dstIp, flow.bytesIn, flow.bytesOut, flow.packetsOut + flow.packetsIn);
  }

  top(limit: number): TalkerReport[] {
    return [...this.hosts.values()].sort((a, b) => b.bytes - a.bytes || a.ip.localeCompare(b.ip)).slice(0, limit);
  }

  byProtocol(): Record<string, number> {
    return Object.fromEntries([...this.protocols].sort((a, b) => b[1] - a[1]));
  }

  private account(ip: string, sent: number, received: number, packets: number): void {
    let host = this.hosts.get(ip);
    if (!host) {
      host = { ip, bytes: 0, bytesOut: 0, bytesIn: 0, packets: 0, flows: 0 };
      this.hosts.set(ip, host);
    }
    host.bytes += sent + received;
    host.bytesOut += sent;
    host.bytesIn += received;
    host.packets += packets;
    host.flows++;
  }
}
