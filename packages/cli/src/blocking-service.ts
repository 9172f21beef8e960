import { randomBytes } from "node:crypto";
import { resolve4 } from "node:dns/promises";
import { type BlockRule, blockRuleActive } from "@heimdal/core";
import { BlockStore, NftablesFirewall } from "@heimdal/platform";
import { blockListPath } from "./state-dir.js";

/**
 * Blocking as one unit for every caller (the block command, automatic enforcement, the API):
 * a decision is recorded in the block list first and then applied through nftables; when the
 * firewall refuses, the record is taken back, so the list never claims a block that is not in
 * force.
 */
export class BlockingService {
  readonly #store: BlockStore;

  constructor(
    stateDir: string,
    private readonly firewall = new NftablesFirewall(),
  ) {
    this.#store = new BlockStore(blockListPath(stateDir));
  }

  async add(rule: BlockRule): Promise<void> {
    this.#store.add(rule);
    try {
      await this.firewall.apply(rule, Date.now());
    } catch (error) {
      this.#store.remove((r) => r.id === rule.id);
      throw error;
    }
  }

  /** Removes the matching rules from the list and the firewall; returns them. */
  async remove(match: (rule: BlockRule) => boolean): Promise<BlockRule[]> {
    const removed = this.#store.remove(match);
    for (const rule of removed) await this.firewall.remove(rule);
    return removed;
  }

  /** Every recorded rule, with whether it is still in force. */
  list(): Array<BlockRule & { active: boolean }> {
    const now = Date.now();
    return this.#store.list().map((rule) => ({ ...rule, active: blockRuleActive(rule, now) }));
  }

  /** Puts the unexpired rules back into the firewall (after a reboot); returns how many. */
  async reapply(): Promise<number> {
    const now = Date.now();
    const rules = this.#store.list().filter((r) => blockRuleActive(r, now));
    for (const rule of rules) await this.firewall.apply(rule, now);
    return rules.length;
  }
}

export function newBlockId(): string {
  return `blk-${randomBytes(4).toString("hex")}`;
}

/** A domain's current IPv4 addresses; throws naming the domain when it has none. */
export async function resolveDomain(domain: string): Promise<string[]> {
  try {
    return await resolve4(domain);
  } catch (error) {
    throw new Error(
      `destination ${domain}: cannot resolve it to IPv4 addresses (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}
