import type { ScanClock } from "../discovery/active-scanner.js";

/**
 * Timers on a virtual clock. `lateness` delays each firing (a busy event loop) and may be
 * negative (a timer that fires early, as rounding allows): the scanner must pace either way.
 */
export class FakeClock implements ScanClock {
  time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  constructor(private readonly lateness: () => number = () => 0) {}

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    // Early by a little at most, and never without moving on (as libuv's timers behave).
    const delay = Math.max(Math.min(delayMs, 1), delayMs + this.lateness());
    this.timers.set(id, { at: this.time + delay, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Runs every timer due up to now + ms, in time order, moving the clock to each. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let dueId: number | undefined;
      let due: { at: number; callback: () => void } | undefined;
      for (const [id, timer] of this.timers) {
        if (timer.at <= end && (!due || timer.at < due.at)) {
          dueId = id;
          due = timer;
        }
      }
      if (!due || dueId === undefined) break;
      this.timers.delete(dueId);
      this.time = Math.max(this.time, due.at);
      due.callback();
    }
    this.time = end;
  }
}
