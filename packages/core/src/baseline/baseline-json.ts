import type { BaselineJson, DailySummary, GoldenProfile } from "./device-baseline.js";

/** A baseline file that cannot be imported; the message names the field and what was wrong. */
export class BaselineFormatError extends Error {
  override name = "BaselineFormatError";
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

/**
 * Checks an imported baseline (a backup, or a golden profile from the cloud) field by field:
 * nothing from a file reaches the baseline code unchecked.
 */
export function parseBaselineJson(value: unknown, where = "baseline"): BaselineJson {
  if (!isRecord(value)) throw new BaselineFormatError(`${where} must be an object`);
  if (value.schema !== 1)
    throw new BaselineFormatError(`${where}.schema must be 1, got ${JSON.stringify(value.schema)}`);
  if (typeof value.deviceId !== "string" || value.deviceId === "" || value.deviceId.length > 128) {
    throw new BaselineFormatError(`${where}.deviceId must be a non-empty string of at most 128 characters`);
  }
  const offset = value.utcOffsetMinutes;
  if (typeof offset !== "number" || !Number.isInteger(offset) || Math.abs(offset) > 14 * 60) {
    throw new BaselineFormatError(`${where}.utcOffsetMinutes must be an integer within ±840`);
  }
  if (!Array.isArray(value.days)) throw new BaselineFormatError(`${where}.days must be an array`);
  const golden = value.golden ?? [];
  if (!Array.isArray(golden)) throw new BaselineFormatError(`${where}.golden must be an array`);
  return {
    schema: 1,
    deviceId: value.deviceId,
    utcOffsetMinutes: offset,
    days: value.days.map((day, i) => parseDay(day, `${where}.days[${i}]`)),
    golden: golden.map((g, i) => parseGolden(g, `${where}.golden[${i}]`)),
  };
}

function parseDay(value: unknown, where: string): DailySummary {
  if (!isRecord(value)) throw new BaselineFormatError(`${where} must be an object`);
  for (const field of ["day", "bytesUp", "bytesDown", "connections"] as const) {
    if (!isCount(value[field])) throw new BaselineFormatError(`${where}.${field} must be a non-negative number`);
  }
  const hourly = value.hourly;
  if (!Array.isArray(hourly) || hourly.length !== 24 || !hourly.every(isCount)) {
    throw new BaselineFormatError(`${where}.hourly must be 24 non-negative numbers`);
  }
  const destinations = value.destinations;
  if (!isRecord(destinations)) throw new BaselineFormatError(`${where}.destinations must be an object`);
  const parsedDestinations: DailySummary["destinations"] = {};
  for (const [name, stats] of Object.entries(destinations)) {
    if (!isRecord(stats) || !isCount(stats.bytes) || !isCount(stats.connections)) {
      throw new BaselineFormatError(
        `${where}.destinations["${name.slice(0, 64)}"] must have non-negative bytes and connections`,
      );
    }
    parsedDestinations[name] = { bytes: stats.bytes, connections: stats.connections };
  }
  const ports = value.ports;
  if (!isRecord(ports) || !Object.values(ports).every(isCount)) {
    throw new BaselineFormatError(`${where}.ports must map port names to non-negative counts`);
  }
  const other = value.other ?? { bytes: 0, connections: 0 };
  if (!isRecord(other) || !isCount(other.bytes) || !isCount(other.connections)) {
    throw new BaselineFormatError(`${where}.other must have non-negative bytes and connections`);
  }
  const day: DailySummary = {
    day: value.day as number,
    bytesUp: value.bytesUp as number,
    bytesDown: value.bytesDown as number,
    connections: value.connections as number,
    hourly: hourly as number[],
    destinations: parsedDestinations,
    ports: { ...(ports as Record<string, number>) },
    other: { bytes: other.bytes, connections: other.connections },
  };
  if (value.lastTime !== undefined) {
    if (!isCount(value.lastTime)) throw new BaselineFormatError(`${where}.lastTime must be a non-negative number`);
    day.lastTime = value.lastTime;
  }
  return day;
}

function parseGolden(value: unknown, where: string): GoldenProfile {
  if (!isRecord(value) || typeof value.source !== "string")
    throw new BaselineFormatError(`${where}.source must be a string`);
  const list = (field: "destinations" | "ports") => {
    const items = value[field];
    if (!Array.isArray(items) || !items.every((x) => typeof x === "string")) {
      throw new BaselineFormatError(`${where}.${field} must be an array of strings`);
    }
    return items as string[];
  };
  return { source: value.source, destinations: list("destinations"), ports: list("ports") };
}
