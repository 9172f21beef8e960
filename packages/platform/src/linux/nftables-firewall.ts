/**
 * Blocking through nftables (requires the nft command, nftables ≥ 0.9.4 and a kernel with
 * nf_tables, and CAP_NET_ADMIN). Everything lives in one table, `inet heimdal`, whose
 * forward chain drops what crosses the sensor:
 * - quarantined devices: frames from their MAC, and packets to their addresses;
 * - destinations blocked for every device, and device–destination pairs.
 * Traffic to the sensor itself (its dashboard) is input, not forward, so a quarantined device
 * can still reach it. Expiry is the kernel's: set elements carry a timeout and vanish on
 * time even if the sensor is not running. Only validated MACs and addresses are ever
 * written into a rule (core's block-rules), through `nft -f -` with no shell.
 */
import { execFile } from "node:child_process";
import type { BlockRule } from "@heimdal/core";

export const NFT_TABLE = "heimdal";

const TABLE = `table inet ${NFT_TABLE} {
  set quarantined_macs { type ether_addr; flags timeout; }
  set quarantined_ips { type ipv4_addr; flags timeout; }
  set blocked_destinations { type ipv4_addr; flags interval, timeout; }
  set blocked_pairs { type ether_addr . ipv4_addr; flags interval, timeout; }
  chain forward {
    type filter hook forward priority -10; policy accept;
    ether saddr @quarantined_macs counter drop comment "quarantined device, outbound"
    ip daddr @quarantined_ips counter drop comment "quarantined device, inbound"
    ip daddr @blocked_destinations counter drop comment "destination blocked for every device"
    ether saddr . ip daddr @blocked_pairs counter drop comment "destination blocked for one device"
  }
}
`;

export class FirewallError extends Error {
  override name = "FirewallError";
}

export class NftablesFirewall {
  constructor(private readonly nftPath = "nft") {}

  /** Creates the table if missing (keeping elements of a table that exists). */
  async ensureTable(): Promise<void> {
    await this.#nft(TABLE);
  }

  /** Puts a rule's elements into the kernel; `nowMs` turns its expiry into a timeout. */
  async apply(rule: BlockRule, nowMs: number): Promise<void> {
    await this.ensureTable();
    const timeout = timeoutOf(rule, nowMs);
    if (timeout === 0) return; // already expired
    const suffix = timeout === null ? "" : ` timeout ${timeout}s`;
    await this.#nft(
      elements(rule)
        .map(([set, element]) => `add element inet ${NFT_TABLE} ${set} { ${element}${suffix} }`)
        .join("\n"),
    );
  }

  /** Removes a rule's elements; an element that already expired is not an error. */
  async remove(rule: BlockRule): Promise<void> {
    for (const [set, element] of elements(rule)) {
      await this.#nft(`delete element inet ${NFT_TABLE} ${set} { ${element} }`).catch((error: unknown) => {
        if (!/No such file or directory|does not exist/i.test((error as Error).message)) throw error;
      });
    }
  }

  /** Drops the whole table (uninstall, tests). */
  async removeTable(): Promise<void> {
    await this.#nft(`delete table inet ${NFT_TABLE}`).catch(() => undefined);
  }

  #nft(script: string): Promise<void> {
    if (script.trim() === "") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const child = execFile(this.nftPath, ["-f", "-"], { timeout: 10_000 }, (error, _stdout, stderr) => {
        if (!error) return resolve();
        const code = (error as NodeJS.ErrnoException).code;
        const why =
          code === "ENOENT"
            ? "the nft command is not installed (apt-get install nftables)"
            : /Operation not permitted/.test(stderr)
              ? "nftables needs CAP_NET_ADMIN"
              : stderr.trim() || error.message;
        reject(new FirewallError(`Firewall change failed: ${why}`));
      });
      child.stdin?.end(script);
    });
  }
}

/** Seconds left (at least 1), null for no expiry, or 0 when already expired. */
function timeoutOf(rule: BlockRule, nowMs: number): number | null {
  if (rule.expiresAt === null) return null;
  const left = Math.ceil((Date.parse(rule.expiresAt) - nowMs) / 1000);
  return Math.max(left, 0);
}

/** The set elements a rule stands for. */
function elements(rule: BlockRule): Array<[string, string]> {
  if (rule.kind === "device") {
    return [["quarantined_macs", rule.mac], ...rule.ips.map((ip): [string, string] => ["quarantined_ips", ip])];
  }
  const addresses = rule.resolved.length > 0 ? rule.resolved : [rule.destination];
  return addresses.map((address) =>
    rule.mac === null ? ["blocked_destinations", address] : ["blocked_pairs", `${rule.mac} . ${address}`],
  );
}
