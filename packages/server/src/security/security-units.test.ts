import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStorage } from "@heimdal/core";
import { SqliteDatabase, SqliteSessionRepository } from "@heimdal/platform";
import { afterAll, describe, expect, it } from "vitest";
import { ensureAdminCredential, verifyAdmin } from "./admin-credential.js";
import { readCookie } from "./cookies.js";
import { LoginLimiter } from "./login-limiter.js";
import { isLoopbackAddress, isLoopbackHost } from "./loopback.js";
import { hashPassword, verifyPassword } from "./password.js";
import { csrfTokenMatches, SessionStore } from "./sessions.js";

describe("passwords", () => {
  it("hashes with scrypt and a fresh salt, and verifies only the same password", async () => {
    const a = await hashPassword("s3cret pass");
    const b = await hashPassword("s3cret pass");
    expect(a).toMatchObject({ algorithm: "scrypt", N: 32768, r: 8, p: 1 });
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(await verifyPassword("s3cret pass", a)).toBe(true);
    expect(await verifyPassword("s3cret pasS", a)).toBe(false);
    expect(await verifyPassword("s3cret pass", { ...a, hash: "AAAA" })).toBe(false);
  });

  it("generates a credential once, prints nothing the second time, and a given password replaces it", async () => {
    const kv = new MemoryStorage();
    const first = await ensureAdminCredential(kv);
    expect(first.source).toBe("generated");
    const generated = first.source === "generated" ? first.password : "";
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(JSON.stringify(kv.list(""))).not.toContain(generated);
    expect(await ensureAdminCredential(kv)).toEqual({ source: "stored" });
    expect(await verifyAdmin(kv, "admin", generated)).toBe(true);
    expect(await ensureAdminCredential(kv, "a new password")).toEqual({ source: "given" });
    expect(await verifyAdmin(kv, "admin", generated)).toBe(false);
    expect(await verifyAdmin(kv, "admin", "a new password")).toBe(true);
    await expect(ensureAdminCredential(kv, "short")).rejects.toThrow("at least 8 characters");
  });
});

describe("sessions", () => {
  const scratch = mkdtempSync(join(tmpdir(), "heimdal-session-units-"));
  const databases: SqliteDatabase[] = [];
  afterAll(() => {
    for (const db of databases) db.close();
    rmSync(scratch, { recursive: true, force: true });
  });
  const records = (name: string) => {
    const db = new SqliteDatabase(join(scratch, `${name}.sqlite`));
    databases.push(db);
    return new SqliteSessionRepository(db);
  };

  it("expire when idle and after the absolute lifetime, and evict the least recently used", () => {
    let now = 0;
    const store = new SessionStore(records("limits"), () => now, { idleMs: 100, absoluteMs: 250, maxSessions: 2 });
    const a = store.create("admin");
    now = 90;
    expect(store.get(a.id)).toMatchObject({ id: a.id, csrfToken: a.csrfToken, lastUsedAt: 90 });
    now = 180;
    expect(store.get(a.id)?.id).toBe(a.id);
    now = 260;
    expect(store.get(a.id)).toBeUndefined();
    const b = store.create("admin");
    now = 270;
    const c = store.create("admin");
    now = 290;
    store.get(b.id);
    now = 300;
    store.create("admin");
    expect(store.get(c.id)).toBeUndefined();
    expect(store.get(b.id)?.id).toBe(b.id);
    expect(store.get(undefined)).toBeUndefined();
    expect(store.size).toBe(2);
  });

  it("outlive the store (a restart), keep only the cookie's hash, and end at logout", () => {
    const repository = records("restart");
    const first = new SessionStore(repository, () => 1000).create("admin");
    const restarted = new SessionStore(repository, () => 2000);
    expect(restarted.get(first.id)).toMatchObject({ user: "admin", csrfToken: first.csrfToken, createdAt: 1000 });
    expect(restarted.get(`${first.id}x`)).toBeUndefined();
    const row = databases.at(-1)!.run("read", (sql) => sql("SELECT * FROM sessions").get()) as Record<string, unknown>;
    expect(JSON.stringify(row)).not.toContain(first.id);
    expect(JSON.stringify(row)).not.toContain(first.csrfToken);
    restarted.delete(first.id);
    expect(new SessionStore(repository, () => 3000).get(first.id)).toBeUndefined();
  });

  it("compares CSRF tokens exactly, and each session has its own", () => {
    const store = new SessionStore(records("csrf"), () => 0);
    const session = store.create("admin");
    expect(store.create("admin").csrfToken).not.toBe(session.csrfToken);
    expect(csrfTokenMatches(session, session.csrfToken)).toBe(true);
    expect(csrfTokenMatches(session, undefined)).toBe(false);
    expect(csrfTokenMatches(session, `${session.csrfToken}x`)).toBe(false);
    const last = session.csrfToken.at(-1) === "A" ? "B" : "A";
    expect(csrfTokenMatches(session, `${session.csrfToken.slice(0, -1)}${last}`)).toBe(false);
  });
});

describe("login limiter", () => {
  it("blocks an address after the allowed failures until the window ends; success clears it", () => {
    let now = 0;
    const limiter = new LoginLimiter(() => now, { maxFailures: 2, windowMs: 1000, maxAddresses: 10 });
    limiter.recordFailure("a");
    expect(limiter.retryAfterMs("a")).toBe(0);
    now = 100;
    limiter.recordFailure("a");
    expect(limiter.retryAfterMs("a")).toBe(900);
    expect(limiter.retryAfterMs("b")).toBe(0);
    now = 1000;
    expect(limiter.retryAfterMs("a")).toBe(0);
    limiter.recordFailure("b");
    limiter.recordFailure("b");
    limiter.recordSuccess("b");
    expect(limiter.retryAfterMs("b")).toBe(0);
  });
});

describe("loopback and cookies", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["192.168.1.2", false],
    ["::ffff:192.168.1.2", false],
    ["fe80::1", false],
    [undefined, false],
  ])("address %s is loopback: %s", (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });

  it.each([
    ["localhost:8080", true],
    ["127.0.0.1", true],
    ["[::1]:8080", true],
    ["localhost.evil.example", false],
    ["127.0.0.1.nip.io:8080", false],
    ["sensor.lan:8080", false],
    [undefined, false],
  ])("Host %s names this machine: %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it("reads the session cookie among others and ignores malformed values", () => {
    expect(readCookie("a=1; heimdal_session=abc_DEF-123; b=2", "heimdal_session")).toBe("abc_DEF-123");
    expect(readCookie("heimdal_session=a;b", "heimdal_session")).toBe("a");
    expect(readCookie('heimdal_session="<x>"', "heimdal_session")).toBeUndefined();
    expect(readCookie("other=1", "heimdal_session")).toBeUndefined();
    expect(readCookie(undefined, "heimdal_session")).toBeUndefined();
  });
});
