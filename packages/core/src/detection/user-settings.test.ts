import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../storage/memory-storage.js";
import { DetectionConfigError } from "./detection-config.js";
import { muteId, UserSettings } from "./user-settings.js";

describe("user settings", () => {
  it("stores validated sensitivity and refuses an invalid one, keeping the stored value", () => {
    const settings = new UserSettings(new MemoryStorage());
    expect(settings.sensitivity()).toEqual([]);
    expect(settings.setSensitivity(["0.7", "port_scan=0.9"])).toEqual({ global: 0.7, detectors: { port_scan: 0.9 } });
    expect(() => settings.setSensitivity(["0.2", "2"])).toThrow(DetectionConfigError);
    expect(() => settings.setSensitivity(["0.2", "2"])).toThrow('sensitivity[1] ("2") must be a number from 0 to 1');
    expect(settings.sensitivity()).toEqual(["0.7", "port_scan=0.9"]);
  });

  it("adds, replaces and removes exclusions, validated with the others", () => {
    const settings = new UserSettings(new MemoryStorage());
    settings.putExclusion({ id: "nas", comment: "nightly backup", deviceId: "dev-1", destination: "Backup.Example" });
    settings.putExclusion({ id: "nas", comment: "nightly backup", deviceId: "dev-2" });
    const mute = settings.putExclusion({
      id: muteId("dev-3", "Ads.Example"),
      comment: "muted",
      deviceId: "dev-3",
      destination: "ads.example",
      expires: "2026-01-01T00:00:00Z",
    });
    expect(mute).toEqual({
      id: "mute:dev-3|ads.example",
      comment: "muted",
      deviceId: "dev-3",
      destination: "ads.example",
      expires: Date.UTC(2026, 0, 1),
      hits: 0,
    });
    expect(settings.exclusions().map((e) => [e.id, e.deviceId])).toEqual([
      ["nas", "dev-2"],
      ["mute:dev-3|ads.example", "dev-3"],
    ]);
    expect(() => settings.putExclusion({ id: "all", comment: "everything" })).toThrow(
      "exclusions: exclusions[0] must match on at least one of type, deviceId, destination, port",
    );
    expect(settings.exclusionEntries()).toHaveLength(2);
    expect(settings.removeExclusion("nas")).toBe(true);
    expect(settings.removeExclusion("nas")).toBe(false);
    expect(settings.exclusionEntries().map((e) => e.id)).toEqual(["mute:dev-3|ads.example"]);
  });
});
