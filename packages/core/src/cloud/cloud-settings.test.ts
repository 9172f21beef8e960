import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../storage/memory-storage.js";
import { CloudSettingsStore } from "./cloud-settings.js";

describe("cloud settings", () => {
  it("are off until turned on, and keep the choice", () => {
    const kv = new MemoryStorage();
    const store = new CloudSettingsStore(kv);
    expect(store.get()).toEqual({ enabled: false });
    expect(store.set({ enabled: true })).toEqual({ enabled: true });
    expect(new CloudSettingsStore(kv).get()).toEqual({ enabled: true });
    kv.set("settings/cloud", { enabled: "yes" });
    expect(store.get()).toEqual({ enabled: false });
  });
});
