import { createPacketBatch, type PacketBatch } from "./batch.js";
import type { ByteSource } from "./byte-source.js";
import type { CaptureProblem } from "./capture-problem.js";
import { CaptureFormatError } from "./errors.js";
import { isSupportedLinkType } from "./link-type.js";

export type CaptureFileFormat = "pcap" | "pcapng";

export interface CaptureFileReaderOptions {
  /** Size of the read window; memory stays at about this much whatever the file size. */
  windowBytes?: number;
  /** Packets per batch at most. */
  batchSize?: number;
  /** Name used in messages (usually the path). */
  name?: string;
}

export interface CaptureFileStats {
  /** Packet records read, including skipped ones. */
  records: number;
  /** Packets delivered in batches. */
  delivered: number;
  /** Packets skipped because their link type is not supported. */
  skippedUnsupported: number;
  /** Bytes of the file consumed so far. */
  bytesRead: number;
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_IDB = 0x00000001;
const BLOCK_OBSOLETE_PACKET = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_EPB = 0x00000006;
/** Largest packet record we accept; Wireshark's limit for most link types is 256 KiB. */
const MAX_RECORD_BYTES = 256 * 1024;
/** Largest pcapng block; anything bigger is taken as corruption rather than allocated. */
const MAX_BLOCK_BYTES = 16 * 1024 * 1024;
const TWO_32 = 4294967296;

interface PcapngInterface {
  linkType: number;
  snapLength: number;
  /** Converts a 64-bit timestamp (high, low) in this interface's units to microseconds. */
  toMicros: (high: number, low: number) => number;
}

/**
 * Streams a classic pcap or pcapng file as packet batches with bounded memory. The format
 * comes from the magic number, never the file name. Corrupt or truncated input ends the
 * stream with a reported problem; every packet before it is delivered.
 */
export class CaptureFileReader {
  private window: Uint8Array;
  /** File position of window[0]. */
  private windowStart = 0;
  /** Valid bytes in the window. */
  private windowLength = 0;
  /** Parse position inside the window. */
  private cursor = 0;
  private eof = false;
  private finished = false;
  private littleEndian = true;
  private formatValue: CaptureFileFormat | undefined;
  private pcapLinkType = 0;
  private pcapNanoseconds = false;
  private interfaces: PcapngInterface[] = [];
  private readonly reportedLinkTypes = new Set<number>();
  private readonly batch: PacketBatch;
  private readonly problemList: CaptureProblem[] = [];
  private readonly counters: CaptureFileStats = { records: 0, delivered: 0, skippedUnsupported: 0, bytesRead: 0 };
  private readonly name: string;

  constructor(
    private readonly source: ByteSource,
    options: CaptureFileReaderOptions = {},
  ) {
    const windowBytes = options.windowBytes ?? 1 << 20;
    const batchSize = options.batchSize ?? 1024;
    if (!Number.isInteger(windowBytes) || windowBytes < 1) {
      throw new RangeError(`windowBytes must be a positive integer, got ${windowBytes}`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    // The window must hold at least the 24-byte pcap file header that open() reads at once.
    this.window = new Uint8Array(Math.max(24, windowBytes));
    this.batch = createPacketBatch(batchSize, this.window);
    this.name = options.name ?? "capture";
  }

  get format(): CaptureFileFormat | undefined {
    return this.formatValue;
  }

  /** Problems met so far (truncation, corruption, unsupported link types), in file order. */
  get problems(): readonly CaptureProblem[] {
    return this.problemList;
  }

  get stats(): Readonly<CaptureFileStats> {
    return this.counters;
  }

  /** Reads the file header. Throws CaptureFormatError when the file is not a capture we read. */
  open(): void {
    if (this.formatValue) return;
    this.fill(24);
    if (this.windowLength < 4)
      throw new CaptureFormatError(`${this.name}: file is empty or shorter than a capture header`, 0);
    const magicLe = this.u32le(0);
    const magicBe = this.u32be(0);
    if (magicBe === PCAPNG_SHB) {
      this.formatValue = "pcapng";
      return; // the section header is parsed as an ordinary block
    }
    if (magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS) this.littleEndian = true;
    else if (magicBe === PCAP_MAGIC_US || magicBe === PCAP_MAGIC_NS) this.littleEndian = false;
    else {
      throw new CaptureFormatError(
        `${this.name}: not a pcap or pcapng file (magic number 0x${magicBe.toString(16).padStart(8, "0")} at byte 0)`,
        0,
      );
    }
    if (this.windowLength < 24) {
      throw new CaptureFormatError(
        `${this.name}: pcap header truncated at byte ${this.windowLength} (needs 24 bytes)`,
        0,
      );
    }
    this.formatValue = "pcap";
    this.pcapNanoseconds = (this.littleEndian ? magicLe : magicBe) === PCAP_MAGIC_NS;
    const major = this.u16(4);
    if (major !== 2) throw new CaptureFormatError(`${this.name}: unsupported pcap version ${major} at byte 4`, 4);
    // The upper bits of the link-type field carry FCS information (pcap-savefile(5)).
    this.pcapLinkType = this.u32(20) & 0x0fffffff & 0xffff;
    this.cursor = 24;
  }

  /** The next batch of packets, or null at the end. The batch is valid until the next call. */
  nextBatch(): PacketBatch | null {
    if (!this.formatValue) this.open();
    const batch = this.batch;
    batch.count = 0;
    while (!this.finished && batch.count < batch.offsets.length) {
      const more = this.formatValue === "pcap" ? this.readPcapRecord() : this.readPcapngBlock();
      if (!more) {
        // Window exhausted: hand out what we have before moving bytes the batch points into.
        if (batch.count > 0) break;
        if (!this.refill()) break;
      }
    }
    batch.data = this.window;
    if (batch.count === 0) return null;
    this.counters.delivered += batch.count;
    return batch;
  }

  close(): void {
    this.source.close();
  }

  // ---- classic pcap ----

  /** Parses one record; returns false when the window lacks the whole record. */
  private readPcapRecord(): boolean {
    const at = this.cursor;
    if (this.windowLength - at < 16) return this.atEnd(at, 16);
    const seconds = this.u32(at);
    const fraction = this.u32(at + 4);
    const captured = this.u32(at + 8);
    const wire = this.u32(at + 12);
    if (captured > MAX_RECORD_BYTES) {
      return this.corrupt(at, `packet record claims ${captured} captured bytes (limit ${MAX_RECORD_BYTES})`);
    }
    if (this.windowLength - at < 16 + captured) return this.atEnd(at, 16 + captured);
    this.counters.records++;
    this.cursor = at + 16 + captured;
    const micros = seconds * 1e6 + (this.pcapNanoseconds ? Math.floor(fraction / 1000) : fraction);
    this.push(at + 16, captured, wire, micros, this.pcapLinkType);
    return true;
  }

  // ---- pcapng ----

  private readPcapngBlock(): boolean {
    const at = this.cursor;
    if (this.windowLength - at < 12) return this.atEnd(at, 12);
    const typeBe = this.u32be(at);
    if (typeBe === PCAPNG_SHB) {
      // A new section may switch byte order; its byte-order magic decides.
      const bom = this.u32le(at + 8);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) this.littleEndian = true;
      else if (this.u32be(at + 8) === PCAPNG_BYTE_ORDER_MAGIC) this.littleEndian = false;
      else return this.corrupt(at, "section header block has an invalid byte-order magic");
    }
    const type = this.u32(at);
    const length = this.u32(at + 4);
    if (length < 12 || length % 4 !== 0 || length > MAX_BLOCK_BYTES) {
      return this.corrupt(at, `block of type 0x${type.toString(16)} has invalid length ${length}`);
    }
    if (this.windowLength - at < length) return this.atEnd(at, length);
    if (this.u32(at + length - 4) !== length) {
      return this.corrupt(at, `block of type 0x${type.toString(16)} has mismatched trailing length`);
    }
    this.cursor = at + length;
    const body = at + 8;
    const bodyEnd = at + length - 4;
    switch (type) {
      case PCAPNG_SHB:
        this.interfaces = [];
        break;
      case BLOCK_IDB:
        this.readInterfaceBlock(at, body, bodyEnd);
        break;
      case BLOCK_EPB:
        this.readEnhancedPacket(at, body, bodyEnd);
        break;
      case BLOCK_SPB:
        this.readSimplePacket(at, body, bodyEnd);
        break;
      case BLOCK_OBSOLETE_PACKET:
        this.readObsoletePacket(at, body, bodyEnd);
        break;
      default:
        break; // name resolution, statistics, decryption secrets, custom: not needed here
    }
    return true;
  }

  private readInterfaceBlock(at: number, body: number, bodyEnd: number): void {
    if (bodyEnd - body < 8) {
      this.corrupt(at, "interface description block is too short");
      return;
    }
    const linkType = this.u16(body);
    const snapLength = this.u32(body + 4);
    let resolution = 6;
    let binary = false;
    let offsetSeconds = 0;
    // Options: code(2) length(2) value padded to 4; stop at opt_endofopt or the block end.
    let p = body + 8;
    while (p + 4 <= bodyEnd) {
      const code = this.u16(p);
      const len = this.u16(p + 2);
      if (code === 0 || p + 4 + len > bodyEnd) break;
      if (code === 9 && len >= 1) {
        const value = this.window[p + 4]!;
        binary = (value & 0x80) !== 0;
        resolution = value & 0x7f;
      } else if (code === 14 && len >= 8) {
        // A signed 64-bit count of seconds: the high word carries the sign.
        offsetSeconds =
          (this.u32(p + 4 + (this.littleEndian ? 4 : 0)) | 0) * TWO_32 + this.u32(p + 4 + (this.littleEndian ? 0 : 4));
      }
      p += 4 + ((len + 3) & ~3);
    }
    this.interfaces.push({ linkType, snapLength, toMicros: timestampConverter(resolution, binary, offsetSeconds) });
  }

  private readEnhancedPacket(at: number, body: number, bodyEnd: number): void {
    if (bodyEnd - body < 20) {
      this.corrupt(at, "enhanced packet block is too short");
      return;
    }
    const iface = this.interfaces[this.u32(body)];
    if (!iface) {
      this.corrupt(at, `enhanced packet block names interface ${this.u32(body)}, which was never described`);
      return;
    }
    const captured = this.u32(body + 12);
    const wire = this.u32(body + 16);
    if (captured > bodyEnd - body - 20) {
      this.corrupt(at, `enhanced packet block claims ${captured} captured bytes but holds ${bodyEnd - body - 20}`);
      return;
    }
    this.counters.records++;
    this.push(body + 20, captured, wire, iface.toMicros(this.u32(body + 4), this.u32(body + 8)), iface.linkType);
  }

  private readSimplePacket(at: number, body: number, bodyEnd: number): void {
    const iface = this.interfaces[0];
    if (!iface || bodyEnd - body < 4) {
      this.corrupt(at, "simple packet block without an interface description or too short");
      return;
    }
    const wire = this.u32(body);
    // RFC draft: captured length = min(original length, snap length, what the block holds).
    let captured = Math.min(wire, bodyEnd - body - 4);
    if (iface.snapLength > 0) captured = Math.min(captured, iface.snapLength);
    this.counters.records++;
    this.push(body + 4, captured, wire, 0, iface.linkType);
  }

  private readObsoletePacket(at: number, body: number, bodyEnd: number): void {
    if (bodyEnd - body < 20) {
      this.corrupt(at, "packet block is too short");
      return;
    }
    const iface = this.interfaces[this.u16(body)];
    const captured = this.u32(body + 12);
    if (!iface || captured > bodyEnd - body - 20) {
      this.corrupt(at, "packet block names an unknown interface or overstates its length");
      return;
    }
    this.counters.records++;
    this.push(
      body + 20,
      captured,
      this.u32(body + 16),
      iface.toMicros(this.u32(body + 4), this.u32(body + 8)),
      iface.linkType,
    );
  }

  // ---- shared ----

  private push(offset: number, captured: number, wire: number, micros: number, linkType: number): void {
    if (!isSupportedLinkType(linkType)) {
      this.counters.skippedUnsupported++;
      if (!this.reportedLinkTypes.has(linkType)) {
        this.reportedLinkTypes.add(linkType);
        this.problemList.push({
          kind: "unsupported_link_type",
          message: `${this.name}: link type ${linkType} is not supported; its packets are skipped`,
          byteOffset: this.windowStart + offset,
        });
      }
      return;
    }
    const batch = this.batch;
    const i = batch.count++;
    batch.offsets[i] = offset;
    batch.capturedLengths[i] = captured;
    batch.wireLengths[i] = wire;
    batch.timestampsUs[i] = micros;
    batch.linkTypes[i] = linkType;
  }

  /** The window lacks `needed` bytes at `at`: either more must be read or the file ends here. */
  private atEnd(at: number, needed: number): boolean {
    if (!this.eof) {
      if (needed > this.window.length) this.grow(needed);
      return false;
    }
    const have = this.windowLength - at;
    if (have > 0) {
      this.problemList.push({
        kind: "truncated",
        message: `${this.name}: file ends inside a record at byte ${this.windowStart + at} (record needs ${needed} bytes, ${have} present)`,
        byteOffset: this.windowStart + at,
      });
    }
    this.finished = true;
    return false;
  }

  private corrupt(at: number, what: string): boolean {
    this.problemList.push({
      kind: "corrupt",
      message: `${this.name}: corrupt at byte ${this.windowStart + at}: ${what}; reading stopped there`,
      byteOffset: this.windowStart + at,
    });
    this.finished = true;
    this.cursor = this.windowLength;
    return false;
  }

  private grow(needed: number): void {
    let size = this.window.length;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.window.subarray(0, this.windowLength));
    this.window = next;
  }

  /** Moves unread bytes to the front and reads more; false when nothing more can come. */
  private refill(): boolean {
    if (this.finished) return false;
    if (this.eof) {
      // Nothing more to read and the cursor is not at a complete record: atEnd() decided.
      this.finished = true;
      return false;
    }
    const rest = this.windowLength - this.cursor;
    if (this.cursor > 0) {
      this.window.copyWithin(0, this.cursor, this.windowLength);
      this.windowStart += this.cursor;
      this.windowLength = rest;
      this.cursor = 0;
    }
    this.fill(this.window.length);
    return true;
  }

  private fill(upTo: number): void {
    while (!this.eof && this.windowLength < upTo) {
      const n = this.source.read(
        this.window,
        this.windowLength,
        upTo - this.windowLength,
        this.windowStart + this.windowLength,
      );
      if (n <= 0) this.eof = true;
      this.windowLength += Math.max(0, n);
      this.counters.bytesRead = this.windowStart + this.windowLength;
    }
  }

  private u16(at: number): number {
    const w = this.window;
    return this.littleEndian ? w[at]! | (w[at + 1]! << 8) : (w[at]! << 8) | w[at + 1]!;
  }

  private u32(at: number): number {
    return this.littleEndian ? this.u32le(at) : this.u32be(at);
  }

  private u32le(at: number): number {
    const w = this.window;
    return (w[at]! | (w[at + 1]! << 8) | (w[at + 2]! << 16) | (w[at + 3]! << 24)) >>> 0;
  }

  private u32be(at: number): number {
    const w = this.window;
    return ((w[at]! << 24) | (w[at + 1]! << 16) | (w[at + 2]! << 8) | w[at + 3]!) >>> 0;
  }
}

/**
 * Builds a converter from a pcapng 64-bit timestamp to microseconds. Exact integer arithmetic
 * for decimal resolutions finer than a microsecond: high·2³² would exceed 2⁵³ in nanoseconds.
 */
function timestampConverter(resolution: number, binary: boolean, offsetSeconds: number): PcapngInterface["toMicros"] {
  const offsetMicros = offsetSeconds * 1e6;
  if (binary) {
    // high·2³² units are high·(10⁶·2³²/2^r) µs, an exact double product; the fraction of that
    // part is added to low's share before rounding down, so no bits are lost for any r.
    const unitsPerSecond = 2 ** resolution;
    const highMicros = (1e6 * TWO_32) / unitsPerSecond;
    return (high, low) => {
      const a = high * highMicros;
      const whole = Math.floor(a);
      return whole + Math.floor(a - whole + (low * 1e6) / unitsPerSecond) + offsetMicros;
    };
  }
  if (resolution <= 6) {
    const scale = 10 ** (6 - resolution);
    return (high, low) => (high * TWO_32 + low) * scale + offsetMicros;
  }
  const divisor = 10 ** (resolution - 6);
  if (divisor > 1e6) {
    // Finer than picoseconds: high·remainder could pass 2⁵³, so take the rare slow exact path.
    const big = 10n ** BigInt(resolution - 6);
    return (high, low) => Number(((BigInt(high) << 32n) | BigInt(low)) / big) + offsetMicros;
  }
  const quotient = Math.floor(TWO_32 / divisor);
  const remainder = TWO_32 - quotient * divisor;
  return (high, low) => high * quotient + Math.floor((high * remainder + low) / divisor) + offsetMicros;
}
