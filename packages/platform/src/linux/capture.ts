import {
  type CaptureStats,
  createPacketBatch,
  type LiveCaptureOptions,
  type PacketBatch,
  type PacketCaptureProvider,
} from "@heimdal/core";
import { loadNativeBinding, type NativeCaptureOptions, type NativeLiveCapture } from "../native-binding.js";
import { toCaptureError } from "./libpcap-errors.js";

export interface LibpcapCaptureOptions extends LiveCaptureOptions {
  /**
   * Hand over every packet as soon as it arrives. Off by default: the kernel then fills
   * TPACKET_V3 blocks and wakes us per block, which costs far fewer wakeups under load.
   */
  immediate?: boolean;
  /** Without immediate mode, the longest the kernel holds packets before handing them over. */
  bufferTimeoutMs?: number;
}

const DEFAULT_SNAP_LENGTH = 65535;
const DEFAULT_BATCH_SIZE = 256;
const DEFAULT_QUEUE_LIMIT = 16;
/** 8 MiB of kernel ring absorbs about 0.1 s of a saturated 1 Gb/s link in full-size frames. */
const DEFAULT_BUFFER_SIZE = 8 * 1024 * 1024;
/** 50 ms bounds delivery latency when traffic is light, at 20 wakeups per second at most. */
const DEFAULT_BUFFER_TIMEOUT_MS = 50;
/**
 * Bytes reserved per packet in a batch. Home traffic averages well under 1 KiB per packet; a
 * run of larger ones just ends a batch early. Every batch still holds at least one packet of
 * the full snapshot length.
 */
const BATCH_BYTES_PER_PACKET = 1024;
const MAX_BATCH_SIZE = 65536;
const MAX_QUEUE_LIMIT = 4000;

interface Settings {
  native: NativeCaptureOptions;
  batchSize: number;
  queueLimit: number;
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Capture option "${name}" is ${value}; expected an integer from ${min} to ${max}`);
  }
  return value;
}

function resolveSettings(options: LibpcapCaptureOptions): Settings {
  if (typeof options.interface !== "string" || options.interface === "") {
    throw new TypeError(`Capture option "interface" is ${JSON.stringify(options.interface)}; expected a name`);
  }
  const native: NativeCaptureOptions = {
    device: options.interface,
    snapLength: integerOption("snapLength", options.snapLength, DEFAULT_SNAP_LENGTH, 1, 262144),
    promiscuous: options.promiscuous ?? false,
    bufferSize: integerOption("bufferSize", options.bufferSize, DEFAULT_BUFFER_SIZE, 65536, 2 ** 31 - 1),
    immediate: options.immediate ?? false,
    timeoutMs: integerOption("bufferTimeoutMs", options.bufferTimeoutMs, DEFAULT_BUFFER_TIMEOUT_MS, 1, 60_000),
  };
  if (options.filter) native.filter = options.filter;
  return {
    native,
    batchSize: integerOption("batchSize", options.batchSize, DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE),
    queueLimit: integerOption("queueLimit", options.queueLimit, DEFAULT_QUEUE_LIMIT, 1, MAX_QUEUE_LIMIT),
  };
}

type Waiter = { resolve: (result: IteratorResult<PacketBatch>) => void; reject: (error: unknown) => void };

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * Live capture on one interface through libpcap.
 *
 * The binding fills preallocated batches in place and calls us once per batch. Filled batches
 * wait in a bounded queue for the consumer; when the queue is full the newest batch is
 * dropped and its packets counted in stats().droppedByUs. Batches are recycled: after open(),
 * capturing allocates no packet memory. There is one consumer of batches() at a time.
 */
export class LibpcapCaptureProvider implements PacketCaptureProvider {
  readonly options: LibpcapCaptureOptions;

  #state: "new" | "open" | "closed" = "new";
  #handle: NativeLiveCapture | undefined;
  #slots: PacketBatch[] = [];
  /** Ring of filled slot indexes waiting for the consumer. */
  #queue = new Int32Array(0);
  #queueHead = 0;
  #queueSize = 0;
  /** Stack of slot indexes nobody uses. Besides these: the queue, the slot being filled, the held one. */
  #free = new Int32Array(0);
  #freeCount = 0;
  /** The slot the consumer is reading, returned to #free when it advances. */
  #held = -1;
  #droppedByUs = 0;
  #failure: Error | undefined;
  #ended = false;
  #waiter: Waiter | undefined;
  #consuming = false;

  constructor(options: LibpcapCaptureOptions) {
    this.options = options;
  }

  /** LINKTYPE_ of the packets (after open). */
  get linkType(): number | undefined {
    return this.#handle?.linkType;
  }

  /** A warning libpcap gave while opening (e.g. promiscuous mode unsupported), if any. */
  get warning(): string | undefined {
    return this.#handle?.warning;
  }

  async open(): Promise<void> {
    if (this.#state === "open") return;
    if (this.#state === "closed") {
      throw new Error(`Capture on "${this.options.interface}" was closed; create a new provider to capture again`);
    }
    const settings = resolveSettings(this.options);
    const context = { interfaceName: settings.native.device, promiscuous: settings.native.promiscuous ?? false };
    const binding = loadNativeBinding();
    let handle: NativeLiveCapture;
    try {
      handle = new binding.LiveCapture(settings.native);
    } catch (error) {
      throw toCaptureError(error, context);
    }
    // One slot per queued batch, plus the one being filled and the one the consumer holds.
    const slotCount = settings.queueLimit + 2;
    const dataBytes = Math.max(handle.snapLength, settings.batchSize * BATCH_BYTES_PER_PACKET);
    this.#slots = Array.from({ length: slotCount }, () =>
      createPacketBatch(settings.batchSize, new Uint8Array(dataBytes)),
    );
    this.#queue = new Int32Array(settings.queueLimit);
    this.#free = new Int32Array(slotCount);
    // Slot 0 is filled first; the rest start free.
    for (let slot = slotCount - 1; slot >= 1; slot--) this.#free[this.#freeCount++] = slot;
    try {
      handle.start(this.#slots, this.#onBatch);
    } catch (error) {
      handle.close();
      throw toCaptureError(error, context);
    }
    this.#handle = handle;
    this.#state = "open";
  }

  batches(): AsyncIterable<PacketBatch> {
    return { [Symbol.asyncIterator]: () => this.#iterator() };
  }

  stats(): CaptureStats {
    const native = this.#handle?.stats();
    return {
      received: native?.received ?? 0,
      droppedByKernel: native?.droppedByKernel ?? 0,
      droppedByInterface: native?.droppedByInterface ?? 0,
      droppedByUs: this.#droppedByUs + (native?.lost ?? 0),
    };
  }

  /** Stops capturing; batches still queued are discarded and counted in droppedByUs. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#handle?.close();
    while (this.#queueSize > 0) this.#droppedByUs += this.#slots[this.#dequeue()]?.count ?? 0;
    this.#end();
  }

  /** Called by the binding once per filled batch; returns the slot it fills next. */
  readonly #onBatch = (error: Error | null, slot: number, count: number): number => {
    if (error) {
      this.#failure = toCaptureError(error, {
        interfaceName: this.options.interface,
        promiscuous: this.options.promiscuous ?? false,
      });
      this.#end();
      return slot;
    }
    const batch = this.#slots[slot];
    if (!batch) return slot;
    batch.count = count;
    if (this.#queueSize === this.#queue.length || this.#state === "closed") {
      this.#droppedByUs += count; // the consumer is behind: drop the newest batch, counted
      return slot;
    }
    this.#queue[(this.#queueHead + this.#queueSize) % this.#queue.length] = slot;
    this.#queueSize++;
    const next = this.#free[--this.#freeCount] as number;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve(this.#take());
    }
    return next;
  };

  #dequeue(): number {
    const slot = this.#queue[this.#queueHead] as number;
    this.#queueHead = (this.#queueHead + 1) % this.#queue.length;
    this.#queueSize--;
    return slot;
  }

  /** Moves the oldest queued batch to the consumer. */
  #take(): IteratorYieldResult<PacketBatch> {
    this.#held = this.#dequeue();
    return { done: false, value: this.#slots[this.#held] as PacketBatch };
  }

  #release(): void {
    if (this.#held >= 0) {
      this.#free[this.#freeCount++] = this.#held;
      this.#held = -1;
    }
  }

  /** No more batches will come: wake a waiting consumer with the failure or the end. */
  #end(): void {
    this.#ended = true;
    const waiter = this.#waiter;
    if (!waiter || this.#queueSize > 0) return;
    this.#waiter = undefined;
    this.#consuming = false;
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure) waiter.reject(failure);
    else waiter.resolve(DONE);
  }

  #next(): Promise<IteratorResult<PacketBatch>> {
    this.#release();
    if (this.#queueSize > 0) return Promise.resolve(this.#take());
    if (this.#ended) {
      const failure = this.#failure;
      this.#failure = undefined;
      this.#consuming = false;
      return failure ? Promise.reject(failure) : Promise.resolve(DONE);
    }
    if (this.#state === "new") {
      return Promise.reject(new Error(`Capture on "${this.options.interface}" is not open; call open() first`));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #iterator(): AsyncIterator<PacketBatch> {
    if (this.#consuming) {
      throw new Error(`Capture on "${this.options.interface}" already has a consumer; batches() allows one at a time`);
    }
    this.#consuming = true;
    return {
      next: () => this.#next(),
      return: async () => {
        // The consumer stopped early: it no longer needs its batch. Capture goes on until close().
        this.#release();
        this.#consuming = false;
        return DONE;
      },
    };
  }
}
