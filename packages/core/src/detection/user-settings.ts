import type { StorageProvider } from "../storage/storage-provider.js";
import type { Exclusion } from "./alert-sink.js";
import { parseExclusions, parseSensitivity } from "./detection-config.js";
import type { SensitivityConfig } from "./detection-engine.js";

/** An exclusion as the user writes it (docs/detection.md): `expires` is ISO 8601 text. */
export interface ExclusionEntry {
  id: string;
  comment: string;
  type?: string;
  deviceId?: string;
  destination?: string;
  port?: string;
  expires?: string;
}

/** Keys in the sensor's key-value store. */
const SENSITIVITY_KEY = "settings/sensitivity";
const EXCLUSIONS_KEY = "settings/exclusions";

/** Ids of exclusions made by "mute this device–destination pair", so they can be listed apart. */
export const MUTE_ID_PREFIX = "mute:";

/**
 * The detection settings a user changes while the sensor runs (sensitivity, exclusions and
 * mutes), kept in the key-value store so that every process reading the database (the API, a
 * later `heimdal analyze --db`) sees the same. Every write is validated by the same parsers as
 * the command line's, so stored settings always parse; errors name the field.
 */
export class UserSettings {
  constructor(private readonly kv: StorageProvider) {}

  /** Sensitivity settings as the command line takes them ("0.7", "port_scan=0.8", "device:ID=0.2"). */
  sensitivity(): string[] {
    return this.kv.get<string[]>(SENSITIVITY_KEY) ?? [];
  }

  /** Validates and stores; throws DetectionConfigError naming the entry. */
  setSensitivity(settings: readonly string[]): SensitivityConfig {
    const parsed = parseSensitivity(settings);
    this.kv.set(SENSITIVITY_KEY, [...settings]);
    return parsed;
  }

  /** Every exclusion, mutes included, as stored. */
  exclusionEntries(): ExclusionEntry[] {
    return this.kv.get<{ exclusions: ExclusionEntry[] }>(EXCLUSIONS_KEY)?.exclusions ?? [];
  }

  /** The exclusions in the detection engine's form. */
  exclusions(): Exclusion[] {
    return parseExclusions({ exclusions: this.exclusionEntries() }, "stored exclusions");
  }

  /**
   * Adds an exclusion, or replaces the one with the same id. Throws DetectionConfigError naming
   * `exclusions[0].field` when it is invalid, and then stores nothing.
   */
  putExclusion(entry: ExclusionEntry): Exclusion {
    // Ids are unique by construction (the old entry goes), so the new one is checked alone and
    // an error names its fields as exclusions[0].…, whatever else is stored.
    const [parsed] = parseExclusions({ exclusions: [entry] }, "exclusions");
    const entries = this.exclusionEntries().filter((e) => e.id !== entry.id);
    entries.push(entry);
    this.kv.set(EXCLUSIONS_KEY, { exclusions: entries });
    return parsed!;
  }

  /** Removes an exclusion; false when there was none with this id. */
  removeExclusion(id: string): boolean {
    const entries = this.exclusionEntries();
    const kept = entries.filter((e) => e.id !== id);
    if (kept.length === entries.length) return false;
    this.kv.set(EXCLUSIONS_KEY, { exclusions: kept });
    return true;
  }
}

/** The id of the mute of one device–destination pair: muting the pair again replaces it. */
export function muteId(deviceId: string, destination: string): string {
  return `${MUTE_ID_PREFIX}${deviceId}|${destination.toLowerCase()}`;
}
