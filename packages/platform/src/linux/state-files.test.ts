import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BlockRule, SpoofJournalState } from "@heimdal/core";
import { afterEach, describe, expect, it } from "vitest";
import { BlockStore } from "./block-store.js";
import { FileSpoofJournal } from "./spoof-journal-file.js";

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "heimdal-state-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const state: SpoofJournalState = {
  version: 1,
  interfaceName: "eth0",
  sensorMac: "02:00:00:00:00:5e",
  gateway: { ip: "192.168.1.1", mac: "02:00:00:00:00:01" },
  targets: [{ ip: "192.168.1.10", mac: "02:00:00:00:00:0a" }],
  updatedAt: "2026-11-23T10:00:00.000Z",
};

describe("FileSpoofJournal", () => {
  it("saves atomically (no temporary file left), loads, and clears", () => {
    const dir = scratch();
    const journal = new FileSpoofJournal(join(dir, "sub", "arp-journal.json"));
    expect(journal.load()).toBeUndefined();
    journal.save(state);
    journal.save({ ...state, targets: [] });
    expect(readdirSync(join(dir, "sub"))).toEqual(["arp-journal.json"]);
    expect(journal.load()).toEqual({ ...state, targets: [] });
    journal.clear();
    expect(existsSync(join(dir, "sub", "arp-journal.json"))).toBe(false);
    journal.clear(); // clearing twice is fine
  });

  it("names the file and the field of a damaged journal", () => {
    const path = join(scratch(), "arp-journal.json");
    writeFileSync(path, "{ not json");
    expect(() => new FileSpoofJournal(path).load()).toThrow(new RegExp(`${path}: not valid JSON`));
    writeFileSync(path, JSON.stringify({ ...state, targets: [{ ip: "192.168.1.300", mac: "02:00:00:00:00:0a" }] }));
    expect(() => new FileSpoofJournal(path).load()).toThrow(`${path}: targets[0].ip must be an IPv4 address`);
  });
});

describe("BlockStore", () => {
  const rule = (id: string, mac: string): BlockRule => ({
    kind: "device",
    id,
    mac,
    ips: [],
    decidedBy: "user (test)",
    reason: "",
    createdAt: "2026-11-23T10:00:00.000Z",
    expiresAt: null,
  });

  it("adds, replaces by id, lists and removes matching rules", () => {
    const store = new BlockStore(join(scratch(), "blocks.json"));
    expect(store.list()).toEqual([]);
    store.add(rule("blk-00000001", "02:00:00:00:00:0a"));
    store.add(rule("blk-00000002", "02:00:00:00:00:0b"));
    store.add({ ...rule("blk-00000001", "02:00:00:00:00:0a"), reason: "again" });
    expect(store.list().map((r) => [r.id, r.reason])).toEqual([
      ["blk-00000002", ""],
      ["blk-00000001", "again"],
    ]);
    expect(store.remove((r) => r.kind === "device" && r.mac === "02:00:00:00:00:0b").map((r) => r.id)).toEqual([
      "blk-00000002",
    ]);
    expect(store.list().map((r) => r.id)).toEqual(["blk-00000001"]);
  });
});
