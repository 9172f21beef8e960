import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteDatabase } from "./sqlite-database.js";
import { SqliteSessionRepository } from "./sqlite-sessions.js";

const scratch = mkdtempSync(join(tmpdir(), "heimdal-sessions-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("SqliteSessionRepository", () => {
  it("keeps sessions across connections, records use, prunes the expired and trims the least recently used", () => {
    const path = join(scratch, "sessions.sqlite");
    const first = new SqliteDatabase(path);
    const sessions = new SqliteSessionRepository(first);
    sessions.insert({ tokenHash: "a", user: "admin", createdAt: 0, lastUsedAt: 0 });
    sessions.insert({ tokenHash: "b", user: "admin", createdAt: 10, lastUsedAt: 10 });
    sessions.insert({ tokenHash: "c", user: "local", createdAt: 20, lastUsedAt: 20 });
    sessions.touch("a", 30);
    first.close();

    const second = new SqliteDatabase(path);
    const reopened = new SqliteSessionRepository(second);
    expect(reopened.get("a")).toEqual({ tokenHash: "a", user: "admin", createdAt: 0, lastUsedAt: 30 });
    expect(reopened.count()).toBe(3);
    // Idle since before 15 (b), or created before 5 (a).
    expect(reopened.prune(15, 5)).toBe(2);
    expect(reopened.get("a")).toBeUndefined();
    expect(reopened.get("c")?.user).toBe("local");

    reopened.insert({ tokenHash: "d", user: "admin", createdAt: 40, lastUsedAt: 40 });
    reopened.insert({ tokenHash: "e", user: "admin", createdAt: 50, lastUsedAt: 50 });
    reopened.touch("c", 60);
    reopened.trim(2);
    expect(["c", "d", "e"].map((hash) => reopened.get(hash) !== undefined)).toEqual([true, false, true]);
    reopened.delete("c");
    expect(reopened.count()).toBe(1);
    second.close();
  });
});
