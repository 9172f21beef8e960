import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { robustShape } from "./remote-peers.js";

/** The definition, with fresh arrays: what the scratch-buffer version must equal. */
function reference(values: number[], count: number): { median: number; mad: number; skew: number } {
  if (count === 0) return { median: 0, mad: 0, skew: 0 };
  const q = (sorted: number[], p: number) => {
    const at = (sorted.length - 1) * p;
    const lo = Math.floor(at);
    const hi = Math.ceil(at);
    return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
  };
  const sorted = values.slice(0, count).sort((a, b) => a - b);
  const q1 = q(sorted, 0.25);
  const q2 = q(sorted, 0.5);
  const q3 = q(sorted, 0.75);
  const mad = q(
    sorted.map((v) => Math.abs(v - q2)).sort((a, b) => a - b),
    0.5,
  );
  return { median: q2, mad, skew: q3 - q1 > 0 ? (q3 + q1 - 2 * q2) / (q3 - q1) : 0 };
}

describe("robustShape", () => {
  it("equals the definition for any sample and count, call after call (the scratch is reused)", () => {
    const sample = fc
      .array(fc.double({ min: 0, max: 1e9, noNaN: true }), { maxLength: 100 })
      .chain((values) => fc.tuple(fc.constant(values), fc.integer({ min: 0, max: values.length })));
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 5 }), (calls) => {
        for (const [values, count] of calls) {
          expect(robustShape(Float64Array.from(values), count)).toEqual(reference(values, count));
          expect(robustShape(values, count)).toEqual(reference(values, count));
        }
      }),
    );
  });

  it("reads only the first `count` values of a ring", () => {
    const ring = new Float64Array([60, 61, 59, 60, 0, 0, 0, 0]);
    expect(robustShape(ring, 4)).toEqual({ median: 60, mad: 0.5, skew: 0 });
  });
});
