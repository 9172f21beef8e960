import { join } from "node:path";

/**
 * Where the sensor keeps state that must outlive the process (the interception journal, the
 * block list): --state-dir, else $HEIMDAL_STATE_DIR, else /var/lib/heimdal (the systemd
 * unit's StateDirectory).
 */
export function stateDir(option: string | undefined): string {
  return option ?? process.env.HEIMDAL_STATE_DIR ?? "/var/lib/heimdal";
}

export const arpJournalPath = (dir: string) => join(dir, "arp-journal.json");
export const blockListPath = (dir: string) => join(dir, "blocks.json");

/** Timers of the wall clock, for components that take an injected clock. */
export const wallClock = {
  now: () => performance.now(),
  setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
