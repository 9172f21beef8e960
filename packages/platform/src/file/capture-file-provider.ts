import {
  CaptureFileReader,
  type CaptureFileReaderOptions,
  type CaptureProblem,
  type CaptureStats,
  type PacketBatch,
  type PacketCaptureProvider,
} from "@heimdal/core";
import { NodeFileSource } from "./node-file-source.js";

/** A capture file as a PacketCaptureProvider: the same contract as a live interface. */
export class CaptureFileProvider implements PacketCaptureProvider {
  private readonly reader: CaptureFileReader;

  constructor(
    readonly path: string,
    options: CaptureFileReaderOptions = {},
  ) {
    this.reader = new CaptureFileReader(new NodeFileSource(path), { name: path, ...options });
  }

  async open(): Promise<void> {
    this.reader.open();
  }

  /** Synchronous access for replays that want no await per batch. */
  nextBatch(): PacketBatch | null {
    return this.reader.nextBatch();
  }

  async *batches(): AsyncIterable<PacketBatch> {
    for (let batch = this.reader.nextBatch(); batch; batch = this.reader.nextBatch()) yield batch;
  }

  get problems(): readonly CaptureProblem[] {
    return this.reader.problems;
  }

  get skippedPackets(): number {
    return this.reader.stats.skippedUnsupported;
  }

  stats(): CaptureStats {
    return { received: this.reader.stats.records, droppedByKernel: 0, droppedByInterface: 0, droppedByUs: 0 };
  }

  async close(): Promise<void> {
    this.reader.close();
  }
}
