import type { SensorData } from "./sensor-data.js";

/**
 * Tells live streams that new events may be in the events table. The writer is often another
 * process, so one timer polls the last event id for all streams (one cheap query per period,
 * however many clients); `notify()` wakes them at once for writes made in this process.
 */
export class EventFeed {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private lastId = -1;

  constructor(
    private readonly data: SensorData,
    private readonly pollMs: number,
  ) {}

  /** Calls `listener` when events may have arrived; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.timer === undefined) {
      this.lastId = this.data.repositories.events.lastId();
      this.timer = setInterval(() => this.poll(), this.pollMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  notify(): void {
    for (const listener of this.listeners) listener();
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(): void {
    let id: number;
    try {
      id = this.data.repositories.events.lastId();
    } catch {
      return; // The database is busy or gone for now; the next period tries again.
    }
    if (id === this.lastId) return;
    this.lastId = id;
    this.notify();
  }
}
