/**
 * Positional, synchronous reads from a capture file. Core stays free of Node's `fs`: the
 * platform layer (or a test) supplies the implementation, core does the parsing.
 */
export interface ByteSource {
  /** Copies up to `length` bytes from file `position` into `target` at `targetOffset`; returns bytes read (0 at end). */
  read(target: Uint8Array, targetOffset: number, length: number, position: number): number;
  /** Releases the underlying handle; idempotent. */
  close(): void;
}

/** A ByteSource over bytes already in memory (tests, generated captures). */
export class MemoryByteSource implements ByteSource {
  constructor(private readonly bytes: Uint8Array) {}

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    if (position >= this.bytes.length) return 0;
    const end = Math.min(this.bytes.length, position + length);
    target.set(this.bytes.subarray(position, end), targetOffset);
    return end - position;
  }

  close(): void {}
}
