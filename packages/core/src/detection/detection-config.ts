import { ALERT_TYPES, type AlertType } from "./alert.js";
import type { Exclusion } from "./alert-sink.js";
import type { SensitivityConfig } from "./detection-engine.js";

/** A detection setting that cannot be used; the message names the field and the value. */
export class DetectionConfigError extends Error {
  override name = "DetectionConfigError";
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function sensitivityValue(value: unknown, where: string): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new DetectionConfigError(`${where} must be a number from 0 to 1, got ${JSON.stringify(value)}`);
  }
  return n;
}

function alertType(value: unknown, where: string): AlertType {
  if (typeof value !== "string" || !(ALERT_TYPES as readonly string[]).includes(value)) {
    throw new DetectionConfigError(`${where} must be one of ${ALERT_TYPES.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as AlertType;
}

/**
 * Sensitivity from command-line style settings: "0.7" (global), "port_scan=0.8" (one
 * detector), "device:dev-001122334455=0.2" (one device). Later settings override earlier ones.
 */
export function parseSensitivity(settings: readonly string[]): SensitivityConfig {
  const config: SensitivityConfig = {};
  settings.forEach((setting, i) => {
    const where = `sensitivity[${i}] ("${setting.slice(0, 80)}")`;
    const at = setting.lastIndexOf("=");
    if (at < 0) {
      config.global = sensitivityValue(setting, where);
      return;
    }
    const name = setting.slice(0, at).trim();
    const value = sensitivityValue(setting.slice(at + 1), where);
    if (name.startsWith("device:")) {
      const id = name.slice(7);
      if (id === "") throw new DetectionConfigError(`${where}: a device id must follow "device:"`);
      config.devices = { ...config.devices, [id]: value };
    } else {
      config.detectors = { ...config.detectors, [alertType(name, `${where} detector`)]: value };
    }
  });
  return config;
}

/**
 * Exclusions as data: `{"exclusions": [{"id", "comment", "type"?, "deviceId"?, "destination"?,
 * "port"?, "expires"? (ISO 8601)}]}`. Each needs a comment (why it is safe) and at least one
 * field to match on: an exclusion that matches everything would silence the sensor.
 */
export function parseExclusions(document: unknown, source = "exclusions"): Exclusion[] {
  if (!isRecord(document) || !Array.isArray(document.exclusions)) {
    throw new DetectionConfigError(`${source}: expected an object with an "exclusions" array`);
  }
  const ids = new Set<string>();
  return document.exclusions.map((entry, i) => {
    const where = `${source}: exclusions[${i}]`;
    if (!isRecord(entry)) throw new DetectionConfigError(`${where} must be an object`);
    const text = (field: string, required: boolean): string | undefined => {
      const value = entry[field];
      if (value === undefined && !required) return undefined;
      if (typeof value !== "string" || value.trim() === "" || value.length > 512) {
        throw new DetectionConfigError(`${where}.${field} must be a non-empty string of at most 512 characters`);
      }
      return value;
    };
    const id = text("id", true)!;
    if (ids.has(id)) throw new DetectionConfigError(`${where}.id "${id}" is used twice`);
    ids.add(id);
    const exclusion: Exclusion = { id, comment: text("comment", true)!, hits: 0 };
    if (entry.type !== undefined) exclusion.type = alertType(entry.type, `${where}.type`);
    const deviceId = text("deviceId", false);
    if (deviceId !== undefined) exclusion.deviceId = deviceId;
    const destination = text("destination", false);
    if (destination !== undefined) exclusion.destination = destination.toLowerCase();
    const port = text("port", false);
    if (port !== undefined) {
      if (!/^(tcp|udp)\/\d{1,5}$/.test(port) || Number(port.split("/")[1]) > 65535) {
        throw new DetectionConfigError(`${where}.port must look like "tcp/443" or "udp/53", got "${port}"`);
      }
      exclusion.port = port;
    }
    const expires = text("expires", false);
    if (expires !== undefined) {
      const time = Date.parse(expires);
      if (!Number.isFinite(time))
        throw new DetectionConfigError(`${where}.expires must be an ISO 8601 time, got "${expires}"`);
      exclusion.expires = time;
    }
    if (exclusion.type === undefined && deviceId === undefined && destination === undefined && port === undefined) {
      throw new DetectionConfigError(`${where} must match on at least one of type, deviceId, destination, port`);
    }
    return exclusion;
  });
}
