/**
 * Takes writes off the hot path: callers queue them (a map insert), and a timer applies
 * everything queued in one transaction, every minute by default and once more at stop().
 * When the database cannot take a batch (locked, read-only, disk full) the records stay
 * queued and later flushes retry, with exponential backoff and full jitter, until one
 * succeeds; the queue is bounded, and what it drops is counted and reported, never silent.
 */
/** Where batches go: applies every op or none (one transaction), or throws. */
export interface WriteTarget<Op> {
  /**
   * Throws StorageUnavailableError when the database cannot take writes now, any other error
   * when it refuses them; the writer keeps the ops pending either way.
   */
  apply(ops: readonly Op[]): void;
}

/** Timers, injected: setTimeout/clearTimeout in production, fake time in tests. */
export interface WriterTimers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WriterStatus {
  /** False from a failed flush until the next successful one. */
  healthy: boolean;
  /** Records waiting for the next flush. */
  pending: number;
  /** Records the target accepted. */
  written: number;
  /** Records dropped (oldest first) because the queue was full while the target failed. */
  dropped: number;
  /** Records replaced by a newer write of the same key before they were flushed. */
  coalesced: number;
  /** Flushes that failed. */
  failures: number;
  /** Message of the last failure, kept after recovery; null when none failed. */
  lastError: string | null;
}

/**
 * What the writer tells its owner (who logs it and shows it in the sensor's health): the
 * first failure after a success, the first drop of an outage, the first success after one.
 */
export type WriterReport =
  | { kind: "unavailable"; error: unknown; status: WriterStatus }
  | { kind: "dropping"; status: WriterStatus }
  | { kind: "recovered"; status: WriterStatus };

export interface BatchedWriterComponents<Op> {
  target: WriteTarget<Op>;
  timers: WriterTimers;
  onReport?: (report: WriterReport) => void;
  /** Uniform in [0, 1) for the retry jitter (default Math.random). */
  random?: () => number;
}

export interface BatchedWriterOptions<Op> {
  /** Writes with the same key coalesce while they wait: the latest wins. */
  keyOf: (op: Op) => string;
  /** Milliseconds between flushes (default 60,000). */
  flushIntervalMs?: number;
  /** Records kept while the target fails (default 1,000); beyond it the oldest are dropped. */
  maxPending?: number;
  /** First retry delay after a failure, doubling per failure up to the flush interval (default 1,000 ms). */
  retryBaseMs?: number;
}

export const BATCHED_WRITER_DEFAULTS = {
  flushIntervalMs: 60_000,
  maxPending: 1000,
  retryBaseMs: 1000,
} as const;

export class BatchedWriter<Op> {
  private readonly target: WriteTarget<Op>;
  private readonly timers: WriterTimers;
  private readonly onReport: ((report: WriterReport) => void) | undefined;
  private readonly random: () => number;
  private readonly keyOf: (op: Op) => string;
  private readonly flushIntervalMs: number;
  private readonly maxPending: number;
  private readonly retryBaseMs: number;
  /** Insertion order is age: a rewrite moves its key to the end, so the first key is the oldest. */
  private readonly pending = new Map<string, Op>();
  private timer: unknown;
  private running = false;
  private healthy = true;
  private failuresInARow = 0;
  private reportedDropping = false;
  private written = 0;
  private dropped = 0;
  private coalesced = 0;
  private failures = 0;
  private lastError: string | null = null;

  constructor(components: BatchedWriterComponents<Op>, options: BatchedWriterOptions<Op>) {
    this.target = components.target;
    this.timers = components.timers;
    this.onReport = components.onReport;
    this.random = components.random ?? Math.random;
    this.keyOf = options.keyOf;
    this.flushIntervalMs = positive(
      "flushIntervalMs",
      options.flushIntervalMs ?? BATCHED_WRITER_DEFAULTS.flushIntervalMs,
    );
    this.maxPending = positive("maxPending", options.maxPending ?? BATCHED_WRITER_DEFAULTS.maxPending, true);
    this.retryBaseMs = positive("retryBaseMs", options.retryBaseMs ?? BATCHED_WRITER_DEFAULTS.retryBaseMs);
  }

  /** Schedules the periodic flush. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.flushIntervalMs);
  }

  /**
   * Stops the timer and flushes what is pending; true when everything was written. Calling it
   * again only retries that last flush.
   */
  stop(): boolean {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    return this.flush();
  }

  /**
   * Queues a write. When the queue is full: with a healthy target, flushes first (dropping
   * acknowledged data while the database works would be worse than a short stall); with a
   * failing one, drops the oldest record.
   */
  write(op: Op): void {
    const key = this.keyOf(op);
    if (this.pending.delete(key)) {
      this.coalesced++;
    } else if (this.pending.size >= this.maxPending && !(this.healthy && this.flush())) {
      this.dropOldest();
    }
    this.pending.set(key, op);
  }

  /** Applies everything pending in one batch; true when nothing is left pending. */
  flush(): boolean {
    if (this.pending.size === 0) return true;
    const ops = [...this.pending.values()];
    try {
      this.target.apply(ops);
    } catch (error) {
      this.failures++;
      this.failuresInARow++;
      this.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (this.healthy) {
        this.healthy = false;
        this.onReport?.({ kind: "unavailable", error, status: this.status() });
      }
      return false;
    }
    this.pending.clear();
    this.written += ops.length;
    this.failuresInARow = 0;
    if (!this.healthy) {
      this.healthy = true;
      this.reportedDropping = false;
      this.onReport?.({ kind: "recovered", status: this.status() });
    }
    return true;
  }

  status(): WriterStatus {
    return {
      healthy: this.healthy,
      pending: this.pending.size,
      written: this.written,
      dropped: this.dropped,
      coalesced: this.coalesced,
      failures: this.failures,
      lastError: this.lastError,
    };
  }

  /** The component shape's health: the status. */
  health(): WriterStatus {
    return this.status();
  }

  private dropOldest(): void {
    const oldest = this.pending.keys().next();
    if (oldest.done) return;
    this.pending.delete(oldest.value);
    this.dropped++;
    if (!this.reportedDropping) {
      this.reportedDropping = true;
      this.onReport?.({ kind: "dropping", status: this.status() });
    }
  }

  private schedule(delayMs: number): void {
    this.timer = this.timers.setTimeout(() => this.tick(), delayMs);
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.running) return;
    this.flush();
    if (!this.running) return; // an onReport listener stopped us
    this.schedule(this.healthy ? this.flushIntervalMs : this.retryDelay());
  }

  /** Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"), capped at the flush interval. */
  private retryDelay(): number {
    const ceiling = Math.min(this.flushIntervalMs, this.retryBaseMs * 2 ** Math.min(this.failuresInARow - 1, 30));
    return Math.floor(this.random() * ceiling);
  }
}

function positive(name: string, value: number, integer = false): number {
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `BatchedWriter option ${name} must be a positive ${integer ? "integer" : "number"}, got ${value}`,
    );
  }
  return value;
}
