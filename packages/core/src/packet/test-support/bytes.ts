/**
 * Byte helpers for tests that build frames and capture files in memory. Test-only: nothing
 * in production imports this folder.
 */

/** Joins byte arrays (and plain number lists) into one Uint8Array. */
export function concatBytes(...parts: ArrayLike<number>[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Big-endian 16-bit value as two bytes. */
export function be16(value: number): number[] {
  return [(value >>> 8) & 0xff, value & 0xff];
}

/** Big-endian 32-bit value as four bytes. */
export function be32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** "aa:bb:cc:dd:ee:ff" as six bytes. */
export function macBytes(text: string): number[] {
  const parts = text.split(":");
  if (parts.length !== 6) throw new Error(`Cannot parse MAC "${text}"`);
  return parts.map((part) => Number.parseInt(part, 16));
}

/** "a.b.c.d" as four bytes. */
export function ipv4Bytes(text: string): number[] {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) {
    throw new Error(`Cannot parse IPv4 address "${text}"`);
  }
  return parts;
}

/** An IPv6 address in any RFC 4291 text form without an embedded IPv4 part, as sixteen bytes. */
export function ipv6Bytes(text: string): number[] {
  const halves = text.split("::");
  if (halves.length > 2) throw new Error(`Cannot parse IPv6 address "${text}"`);
  const groupsOf = (part: string | undefined): number[] =>
    part === undefined || part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16));
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) throw new Error(`Cannot parse IPv6 address "${text}"`);
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.flatMap((g) => be16(g));
}

/** The Internet checksum (RFC 1071) of `bytes`. */
export function internetChecksum(bytes: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Appends integers in a chosen byte order; the capture-file builders use it for both
 * little- and big-endian files.
 */
export class ByteWriter {
  private bytes: number[] = [];

  constructor(readonly littleEndian: boolean) {}

  get length(): number {
    return this.bytes.length;
  }

  u8(value: number): this {
    this.bytes.push(value & 0xff);
    return this;
  }

  u16(value: number): this {
    const b = [value & 0xff, (value >>> 8) & 0xff];
    if (!this.littleEndian) b.reverse();
    this.bytes.push(...b);
    return this;
  }

  u32(value: number): this {
    const b = [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
    if (!this.littleEndian) b.reverse();
    this.bytes.push(...b);
    return this;
  }

  /** A 64-bit integer in the writer's byte order (pcapng options such as if_tsoffset; not EPB timestamps). */
  u64(value: bigint): this {
    const unsigned = BigInt.asUintN(64, value);
    const high = Number(unsigned >> 32n);
    const low = Number(unsigned & 0xffffffffn);
    return this.littleEndian ? this.u32(low).u32(high) : this.u32(high).u32(low);
  }

  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.bytes.push(bytes[i]! & 0xff);
    return this;
  }

  /** Zero bytes up to the next multiple of `boundary`. */
  pad(boundary: number): this {
    while (this.bytes.length % boundary !== 0) this.bytes.push(0);
    return this;
  }

  /** Overwrites a 32-bit value at `at` (for lengths known only at the end). */
  patchU32(at: number, value: number): this {
    const b = [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
    if (!this.littleEndian) b.reverse();
    for (let i = 0; i < 4; i++) this.bytes[at + i] = b[i]!;
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}
