import type { DeviceBaseline } from "../baseline/device-baseline.js";
import type { AlertLike } from "../storage/repositories.js";

export const FEEDBACK_SOURCE = "user:expected";

/**
 * "This was me / expected": the destination and port an alert was about become part of the
 * device's normal, kept with the golden profiles under their own source so that a person can
 * see (and a rollback can undo) what was taught by hand. Returns what was folded in.
 */
export function foldExpectedIntoBaseline(
  alert: AlertLike & { evidence?: Record<string, unknown> },
  baseline: DeviceBaseline,
): { destinations: string[]; ports: string[] } {
  const destination = typeof alert.evidence?.destination === "string" ? alert.evidence.destination : undefined;
  const port = typeof alert.evidence?.port === "string" ? alert.evidence.port : undefined;
  const existing = baseline.golden.find((g) => g.source === FEEDBACK_SOURCE);
  const destinations = new Set(existing?.destinations ?? []);
  const ports = new Set(existing?.ports ?? []);
  if (destination) destinations.add(destination);
  if (port) ports.add(port);
  baseline.addGolden({ source: FEEDBACK_SOURCE, destinations: [...destinations], ports: [...ports] });
  return { destinations: destination ? [destination] : [], ports: port ? [port] : [] };
}
