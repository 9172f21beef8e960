/**
 * Result of an application-layer parser over untrusted bytes. Parsers never throw: a
 * malformed message yields a reason (a short, stable, snake_case name used as a counter key)
 * and the byte offset, relative to the start of the message, where parsing gave up.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; offset: number };

export function parsedOk<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function parsedFail<T>(reason: string, offset: number): Parsed<T> {
  return { ok: false, reason, offset };
}
