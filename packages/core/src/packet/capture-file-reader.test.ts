import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ByteSource, MemoryByteSource } from "./byte-source.js";
import { CaptureFileReader, type CaptureFileReaderOptions } from "./capture-file-reader.js";
import type { CaptureProblem } from "./capture-problem.js";
import { CaptureFormatError } from "./errors.js";
import { LinkType } from "./link-type.js";
import { ChunkedByteSource } from "./test-support/byte-sources.js";
import {
  PCAP_HEADER_LENGTH,
  PcapngBlockType,
  PcapngBuilder,
  type PcapRecord,
  pcapFile,
  pcapRecordOffsets,
  textOption,
} from "./test-support/capture-files.js";

interface ReadPacket {
  data: number[];
  wireLength: number;
  timestampUs: number;
  linkType: number;
}

interface ReadResult {
  format: string | undefined;
  packets: ReadPacket[];
  problems: CaptureProblem[];
  records: number;
  delivered: number;
  skippedUnsupported: number;
  batches: number;
}

/** Reads a whole file, copying each packet out of its batch before the next call. */
function readAll(
  bytes: Uint8Array,
  options: CaptureFileReaderOptions = {},
  source: ByteSource = new MemoryByteSource(bytes),
): ReadResult {
  const reader = new CaptureFileReader(source, options);
  reader.open();
  const packets: ReadPacket[] = [];
  let batches = 0;
  // Each non-empty batch delivers at least one packet and every packet takes at least 12 bytes.
  const maxBatches = bytes.length / 12 + 2;
  for (let batch = reader.nextBatch(); batch; batch = reader.nextBatch()) {
    if (++batches > maxBatches) throw new Error("reader does not terminate");
    expect(batch.count).toBeGreaterThan(0);
    for (let i = 0; i < batch.count; i++) {
      const offset = batch.offsets[i]!;
      const length = batch.capturedLengths[i]!;
      expect(offset + length).toBeLessThanOrEqual(batch.data.length);
      packets.push({
        data: Array.from(batch.data.subarray(offset, offset + length)),
        wireLength: batch.wireLengths[i]!,
        timestampUs: batch.timestampsUs[i]!,
        linkType: batch.linkTypes[i]!,
      });
    }
  }
  expect(reader.nextBatch()).toBeNull();
  reader.close();
  return {
    format: reader.format,
    packets,
    problems: [...reader.problems],
    records: reader.stats.records,
    delivered: reader.stats.delivered,
    skippedUnsupported: reader.stats.skippedUnsupported,
    batches,
  };
}

/** Distinct, recognisable packet bytes. */
function packetBytes(length: number, seed: number): number[] {
  return Array.from({ length }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

const SECOND = 1_000_000;

describe("CaptureFileReader: classic pcap", () => {
  const records: PcapRecord[] = [
    { seconds: 1_600_000_000, fraction: 123_456, data: packetBytes(60, 1) },
    { seconds: 1_600_000_001, fraction: 999_999, data: packetBytes(14, 2), wireLength: 1514 },
    { seconds: 1_600_000_002, fraction: 0, data: [] },
    { seconds: 4_294_967_295, fraction: 1, data: packetBytes(3, 4) },
  ];

  it.each([
    { littleEndian: true, nanoseconds: false },
    { littleEndian: false, nanoseconds: false },
    { littleEndian: true, nanoseconds: true },
    { littleEndian: false, nanoseconds: true },
  ])("reads records with littleEndian=$littleEndian nanoseconds=$nanoseconds", ({ littleEndian, nanoseconds }) => {
    const scaled = records.map((r) => (nanoseconds ? { ...r, fraction: (r.fraction ?? 0) * 1000 + 999 } : r));
    const result = readAll(pcapFile({ littleEndian, nanoseconds, linkType: LinkType.ETHERNET }, scaled));
    expect(result.format).toBe("pcap");
    expect(result.problems).toEqual([]);
    expect(result.records).toBe(4);
    expect(result.delivered).toBe(4);
    expect(result.packets).toEqual(
      records.map((r) => ({
        data: Array.from(r.data),
        wireLength: r.wireLength ?? r.data.length,
        // Nanoseconds are rounded down to the microsecond.
        timestampUs: (r.seconds ?? 0) * SECOND + (r.fraction ?? 0),
        linkType: LinkType.ETHERNET,
      })),
    );
  });

  it("takes the link type from the low 16 bits (the upper bits carry FCS information)", () => {
    const file = pcapFile({ linkType: 0x1400_0000 | LinkType.LINUX_SLL }, [{ data: packetBytes(20, 1) }]);
    expect(readAll(file).packets[0]!.linkType).toBe(LinkType.LINUX_SLL);
  });

  it("reads a file holding only the header as empty, without problems", () => {
    const result = readAll(pcapFile({}, []));
    expect(result).toMatchObject({ format: "pcap", packets: [], problems: [], records: 0 });
  });

  it("throws CaptureFormatError for an empty file, a short header, an unknown magic and a wrong version", () => {
    const open = (bytes: ArrayLike<number>) => () =>
      new CaptureFileReader(new MemoryByteSource(Uint8Array.from(bytes))).open();
    expect(open([])).toThrow(CaptureFormatError);
    expect(open([0xd4, 0xc3, 0xb2])).toThrow(CaptureFormatError);
    expect(open(pcapFile({}, []).subarray(0, 23))).toThrow(/truncated/);
    expect(open([0x7f, 0x45, 0x4c, 0x46, ...new Array(40).fill(0)])).toThrow(/magic number 0x7f454c46/);
    let error: unknown;
    try {
      open(pcapFile({ versionMajor: 1 }, []))();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CaptureFormatError);
    expect((error as CaptureFormatError).byteOffset).toBe(4);
  });

  it("detects the format from the magic number, whatever the name says", () => {
    const pcap = pcapFile({}, [{ data: packetBytes(40, 1) }]);
    const ng = new PcapngBuilder();
    ng.section();
    ng.interface({ linkType: LinkType.ETHERNET });
    ng.enhancedPacket({ data: packetBytes(40, 1) });
    expect(readAll(pcap, { name: "capture.pcapng" }).format).toBe("pcap");
    expect(readAll(ng.toBytes(), { name: "capture.pcap" }).format).toBe("pcapng");
    expect(readAll(pcap, { name: "x.pcapng" }).packets).toEqual(readAll(ng.toBytes(), { name: "x.pcap" }).packets);
  });

  it("names the file in its messages", () => {
    const file = pcapFile({}, [{ data: packetBytes(40, 1) }]).subarray(0, 50);
    expect(readAll(file, { name: "cut.pcap" }).problems[0]!.message).toContain("cut.pcap");
  });
});

describe("CaptureFileReader: pcapng", () => {
  function multiInterfaceFile() {
    const b = new PcapngBuilder({ littleEndian: true });
    b.section({ options: [textOption(1, "made by a test")] });
    b.block(PcapngBlockType.NAME_RESOLUTION, [0, 0, 0, 0]);
    // Interface 0: Ethernet, microseconds (no if_tsresol), a name and a snap length of 64.
    b.interface({ linkType: LinkType.ETHERNET, snapLength: 64, options: [textOption(2, "eth0")] });
    // Interface 1: raw IP, nanoseconds.
    b.interface({ linkType: LinkType.RAW, tsresol: 9 });
    b.enhancedPacket({ interfaceId: 0, timestamp: 1_600_000_000_123_456n, data: packetBytes(60, 1) });
    b.enhancedPacket({
      interfaceId: 1,
      timestamp: 1_600_000_000_123_456_789n,
      data: packetBytes(33, 2),
      wireLength: 1500,
      // epb_flags and a comment: options after the packet data are skipped.
      options: [{ code: 2, value: [1, 0, 0, 0] }, textOption(1, "hello")],
    });
    b.block(PcapngBlockType.CUSTOM, [0x00, 0x00, 0x7e, 0xd9, 1, 2, 3, 4, 5]);
    // Interface 2: Linux cooked, 2^-3 s units, 1000 s offset.
    b.interface({ linkType: LinkType.LINUX_SLL, tsresol: 0x83, tsoffset: 1000n });
    b.enhancedPacket({ interfaceId: 2, timestamp: 8n * 1_600_000_000n + 3n, data: packetBytes(44, 3) });
    // Simple packet: interface 0, no timestamp; captured = min(wire, snap length).
    b.simplePacket({ data: packetBytes(64, 4), wireLength: 100 });
    b.obsoletePacket({ interfaceId: 1, timestamp: 5_000_000_001n, data: packetBytes(21, 5), wireLength: 21 });
    b.block(PcapngBlockType.INTERFACE_STATISTICS, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    b.block(PcapngBlockType.DECRYPTION_SECRETS, [0x4b, 0x53, 0x4c, 0x54, 0, 0, 0, 0]);
    // A second section in the other byte order: interface numbering starts again.
    b.section({ littleEndian: false });
    b.interface({ linkType: LinkType.IPV4, tsresol: 3 });
    b.enhancedPacket({ interfaceId: 0, timestamp: 1_700_000_000_001n, data: packetBytes(28, 6) });
    return b.toBytes();
  }

  it("reads several interfaces of different link types and timestamp resolutions", () => {
    const result = readAll(multiInterfaceFile());
    expect(result.format).toBe("pcapng");
    expect(result.problems).toEqual([]);
    expect(result.packets).toEqual([
      { data: packetBytes(60, 1), wireLength: 60, timestampUs: 1_600_000_000_123_456, linkType: LinkType.ETHERNET },
      { data: packetBytes(33, 2), wireLength: 1500, timestampUs: 1_600_000_000_123_456, linkType: LinkType.RAW },
      {
        data: packetBytes(44, 3),
        wireLength: 44,
        timestampUs: (1_600_000_000 + 1000) * SECOND + 375_000,
        linkType: LinkType.LINUX_SLL,
      },
      { data: packetBytes(64, 4), wireLength: 100, timestampUs: 0, linkType: LinkType.ETHERNET },
      { data: packetBytes(21, 5), wireLength: 21, timestampUs: 5_000_000, linkType: LinkType.RAW },
      { data: packetBytes(28, 6), wireLength: 28, timestampUs: 1_700_000_000_001_000, linkType: LinkType.IPV4 },
    ]);
    expect(result.records).toBe(6);
  });

  it("reads a file whose first section is big-endian", () => {
    const b = new PcapngBuilder({ littleEndian: false });
    b.section();
    b.interface({ linkType: LinkType.ETHERNET, tsresol: 9 });
    b.enhancedPacket({ timestamp: 1_234_567_891_234_567_890n, data: packetBytes(50, 1), wireLength: 70 });
    b.section({ littleEndian: true });
    b.interface({ linkType: LinkType.LINUX_SLL2 });
    b.enhancedPacket({ timestamp: 42n, data: packetBytes(20, 2) });
    expect(readAll(b.toBytes()).packets).toEqual([
      { data: packetBytes(50, 1), wireLength: 70, timestampUs: 1_234_567_891_234_567, linkType: LinkType.ETHERNET },
      { data: packetBytes(20, 2), wireLength: 20, timestampUs: 42, linkType: LinkType.LINUX_SLL2 },
    ]);
  });

  it.each([
    { tsresol: 0, timestamp: 1_600_000_000n, expected: 1_600_000_000 * SECOND },
    { tsresol: 3, timestamp: 1_600_000_000_789n, expected: 1_600_000_000_789_000 },
    { tsresol: 6, timestamp: 1_600_000_000_789_123n, expected: 1_600_000_000_789_123 },
    { tsresol: 9, timestamp: 2n ** 64n - 1n, expected: Number((2n ** 64n - 1n) / 1000n) },
    { tsresol: 12, timestamp: 12_345_678_901_234_567n, expected: 12_345_678_901 },
    { tsresol: 0x80, timestamp: 1_600_000_000n, expected: 1_600_000_000 * SECOND },
    { tsresol: 0x80 | 10, timestamp: 1_600_000_000n * 1024n + 1023n, expected: 1_600_000_000 * SECOND + 999_023 },
    { tsresol: 0x80 | 20, timestamp: 1_600_000_000n * 2n ** 20n + 5n, expected: 1_600_000_000 * SECOND + 4 },
  ])("converts if_tsresol $tsresol", ({ tsresol, timestamp, expected }) => {
    const b = new PcapngBuilder();
    b.section();
    b.interface({ linkType: LinkType.ETHERNET, tsresol });
    b.enhancedPacket({ timestamp, data: packetBytes(14, 1) });
    expect(readAll(b.toBytes()).packets[0]!.timestampUs).toBe(expected);
  });

  it("converts 64-bit timestamps exactly (checked against BigInt arithmetic)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          0,
          1,
          3,
          6,
          7,
          9,
          12,
          13,
          15,
          0x80,
          0x80 | 10,
          0x80 | 20,
          0x80 | 30,
          0x80 | 32,
          0x80 | 40,
          0x80 | 64,
        ),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: -100_000n, max: 100_000n }),
        (tsresol, rawTimestamp, offset) => {
          const expected = exactMicros(rawTimestamp, tsresol, offset);
          // Stay where a double holds microseconds exactly, as every real capture does.
          fc.pre(expected < 2 ** 53 && expected >= 0);
          const b = new PcapngBuilder();
          b.section();
          b.interface({ linkType: LinkType.ETHERNET, tsresol, tsoffset: offset });
          b.enhancedPacket({ timestamp: rawTimestamp, data: [] });
          expect(readAll(b.toBytes()).packets[0]!.timestampUs).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("reads if_tsoffset as a signed number of seconds", () => {
    for (const littleEndian of [true, false]) {
      const b = new PcapngBuilder({ littleEndian });
      b.section();
      b.interface({ linkType: LinkType.ETHERNET, tsoffset: -3600n });
      b.enhancedPacket({ timestamp: 1_600_000_000_000_001n, data: [] });
      expect(readAll(b.toBytes()).packets[0]!.timestampUs).toBe(1_600_000_000_000_001 - 3600 * SECOND);
    }
  });

  it("reports a packet block naming an interface that was never described as corrupt", () => {
    const b = new PcapngBuilder();
    b.section();
    b.interface({ linkType: LinkType.ETHERNET });
    b.enhancedPacket({ data: packetBytes(20, 1) });
    const bad = b.enhancedPacket({ interfaceId: 1, data: packetBytes(20, 2) });
    b.enhancedPacket({ data: packetBytes(20, 3) });
    const result = readAll(b.toBytes());
    expect(result.packets.map((p) => p.data)).toEqual([packetBytes(20, 1)]);
    expect(result.problems).toEqual([expect.objectContaining({ kind: "corrupt", byteOffset: bad })]);
    expect(result.problems[0]!.message).toContain("interface 1");
  });

  it("forgets the interfaces of the previous section", () => {
    const b = new PcapngBuilder();
    b.section();
    b.interface({ linkType: LinkType.ETHERNET });
    b.interface({ linkType: LinkType.RAW });
    b.section();
    b.interface({ linkType: LinkType.LINUX_SLL });
    b.enhancedPacket({ interfaceId: 0, data: packetBytes(20, 1) });
    const bad = b.enhancedPacket({ interfaceId: 1, data: packetBytes(20, 2) });
    const result = readAll(b.toBytes());
    expect(result.packets.map((p) => p.linkType)).toEqual([LinkType.LINUX_SLL]);
    expect(result.problems).toEqual([expect.objectContaining({ kind: "corrupt", byteOffset: bad })]);
  });

  it.each([
    {
      what: "a block length that is not a multiple of 4",
      block: (b: PcapngBuilder) => b.raw([6, 0, 0, 0, 30, 0, 0, 0, ...new Array(22).fill(0), 30, 0, 0, 0]),
    },
    { what: "a block length below 12", block: (b: PcapngBuilder) => b.raw([6, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0]) },
    { what: "a huge block length", block: (b: PcapngBuilder) => b.raw([6, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 0, 0]) },
    {
      what: "a trailing length that differs from the leading one",
      block: (b: PcapngBuilder) => b.raw([0xad, 0x0b, 0, 0, 16, 0, 0, 0, 1, 2, 3, 4, 20, 0, 0, 0]),
    },
    {
      what: "an enhanced packet claiming more bytes than its block holds",
      block: (b: PcapngBuilder) => b.enhancedPacket({ data: packetBytes(20, 9), capturedLength: 24 }),
    },
    {
      what: "an interface block too short",
      block: (b: PcapngBuilder) => b.block(PcapngBlockType.INTERFACE_DESCRIPTION, [1, 0]),
    },
    {
      what: "an enhanced packet block too short",
      block: (b: PcapngBuilder) => b.block(PcapngBlockType.ENHANCED_PACKET, [0, 0, 0, 0]),
    },
    {
      what: "an obsolete packet block too short",
      block: (b: PcapngBuilder) => b.block(PcapngBlockType.OBSOLETE_PACKET, [0, 0, 0, 0]),
    },
    {
      what: "a section header with a bad byte-order magic",
      block: (b: PcapngBuilder) =>
        b.raw([
          0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
          28, 0, 0, 0,
        ]),
    },
  ])("reports $what as corrupt at the block and stops there", ({ block }) => {
    const b = new PcapngBuilder();
    b.section();
    b.interface({ linkType: LinkType.ETHERNET });
    b.enhancedPacket({ data: packetBytes(30, 1) });
    const bad = block(b);
    b.enhancedPacket({ data: packetBytes(30, 2) });
    const result = readAll(b.toBytes(), { windowBytes: 64 });
    expect(result.packets.map((p) => p.data)).toEqual([packetBytes(30, 1)]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ kind: "corrupt", byteOffset: bad });
  });

  it("reports a simple packet block before any interface as corrupt", () => {
    const b = new PcapngBuilder();
    b.section();
    const bad = b.simplePacket({ data: packetBytes(20, 1) });
    expect(readAll(b.toBytes()).problems).toEqual([expect.objectContaining({ kind: "corrupt", byteOffset: bad })]);
  });
});

describe("CaptureFileReader: truncated and corrupt files", () => {
  const records: PcapRecord[] = [10, 0, 70, 1, 33].map((length, i) => ({ seconds: i, data: packetBytes(length, i) }));
  const pcap = pcapFile({}, records);
  const recordStarts = pcapRecordOffsets(records);

  it("keeps every packet before the cut and reports the record it cuts, for every cut position", () => {
    for (let cut = PCAP_HEADER_LENGTH; cut <= pcap.length; cut++) {
      const complete = recordStarts.filter((start, i) => start + 16 + records[i]!.data.length <= cut).length;
      const result = readAll(pcap.subarray(0, cut), { windowBytes: 32 });
      expect(result.packets.map((p) => p.data)).toEqual(records.slice(0, complete).map((r) => Array.from(r.data)));
      const cutRecord = recordStarts[complete];
      if (cutRecord === undefined || cutRecord === cut) expect(result.problems).toEqual([]);
      else expect(result.problems).toEqual([expect.objectContaining({ kind: "truncated", byteOffset: cutRecord })]);
    }
  });

  it("does the same for pcapng blocks", () => {
    const b = new PcapngBuilder();
    b.section();
    b.interface({ linkType: LinkType.ETHERNET });
    const starts: number[] = [];
    for (const [i, length] of [10, 0, 70, 1].entries()) starts.push(b.enhancedPacket({ data: packetBytes(length, i) }));
    starts.push(b.block(PcapngBlockType.CUSTOM, [1, 2, 3]));
    const file = b.toBytes();
    const ends = starts.map((_, i) => starts[i + 1] ?? file.length);
    for (let cut = starts[0]!; cut <= file.length; cut++) {
      const result = readAll(file.subarray(0, cut), { windowBytes: 48 });
      expect(result.packets).toHaveLength(ends.slice(0, 4).filter((end) => end <= cut).length);
      const cutBlock = starts.find((_, i) => ends[i]! > cut);
      if (cutBlock === undefined || cutBlock === cut) expect(result.problems).toEqual([]);
      else expect(result.problems).toEqual([expect.objectContaining({ kind: "truncated", byteOffset: cutBlock })]);
    }
  });

  it("reports a record length over the limit as corrupt at its record and keeps the packets before it", () => {
    const file = pcapFile({}, [
      ...records.slice(0, 3),
      { data: packetBytes(8, 9), capturedLength: 0x7fff_ffff },
      records[3]!,
    ]);
    const result = readAll(file);
    expect(result.packets).toHaveLength(3);
    expect(result.problems).toEqual([expect.objectContaining({ kind: "corrupt", byteOffset: recordStarts[3] })]);
    expect(result.problems[0]!.message).toContain("2147483647");
  });

  it("reads a record of the largest accepted size (256 KiB) and rejects one byte more", () => {
    const big = new Uint8Array(256 * 1024).fill(0xab);
    expect(readAll(pcapFile({}, [{ data: big }]), { windowBytes: 64 }).packets[0]!.data).toHaveLength(big.length);
    const over = readAll(pcapFile({}, [{ data: big, capturedLength: big.length + 1 }]));
    expect(over.problems[0]).toMatchObject({ kind: "corrupt", byteOffset: PCAP_HEADER_LENGTH });
  });
});

describe("CaptureFileReader: unsupported link types", () => {
  it("skips every packet of an unsupported pcap link type and reports it once", () => {
    const file = pcapFile(
      { linkType: 105 },
      [1, 2, 3].map((i) => ({ data: packetBytes(30, i) })),
    );
    const result = readAll(file);
    expect(result.packets).toEqual([]);
    expect(result.records).toBe(3);
    expect(result.skippedUnsupported).toBe(3);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.kind).toBe("unsupported_link_type");
    expect(result.problems[0]!.message).toContain("105");
    // The offset points into the first skipped record.
    expect(result.problems[0]!.byteOffset).toBeGreaterThanOrEqual(PCAP_HEADER_LENGTH);
    expect(result.problems[0]!.byteOffset).toBeLessThan(PCAP_HEADER_LENGTH + 16 + 30);
  });

  it("keeps the packets of supported interfaces in a mixed pcapng file", () => {
    const b = new PcapngBuilder();
    b.section();
    b.interface({ linkType: LinkType.ETHERNET });
    b.interface({ linkType: 127 }); // radiotap
    b.interface({ linkType: 147 }); // user-defined
    let firstRadiotap = -1;
    for (let i = 0; i < 6; i++) {
      b.enhancedPacket({ interfaceId: 0, data: packetBytes(20, i) });
      const at = b.enhancedPacket({ interfaceId: 1, data: packetBytes(20, 100 + i) });
      if (firstRadiotap < 0) firstRadiotap = at;
      b.enhancedPacket({ interfaceId: 2, data: packetBytes(20, 200 + i) });
    }
    const result = readAll(b.toBytes(), { batchSize: 4 });
    expect(result.packets.map((p) => p.data)).toEqual([0, 1, 2, 3, 4, 5].map((i) => packetBytes(20, i)));
    expect(result.skippedUnsupported).toBe(12);
    expect(result.records).toBe(18);
    expect(result.problems.map((p) => [p.kind, p.message.includes("127") ? 127 : 147])).toEqual([
      ["unsupported_link_type", 127],
      ["unsupported_link_type", 147],
    ]);
    expect(result.problems[0]!.byteOffset - firstRadiotap).toBeLessThan(48);
    expect(result.problems[0]!.byteOffset).toBeGreaterThanOrEqual(firstRadiotap);
  });
});

describe("CaptureFileReader: window, batch and read sizes", () => {
  function mixedPcap(): Uint8Array {
    const sizes = [0, 1, 15, 16, 17, 63, 64, 65, 200, 1500, 9000, 70_000, 3, 40];
    return pcapFile(
      { littleEndian: false, nanoseconds: true },
      sizes.map((size, i) => ({ seconds: i, fraction: i * 1000, data: packetBytes(size, i), wireLength: size + i })),
    );
  }

  function mixedPcapng(): Uint8Array {
    const b = new PcapngBuilder();
    b.section();
    b.interface({ linkType: LinkType.ETHERNET, tsresol: 9 });
    b.interface({ linkType: LinkType.RAW });
    const sizes = [0, 1, 15, 16, 17, 63, 64, 65, 200, 1500, 9000, 70_000, 3, 40];
    for (const [i, size] of sizes.entries()) {
      if (i % 5 === 4) b.block(PcapngBlockType.CUSTOM, packetBytes(size % 100, i));
      b.enhancedPacket({ interfaceId: i % 2, timestamp: BigInt(i) * 1_000_000_007n, data: packetBytes(size, i) });
    }
    b.section({ littleEndian: false });
    b.interface({ linkType: LinkType.LINUX_SLL });
    b.enhancedPacket({ data: packetBytes(100, 99) });
    return b.toBytes();
  }

  it.each([
    ["pcap", mixedPcap],
    ["pcapng", mixedPcapng],
  ])("%s: tiny windows, small batches and short reads give the same packets as the defaults", (_, build) => {
    const file = build();
    const expected = readAll(file);
    expect(expected.packets).toHaveLength(expected.records);
    expect(expected.problems).toEqual([]);
    for (const windowBytes of [1, 16, 24, 64, 100, 1000, 65_536]) {
      for (const batchSize of [1, 3, 1024]) {
        const result = readAll(file, { windowBytes, batchSize });
        expect(result.packets).toEqual(expected.packets);
        expect(result.problems).toEqual([]);
        expect(result.delivered).toBe(expected.delivered);
      }
    }
    for (const maxChunk of [1, 7, 4096]) {
      const source = new ChunkedByteSource(file, maxChunk);
      expect(readAll(file, { windowBytes: 64 }, source).packets).toEqual(expected.packets);
      expect(source.closed).toBe(true);
    }
  });

  it("rejects window and batch sizes that cannot work", () => {
    const file = mixedPcap();
    expect(() => new CaptureFileReader(new MemoryByteSource(file), { windowBytes: 0 })).toThrow(RangeError);
    expect(() => new CaptureFileReader(new MemoryByteSource(file), { windowBytes: -5 })).toThrow(RangeError);
    expect(() => new CaptureFileReader(new MemoryByteSource(file), { batchSize: 0 })).toThrow(RangeError);
    expect(() => new CaptureFileReader(new MemoryByteSource(file), { batchSize: 1.5 })).toThrow(RangeError);
  });

  it("open() is idempotent and nextBatch() opens on first use", () => {
    const file = mixedPcap();
    const reader = new CaptureFileReader(new MemoryByteSource(file));
    expect(reader.nextBatch()!.count).toBeGreaterThan(0);
    reader.open();
    expect(reader.format).toBe("pcap");
  });
});

// ---- properties ----

type NgOp =
  | { kind: "idb"; linkType: number; tsresol: number | undefined; tsoffset: bigint | undefined; snapLength: number }
  | { kind: "epb" | "opb"; iface: number; timestamp: bigint; data: Uint8Array; extraWire: number }
  | { kind: "spb"; data: Uint8Array; extraWire: number }
  | { kind: "other"; type: number; body: Uint8Array }
  | { kind: "shb"; littleEndian: boolean };

const dataArb = fc.uint8Array({ maxLength: 300 });

const ngOpArb: fc.Arbitrary<NgOp> = fc.oneof(
  fc.record({
    kind: fc.constant("idb" as const),
    linkType: fc.constantFrom(LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL, 105),
    tsresol: fc.option(fc.constantFrom(0, 3, 6, 9, 0x83, 0x94), { nil: undefined }),
    tsoffset: fc.option(fc.bigInt({ min: -10_000n, max: 10_000n }), { nil: undefined }),
    snapLength: fc.constantFrom(0, 64, 65_535),
  }),
  fc.record({
    kind: fc.constantFrom("epb" as const, "opb" as const),
    iface: fc.nat(3),
    timestamp: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    data: dataArb,
    extraWire: fc.nat(100),
  }),
  fc.record({ kind: fc.constant("spb" as const), data: dataArb, extraWire: fc.nat(100) }),
  fc.record({
    kind: fc.constant("other" as const),
    type: fc.constantFrom(4, 5, 0xa, 0xbad, 0x40000bad, 0x12345678),
    body: fc.uint8Array({ maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant("shb" as const), littleEndian: fc.boolean() }),
);

interface GeneratedFile {
  bytes: Uint8Array;
  /** Packets the reader must deliver, in order (unsupported link types already left out). */
  expected: ReadPacket[];
}

/** A valid pcapng file from random blocks, and the packets a correct reader returns. */
function buildPcapng(littleEndian: boolean, ops: readonly NgOp[]): GeneratedFile {
  const b = new PcapngBuilder({ littleEndian });
  b.section();
  let interfaces: Extract<NgOp, { kind: "idb" }>[] = [];
  const expected: ReadPacket[] = [];
  const deliver = (linkType: number, packet: ReadPacket) => {
    if (linkType !== 105) expected.push(packet);
  };
  for (const op of ops) {
    switch (op.kind) {
      case "idb":
        interfaces.push(op);
        b.interface({
          linkType: op.linkType,
          snapLength: op.snapLength,
          ...(op.tsresol === undefined ? {} : { tsresol: op.tsresol }),
          ...(op.tsoffset === undefined ? {} : { tsoffset: op.tsoffset }),
        });
        break;
      case "epb":
      case "opb": {
        const iface = interfaces[op.iface];
        if (!iface) break; // keep the file valid
        // Keep times before 2106 (2³² s) so microseconds stay exact doubles, as in real files.
        const resolution = iface.tsresol ?? 6;
        const unitsPerSecond = ((resolution & 0x80) !== 0 ? 2n : 10n) ** BigInt(resolution & 0x7f);
        const timestamp = op.timestamp % (2n ** 32n * unitsPerSecond);
        const packet = { data: op.data, wireLength: op.data.length + op.extraWire, interfaceId: op.iface, timestamp };
        if (op.kind === "epb") b.enhancedPacket(packet);
        else b.obsoletePacket(packet);
        deliver(iface.linkType, {
          data: Array.from(op.data),
          wireLength: packet.wireLength,
          timestampUs: exactMicros(timestamp, resolution, iface.tsoffset ?? 0n),
          linkType: iface.linkType,
        });
        break;
      }
      case "spb": {
        const iface = interfaces[0];
        if (!iface) break;
        const wire = op.data.length + op.extraWire;
        const captured = Math.min(wire, iface.snapLength === 0 ? wire : iface.snapLength, op.data.length);
        const data = op.data.subarray(0, captured);
        b.simplePacket({ data, wireLength: wire });
        // The block's padding is indistinguishable from data when wire > captured: the reader
        // may return up to three padding bytes (zeros) more. Only wire === captured is exact.
        if (captured === wire || captured % 4 === 0) {
          deliver(iface.linkType, {
            data: Array.from(data),
            wireLength: wire,
            timestampUs: 0,
            linkType: iface.linkType,
          });
        } else {
          const padded = Math.min(wire, iface.snapLength === 0 ? wire : iface.snapLength, (captured + 3) & ~3);
          deliver(iface.linkType, {
            data: [...Array.from(data), ...new Array<number>(padded - captured).fill(0)],
            wireLength: wire,
            timestampUs: 0,
            linkType: iface.linkType,
          });
        }
        break;
      }
      case "other":
        b.block(op.type, op.body);
        break;
      case "shb":
        b.section({ littleEndian: op.littleEndian });
        interfaces = [];
        break;
    }
  }
  return { bytes: b.toBytes(), expected };
}

function buildPcap(
  littleEndian: boolean,
  nanoseconds: boolean,
  linkType: number,
  packets: readonly { data: Uint8Array; extraWire: number; seconds: number; fraction: number }[],
): GeneratedFile {
  const records = packets.map((p) => ({
    seconds: p.seconds,
    fraction: nanoseconds ? p.fraction : p.fraction % 1_000_000,
    data: p.data,
    wireLength: p.data.length + p.extraWire,
  }));
  const expected =
    linkType === 105
      ? []
      : records.map((r) => ({
          data: Array.from(r.data),
          wireLength: r.wireLength,
          timestampUs: r.seconds * SECOND + (nanoseconds ? Math.floor(r.fraction / 1000) : r.fraction),
          linkType,
        }));
  return { bytes: pcapFile({ littleEndian, nanoseconds, linkType }, records), expected };
}

const pcapArb = fc
  .record({
    littleEndian: fc.boolean(),
    nanoseconds: fc.boolean(),
    linkType: fc.constantFrom(LinkType.ETHERNET, LinkType.PPI, LinkType.LINUX_SLL2, 105),
    packets: fc.array(
      fc.record({ data: dataArb, extraWire: fc.nat(100), seconds: fc.nat(), fraction: fc.nat(999_999_999) }),
      { maxLength: 12 },
    ),
  })
  .map((r) => buildPcap(r.littleEndian, r.nanoseconds, r.linkType, r.packets));

const pcapngArb = fc
  .record({ littleEndian: fc.boolean(), ops: fc.array(ngOpArb, { maxLength: 16 }) })
  .map((r) => buildPcapng(r.littleEndian, r.ops));

const validFileArb = fc.oneof(pcapArb, pcapngArb);

/** Byte-level damage: overwrite, insert, delete, truncate. */
const mutationArb = fc.array(
  fc.record({
    kind: fc.constantFrom("set", "insert", "delete", "truncate"),
    position: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  { minLength: 1, maxLength: 6 },
);

function mutate(
  bytes: Uint8Array,
  mutations: readonly { kind: string; position: number; value: number }[],
): Uint8Array {
  const out = Array.from(bytes);
  for (const m of mutations) {
    // Keep the magic number most of the time so the damage reaches the records.
    const at = out.length <= 4 ? 0 : 4 + (m.position % (out.length - 4));
    if (m.kind === "set") out[at] = m.value;
    else if (m.kind === "insert") out.splice(at, 0, m.value);
    else if (m.kind === "delete") out.splice(at, 1);
    else out.length = Math.min(out.length, at);
  }
  return Uint8Array.from(out);
}

/**
 * Reads without assuming the input is valid: open() may throw only CaptureFormatError,
 * nothing else may throw, the loop must end, and every packet must lie inside the batch data.
 */
function readUntrusted(bytes: Uint8Array, options: CaptureFileReaderOptions = {}): ReadResult | "format_error" {
  // Each read either fills the window or reaches the end; a generous bound catches a stuck reader.
  const source = new ChunkedByteSource(bytes, Number.POSITIVE_INFINITY, 4 * bytes.length + 64);
  try {
    return readAll(bytes, options, source);
  } catch (error) {
    if (error instanceof CaptureFormatError) return "format_error";
    throw error;
  }
}

describe("CaptureFileReader: properties", () => {
  it("returns exactly the packets of any valid file", () => {
    fc.assert(
      fc.property(validFileArb, (file) => {
        const result = readAll(file.bytes);
        expect(result.problems.filter((p) => p.kind !== "unsupported_link_type")).toEqual([]);
        expect(result.packets).toEqual(file.expected);
      }),
      { numRuns: 300 },
    );
  });

  it("gives the same packets and problems whatever the window, batch and read sizes, even on damaged files", () => {
    fc.assert(
      fc.property(
        validFileArb,
        fc.option(mutationArb, { nil: undefined }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 9 }),
        (file, mutations, windowBytes, batchSize) => {
          const bytes = mutations ? mutate(file.bytes, mutations) : file.bytes;
          const reference = readUntrusted(bytes);
          const small = readUntrusted(bytes, { windowBytes, batchSize });
          if (reference === "format_error" || small === "format_error") {
            expect(small).toBe(reference);
            return;
          }
          expect(small.packets).toEqual(reference.packets);
          expect(small.problems).toEqual(reference.problems);
          expect(small.records).toBe(reference.records);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never throws anything but CaptureFormatError, always ends, and keeps packets in bounds on random bytes", () => {
    const magic = fc.constantFrom(
      [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0],
      [0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4],
      [0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0],
      [0x0a, 0x0d, 0x0d, 0x0a],
      [0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a],
      [0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d],
      [],
    );
    fc.assert(
      fc.property(
        magic,
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 1, max: 300 }),
        (prefix, rest, windowBytes) => {
          const bytes = Uint8Array.from([...prefix, ...rest]);
          readUntrusted(bytes);
          readUntrusted(bytes, { windowBytes, batchSize: 2 });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("never throws anything but CaptureFormatError on damaged valid files", () => {
    fc.assert(
      fc.property(validFileArb, mutationArb, (file, mutations) => {
        readUntrusted(mutate(file.bytes, mutations), { windowBytes: 64 });
      }),
      { numRuns: 500 },
    );
  });
});

/** Microseconds from a pcapng timestamp, computed exactly with BigInt (the reference). */
function exactMicros(timestamp: bigint, tsresol: number, offsetSeconds: bigint): number {
  const exponent = BigInt(tsresol & 0x7f);
  const base = (tsresol & 0x80) !== 0 ? 2n : 10n;
  const units = base ** exponent;
  return Number((timestamp * 1_000_000n) / units + offsetSeconds * 1_000_000n);
}
