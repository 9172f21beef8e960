import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { part, spreadOverBuckets } from "./spread.js";

function spread(start: number, end: number, bucketMs: number, amounts: number[]) {
  const parts: { bucket: number; parts: number[] }[] = [];
  spreadOverBuckets(start, end, bucketMs, (bucket, from, to) =>
    parts.push({ bucket, parts: amounts.map((a) => part(a, from, to)) }),
  );
  return parts;
}

describe("spreadOverBuckets", () => {
  it("splits in proportion to the time in each bucket", () => {
    // 30 s in the first minute, 60 s in the second, 30 s in the third.
    expect(spread(30_000, 150_000, 60_000, [1200, 4])).toEqual([
      { bucket: 0, parts: [300, 1] },
      { bucket: 60_000, parts: [600, 2] },
      { bucket: 120_000, parts: [300, 1] },
    ]);
  });

  it("puts a span of zero length, or inside one bucket, in that bucket", () => {
    expect(spread(61_000, 61_000, 60_000, [5])).toEqual([{ bucket: 60_000, parts: [5] }]);
    expect(spread(61_000, 119_999, 60_000, [5])).toEqual([{ bucket: 60_000, parts: [5] }]);
  });

  it("gives non-negative integer parts that add up to each amount exactly", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.integer({ min: 0, max: 3 * 3_600_000 }),
        fc.constantFrom(60_000, 300_000),
        fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 4 }),
        (start, length, bucketMs, amounts) => {
          const parts = spread(start, start + length, bucketMs, amounts);
          expect(parts[0]!.bucket).toBe(Math.floor(start / bucketMs) * bucketMs);
          expect(parts.at(-1)!.bucket).toBe(Math.floor((start + length) / bucketMs) * bucketMs);
          amounts.forEach((amount, i) => {
            const values = parts.map((p) => p.parts[i]!);
            expect(values.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
            expect(values.reduce((a, b) => a + b, 0)).toBe(amount);
          });
        },
      ),
    );
  });
});
