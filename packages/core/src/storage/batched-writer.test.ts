import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchedWriter, type WriterReport, type WriterTimers, type WriteTarget } from "./batched-writer.js";
import { StorageUnavailableError } from "./storage-provider.js";

interface Op {
  key: string;
  value: number;
}

/** A key-value table that fails on demand, as a database that is locked or full does. */
class FakeTarget implements WriteTarget<Op> {
  readonly stored = new Map<string, number>();
  readonly batches: Op[][] = [];
  failure: Error | null = null;

  apply(ops: readonly Op[]): void {
    if (this.failure) throw this.failure;
    this.batches.push([...ops]);
    for (const op of ops) this.stored.set(op.key, op.value);
  }
}

/** Timers on a clock the test moves. */
class FakeTimers implements WriterTimers {
  now = 0;
  private nextId = 1;
  private readonly due = new Map<number, { at: number; callback: () => void }>();
  readonly delays: number[] = [];

  setTimeout(callback: () => void, delayMs: number): unknown {
    this.delays.push(delayMs);
    const id = this.nextId++;
    this.due.set(id, { at: this.now + delayMs, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  get scheduled(): number {
    return this.due.size;
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.due) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.due.delete(next[0]);
      this.now = next[1].at;
      next[1].callback();
    }
    this.now = end;
  }
}

function setup(options: { maxPending?: number; random?: () => number } = {}) {
  const target = new FakeTarget();
  const timers = new FakeTimers();
  const reports: WriterReport[] = [];
  const writer = new BatchedWriter<Op>(
    { target, timers, onReport: (r) => reports.push(r), random: options.random ?? (() => 0.5) },
    { keyOf: (op) => op.key, ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }) },
  );
  return { target, timers, reports, writer };
}

const locked = () => new StorageUnavailableError('Cannot write to "test.db": database is locked (SQLITE_BUSY)');

describe("BatchedWriter", () => {
  it("writes nothing until the minute is up, then everything in one batch", () => {
    const { target, timers, writer } = setup();
    writer.start();
    writer.write({ key: "a", value: 1 });
    writer.write({ key: "b", value: 2 });
    timers.advance(59_999);
    expect(target.batches).toEqual([]);
    expect(writer.status().pending).toBe(2);
    timers.advance(1);
    expect(target.batches).toEqual([
      [
        { key: "a", value: 1 },
        { key: "b", value: 2 },
      ],
    ]);
    expect(writer.status()).toMatchObject({ healthy: true, pending: 0, written: 2, dropped: 0, failures: 0 });
    // Nothing pending: the next period applies no empty batch.
    timers.advance(60_000);
    expect(target.batches.length).toBe(1);
  });

  it("coalesces writes of one key: the latest wins and the replaced ones are counted", () => {
    const { target, writer } = setup();
    writer.write({ key: "a", value: 1 });
    writer.write({ key: "b", value: 2 });
    writer.write({ key: "a", value: 3 });
    expect(writer.flush()).toBe(true);
    expect(target.batches).toEqual([
      [
        { key: "b", value: 2 },
        { key: "a", value: 3 },
      ],
    ]);
    expect(writer.status()).toMatchObject({ written: 2, coalesced: 1 });
  });

  it("starts and stops idempotently, and flushes at stop", () => {
    const { target, timers, writer } = setup();
    writer.start();
    writer.start();
    expect(timers.scheduled).toBe(1);
    writer.write({ key: "a", value: 1 });
    expect(writer.stop()).toBe(true);
    expect(writer.stop()).toBe(true);
    expect(timers.scheduled).toBe(0);
    expect(target.batches).toEqual([[{ key: "a", value: 1 }]]);
    timers.advance(600_000);
    expect(target.batches.length).toBe(1);
  });

  it("keeps records while the target fails, reports once, retries with backoff and recovers", () => {
    const { target, timers, reports, writer } = setup({ random: () => 0.999 });
    writer.start();
    writer.write({ key: "a", value: 1 });
    target.failure = locked();
    timers.advance(60_000);
    expect(writer.status()).toMatchObject({
      healthy: false,
      pending: 1,
      written: 0,
      failures: 1,
      lastError: 'StorageUnavailableError: Cannot write to "test.db": database is locked (SQLITE_BUSY)',
    });
    expect(reports.map((r) => r.kind)).toEqual(["unavailable"]);
    // Retries come sooner than the period, doubling: 1 s, 2 s, 4 s … (× jitter), capped at 60 s.
    timers.advance(1000 + 2000 + 4000 + 8000 + 16000 + 32000 + 60000);
    expect(timers.delays.slice(1).map((d) => Math.round(d / 1000))).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    expect(writer.status().failures).toBe(8);
    expect(reports.length).toBe(1);
    target.failure = null;
    writer.write({ key: "b", value: 2 });
    timers.advance(60_000);
    expect(writer.status()).toMatchObject({ healthy: true, pending: 0, written: 2, failures: 8 });
    expect(reports.map((r) => r.kind)).toEqual(["unavailable", "recovered"]);
    expect([...target.stored]).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
    // Healthy again: back to the minute.
    expect(timers.delays.at(-1)).toBe(60_000);
  });

  it("drops the oldest records beyond the limit while the target fails, and counts them", () => {
    const { target, reports, writer } = setup({ maxPending: 3 });
    target.failure = new Error("disk I/O error");
    writer.write({ key: "a", value: 1 });
    writer.write({ key: "b", value: 2 });
    writer.write({ key: "c", value: 3 });
    expect(writer.flush()).toBe(false);
    writer.write({ key: "a", value: 4 }); // rewritten: now the newest, b is the oldest
    writer.write({ key: "d", value: 5 });
    writer.write({ key: "e", value: 6 });
    expect(writer.status()).toMatchObject({ pending: 3, dropped: 2, coalesced: 1, healthy: false });
    expect(reports.map((r) => r.kind)).toEqual(["unavailable", "dropping"]);
    target.failure = null;
    expect(writer.flush()).toBe(true);
    expect(Object.fromEntries(target.stored)).toEqual({ a: 4, d: 5, e: 6 });
    expect(writer.status()).toMatchObject({ pending: 0, written: 3, dropped: 2 });
    // A new outage reports its drops again.
    target.failure = locked();
    for (const key of ["f", "g", "h", "i"]) writer.write({ key, value: 0 });
    expect(reports.map((r) => r.kind)).toEqual(["unavailable", "dropping", "recovered", "unavailable", "dropping"]);
  });

  it("flushes instead of dropping when the queue fills while the target works", () => {
    const { target, writer } = setup({ maxPending: 2 });
    for (const key of ["a", "b", "c", "d", "e"]) writer.write({ key, value: 1 });
    expect(writer.status()).toMatchObject({ pending: 1, written: 4, dropped: 0 });
    expect(target.batches.map((b) => b.length)).toEqual([2, 2]);
  });

  it("keeps failing quietly after stop() if the last flush failed, and retries on another stop()", () => {
    const { target, writer } = setup();
    writer.start();
    writer.write({ key: "a", value: 1 });
    target.failure = locked();
    expect(writer.stop()).toBe(false);
    expect(writer.status().pending).toBe(1);
    target.failure = null;
    expect(writer.stop()).toBe(true);
    expect(target.stored.get("a")).toBe(1);
  });

  it("rejects options out of range", () => {
    const target = new FakeTarget();
    const timers = new FakeTimers();
    const keyOf = (op: Op) => op.key;
    expect(() => new BatchedWriter({ target, timers }, { keyOf, maxPending: 0 })).toThrow(
      "BatchedWriter option maxPending must be a positive integer, got 0",
    );
    expect(() => new BatchedWriter({ target, timers }, { keyOf, maxPending: 1.5 })).toThrow(RangeError);
    expect(() => new BatchedWriter({ target, timers }, { keyOf, flushIntervalMs: Number.NaN })).toThrow(RangeError);
    expect(() => new BatchedWriter({ target, timers }, { keyOf, retryBaseMs: -1 })).toThrow(RangeError);
  });

  it("accounts for every write and keeps the latest value of every key not dropped (property)", () => {
    type Step =
      | { kind: "write"; key: string }
      | { kind: "flush" }
      | { kind: "fail" }
      | { kind: "heal" }
      | { kind: "tick"; ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({ kind: fc.constant("write" as const), key: fc.constantFrom(..."abcdefghij") }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: "flush" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "fail" as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: "heal" as const }) },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 90_000 }) }),
      },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), fc.integer({ min: 1, max: 6 }), (steps, maxPending) => {
        const { target, timers, writer } = setup({ maxPending });
        writer.start();
        // The reference: pending keys oldest first; every write carries a fresh value.
        const model = new Map<string, number>();
        const latest = new Map<string, number>();
        const dropped = new Set<string>();
        let writes = 0;
        for (const s of steps) {
          if (s.kind === "write") {
            const value = writes++;
            if (!model.delete(s.key) && model.size >= maxPending) {
              // Full: the writer flushes if it can, else drops the oldest.
              const oldest = model.keys().next().value as string;
              if (writer.status().healthy && target.failure === null) model.clear();
              else {
                model.delete(oldest);
                dropped.add(oldest);
              }
            }
            model.set(s.key, value);
            latest.set(s.key, value);
            dropped.delete(s.key);
            writer.write({ key: s.key, value });
          } else if (s.kind === "flush") {
            if (writer.flush()) model.clear();
          } else if (s.kind === "fail") target.failure = locked();
          else if (s.kind === "heal") target.failure = null;
          else {
            timers.advance(s.ms);
            if (writer.status().pending === 0) model.clear();
          }
          const status = writer.status();
          expect(status.pending).toBe(model.size);
          expect(status.pending).toBeLessThanOrEqual(maxPending);
          expect(status.written + status.dropped + status.coalesced + status.pending).toBe(writes);
        }
        target.failure = null;
        expect(writer.stop()).toBe(true);
        const status = writer.status();
        expect(status.pending).toBe(0);
        expect(status.written + status.dropped + status.coalesced).toBe(writes);
        expect(status.dropped).toBeGreaterThanOrEqual(dropped.size);
        // Every key is stored with its latest value, unless that value was dropped.
        for (const [key, value] of latest) {
          if (dropped.has(key)) expect(target.stored.get(key)).not.toBe(value);
          else expect(target.stored.get(key)).toBe(value);
        }
        expect([...target.stored.keys()].every((key) => latest.has(key))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
