/**
 * What the tshark oracle asks tshark for, and how it reads the answer. Test-only (used by
 * tshark-oracle.integration.test.ts); pure, so it type-checks with core.
 */

/** Separates the occurrences of one field (tunnels, ICMP errors quoting a packet, QinQ). */
export const AGGREGATOR = "\u001f";

/** Fields in output order; the oracle compares the outermost occurrence unless a check says otherwise. */
export const TSHARK_FIELDS = [
  "frame.number",
  "frame.time_epoch",
  "frame.len",
  "frame.cap_len",
  "frame.protocols",
  "_ws.malformed",
  "eth.src",
  "eth.dst",
  "eth.type",
  "vlan.id",
  "vlan.etype",
  "sll.src.eth",
  "sll.etype",
  "arp.opcode",
  "arp.hw.size",
  "arp.proto.size",
  "arp.src.hw_mac",
  "arp.src.proto_ipv4",
  "arp.dst.hw_mac",
  "arp.dst.proto_ipv4",
  "ip.src",
  "ip.dst",
  "ip.proto",
  "ip.ttl",
  "ip.id",
  "ip.len",
  "ip.hdr_len",
  "ip.flags.mf",
  "ip.frag_offset",
  "ipv6.src",
  "ipv6.dst",
  "ipv6.plen",
  "ipv6.hlim",
  "ipv6.fraghdr.offset",
  "tcp.srcport",
  "tcp.dstport",
  "tcp.flags",
  "tcp.seq_raw",
  "tcp.ack_raw",
  "tcp.window_size_value",
  "tcp.len",
  "udp.srcport",
  "udp.dstport",
  "udp.length",
  "icmp.type",
  "icmp.code",
  "icmp.ident",
  "icmp.seq",
  "icmpv6.type",
  "icmpv6.code",
  "icmpv6.echo.identifier",
  "icmpv6.echo.sequence_number",
  "dns.qry.name",
  "dhcp.option.hostname",
  "tls.handshake.extensions_server_name",
] as const;

export type TsharkField = (typeof TSHARK_FIELDS)[number];

/**
 * Preferences: dissect each packet on its own, as our decoder does. Without these, tshark
 * reassembles IP fragments and TCP streams and shows the result in a later frame.
 */
export const TSHARK_PREFERENCES = [
  "ip.defragment:FALSE",
  "ipv6.defragment:FALSE",
  "tcp.desegment_tcp_streams:FALSE",
  "tcp.analyze_sequence_numbers:FALSE",
  "tcp.relative_sequence_numbers:FALSE",
  "tls.desegment_ssl_records:FALSE",
  "tls.desegment_ssl_application_data:FALSE",
];

/** The arguments of one tshark run over `file` (`limit` packets at most). */
export function tsharkArguments(file: string, limit?: number): string[] {
  const args = ["-n", "-r", file, "-T", "fields", "-E", "separator=/t", "-E", `aggregator=${AGGREGATOR}`];
  for (const preference of TSHARK_PREFERENCES) args.push("-o", preference);
  if (limit !== undefined) args.push("-c", String(limit));
  for (const field of TSHARK_FIELDS) args.push("-e", field);
  return args;
}

const FIELD_INDEX = new Map<string, number>(TSHARK_FIELDS.map((field, index) => [field, index]));

/** One frame as tshark printed it: every occurrence of each field. */
export class TsharkRow {
  private readonly values: string[];
  private layers: string[] | undefined;

  constructor(line: string) {
    this.values = line.split("\t");
  }

  /** All occurrences, outermost first; empty when tshark printed nothing. */
  all(field: TsharkField): string[] {
    const raw = this.values[FIELD_INDEX.get(field)!] ?? "";
    return raw === "" ? [] : raw.split(AGGREGATOR);
  }

  /** The outermost occurrence. */
  first(field: TsharkField): string | undefined {
    const raw = this.values[FIELD_INDEX.get(field)!] ?? "";
    if (raw === "") return undefined;
    const end = raw.indexOf(AGGREGATOR);
    return end < 0 ? raw : raw.slice(0, end);
  }

  has(field: TsharkField): boolean {
    return (this.values[FIELD_INDEX.get(field)!] ?? "") !== "";
  }

  get frameNumber(): number {
    return Number(this.first("frame.number"));
  }

  /** Protocol layers, outermost first ("eth", "ethertype", "ip", "tcp", …). */
  get protocols(): string[] {
    this.layers ??= (this.first("frame.protocols") ?? "").split(":");
    return this.layers;
  }
}

/** Splits tshark's output into rows, one per frame. */
export function parseTsharkOutput(text: string): TsharkRow[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line) => new TsharkRow(line));
}
