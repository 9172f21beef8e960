/**
 * Tiny writers of classic pcap and pcapng files for reader tests. Test-only, and deliberately
 * naive: each method writes exactly what it is told, so tests can also build broken files.
 */
import { ByteWriter, concatBytes } from "./bytes.js";

export interface PcapRecord {
  seconds?: number;
  /** Microseconds, or nanoseconds in a nanosecond file. */
  fraction?: number;
  data: ArrayLike<number>;
  /** Defaults to the data length. */
  wireLength?: number;
  /** Override of the captured-length field (the data is still written as given). */
  capturedLength?: number;
}

export interface PcapFileOptions {
  littleEndian?: boolean;
  nanoseconds?: boolean;
  linkType?: number;
  snapLength?: number;
  versionMajor?: number;
}

export const PCAP_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;

/** A classic pcap file (pcap-savefile(5)). */
export function pcapFile(options: PcapFileOptions, records: readonly PcapRecord[]): Uint8Array {
  const w = new ByteWriter(options.littleEndian ?? true);
  w.u32(options.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(options.versionMajor ?? 2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(options.snapLength ?? 262144)
    .u32(options.linkType ?? 1);
  for (const record of records) {
    w.u32(record.seconds ?? 0)
      .u32(record.fraction ?? 0)
      .u32(record.capturedLength ?? record.data.length)
      .u32(record.wireLength ?? record.data.length)
      .raw(record.data);
  }
  return w.toBytes();
}

/** File offsets of each record header in a pcap file built from `records`. */
export function pcapRecordOffsets(records: readonly PcapRecord[]): number[] {
  const offsets: number[] = [];
  let at = PCAP_HEADER_LENGTH;
  for (const record of records) {
    offsets.push(at);
    at += PCAP_RECORD_HEADER_LENGTH + record.data.length;
  }
  return offsets;
}

export interface PcapngOption {
  code: number;
  value: ArrayLike<number>;
}

export interface PcapngInterfaceOptions {
  linkType: number;
  snapLength?: number;
  /** if_tsresol byte: 6 = µs (default), 9 = ns, 0x80 | n = 2^-n seconds. */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: bigint;
  /** Further options (if_name, …), written before tsresol and tsoffset. */
  options?: PcapngOption[];
}

export interface PcapngPacketOptions {
  interfaceId?: number;
  /** In the interface's units. */
  timestamp?: bigint;
  data: ArrayLike<number>;
  wireLength?: number;
  capturedLength?: number;
  options?: PcapngOption[];
}

export const PcapngBlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  OBSOLETE_PACKET: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  NAME_RESOLUTION: 0x00000004,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
  DECRYPTION_SECRETS: 0x0000000a,
  CUSTOM: 0x00000bad,
} as const;

/**
 * Builds a pcapng file block by block. Each method returns the file offset of the block it
 * wrote, so tests can assert where the reader reports a problem.
 */
export class PcapngBuilder {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private littleEndian: boolean;

  constructor(options: { littleEndian?: boolean } = {}) {
    this.littleEndian = options.littleEndian ?? true;
  }

  get length(): number {
    return this.size;
  }

  /** Starts a section; `littleEndian` switches the byte order of this and later blocks. */
  section(options: { littleEndian?: boolean; options?: PcapngOption[] } = {}): number {
    if (options.littleEndian !== undefined) this.littleEndian = options.littleEndian;
    const body = this.writer()
      .u32(0x1a2b3c4d)
      .u16(1)
      .u16(0)
      .u64(-1n) // section length unknown
      .raw(this.encodeOptions(options.options ?? []))
      .toBytes();
    return this.block(PcapngBlockType.SECTION_HEADER, body);
  }

  interface(options: PcapngInterfaceOptions): number {
    const list = [...(options.options ?? [])];
    if (options.tsresol !== undefined) list.push({ code: 9, value: [options.tsresol] });
    if (options.tsoffset !== undefined) list.push({ code: 14, value: this.writer().u64(options.tsoffset).toBytes() });
    const body = this.writer()
      .u16(options.linkType)
      .u16(0)
      .u32(options.snapLength ?? 0)
      .raw(this.encodeOptions(list))
      .toBytes();
    return this.block(PcapngBlockType.INTERFACE_DESCRIPTION, body);
  }

  enhancedPacket(packet: PcapngPacketOptions): number {
    const timestamp = packet.timestamp ?? 0n;
    const body = this.writer()
      .u32(packet.interfaceId ?? 0)
      .u32(Number((timestamp >> 32n) & 0xffffffffn))
      .u32(Number(timestamp & 0xffffffffn))
      .u32(packet.capturedLength ?? packet.data.length)
      .u32(packet.wireLength ?? packet.data.length)
      .raw(packet.data)
      .pad(4)
      .raw(this.encodeOptions(packet.options ?? []))
      .toBytes();
    return this.block(PcapngBlockType.ENHANCED_PACKET, body);
  }

  simplePacket(packet: { data: ArrayLike<number>; wireLength?: number }): number {
    const body = this.writer()
      .u32(packet.wireLength ?? packet.data.length)
      .raw(packet.data)
      .pad(4)
      .toBytes();
    return this.block(PcapngBlockType.SIMPLE_PACKET, body);
  }

  /** The obsolete Packet Block (type 2): 16-bit interface id and drops count. */
  obsoletePacket(packet: PcapngPacketOptions & { dropsCount?: number }): number {
    const timestamp = packet.timestamp ?? 0n;
    const body = this.writer()
      .u16(packet.interfaceId ?? 0)
      .u16(packet.dropsCount ?? 0)
      .u32(Number((timestamp >> 32n) & 0xffffffffn))
      .u32(Number(timestamp & 0xffffffffn))
      .u32(packet.capturedLength ?? packet.data.length)
      .u32(packet.wireLength ?? packet.data.length)
      .raw(packet.data)
      .pad(4)
      .raw(this.encodeOptions(packet.options ?? []))
      .toBytes();
    return this.block(PcapngBlockType.OBSOLETE_PACKET, body);
  }

  /** Any block: the body is padded to four bytes and framed by the two length fields. */
  block(type: number, body: ArrayLike<number>): number {
    const at = this.size;
    const padded = (body.length + 3) & ~3;
    const total = 12 + padded;
    const bytes = this.writer().u32(type).u32(total).raw(body).pad(4).u32(total).toBytes();
    this.chunks.push(bytes);
    this.size += bytes.length;
    return at;
  }

  /** Appends bytes as they are (for broken blocks). */
  raw(bytes: ArrayLike<number>): number {
    const at = this.size;
    this.chunks.push(Uint8Array.from(bytes));
    this.size += bytes.length;
    return at;
  }

  toBytes(): Uint8Array {
    return concatBytes(...this.chunks);
  }

  private writer(): ByteWriter {
    return new ByteWriter(this.littleEndian);
  }

  private encodeOptions(options: readonly PcapngOption[]): number[] {
    if (options.length === 0) return [];
    const w = this.writer();
    for (const option of options) w.u16(option.code).u16(option.value.length).raw(option.value).pad(4);
    w.u16(0).u16(0);
    return Array.from(w.toBytes());
  }
}

/** A text option (opt_comment = 1, if_name = 2, …); ASCII only, which is all tests need. */
export function textOption(code: number, text: string): PcapngOption {
  return { code, value: Array.from(text, (c) => c.charCodeAt(0) & 0x7f) };
}
