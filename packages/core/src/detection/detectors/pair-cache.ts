/**
 * A direct-mapped cache from (device slot, number key) to a value, over plain arrays: a probe
 * is a hash, two comparisons and a load, where a Map keyed by device and then by address is
 * two hash lookups. For per-packet paths whose answer changes rarely (a flow's counter). A
 * probe may miss (a colliding pair took the entry) but never answers with another pair's value.
 */
export class PairCache<V> {
  private readonly slots: Float64Array;
  private readonly keys: Float64Array;
  private readonly values: (V | undefined)[];
  private readonly mask: number;

  /** `size` entries, rounded up to a power of two. */
  constructor(size = 256) {
    let n = 1;
    while (n < size) n *= 2;
    this.mask = n - 1;
    this.slots = new Float64Array(n).fill(-1);
    this.keys = new Float64Array(n);
    this.values = new Array<V | undefined>(n).fill(undefined);
  }

  get(slot: number, key: number): V | undefined {
    const i = this.index(slot, key);
    return this.slots[i] === slot && this.keys[i] === key ? this.values[i] : undefined;
  }

  set(slot: number, key: number, value: V): void {
    const i = this.index(slot, key);
    this.slots[i] = slot;
    this.keys[i] = key;
    this.values[i] = value;
  }

  /** Forgets everything: for when values are replaced or dropped behind the cache's back. */
  clear(): void {
    this.slots.fill(-1);
    this.values.fill(undefined);
  }

  private index(slot: number, key: number): number {
    // Keys may exceed 32 bits (IPv6 mixes): fold the high part in before the multiplicative hash.
    const low = key | 0;
    // The bits above 32 (MACs, IPv6 mixes): key − (key >>> 0) is an exact multiple of 2^32, and
    // multiplying by 2^−32 costs less than dividing (this runs for every packet).
    const high = ((key - (key >>> 0)) * 2.3283064365386963e-10) | 0;
    return (Math.imul(low ^ Math.imul(high, 0x27d4eb2d) ^ Math.imul(slot, 0x9e3779b1), 0x85ebca6b) >>> 16) & this.mask;
  }
}
