export type FlowEndReason = "idle_timeout" | "active_timeout" | "evicted" | "end_of_capture" | "live";

/**
 * A flow as reported when it ends (or as a live snapshot). "Out" is the direction of the
 * initiator, the endpoint that sent the first packet seen; "in" is the responder's.
 */
export interface FlowRecord {
  protocol: number;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** MACs of the first packet (-1 when the link type has none): the initiator's and its next hop's. */
  srcMac: number;
  dstMac: number;
  packetsOut: number;
  packetsIn: number;
  /** Wire bytes including link headers. */
  bytesOut: number;
  bytesIn: number;
  /** Transport payload bytes per the IP/TCP/UDP headers (not the captured bytes). */
  payloadBytesOut: number;
  payloadBytesIn: number;
  tcpFlagsOut: number;
  tcpFlagsIn: number;
  firstSeenUs: number;
  lastSeenUs: number;
  endReason: FlowEndReason;
}
