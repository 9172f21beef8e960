import {
  BatchedWriter,
  type RepositoryWrite,
  type SupervisedComponent,
  UserSettings,
  type WriterReport,
  type WriterStatus,
  writeKey,
} from "@heimdal/core";
import type { AnalysisStore } from "../analysis-store.js";
import type { PipelineChanges } from "./pipeline-changes.js";

export interface PipelineStorageOptions {
  /** Opens the database (the daemon hands the one it restored from on the first start). */
  open: () => AnalysisStore;
  changes: PipelineChanges;
  /** Milliseconds between writes of what the pipeline learned. */
  flushIntervalMs: number;
  /** Milliseconds between baseline versions (each stored change is a version). */
  baselineIntervalMs: number;
  log: (message: string) => void;
  /** Wall clock, ms. */
  now: () => number;
}

/**
 * Writes the live pipeline's devices, profiles, events and alerts to the database every
 * flush interval, and its baselines less often, through the platform's BatchedWriter: when
 * the database is locked, full or read-only, the sensor keeps capturing, the writer keeps a
 * bounded, counted queue and retries with backoff, and everything queued is written once
 * the database takes it again. stop() writes what is left, baselines included.
 */
export class PipelineStorage implements SupervisedComponent {
  #store: AnalysisStore | undefined;
  #writer: BatchedWriter<RepositoryWrite> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastBaselinesMs = 0;
  #lastReport: WriterStatus | undefined;

  constructor(private readonly options: PipelineStorageOptions) {}

  start(): void {
    const store = this.options.open(); // throws when the file cannot be opened: the supervisor retries
    this.#store = store;
    const writer = new BatchedWriter<RepositoryWrite>(
      {
        target: store.writeTarget(),
        timers: {
          setTimeout: (callback, ms) => setTimeout(callback, ms),
          clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
        },
        onReport: (report) => this.#report(report),
      },
      // Every device, profile and alert coalesces by id while it waits: the queue holds one
      // record per thing, plus the events, whatever the outage's length.
      { keyOf: writeKey, flushIntervalMs: this.options.flushIntervalMs, maxPending: 100_000 },
    );
    this.#writer = writer;
    this.#lastBaselinesMs = this.options.now();
    writer.start(); // retries a failed flush with backoff between our periodic writes
    this.#timer = setInterval(() => this.#write(false), this.options.flushIntervalMs);
    this.#write(false);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    const writer = this.#writer;
    this.#writer = undefined;
    if (writer) {
      this.#queue(writer, true);
      if (!writer.stop()) {
        const status = writer.status();
        this.options.log(`storage: ${status.pending} records could not be written at stop: ${status.lastError}`);
      }
    }
    this.#store?.close();
    this.#store = undefined;
  }

  /** The user's detection settings in the open database, or undefined while none is open. */
  settings(): UserSettings | undefined {
    return this.#store ? new UserSettings(this.#store.repositories.kv) : undefined;
  }

  /** The writer's counters, or undefined while no database is open. */
  status(): WriterStatus | undefined {
    return this.#writer?.status() ?? this.#lastReport;
  }

  #write(baselines: boolean): void {
    const writer = this.#writer;
    if (!writer) return;
    const now = this.options.now();
    const withBaselines = baselines || now - this.#lastBaselinesMs >= this.options.baselineIntervalMs;
    if (withBaselines) this.#lastBaselinesMs = now;
    this.#queue(writer, withBaselines);
    writer.flush();
  }

  #queue(writer: BatchedWriter<RepositoryWrite>, baselines: boolean): void {
    for (const write of this.options.changes.writes({ baselines })) writer.write(write);
    // The writer holds them now (bounded, retried): memory keeps only what may still change.
    this.options.changes.forgetHandedOver();
  }

  #report(report: WriterReport): void {
    this.#lastReport = report.status;
    const { pending, dropped } = report.status;
    if (report.kind === "unavailable") {
      const reason = report.error instanceof Error ? report.error.message : String(report.error);
      this.options.log(`storage: cannot write (${reason}); capture goes on, ${pending} records wait and are retried`);
    } else if (report.kind === "dropping") {
      this.options.log(`storage: the queue is full; the oldest records are dropped (${dropped} so far)`);
    } else {
      this.options.log(`storage: writing again (${dropped} records were dropped during the outage)`);
    }
  }
}
