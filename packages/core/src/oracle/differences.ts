/**
 * Deliberate differences between our decoding and tshark's. Each rule has an id that heads a
 * section of DIFFERENCES.md, where the reason is written; the oracle test checks that every
 * id here is documented there. A mismatch no rule explains fails the oracle.
 */
import { MALFORMED_REASONS } from "../packet/decoded-packet.js";
import type { PacketContext } from "./field-checks.js";
import type { TsharkRow } from "./tshark-fields.js";

export interface MismatchContext {
  file: string;
  frame: number;
  check: string;
  ours: string | null;
  theirs: string | undefined;
  c: PacketContext;
  row: TsharkRow;
}

export interface DeliberateDifference {
  id: string;
  applies(m: MismatchContext): boolean;
}

const IP_REASONS = new Set(["ipv4_bad_version", "ipv4_bad_header_length", "ipv4_bad_total_length", "ipv6_bad_version"]);

export const DELIBERATE_DIFFERENCES: readonly DeliberateDifference[] = [
  {
    id: "malformed_ip_header_dropped",
    applies: (m) =>
      (m.check === "ip.src" || m.check === "ipv6.src") &&
      m.ours === null &&
      IP_REASONS.has(MALFORMED_REASONS[m.c.p.malformed] ?? "") &&
      m.row.has("_ws.malformed"),
  },
  {
    id: "tls_client_hello_on_any_port",
    applies: (m) =>
      m.check === "tls.handshake.extensions_server_name" &&
      m.ours !== null &&
      m.theirs === undefined &&
      !m.row.protocols.includes("tls"),
  },
];

/** The id of the documented difference that explains `m`, or undefined. */
export function deliberateDifference(m: MismatchContext): string | undefined {
  return DELIBERATE_DIFFERENCES.find((rule) => rule.applies(m))?.id;
}
