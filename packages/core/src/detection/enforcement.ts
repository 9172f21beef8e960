import type { Incident } from "./incidents.js";

/** What the interception component (issue: ARP interception and blocking) is asked to do. */
export interface QuarantineRequest {
  deviceId: string | null;
  mac: string;
  incidentId: string;
  reason: string;
  /** Milliseconds since the epoch, packet time. */
  requestedAt: number;
  /** When the quarantine lifts by itself (ms), or null for "until a person lifts it". */
  expiresAt: number | null;
}

/** The interception component's side of automatic enforcement. */
export interface EnforcementRequester {
  requestQuarantine(request: QuarantineRequest): void;
}

export interface EnforcementOptions {
  /** Off unless configured: a critical incident then asks for its device's quarantine. */
  enabled: boolean;
  requester: EnforcementRequester;
  /** How long a requested quarantine lasts (default 1 h); 0 for no expiry. */
  expirySeconds?: number;
}

/**
 * Turns critical incidents into quarantine requests, once per incident, and keeps the log of
 * what it asked and why (visible in the report and, later, the dashboard).
 */
export class EnforcementPolicy {
  readonly requests: QuarantineRequest[] = [];
  private readonly requested = new Set<string>();

  constructor(private readonly options: EnforcementOptions) {}

  consider(incident: Incident): void {
    if (!this.options.enabled || incident.severity !== "critical" || incident.mac === null) return;
    if (this.requested.has(incident.id)) return;
    this.requested.add(incident.id);
    const expiry = this.options.expirySeconds ?? 3600;
    const last = incident.timeline[incident.timeline.length - 1]!;
    const request: QuarantineRequest = {
      deviceId: incident.deviceId,
      mac: incident.mac,
      incidentId: incident.id,
      reason: `critical ${last.type}: ${last.description}`,
      requestedAt: incident.end,
      expiresAt: expiry > 0 ? incident.end + expiry * 1000 : null,
    };
    this.requests.push(request);
    this.options.requester.requestQuarantine(request);
  }
}
