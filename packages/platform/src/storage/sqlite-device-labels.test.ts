import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DeviceRecord, emptyFingerprint } from "@heimdal/core";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteDatabase } from "./sqlite-database.js";
import { SqliteDeviceLabelRepository } from "./sqlite-device-labels.js";
import { SqliteDeviceRepository } from "./sqlite-repositories.js";

const scratch = mkdtempSync(join(tmpdir(), "heimdal-labels-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function record(lastSeen: number): DeviceRecord {
  return {
    id: "dev-0001",
    mac: "a4:cf:12:32:5b:88",
    macs: ["a4:cf:12:32:5b:88"],
    randomizedMac: false,
    role: "device",
    addresses: [],
    hostnames: [{ name: "esp-plug", source: "dhcp", firstSeen: 1, lastSeen }],
    vendor: null,
    type: { value: "plug_switch_bulb", confidence: 0.8, evidence: [] },
    model: null,
    os: null,
    fingerprint: emptyFingerprint(),
    firstSeen: 1,
    lastSeen,
    online: true,
    packets: 1,
    bytes: 1,
  };
}

describe("SqliteDeviceLabelRepository", () => {
  it("stores, replaces and removes a device's label, and an analysis writing the device keeps it", () => {
    const path = join(scratch, "labels.sqlite");
    const db = new SqliteDatabase(path);
    const labels = new SqliteDeviceLabelRepository(db);
    const devices = new SqliteDeviceRepository(db);
    devices.upsert(record(10));
    expect(labels.get("dev-0001")).toBeUndefined();
    labels.put({ deviceId: "dev-0001", name: "Lucas' phone", label: "kids", notes: null, updatedAt: 5 });
    labels.put({ deviceId: "dev-0001", name: "Lucas' phone", label: "kids", notes: "a\nb", updatedAt: 6 });

    // A re-analysis, in another connection as `heimdal analyze --db` would be.
    const analysis = new SqliteDatabase(path);
    new SqliteDeviceRepository(analysis).upsert(record(20));
    analysis.close();

    expect(devices.get("dev-0001")?.lastSeen).toBe(20);
    expect(labels.list()).toEqual([
      { deviceId: "dev-0001", name: "Lucas' phone", label: "kids", notes: "a\nb", updatedAt: 6 },
    ]);
    labels.put({ deviceId: "dev-0001", name: null, label: null, notes: null, updatedAt: 7 });
    expect(labels.get("dev-0001")).toBeUndefined();
    expect(labels.list()).toEqual([]);
    db.close();
  });
});
