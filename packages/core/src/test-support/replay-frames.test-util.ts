import type { PacketPipeline } from "../analyze/packet-pipeline.js";
import { MemoryByteSource } from "../packet/byte-source.js";
import { CaptureFileReader } from "../packet/capture-file-reader.js";
import { PcapWriter } from "../packet/pcap-writer.js";

/** A frame at a time (µs), with an optional wire length longer than the bytes kept. */
export type TimedFrame = [timestampUs: number, frame: Uint8Array, wireLength?: number];

/** Frames in time order as the bytes of a pcap file: tests go through the real reader. */
export function pcapBytes(frames: readonly TimedFrame[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((c) => chunks.push(c));
  for (const [t, f, wire] of [...frames].sort((a, b) => a[0] - b[0])) writer.write(t, f, wire ?? f.length);
  writer.flush();
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/** Replays frames through a pipeline in batches of `batchSize` (small batches test tick timing). */
export function replayFrames(pipeline: PacketPipeline, frames: readonly TimedFrame[], batchSize?: number): void {
  const reader = new CaptureFileReader(
    new MemoryByteSource(pcapBytes(frames)),
    batchSize === undefined ? {} : { batchSize },
  );
  for (let b = reader.nextBatch(); b; b = reader.nextBatch()) pipeline.processBatch(b);
}
