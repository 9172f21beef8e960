import type Database from "better-sqlite3";

/** A prepared statement of the current connection, cached by its SQL text. */
export type SqlStatements = (sql: string) => Database.Statement;

/** JSON text of a value to store; a TypeError naming `what` when it has no JSON form. */
export function jsonText(value: unknown, what: string): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError(`Cannot store ${what}: ${typeof value} has no JSON form`);
  return text;
}
