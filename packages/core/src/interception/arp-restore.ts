/**
 * Undoing interception: every target is told the gateway's real MAC and the gateway every
 * target's, several times (a frame can be lost, and a Linux neighbour entry ignores a change
 * that comes within its locktime, one second by default, of the previous one).
 */
import type { FrameInjector, ScanClock } from "../discovery/active-scanner.js";
import { arpReplyFrame } from "./arp-frame.js";
import type { InterceptionHost } from "./interception-plan.js";

export const RESTORE_DEFAULTS = { repeats: 5, spacingMs: 400 } as const;

/** The correct claims for the gateway and each target, from the sensor's own MAC. */
export function restoreFrames(
  sensorMac: number,
  gateway: InterceptionHost,
  targets: readonly InterceptionHost[],
): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const target of targets) {
    frames.push(arpReplyFrame(sensorMac, gateway.mac, gateway.ip, target));
    frames.push(arpReplyFrame(sensorMac, target.mac, target.ip, gateway));
  }
  return frames;
}

/**
 * Sends the frames `repeats` times, `spacingMs` apart. Resolves with the number of frames
 * sent; a frame that fails is skipped (the others still restore their pairs) and the first
 * failure is rethrown once every round has run, so the caller keeps its journal.
 */
export async function sendRestore(
  injector: FrameInjector,
  clock: ScanClock,
  frames: readonly Uint8Array[],
  options: { repeats?: number; spacingMs?: number } = {},
): Promise<number> {
  const repeats = options.repeats ?? RESTORE_DEFAULTS.repeats;
  const spacingMs = options.spacingMs ?? RESTORE_DEFAULTS.spacingMs;
  let sent = 0;
  let failure: unknown;
  for (let round = 0; round < repeats; round++) {
    if (round > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, spacingMs));
    for (const frame of frames) {
      try {
        injector.inject(frame);
        sent++;
      } catch (error) {
        failure ??= error;
      }
    }
  }
  if (failure !== undefined) throw failure;
  return sent;
}
