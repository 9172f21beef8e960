import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PairCache } from "./pair-cache.js";

describe("PairCache", () => {
  it("answers with the value last set for the pair, or misses, never with another pair's (property)", () => {
    const slot = fc.integer({ min: 0, max: 40 });
    const key = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.integer({ min: 0, max: 3 }),
      fc.double({ min: 2 ** 32, max: 2 ** 33, noNaN: true }).map(Math.floor),
    );
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), slot, key, value: fc.integer() }),
      fc.record({ kind: fc.constant("get" as const), slot, key }),
      fc.record({ kind: fc.constant("clear" as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.constantFrom(1, 4, 64), (ops, size) => {
        const cache = new PairCache<number>(size);
        const truth = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === "set") {
            cache.set(o.slot, o.key, o.value);
            truth.set(`${o.slot}|${o.key}`, o.value);
            // What was just set is found.
            expect(cache.get(o.slot, o.key)).toBe(o.value);
          } else if (o.kind === "get") {
            const got = cache.get(o.slot, o.key);
            if (got !== undefined) expect(got).toBe(truth.get(`${o.slot}|${o.key}`));
          } else {
            cache.clear();
            truth.clear();
          }
        }
      }),
    );
  });

  it("keeps many pairs at once when they do not collide", () => {
    const cache = new PairCache<string>(256);
    for (let s = 0; s < 4; s++) for (let k = 0; k < 8; k++) cache.set(s, 0xc0a80100 + k, `${s}/${k}`);
    let found = 0;
    for (let s = 0; s < 4; s++) for (let k = 0; k < 8; k++) if (cache.get(s, 0xc0a80100 + k) === `${s}/${k}`) found++;
    expect(found).toBeGreaterThan(24);
  });
});
