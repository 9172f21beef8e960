/**
 * What a live flow carried since it was last reported: the flow table reports every flow that
 * saw packets, about once a second of packet time and once more when it ends, so consumers
 * that only need volumes (bytes per device and hour, per device and destination) read the
 * flow table's own counters instead of counting every packet again.
 *
 * One object is reused for every report (nothing is allocated per flow): read it in the
 * callback, never keep it. Addresses are four big-endian words, IPv4 mapped as ::ffff:a.b.c.d.
 */
export interface FlowProgress {
  protocol: number;
  /** The initiator (A, sender of the flow's first packet) and the responder (B). */
  readonly addressA: Uint32Array;
  readonly addressB: Uint32Array;
  portA: number;
  portB: number;
  /** MACs of the flow's first packet (-1 when the link type has none). */
  macA: number;
  macB: number;
  /** Wire bytes since the last report, A → B and B → A. */
  bytesAB: number;
  bytesBA: number;
  /** The flow's last packet (µs, packet time). */
  lastUs: number;
  /** Packet time of the report (µs): the tick, or the packet that ended the flow. */
  nowUs: number;
}

export type FlowProgressListener = (progress: FlowProgress) => void;
