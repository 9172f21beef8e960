/** One counted item of a TopK, with the aggregates a profile keeps per item. */
export interface TopKEntry {
  key: string;
  /** Weight used for ranking (bytes, or occurrences). */
  weight: number;
  /** Upper bound of the weight this entry may have inherited on eviction (Space-Saving's error). */
  error: number;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

export interface TopKJson {
  capacity: number;
  entries: TopKEntry[];
  other: { weight: number; count: number };
}

/**
 * A capped heavy-hitters table (Space-Saving, Metwally et al. 2005): at most `capacity`
 * keys; a new key replaces the lightest one and inherits its weight as error, and what the
 * evicted key had goes to "other". Memory is bounded whatever the traffic, and any key whose
 * true weight exceeds total/capacity is guaranteed to be present.
 */
export class TopK {
  private readonly entries = new Map<string, TopKEntry>();
  readonly other = { weight: 0, count: 0 };

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  add(key: string, weight: number, time: number): TopKEntry {
    let entry = this.entries.get(key);
    if (entry) {
      entry.weight += weight;
      entry.count++;
      if (time > entry.lastSeen) entry.lastSeen = time;
      return entry;
    }
    let error = 0;
    if (this.entries.size >= this.capacity) {
      const lightest = this.lightest()!;
      this.entries.delete(lightest.key);
      this.other.weight += lightest.weight - lightest.error;
      this.other.count += lightest.count;
      error = lightest.weight;
    }
    entry = { key, weight: weight + error, error, count: 1, firstSeen: time, lastSeen: time };
    this.entries.set(key, entry);
    return entry;
  }

  get(key: string): TopKEntry | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Entries, heaviest first. */
  top(limit = this.capacity): TopKEntry[] {
    return [...this.entries.values()].sort((a, b) => b.weight - a.weight || a.key.localeCompare(b.key)).slice(0, limit);
  }

  toJSON(): TopKJson {
    return { capacity: this.capacity, entries: this.top().map((e) => ({ ...e })), other: { ...this.other } };
  }

  static fromJSON(json: TopKJson): TopK {
    const topK = new TopK(json.capacity);
    for (const entry of json.entries.slice(0, json.capacity)) topK.entries.set(entry.key, { ...entry });
    topK.other.weight = json.other.weight;
    topK.other.count = json.other.count;
    return topK;
  }

  private lightest(): TopKEntry | undefined {
    let lightest: TopKEntry | undefined;
    for (const entry of this.entries.values()) if (!lightest || entry.weight < lightest.weight) lightest = entry;
    return lightest;
  }
}
