import {
  type DetectionEngine,
  type ExclusionEntry,
  parseExclusions,
  parseSensitivity,
  type UserSettings,
} from "@heimdal/core";

export interface SettingsSyncOptions {
  engine: DetectionEngine;
  /** The configuration file's sensitivity: it comes after the stored one, so it wins. */
  configSensitivity: readonly string[];
  log: (message: string) => void;
}

/**
 * Carries the detection settings a user changes while `heimdal run` runs (sensitivity,
 * exclusions and mutes, set on the dashboard, or through another server on the same database) into
 * the live detection engine. The database is their one source: the daemon reads it every few
 * seconds and applies what changed, so a mute silences the next alert, not the next restart.
 */
export class SettingsSync {
  #applied: string | undefined;

  constructor(private readonly options: SettingsSyncOptions) {}

  /**
   * Reads the stored settings and applies them when they changed since the last call. A read
   * that fails (database locked or gone) changes nothing; settings that do not parse (written
   * by hand) are reported once and leave the running ones in place. True when applied.
   */
  sync(settings: UserSettings | undefined): boolean {
    if (!settings) return false;
    let sensitivity: string[];
    let entries: ExclusionEntry[];
    try {
      sensitivity = settings.sensitivity();
      entries = settings.exclusionEntries();
    } catch {
      return false; // the storage part reports the database's trouble
    }
    const key = JSON.stringify([sensitivity, entries]);
    if (key === this.#applied) return false;
    this.#applied = key;
    try {
      const parsed = parseSensitivity([...sensitivity, ...this.options.configSensitivity]);
      const exclusions = parseExclusions({ exclusions: entries }, "stored exclusions");
      this.options.engine.setSensitivity(parsed);
      this.options.engine.setExclusions(exclusions);
      return true;
    } catch (error) {
      this.options.log(`settings: the stored settings are not applied: ${(error as Error).message}`);
      return false;
    }
  }
}
