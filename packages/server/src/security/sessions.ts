import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { StoredSession } from "@heimdal/platform";

export interface Session {
  /** The cookie's value: 256 random bits. Only its SHA-256 is stored. */
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

/** Where sessions are kept: the sensor's database (SqliteSessionRepository). */
export interface SessionRecords {
  insert(session: StoredSession): void;
  get(tokenHash: string): StoredSession | undefined;
  touch(tokenHash: string, lastUsedAt: number): void;
  delete(tokenHash: string): void;
  prune(idleBefore: number, createdBefore: number): number;
  trim(keep: number): void;
  count(): number;
}

/** A use is written at most this often per session: not one write per request. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Sessions kept in the database, so a restart of the server logs nobody out. The database
 * holds only the SHA-256 of each cookie: someone who reads the file cannot use a session. The
 * CSRF token is derived from the cookie (an HMAC keyed by it), so it needs no storage either and
 * only whoever holds the cookie can know it. Bounded, so a flood of logins cannot fill the disk.
 */
export class SessionStore {
  constructor(
    private readonly records: SessionRecords,
    private readonly now: () => number,
    private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  create(user: string): Session {
    const time = this.now();
    const id = randomBytes(32).toString("base64url");
    this.records.prune(time - this.limits.idleMs, time - this.limits.absoluteMs);
    this.records.trim(this.limits.maxSessions - 1);
    this.records.insert({ tokenHash: tokenHash(id), user, createdAt: time, lastUsedAt: time });
    return { id, user, csrfToken: csrfTokenOf(id), createdAt: time, lastUsedAt: time };
  }

  /** The live session with this id, its use recorded; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const hash = tokenHash(id);
    const stored = this.records.get(hash);
    if (!stored) return undefined;
    const time = this.now();
    if (time - stored.lastUsedAt > this.limits.idleMs || time - stored.createdAt > this.limits.absoluteMs) {
      this.records.delete(hash);
      return undefined;
    }
    if (time - stored.lastUsedAt >= Math.min(TOUCH_EVERY_MS, this.limits.idleMs / 10)) this.records.touch(hash, time);
    return { id, user: stored.user, csrfToken: csrfTokenOf(id), createdAt: stored.createdAt, lastUsedAt: time };
  }

  delete(id: string): void {
    this.records.delete(tokenHash(id));
  }

  get size(): number {
    return this.records.count();
  }
}

function tokenHash(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}

function csrfTokenOf(id: string): string {
  return createHmac("sha256", id).update("heimdal csrf token v1").digest("base64url");
}

/** Constant-time check of a request's CSRF token against its session's. */
export function csrfTokenMatches(session: Session, token: string | undefined): boolean {
  if (token === undefined) return false;
  const given = Buffer.from(token);
  const expected = Buffer.from(session.csrfToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
