/**
 * Runs the live-capture classes in a child process, typically inside a network namespace
 * (`ip netns exec NS node vite-node.mjs … capture-probe.ts`), and reports as JSON lines on
 * stdout. The request comes in the HEIMDAL_PROBE environment variable (see ProbeRequest).
 *
 *   capture: prints {"event":"ready"} once capturing; on "stop" (a line on stdin; do not end
 *            stdin: vite-node's server exits the process when stdin ends) waits until
 *            no batch came for drainIdleMs, closes, and prints {"event":"result", …}.
 *   inject:  sends the frames and prints {"event":"result","sent":N}.
 *   interfaces: prints {"event":"result","interfaces":[…]} (listInterfaces in that namespace).
 *   A failure prints {"event":"error","name","message"} and exits with status 2.
 *
 * The probe never calls process.exit on success: if close() left a libuv handle behind, the
 * process would not end and the test waiting for it would fail.
 */
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { LibpcapCaptureProvider, LibpcapInjector, listInterfaces } from "@heimdal/platform";

export interface CaptureRequest {
  mode: "capture";
  interface: string;
  filter?: string;
  promiscuous?: boolean;
  bufferSize?: number;
  batchSize?: number;
  queueLimit?: number;
  /** Report the bytes of at most this many packets (hex). */
  keepPackets?: number;
  /** Report a SHA-256 over every packet's captured bytes, in order. */
  digest?: boolean;
  drainIdleMs?: number;
  /** Call close() from inside the consuming loop after this many batches. */
  closeInsideLoopAfter?: number;
  /** A slow consumer: per batch, block the event loop this long, then await this long. */
  consumerBusyMs?: number;
  consumerSleepMs?: number;
}

export interface InjectRequest {
  mode: "inject";
  interface: string;
  frames: string[];
}

export interface InterfacesRequest {
  mode: "interfaces";
}

export type ProbeRequest = CaptureRequest | InjectRequest | InterfacesRequest;

export interface CapturedPacket {
  hex: string;
  capturedLength: number;
  wireLength: number;
  timestampUs: number;
  linkType: number;
}

export interface CaptureResult {
  event: "result";
  linkType: number;
  delivered: number;
  batches: number;
  largestBatch: number;
  wireBytes: number;
  packets: CapturedPacket[];
  digest?: string;
  stats: { received: number; droppedByKernel: number; droppedByInterface: number; droppedByUs: number };
  /** From the first to the last batch. */
  activeMs: number;
  closedCleanly: boolean;
  peakRssBytes: number;
}

function print(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function capture(request: CaptureRequest): Promise<void> {
  const provider = new LibpcapCaptureProvider({
    interface: request.interface,
    ...(request.filter === undefined ? {} : { filter: request.filter }),
    ...(request.promiscuous === undefined ? {} : { promiscuous: request.promiscuous }),
    ...(request.bufferSize === undefined ? {} : { bufferSize: request.bufferSize }),
    ...(request.batchSize === undefined ? {} : { batchSize: request.batchSize }),
    ...(request.queueLimit === undefined ? {} : { queueLimit: request.queueLimit }),
  });
  await provider.open();
  const keep = request.keepPackets ?? 0;
  const hash = request.digest ? createHash("sha256") : undefined;
  const packets: CapturedPacket[] = [];
  let delivered = 0;
  let batches = 0;
  let largestBatch = 0;
  let wireBytes = 0;
  let firstBatchAt = 0;
  let lastBatchAt = 0;

  let stopping = false;
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    if (line.trim() !== "stop" || stopping) return;
    stopping = true;
    lines.close();
    process.stdin.destroy(); // let the process end on its own once capture is closed
    const drainIdleMs = request.drainIdleMs ?? 400;
    const requestedAt = performance.now();
    const timer = setInterval(() => {
      const idle = performance.now() - Math.max(lastBatchAt, requestedAt);
      if (idle >= drainIdleMs || performance.now() - requestedAt > 20_000) {
        clearInterval(timer);
        void provider.close();
      }
    }, 25);
  });
  print({ event: "ready", linkType: provider.linkType });

  for await (const batch of provider.batches()) {
    const now = performance.now();
    if (batches === 0) firstBatchAt = now;
    lastBatchAt = now;
    batches++;
    largestBatch = Math.max(largestBatch, batch.count);
    for (let i = 0; i < batch.count; i++) {
      const offset = batch.offsets[i] as number;
      const length = batch.capturedLengths[i] as number;
      wireBytes += batch.wireLengths[i] as number;
      const bytes = batch.data.subarray(offset, offset + length);
      hash?.update(bytes);
      if (packets.length < keep) {
        packets.push({
          hex: Buffer.from(bytes).toString("hex"),
          capturedLength: length,
          wireLength: batch.wireLengths[i] as number,
          timestampUs: batch.timestampsUs[i] as number,
          linkType: batch.linkTypes[i] as number,
        });
      }
    }
    delivered += batch.count;
    if (batches === request.closeInsideLoopAfter) await provider.close();
    if (request.consumerBusyMs) {
      const until = performance.now() + request.consumerBusyMs;
      while (performance.now() < until) {} // the kernel ring fills meanwhile
    }
    if (request.consumerSleepMs) await new Promise((r) => setTimeout(r, request.consumerSleepMs)); // our queue fills
  }
  await provider.close(); // a second close must be harmless
  const result: CaptureResult = {
    event: "result",
    linkType: provider.linkType ?? -1,
    delivered,
    batches,
    largestBatch,
    wireBytes,
    packets,
    stats: provider.stats(),
    activeMs: lastBatchAt - firstBatchAt,
    closedCleanly: true,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  if (hash) result.digest = hash.digest("hex");
  print(result);
}

function inject(request: InjectRequest): void {
  const injector = new LibpcapInjector(request.interface);
  injector.open();
  for (const hex of request.frames) injector.inject(Buffer.from(hex, "hex"));
  injector.close();
  injector.close();
  print({ event: "result", sent: request.frames.length });
}

async function main(): Promise<void> {
  const request = JSON.parse(process.env.HEIMDAL_PROBE ?? "null") as ProbeRequest | null;
  if (!request) throw new Error("HEIMDAL_PROBE is not set");
  if (request.mode === "inject") inject(request);
  else if (request.mode === "interfaces") print({ event: "result", interfaces: listInterfaces() });
  else await capture(request);
}

try {
  await main();
} catch (error) {
  const e = error as Error;
  print({ event: "error", name: e.name, message: e.message });
  process.exitCode = 2;
  process.stdin.destroy();
}
