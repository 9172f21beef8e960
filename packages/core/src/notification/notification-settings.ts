import { SEVERITIES, type Severity } from "../detection/alert.js";
import type { StorageProvider } from "../storage/storage-provider.js";
import { SettingsError } from "./settings-error.js";

/** Local wall-clock times "HH:MM"; the window may cross midnight ("22:00"–"07:00"). */
export interface QuietHours {
  start: string;
  end: string;
}

/** Which alerts reach the user as notifications (desktop, phone), and when to keep quiet. */
export interface NotificationSettings {
  /** Alerts of these severities notify. */
  severities: Severity[];
  /** No notifications inside this window (except critical ones, when allowed below); null: never quiet. */
  quietHours: QuietHours | null;
  /** A critical alert notifies even during quiet hours. */
  criticalDuringQuietHours: boolean;
}

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = {
  severities: ["high", "critical"],
  quietHours: null,
  criticalDuringQuietHours: true,
};

const KEY = "settings/notifications";
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Minutes after midnight of "HH:MM"; a SettingsError naming `field` otherwise. */
export function parseClockTime(value: unknown, field: string): number {
  const match = typeof value === "string" ? TIME.exec(value) : null;
  if (!match) {
    const shown = typeof value === "string" ? `"${value.slice(0, 32)}"` : typeof value;
    throw new SettingsError(`${field} must be a time "HH:MM" from 00:00 to 23:59, got ${shown}`, field);
  }
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * Checks a whole notification settings value (a stored one, or a patch merged onto the
 * current one). Throws a SettingsError naming the first field at fault.
 */
export function parseNotificationSettings(value: unknown, field = "notifications"): NotificationSettings {
  if (!isRecord(value)) throw new SettingsError(`${field} must be an object`, field);
  for (const key of Object.keys(value)) {
    if (!(key in DEFAULT_NOTIFICATION_SETTINGS)) {
      throw new SettingsError(`${field}.${key} is not a known field`, `${field}.${key}`);
    }
  }
  const { severities, quietHours, criticalDuringQuietHours } = value;
  if (!Array.isArray(severities)) throw new SettingsError(`${field}.severities must be a list`, `${field}.severities`);
  const seen = new Set<Severity>();
  severities.forEach((severity, i) => {
    if (!(SEVERITIES as readonly unknown[]).includes(severity)) {
      throw new SettingsError(
        `${field}.severities[${i}] must be one of ${SEVERITIES.join(", ")}`,
        `${field}.severities[${i}]`,
      );
    }
    seen.add(severity as Severity);
  });
  let quiet: QuietHours | null = null;
  if (quietHours !== null) {
    if (!isRecord(quietHours)) {
      throw new SettingsError(`${field}.quietHours must be {start, end} or null`, `${field}.quietHours`);
    }
    const start = parseClockTime(quietHours.start, `${field}.quietHours.start`);
    const end = parseClockTime(quietHours.end, `${field}.quietHours.end`);
    if (start === end) {
      throw new SettingsError(`${field}.quietHours.end must differ from start`, `${field}.quietHours.end`);
    }
    quiet = { start: quietHours.start as string, end: quietHours.end as string };
  }
  if (typeof criticalDuringQuietHours !== "boolean") {
    throw new SettingsError(
      `${field}.criticalDuringQuietHours must be true or false`,
      `${field}.criticalDuringQuietHours`,
    );
  }
  // Stored in severity order, each once.
  return { severities: SEVERITIES.filter((s) => seen.has(s)), quietHours: quiet, criticalDuringQuietHours };
}

/** Whether `minuteOfDay` (local time, 0–1439) falls in the quiet window, which may cross midnight. */
export function inQuietHours(quiet: QuietHours | null, minuteOfDay: number): boolean {
  if (quiet === null) return false;
  const start = parseClockTime(quiet.start, "quietHours.start");
  const end = parseClockTime(quiet.end, "quietHours.end");
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}

/** Whether an alert of `severity` raised at `minuteOfDay` (local time) should notify. */
export function shouldNotify(settings: NotificationSettings, severity: Severity, minuteOfDay: number): boolean {
  if (!settings.severities.includes(severity)) return false;
  if (!inQuietHours(settings.quietHours, minuteOfDay)) return true;
  return severity === "critical" && settings.criticalDuringQuietHours;
}

/** The notification settings in the sensor's key-value store, shared by every process reading the database. */
export class NotificationSettingsStore {
  constructor(private readonly kv: StorageProvider) {}

  get(): NotificationSettings {
    const stored = this.kv.get<unknown>(KEY);
    return stored === undefined ? { ...DEFAULT_NOTIFICATION_SETTINGS } : parseNotificationSettings(stored);
  }

  /** `patch` merged onto the current settings and checked, without storing it. */
  validate(patch: Partial<NotificationSettings>): NotificationSettings {
    return parseNotificationSettings({ ...this.get(), ...patch });
  }

  /** Merges `patch` onto the current settings, validates the result and stores it. */
  update(patch: Partial<NotificationSettings>): NotificationSettings {
    const merged = this.validate(patch);
    this.kv.set(KEY, merged);
    return merged;
  }
}
