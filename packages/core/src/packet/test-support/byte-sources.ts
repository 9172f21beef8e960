/**
 * ByteSource variants for reader tests: short reads (as a pipe or a slow disk gives them) and
 * a read budget that turns a reader stuck in a loop into a test failure instead of a hang.
 */
import type { ByteSource } from "../byte-source.js";

export class ChunkedByteSource implements ByteSource {
  /** read() calls so far. */
  reads = 0;
  closed = false;

  /**
   * @param maxChunk at most this many bytes per read() call.
   * @param maxReads read() calls allowed before it throws (a reader that keeps asking is stuck).
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxChunk = Number.POSITIVE_INFINITY,
    private readonly maxReads = Number.POSITIVE_INFINITY,
  ) {}

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    if (++this.reads > this.maxReads) throw new Error(`ChunkedByteSource: more than ${this.maxReads} reads`);
    if (targetOffset < 0 || length < 0 || targetOffset + length > target.length) {
      throw new RangeError(`read of ${length} bytes at ${targetOffset} overflows a ${target.length}-byte buffer`);
    }
    if (position >= this.bytes.length) return 0;
    const end = Math.min(this.bytes.length, position + length, position + this.maxChunk);
    target.set(this.bytes.subarray(position, end), targetOffset);
    return end - position;
  }

  close(): void {
    this.closed = true;
  }
}
