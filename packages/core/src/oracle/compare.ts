/**
 * Packet-by-packet comparison of our decoding with tshark's, tallied per file. Test-only;
 * pure, so it type-checks with core.
 */
import { deliberateDifference } from "./differences.js";
import { APP_CHECKS, FIELD_CHECKS, type FieldCheck, type PacketContext } from "./field-checks.js";
import type { TsharkRow } from "./tshark-fields.js";

export interface Mismatch {
  frame: number;
  check: string;
  /** null: we say the field is absent. */
  ours: string | null;
  /** undefined: tshark printed nothing. */
  theirs: string | undefined;
}

export interface CheckTally {
  compared: number;
  matched: number;
}

export interface FileTally {
  file: string;
  packets: number;
  tsharkFrames: number;
  /** Field comparisons made (claims we made that tshark could confirm or deny). */
  compared: number;
  matched: number;
  byCheck: Record<string, CheckTally>;
  /** Mismatches explained by a documented deliberate difference, by its id. */
  documented: Record<string, number>;
  undocumentedCount: number;
  /** The first undocumented mismatches, for the report. */
  undocumented: Mismatch[];
  ourMalformed: number;
  ourTruncated: number;
  tsharkMalformed: number;
  /** Wall time of the tshark run and of our reading, decoding and comparing. */
  tsharkMs: number;
  oursMs: number;
}

const SAMPLE_LIMIT = 25;

export function emptyTally(file: string): FileTally {
  return {
    file,
    packets: 0,
    tsharkFrames: 0,
    compared: 0,
    matched: 0,
    byCheck: {},
    documented: {},
    undocumentedCount: 0,
    undocumented: [],
    ourMalformed: 0,
    ourTruncated: 0,
    tsharkMalformed: 0,
    tsharkMs: 0,
    oursMs: 0,
  };
}

/** Compares one packet with tshark's row for the same frame and adds the outcome to `tally`. */
export function comparePacket(c: PacketContext, row: TsharkRow, tally: FileTally, checks = ALL_CHECKS): void {
  tally.packets++;
  if (c.p.malformed !== 0) tally.ourMalformed++;
  if (c.p.truncated) tally.ourTruncated++;
  if (row.has("_ws.malformed")) tally.tsharkMalformed++;
  for (const check of checks) {
    const ours = check.ours(c);
    if (ours === undefined) continue;
    const theirs = check.theirs(row);
    let byCheck = tally.byCheck[check.name];
    if (!byCheck) {
      byCheck = { compared: 0, matched: 0 };
      tally.byCheck[check.name] = byCheck;
    }
    tally.compared++;
    byCheck.compared++;
    if ((ours === null && theirs === undefined) || ours === theirs) {
      tally.matched++;
      byCheck.matched++;
      continue;
    }
    const mismatch: Mismatch = { frame: row.frameNumber, check: check.name, ours, theirs };
    const id = deliberateDifference({ ...mismatch, c, row, file: tally.file });
    if (id !== undefined) {
      tally.documented[id] = (tally.documented[id] ?? 0) + 1;
    } else {
      tally.undocumentedCount++;
      if (tally.undocumented.length < SAMPLE_LIMIT) tally.undocumented.push(mismatch);
    }
  }
}

export const ALL_CHECKS: readonly FieldCheck[] = [...FIELD_CHECKS, ...APP_CHECKS];

/** One line per file for the test log. */
export function formatTally(t: FileTally): string {
  const documented = Object.entries(t.documented)
    .map(([id, n]) => `${id}×${n}`)
    .join(", ");
  return (
    `${t.file}: ${t.packets} packets (tshark ${t.tsharkFrames}), ${t.matched}/${t.compared} fields matched` +
    (documented ? `, documented differences: ${documented}` : "") +
    (t.undocumentedCount > 0 ? `, UNDOCUMENTED: ${t.undocumentedCount}` : "") +
    `; malformed ours ${t.ourMalformed} / tshark ${t.tsharkMalformed}, truncated ours ${t.ourTruncated}` +
    `; tshark ${Math.round(t.tsharkMs)} ms, ours ${Math.round(t.oursMs)} ms`
  );
}
