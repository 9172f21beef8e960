/**
 * A batch of captured packets laid out as parallel typed arrays over one backing buffer.
 *
 * Why this shape: the hot path touches every packet, so a batch hands out offsets into
 * shared bytes instead of one object (or one Buffer view) per packet. A batch is valid only
 * until the source produces the next one; consumers that keep bytes must copy them.
 */
export interface PacketBatch {
  /** Number of packets in this batch; arrays below may be longer. */
  count: number;
  /** Backing bytes; packet i occupies data[offsets[i] .. offsets[i] + capturedLengths[i]). */
  data: Uint8Array;
  offsets: Uint32Array;
  capturedLengths: Uint32Array;
  /** Length on the wire; byte counts always use this, never the captured length. */
  wireLengths: Uint32Array;
  /** Packet time in microseconds since the Unix epoch (nanosecond sources are rounded down). */
  timestampsUs: Float64Array;
  /** Link-layer type of each packet (pcapng files may mix interfaces of several types). */
  linkTypes: Uint16Array;
}

/** Allocates an empty batch able to hold `capacity` packets over `data`. */
export function createPacketBatch(capacity: number, data: Uint8Array = new Uint8Array(0)): PacketBatch {
  return {
    count: 0,
    data,
    offsets: new Uint32Array(capacity),
    capturedLengths: new Uint32Array(capacity),
    wireLengths: new Uint32Array(capacity),
    timestampsUs: new Float64Array(capacity),
    linkTypes: new Uint16Array(capacity),
  };
}
