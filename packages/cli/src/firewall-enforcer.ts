import type { BlockRule, EnforcementRequester, QuarantineRequest } from "@heimdal/core";
import { readNeighbours } from "@heimdal/platform";
import { BlockingService, newBlockId } from "./blocking-service.js";

/**
 * Automatic enforcement (off unless --enforce): a critical incident's quarantine request
 * becomes a device block, recorded in the block list with the incident that decided it and
 * applied through nftables. The hot path only queues it; settle() waits for the firewall.
 */
export class FirewallEnforcer implements EnforcementRequester {
  readonly rules: BlockRule[] = [];
  readonly #service: BlockingService;
  readonly #pending: Promise<void>[] = [];

  constructor(stateDir: string) {
    this.#service = new BlockingService(stateDir);
  }

  requestQuarantine(request: QuarantineRequest): void {
    const now = Date.now();
    // The request's times are packet times (a replay may be old): keep its duration, from now.
    const expiresAt =
      request.expiresAt === null ? null : new Date(now + (request.expiresAt - request.requestedAt)).toISOString();
    const rule: BlockRule = {
      kind: "device",
      id: newBlockId(),
      mac: request.mac,
      ips: readNeighbours()
        .filter((n) => n.mac === request.mac)
        .map((n) => n.ip),
      decidedBy: `automatic: incident ${request.incidentId}`,
      reason: request.reason,
      createdAt: new Date(now).toISOString(),
      expiresAt,
    };
    this.rules.push(rule);
    process.stderr.write(`heimdal: quarantined ${rule.mac} until ${expiresAt ?? "lifted"} (${rule.decidedBy})\n`);
    this.#pending.push(
      this.#service.add(rule).catch((error: unknown) => {
        process.stderr.write(`heimdal: quarantine of ${rule.mac} failed: ${(error as Error).message}\n`);
      }),
    );
  }

  async settle(): Promise<void> {
    await Promise.all(this.#pending);
  }
}
