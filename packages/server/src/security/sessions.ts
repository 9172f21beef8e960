import { randomBytes, timingSafeEqual } from "node:crypto";

export interface Session {
  /** The cookie's value: 256 random bits. */
  id: string;
  user: string;
  /** Sent by the client in X-CSRF-Token on every state-changing request. */
  csrfToken: string;
  createdAt: number;
  lastUsedAt: number;
}

export interface SessionLimits {
  /** A session unused this long ends (default 12 h). */
  idleMs: number;
  /** A session ends this long after login, used or not (default 7 days). */
  absoluteMs: number;
  /** Sessions kept at most; the least recently used goes first (default 1,000). */
  maxSessions: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  idleMs: 12 * 3_600_000,
  absoluteMs: 7 * 86_400_000,
  maxSessions: 1_000,
};

/**
 * Sessions in memory: a restart logs everyone out, which for a home sensor is a fair price for
 * keeping no session secrets on disk. Bounded, so a flood of logins cannot exhaust memory.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly now: () => number,
    private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  create(user: string): Session {
    const time = this.now();
    const session: Session = {
      id: randomBytes(32).toString("base64url"),
      user,
      csrfToken: randomBytes(32).toString("base64url"),
      createdAt: time,
      lastUsedAt: time,
    };
    if (this.sessions.size >= this.limits.maxSessions) {
      // Map order is insertion order and get() re-inserts: the first key is the least recently used.
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, its use recorded; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const time = this.now();
    if (time - session.lastUsedAt > this.limits.idleMs || time - session.createdAt > this.limits.absoluteMs) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastUsedAt = time;
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** Constant-time check of a request's CSRF token against its session's. */
export function csrfTokenMatches(session: Session, token: string | undefined): boolean {
  if (token === undefined) return false;
  const given = Buffer.from(token);
  const expected = Buffer.from(session.csrfToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
