import { parseBaselineJson } from "../baseline/baseline-json.js";
import { DeviceBaseline } from "../baseline/device-baseline.js";
import type { AlertLike, Repositories } from "../storage/repositories.js";

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

/** An alert that "this was me" cannot apply to; the message names the alert and why. */
export class FeedbackError extends Error {
  override name = "FeedbackError";
  constructor(
    message: string,
    /** "not_found": no such alert; "no_device": the alert is about no device of this network. */
    readonly reason: "not_found" | "no_device",
  ) {
    super(message);
  }
}

export interface ExpectedFeedbackResult {
  deviceId: string;
  /** The baseline version that now holds what was taught. */
  version: number;
  destinations: string[];
  ports: string[];
}

/**
 * "This was me / expected" against stored data: folds the stored alert's destination and port
 * into its device's current baseline (a new baseline version) and acknowledges the alert at
 * `now`. The one implementation behind `heimdal alerts expected` and the API.
 */
export function applyExpectedFeedback(
  repositories: Pick<Repositories, "alerts" | "baselines">,
  alertId: string,
  now: number,
): ExpectedFeedbackResult {
  const stored = repositories.alerts.get(alertId);
  if (!stored) throw new FeedbackError(`No stored alert "${alertId}"`, "not_found");
  const alert = stored.alert as AlertLike & { evidence?: Record<string, unknown> };
  if (!alert.deviceId) {
    throw new FeedbackError(
      `Alert "${alertId}" is about no device of this network; there is no baseline to teach`,
      "no_device",
    );
  }
  const current = repositories.baselines.load(alert.deviceId);
  const baseline = new DeviceBaseline(alert.deviceId);
  if (current) baseline.merge(parseBaselineJson(current.baseline, `stored baseline of ${alert.deviceId}`));
  const folded = foldExpectedIntoBaseline(alert, baseline);
  const version = repositories.baselines.save(alert.deviceId, baseline.toJSON());
  repositories.alerts.acknowledge(alertId, now);
  return { deviceId: alert.deviceId, version, ...folded };
}
