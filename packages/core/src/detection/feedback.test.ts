import { describe, expect, it } from "vitest";
import { DeviceBaseline } from "../baseline/device-baseline.js";
import { FEEDBACK_SOURCE, foldExpectedIntoBaseline } from "./feedback.js";

describe("'this was me' feedback", () => {
  it("makes the alert's destination and port part of normal, under its own source, without duplicates", () => {
    const baseline = new DeviceBaseline("dev-1");
    const now = Date.UTC(2026, 10, 2);
    expect(baseline.knowsDestination("backup.example", now)).toBe(false);
    const alert = {
      id: "a1",
      type: "data_exfiltration",
      severity: "medium",
      deviceId: "dev-1",
      time: now,
      evidence: { destination: "backup.example", port: "tcp/443" },
    };
    expect(foldExpectedIntoBaseline(alert, baseline)).toEqual({ destinations: ["backup.example"], ports: ["tcp/443"] });
    foldExpectedIntoBaseline(alert, baseline);
    foldExpectedIntoBaseline({ ...alert, evidence: { destination: "other.example" } }, baseline);
    expect(baseline.knowsDestination("backup.example", now)).toBe(true);
    expect(baseline.golden).toEqual([
      { source: FEEDBACK_SOURCE, destinations: ["backup.example", "other.example"], ports: ["tcp/443"] },
    ]);
  });
});
