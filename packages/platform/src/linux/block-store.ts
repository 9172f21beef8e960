/**
 * The record of blocking decisions (who or what decided, why, until when) as a file in the
 * sensor's state directory. The kernel holds the rules themselves; this record lets the
 * sensor re-apply them after a reboot and lets people see and undo them.
 */
import type { BlockRule } from "@heimdal/core";
import { readJson, writeJsonAtomic } from "./file-journal.js";

interface StoredBlocks {
  version: 1;
  rules: BlockRule[];
}

export class BlockStore {
  constructor(readonly path: string) {}

  list(): BlockRule[] {
    const json = readJson(this.path) as StoredBlocks | undefined;
    if (json === undefined) return [];
    if (json.version !== 1 || !Array.isArray(json.rules)) throw new Error(`${this.path}: not a block list (version 1)`);
    return json.rules;
  }

  add(rule: BlockRule): void {
    this.#write([...this.list().filter((r) => r.id !== rule.id), rule]);
  }

  /** Removes and returns the rules matching, so their firewall elements can be removed too. */
  remove(match: (rule: BlockRule) => boolean): BlockRule[] {
    const rules = this.list();
    const removed = rules.filter(match);
    if (removed.length > 0) this.#write(rules.filter((r) => !match(r)));
    return removed;
  }

  #write(rules: BlockRule[]): void {
    writeJsonAtomic(this.path, { version: 1, rules } satisfies StoredBlocks);
  }
}
