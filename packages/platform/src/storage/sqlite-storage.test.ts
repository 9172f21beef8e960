import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storageContract } from "@heimdal/core";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteDatabase } from "./sqlite-database.js";
import { prefixEnd, SqliteStorage } from "./sqlite-storage.js";

const scratch = mkdtempSync(join(tmpdir(), "heimdal-kv-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const openStorage = () => new SqliteStorage(new SqliteDatabase(join(scratch, `kv-${++files}.sqlite`)));

storageContract("SqliteStorage", openStorage, { describe, it, expect });

describe("SqliteStorage", () => {
  it("keeps what it stored across a reopen", () => {
    const path = join(scratch, "reopen.sqlite");
    const first = new SqliteStorage(new SqliteDatabase(path));
    first.batch([
      { op: "set", key: "device/1", value: { name: "camera" } },
      { op: "set", key: "device/2", value: { name: "plug" } },
    ]);
    first.close();
    const again = new SqliteStorage(new SqliteDatabase(path));
    expect(again.list("device/")).toEqual([
      { key: "device/1", value: { name: "camera" } },
      { key: "device/2", value: { name: "plug" } },
    ]);
    again.close();
  });

  it("refuses a value without a JSON form, naming the key", () => {
    const storage = openStorage();
    expect(() => storage.set("k", undefined)).toThrow(new TypeError('Cannot store "k": undefined has no JSON form'));
    expect(() => storage.batch([{ op: "set", key: "f", value: () => 1 }])).toThrow(
      new TypeError('Cannot store "f": function has no JSON form'),
    );
    storage.close();
  });

  it("bounds a prefix range by the next code point", () => {
    expect(prefixEnd("")).toBeUndefined();
    expect(prefixEnd("ab")).toBe("ac");
    expect(prefixEnd("a\u0000")).toBe("a\u0001");
    expect(prefixEnd("a\ud7ff")).toBe("a\ue000");
    expect(prefixEnd("a\uffff")).toBe("a\u{10000}");
    expect(prefixEnd("a😀")).toBe("a😁");
    expect(prefixEnd("a\u{10ffff}")).toBe("b");
    expect(prefixEnd("\u{10ffff}\u{10ffff}")).toBeUndefined();
  });
});
