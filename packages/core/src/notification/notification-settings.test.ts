import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEVERITIES } from "../detection/alert.js";
import { MemoryStorage } from "../storage/memory-storage.js";
import {
  DEFAULT_NOTIFICATION_SETTINGS,
  inQuietHours,
  NotificationSettingsStore,
  parseClockTime,
  parseNotificationSettings,
  shouldNotify,
} from "./notification-settings.js";
import { SettingsError } from "./settings-error.js";

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

describe("notification settings", () => {
  it("stores a merged patch and reads it back, defaults when nothing is stored", () => {
    const store = new NotificationSettingsStore(new MemoryStorage());
    expect(store.get()).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
    const saved = store.update({
      severities: ["critical", "medium", "critical"],
      quietHours: { start: "22:00", end: "07:00" },
    });
    expect(saved).toEqual({
      severities: ["medium", "critical"],
      quietHours: { start: "22:00", end: "07:00" },
      criticalDuringQuietHours: true,
    });
    expect(store.get()).toEqual(saved);
    expect(store.update({ quietHours: null }).quietHours).toBeNull();
  });

  it.each([
    [{ severities: ["loud"] }, "notifications.severities[0]"],
    [{ severities: "high" }, "notifications.severities"],
    [{ quietHours: { start: "24:00", end: "07:00" } }, "notifications.quietHours.start"],
    [{ quietHours: { start: "22:00", end: "7:00" } }, "notifications.quietHours.end"],
    [{ quietHours: { start: "22:00", end: "22:00" } }, "notifications.quietHours.end"],
    [{ quietHours: "22-07" }, "notifications.quietHours"],
    [{ criticalDuringQuietHours: "yes" }, "notifications.criticalDuringQuietHours"],
    [{ volume: 3 }, "notifications.volume"],
  ])("refuses %j naming %s, and stores nothing", (patch, field) => {
    const store = new NotificationSettingsStore(new MemoryStorage());
    expect(() => store.update(patch as never)).toThrow(SettingsError);
    try {
      store.update(patch as never);
    } catch (error) {
      expect((error as SettingsError).field).toBe(field);
      expect((error as Error).message).toContain(field);
    }
    expect(store.get()).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
  });

  it("accepts every HH:MM and nothing else (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1439 }), (minutes) => {
        expect(parseClockTime(hhmm(minutes), "t")).toBe(minutes);
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        let parsed: number | undefined;
        try {
          parsed = parseClockTime(text, "t");
        } catch (error) {
          expect(error).toBeInstanceOf(SettingsError);
          return;
        }
        expect(hhmm(parsed)).toBe(text);
      }),
    );
  });

  it("quiet hours contain their start, not their end, across midnight too; critical may still notify (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 1, max: 1439 }),
        fc.integer({ min: 0, max: 1439 }),
        fc.constantFrom(...SEVERITIES),
        fc.boolean(),
        (start, length, minute, severity, critical) => {
          const end = (start + length) % 1440;
          const quiet = { start: hhmm(start), end: hhmm(end) };
          expect(inQuietHours(quiet, start)).toBe(true);
          expect(inQuietHours(quiet, end)).toBe(false);
          const offset = (minute - start + 1440) % 1440;
          expect(inQuietHours(quiet, minute)).toBe(offset < length);
          const settings = { severities: [...SEVERITIES], quietHours: quiet, criticalDuringQuietHours: critical };
          expect(shouldNotify(settings, severity, minute)).toBe(
            offset >= length || (severity === "critical" && critical),
          );
          expect(shouldNotify({ ...settings, severities: [] }, severity, minute)).toBe(false);
        },
      ),
    );
  });

  it("round-trips any valid settings through the parser (property)", () => {
    fc.assert(
      fc.property(
        fc.subarray([...SEVERITIES]),
        fc.option(fc.tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 1439 }))),
        fc.boolean(),
        (severities, window, critical) => {
          const value = {
            severities,
            quietHours: window === null ? null : { start: hhmm(window[0]), end: hhmm((window[0] + window[1]) % 1440) },
            criticalDuringQuietHours: critical,
          };
          expect(parseNotificationSettings(value)).toEqual(value);
        },
      ),
    );
  });
});
