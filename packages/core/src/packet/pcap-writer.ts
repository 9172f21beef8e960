import { LinkType } from "./link-type.js";

export interface PcapWriterOptions {
  linkType?: number;
  snapLength?: number;
  /** Bytes buffered before handing a chunk to the sink. */
  chunkBytes?: number;
}

/**
 * Writes classic little-endian microsecond pcap to a sink in chunks. Pure (no file access):
 * the caller decides where the bytes go, so core can generate captures anywhere.
 */
export class PcapWriter {
  private chunk: Uint8Array;
  private view: DataView;
  private used = 0;
  private readonly snapLength: number;
  packets = 0;
  bytes = 0;

  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    options: PcapWriterOptions = {},
  ) {
    this.snapLength = options.snapLength ?? 65535;
    this.chunk = new Uint8Array(options.chunkBytes ?? 1 << 20);
    this.view = new DataView(this.chunk.buffer);
    const v = this.view;
    v.setUint32(0, 0xa1b2c3d4, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true);
    v.setUint32(12, 0, true);
    v.setUint32(16, this.snapLength, true);
    v.setUint32(20, options.linkType ?? LinkType.ETHERNET, true);
    this.used = 24;
  }

  /** Appends one packet; `wireLength` defaults to the frame's length (frames longer than the snap length are cut). */
  write(timestampUs: number, frame: Uint8Array, wireLength: number = frame.length): void {
    const captured = Math.min(frame.length, this.snapLength);
    if (this.used + 16 + captured > this.chunk.length) {
      this.flush();
      if (16 + captured > this.chunk.length) {
        this.chunk = new Uint8Array(16 + captured);
        this.view = new DataView(this.chunk.buffer);
      }
    }
    const v = this.view;
    const seconds = Math.floor(timestampUs / 1e6);
    v.setUint32(this.used, seconds, true);
    v.setUint32(this.used + 4, Math.floor(timestampUs - seconds * 1e6), true);
    v.setUint32(this.used + 8, captured, true);
    v.setUint32(this.used + 12, wireLength, true);
    this.chunk.set(captured === frame.length ? frame : frame.subarray(0, captured), this.used + 16);
    this.used += 16 + captured;
    this.packets++;
    this.bytes += wireLength;
  }

  /** Hands buffered bytes to the sink (a copy: the chunk is reused). */
  flush(): void {
    if (this.used === 0) return;
    this.sink(this.chunk.slice(0, this.used));
    this.used = 0;
  }
}
