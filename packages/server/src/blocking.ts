/**
 * Blocking as the API sees it: the interception component (nftables on the hardware sensor)
 * implements this contract; the API only asks and lists. Kept here, at the seam the server
 * owns, so the server builds and tests without any firewall code.
 */
export type BlockTarget =
  | { kind: "device"; deviceId: string }
  | { kind: "destination"; destination: string; deviceId?: string };

export interface BlockRequest {
  target: BlockTarget;
  /** Milliseconds since the epoch when the block lifts by itself, or null for "until lifted". */
  expiresAt: number | null;
  /** Who decided: "admin" for a person through the API, "policy" for automatic enforcement. */
  decidedBy: string;
  reason: string;
}

export interface Block extends BlockRequest {
  id: string;
  createdAt: number;
}

export interface BlockingController {
  block(request: BlockRequest): Promise<Block>;
  /** False when there was no such block. */
  unblock(id: string, decidedBy: string): Promise<boolean>;
  /** Blocks in force. */
  list(): Promise<Block[]>;
}

export type BlockingGate = { allowed: true; controller: BlockingController } | { allowed: false; reason: string };

/**
 * The one place that decides whether the API may block anything. Without a controller (no
 * interception component configured, or a product without one) every blocking endpoint answers
 * 503 with this reason, and nothing else in the server needs to know why.
 */
export function blockingAllowed(controller: BlockingController | undefined, unavailableReason?: string): BlockingGate {
  if (controller === undefined) {
    return {
      allowed: false,
      reason:
        unavailableReason ??
        "Blocking is not available: this sensor runs without an interception component " +
          "(start it with interception enabled to block devices or destinations)",
    };
  }
  return { allowed: true, controller };
}
