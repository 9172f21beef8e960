/**
 * The StorageProvider contract as a test suite every implementation runs (MemoryStorage here,
 * SqliteStorage in platform), in the manner of libp2p's interface compliance tests. The test
 * framework is passed in, so core stays free of npm imports: vitest's describe, it and expect fit.
 */
import { Random } from "../simulate/random.js";
import type { StorageOperation, StorageProvider } from "./storage-provider.js";

/** The parts of a test framework the suite uses. */
export interface ContractTestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => void): void;
  expect(actual: unknown): ContractAssertion;
}

export interface ContractAssertion {
  toEqual(expected: unknown): void;
  toBe(expected: unknown): void;
  toBeUndefined(): void;
  toThrow(expected?: unknown): void;
}

/**
 * Keys and prefixes are well-formed Unicode (no lone surrogates: SQLite stores UTF-8); what an
 * implementation does with others is not part of the contract.
 *
 * Keys that trip naive implementations: SQL LIKE and GLOB wildcards, NUL, characters past the
 * Basic Multilingual Plane (UTF-8 and UTF-16 order them differently), the last BMP character.
 */
const AWKWARD_KEYS = [
  "a",
  "a%",
  "a_",
  "a*",
  "a?",
  "a[",
  "a/b",
  "a\u0000",
  "a\u0000b",
  "é",
  "😀",
  "\uffff",
  "A",
  "ab",
  "",
];

/** Registers the contract's tests for the implementation `create` builds (a fresh, empty one per test). */
export function storageContract(name: string, create: () => StorageProvider, test: ContractTestApi): void {
  const { describe, it, expect } = test;
  const withStorage = (body: (storage: StorageProvider) => void) => () => {
    const storage = create();
    try {
      body(storage);
    } finally {
      storage.close();
    }
  };

  describe(`${name} satisfies the StorageProvider contract`, () => {
    it(
      "returns undefined for a key never set",
      withStorage((s) => {
        expect(s.get("missing")).toBeUndefined();
        expect(s.list("")).toEqual([]);
      }),
    );

    it(
      "round-trips JSON values and replaces on set",
      withStorage((s) => {
        const values: unknown[] = [
          0,
          -1.5,
          1e300,
          "",
          "text with \u0000 and 😀 and \ud800 alone",
          true,
          false,
          null,
          [],
          [1, "two", null, { three: [3] }],
          { nested: { deeper: { list: [1, 2, 3] } }, "": "empty key", __proto__x: 1 },
        ];
        values.forEach((value, i) => {
          s.set(`k${i}`, value);
          expect(s.get(`k${i}`)).toEqual(value);
        });
        s.set("k0", { replaced: true });
        expect(s.get("k0")).toEqual({ replaced: true });
      }),
    );

    it(
      "stores what JSON keeps: undefined properties vanish, dates become strings",
      withStorage((s) => {
        s.set("k", { a: undefined, b: 1, when: new Date(0) });
        expect(s.get("k")).toEqual({ b: 1, when: "1970-01-01T00:00:00.000Z" });
      }),
    );

    it(
      "returns copies: changing a value read or written changes nothing stored",
      withStorage((s) => {
        const written = { list: [1] };
        s.set("k", written);
        written.list.push(2);
        const read = s.get<{ list: number[] }>("k")!;
        read.list.push(3);
        expect(s.get("k")).toEqual({ list: [1] });
      }),
    );

    it(
      "deletes, and deleting a missing key is a no-op",
      withStorage((s) => {
        s.set("k", 1);
        s.delete("k");
        s.delete("k");
        s.delete("never");
        expect(s.get("k")).toBeUndefined();
      }),
    );

    it(
      "lists by prefix, literally, in key order",
      withStorage((s) => {
        for (const key of AWKWARD_KEYS) s.set(key, key);
        for (const prefix of ["", ...AWKWARD_KEYS, "a\u0000c", "😀x", "b"]) {
          const expected = AWKWARD_KEYS.filter((k) => k.startsWith(prefix))
            .sort()
            .map((key) => ({ key, value: key }));
          expect({ prefix, entries: s.list(prefix) }).toEqual({ prefix, entries: expected });
        }
      }),
    );

    it(
      "applies a batch in order",
      withStorage((s) => {
        s.set("gone", 1);
        s.batch([
          { op: "set", key: "a", value: 1 },
          { op: "delete", key: "a" },
          { op: "delete", key: "b" },
          { op: "set", key: "b", value: 2 },
          { op: "set", key: "c", value: 3 },
          { op: "set", key: "c", value: 4 },
          { op: "delete", key: "gone" },
        ]);
        expect(s.list("")).toEqual([
          { key: "b", value: 2 },
          { key: "c", value: 4 },
        ]);
        s.batch([]);
        expect(s.list("").length).toBe(2);
      }),
    );

    it(
      "applies nothing of a batch that holds a value it cannot store",
      withStorage((s) => {
        s.set("a", "before");
        expect(() =>
          s.batch([
            { op: "set", key: "a", value: "after" },
            { op: "delete", key: "a" },
            { op: "set", key: "b", value: { big: 1n } },
          ]),
        ).toThrow();
        expect(s.list("")).toEqual([{ key: "a", value: "before" }]);
        expect(() => s.set("a", { big: 2n })).toThrow();
        expect(s.get("a")).toBe("before");
      }),
    );

    it("behaves like a sorted map over random operation sequences (20 seeds × 300 operations)", () => {
      for (let seed = 1; seed <= 20; seed++) {
        const random = new Random(seed);
        const model = new Map<string, string>();
        const storage = create();
        try {
          for (let step = 0; step < 300; step++) {
            const roll = random.next();
            if (roll < 0.4) {
              const key = randomKey(random);
              const value = randomValue(random, 2);
              storage.set(key, value);
              model.set(key, JSON.stringify(value));
            } else if (roll < 0.55) {
              const key = randomKey(random);
              storage.delete(key);
              model.delete(key);
            } else if (roll < 0.7) {
              const ops: StorageOperation[] = [];
              for (let i = random.int(0, 6); i > 0; i--) {
                const key = randomKey(random);
                ops.push(
                  random.next() < 0.7 ? { op: "set", key, value: randomValue(random, 2) } : { op: "delete", key },
                );
              }
              storage.batch(ops);
              for (const o of ops) {
                if (o.op === "set") model.set(o.key, JSON.stringify(o.value));
                else model.delete(o.key);
              }
            } else if (roll < 0.85) {
              const key = randomKey(random);
              const stored = model.get(key);
              expect({ seed, step, key, value: storage.get(key) }).toEqual({
                seed,
                step,
                key,
                value: stored === undefined ? undefined : JSON.parse(stored),
              });
            } else {
              const prefix = Array.from(randomKey(random)).slice(0, random.int(0, 2)).join("");
              const expected = [...model.keys()]
                .filter((k) => k.startsWith(prefix))
                .sort()
                .map((key) => ({ key, value: JSON.parse(model.get(key)!) as unknown }));
              expect({ seed, step, prefix, entries: storage.list(prefix) }).toEqual({
                seed,
                step,
                prefix,
                entries: expected,
              });
            }
          }
        } finally {
          storage.close();
        }
      }
    });
  });
}

function randomKey(random: Random): string {
  const base = random.pick(AWKWARD_KEYS);
  return random.next() < 0.5 ? base : base + random.pick(AWKWARD_KEYS);
}

function randomValue(random: Random, depth: number): unknown {
  const roll = random.int(0, depth > 0 ? 6 : 4);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return random.next() < 0.5;
    case 2:
      return random.int(-1e9, 1e9) / random.pick([1, 10, 1000]);
    case 3:
    case 4:
      return random.pick(AWKWARD_KEYS) + random.int(0, 99);
    case 5:
      return Array.from({ length: random.int(0, 3) }, () => randomValue(random, depth - 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = random.int(0, 3); i > 0; i--) object[random.pick(AWKWARD_KEYS)] = randomValue(random, depth - 1);
      return object;
    }
  }
}
