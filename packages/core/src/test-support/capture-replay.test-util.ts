import { closeSync, openSync, readSync } from "node:fs";
import type { PacketPipeline } from "../analyze/packet-pipeline.js";
import type { PacketBatch } from "../packet/batch.js";
import type { ByteSource } from "../packet/byte-source.js";
import { CaptureFileReader } from "../packet/capture-file-reader.js";

const DAY_US = 86_400e6;

/** Positional reads over node:fs (core tests may not import the platform package). */
export class FileByteSource implements ByteSource {
  private fd: number | undefined;

  constructor(private readonly path: string) {}

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    this.fd ??= openSync(this.path, "r");
    return readSync(this.fd, target, targetOffset, length, position);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function slice(batch: PacketBatch, from: number, to: number): PacketBatch {
  return {
    count: to - from,
    data: batch.data,
    offsets: batch.offsets.subarray(from),
    capturedLengths: batch.capturedLengths.subarray(from),
    wireLengths: batch.wireLengths.subarray(from),
    timestampsUs: batch.timestampsUs.subarray(from),
    linkTypes: batch.linkTypes.subarray(from),
  };
}

/**
 * Replays a capture file through a pipeline. With `learnDays`, the packets before the first
 * packet + learnDays are learned (startLearning) and the analysis begins at the packet that
 * crosses that time, inside one replay.
 */
export function replayCapture(path: string, pipeline: PacketPipeline, learnDays?: number): void {
  const reader = new CaptureFileReader(new FileByteSource(path), { name: path });
  let boundary = Number.POSITIVE_INFINITY;
  let learning = learnDays !== undefined;
  if (learning) pipeline.startLearning();
  try {
    for (let batch = reader.nextBatch(); batch; batch = reader.nextBatch()) {
      if (learnDays !== undefined && !Number.isFinite(boundary) && batch.count > 0) {
        boundary = batch.timestampsUs[0]! + learnDays * DAY_US;
      }
      let at = 0;
      if (learning) {
        while (at < batch.count && batch.timestampsUs[at]! < boundary) at++;
        if (at > 0) pipeline.processBatch(slice(batch, 0, at));
        if (at < batch.count) {
          pipeline.beginAnalysis();
          learning = false;
        }
      }
      if (at < batch.count) pipeline.processBatch(at === 0 ? batch : slice(batch, at, batch.count));
    }
  } finally {
    reader.close();
  }
}
