export interface LoginLimits {
  /** Failed logins allowed per client address within the window (default 5). */
  maxFailures: number;
  /** The window, from the first failure (default 15 min). */
  windowMs: number;
  /** Addresses tracked at most; the oldest entry goes first (default 10,000). */
  maxAddresses: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { maxFailures: 5, windowMs: 15 * 60_000, maxAddresses: 10_000 };

/**
 * Login rate limiting per client address: after `maxFailures` wrong passwords in a window the
 * address must wait until the window ends, so guessing an admin password over the LAN takes
 * years, not minutes. A success clears the address's count.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly now: () => number,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /** Milliseconds this address must wait before trying again; 0 when it may try now. */
  retryAfterMs(address: string): number {
    const entry = this.failures.get(address);
    if (!entry) return 0;
    const elapsed = this.now() - entry.since;
    if (elapsed >= this.limits.windowMs) {
      this.failures.delete(address);
      return 0;
    }
    return entry.count >= this.limits.maxFailures ? this.limits.windowMs - elapsed : 0;
  }

  recordFailure(address: string): void {
    const time = this.now();
    const entry = this.failures.get(address);
    if (entry && time - entry.since < this.limits.windowMs) {
      entry.count++;
      return;
    }
    if (!entry && this.failures.size >= this.limits.maxAddresses) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.delete(address);
    this.failures.set(address, { count: 1, since: time });
  }

  recordSuccess(address: string): void {
    this.failures.delete(address);
  }
}
