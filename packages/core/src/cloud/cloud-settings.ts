import type { StorageProvider } from "../storage/storage-provider.js";

/**
 * The Asgard cloud connector's switch. Off unless the user turns it on. This version stores
 * the choice only: no connector runs yet, so nothing leaves the sensor either way.
 */
export interface CloudSettings {
  enabled: boolean;
}

/** What the connector would send when enabled: anonymized metadata, never contents or identities. */
export const CLOUD_SHARED_DATA: readonly string[] = [
  "counts of devices by type and vendor",
  "alert types, severities and times",
  "detector statistics (how often each fired, how often it was marked expected)",
];

/** What never leaves the sensor, enabled or not. */
export const CLOUD_NEVER_SHARED: readonly string[] = [
  "packet contents",
  "MAC and IP addresses",
  "device names, hostnames and the names you gave",
  "the domains and addresses your devices reach",
];

const KEY = "settings/cloud";

export class CloudSettingsStore {
  constructor(private readonly kv: StorageProvider) {}

  get(): CloudSettings {
    const stored = this.kv.get<Partial<CloudSettings>>(KEY);
    return { enabled: stored?.enabled === true };
  }

  set(settings: CloudSettings): CloudSettings {
    const value = { enabled: settings.enabled === true };
    this.kv.set(KEY, value);
    return value;
  }
}
