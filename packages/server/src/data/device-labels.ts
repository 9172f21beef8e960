import type { DeviceLabel } from "@heimdal/platform";
import type { SensorData } from "./sensor-data.js";

export type LabelField = "name" | "label" | "notes";
export type LabelPatch = Partial<Record<LabelField, string | null>>;

const FIELDS: readonly LabelField[] = ["name", "label", "notes"];

/**
 * C0 and C1 control characters, DEL, and the Unicode line and paragraph separators; notes
 * keep newlines and tabs. Bidi overrides (U+202A–U+202E, U+2066–U+2069) are refused too: a
 * name could otherwise show text in an order that hides what it says.
 */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FORBIDDEN_IN_NOTES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * A field of the user's text as stored: trimmed, null when empty; a 400 error naming the
 * field when it holds control characters. Length is bounded by the schema.
 */
export function cleanLabelText(field: LabelField, value: string | null): string | null {
  if (value === null) return null;
  const forbidden = field === "notes" ? FORBIDDEN_IN_NOTES : FORBIDDEN;
  const at = value.search(forbidden);
  if (at >= 0) {
    const code = value.codePointAt(at)!.toString(16).toUpperCase().padStart(4, "0");
    throw Object.assign(
      new RangeError(`body.${field} must not contain control characters (U+${code} at position ${at})`),
      { statusCode: 400, field },
    );
  }
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

export interface LabelChange {
  field: LabelField;
  from: string | null;
  to: string | null;
}

/**
 * Applies a patch to a device's label (fields absent from it stay), stores it, and records a
 * device_changed event (with `by: "user"`) so every open dashboard hears of it. Returns what
 * changed; nothing is written when nothing changed.
 */
export function updateDeviceLabel(
  data: SensorData,
  device: { id: string; mac: string },
  patch: LabelPatch,
  now: number,
): LabelChange[] {
  const before: DeviceLabel = data.labels.get(device.id) ?? {
    deviceId: device.id,
    name: null,
    label: null,
    notes: null,
    updatedAt: now,
  };
  const after: DeviceLabel = { ...before, updatedAt: now };
  const changes: LabelChange[] = [];
  for (const field of FIELDS) {
    const value = patch[field];
    if (value === undefined) continue;
    const cleaned = cleanLabelText(field, value);
    if (cleaned !== before[field]) changes.push({ field, from: before[field], to: cleaned });
    after[field] = cleaned;
  }
  if (changes.length === 0) return changes;
  data.labels.put(after);
  const event = { type: "device_changed", time: now, deviceId: device.id, mac: device.mac, by: "user", changes };
  data.repositories.events.append(event);
  data.wrote();
  return changes;
}
