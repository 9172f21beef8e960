import type { Alert, AlertInput, AlertType, Severity } from "./alert.js";

/** A user's "not an alert": matches by any combination of fields; all given must match. */
export interface Exclusion {
  id: string;
  type?: AlertType;
  deviceId?: string;
  /** Matches evidence.destination (a registrable domain or address). */
  destination?: string;
  /** Matches evidence.port ("tcp/23"). */
  port?: string;
  comment: string;
  /** Milliseconds since the epoch; the exclusion stops applying after it. */
  expires?: number;
  hits: number;
}

export interface AlertSinkOptions {
  /** An alert with the same type and key within this much packet time is a repeat (default 1 h). */
  cooldownSeconds?: number;
  /** The user's exclusions; their `hits` count what they suppressed. */
  exclusions?: Exclusion[];
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export function severityRank(severity: Severity): number {
  return SEVERITY_RANK[severity];
}

/**
 * Where detectors' alerts go: exclusions first (counted as hits), then deduplication — the
 * same type and key within the cooldown folds into the first alert as a repeat instead of a
 * new notification — then the listeners (incidents, storage, dashboard).
 */
export class AlertSink {
  private readonly cooldownMs: number;
  private readonly lastByKey = new Map<string, Alert>();
  private alerts: Alert[] = [];
  private readonly listeners: ((alert: Alert) => void)[] = [];
  readonly exclusions: Exclusion[];
  excluded = 0;

  constructor(options: AlertSinkOptions = {}) {
    this.cooldownMs = (options.cooldownSeconds ?? 3600) * 1000;
    this.exclusions = options.exclusions ?? [];
  }

  /**
   * Replaces the exclusions (the user changed them while the sensor runs). One that stays,
   * by id, keeps its count of hits.
   */
  setExclusions(exclusions: readonly Exclusion[]): void {
    const hits = new Map(this.exclusions.map((e) => [e.id, e.hits]));
    this.exclusions.splice(
      0,
      this.exclusions.length,
      ...exclusions.map((e) => ({ ...e, hits: hits.get(e.id) ?? e.hits })),
    );
  }

  onAlert(listener: (alert: Alert) => void): void {
    this.listeners.push(listener);
  }

  raise(input: AlertInput): Alert | undefined {
    const exclusion = this.exclusions.find((e) => matches(e, input));
    if (exclusion) {
      exclusion.hits++;
      this.excluded++;
      return undefined;
    }
    const dedupKey = `${input.type}\u0000${input.deviceId ?? input.mac ?? ""}\u0000${input.key}`;
    const previous = this.lastByKey.get(dedupKey);
    if (previous && input.time - previous.time < this.cooldownMs) {
      previous.repeats++;
      // A repeat may escalate: keep the strongest severity and confidence seen.
      if (severityRank(input.severity) > severityRank(previous.severity)) previous.severity = input.severity;
      previous.confidence = Math.max(previous.confidence, input.confidence);
      return undefined;
    }
    const alert: Alert = { ...input, id: alertId(input), repeats: 0, confidence: round(input.confidence) };
    this.lastByKey.set(dedupKey, alert);
    this.alerts.push(alert);
    for (const listener of this.listeners) listener(alert);
    return alert;
  }

  /** Every alert raised (and not forgotten), oldest first. */
  all(): readonly Alert[] {
    return this.alerts;
  }

  /**
   * Forgets, among the first `count` alerts (those already stored), the ones no repeat can fold
   * into any more: raised more than a cooldown before `nowMs`. A sensor that runs for months
   * keeps in memory only what may still change. Returns the alerts forgotten.
   */
  forgetSettled(nowMs: number, count: number): Alert[] {
    const cutoff = nowMs - this.cooldownMs;
    const forgotten: Alert[] = [];
    const kept: Alert[] = [];
    const limit = Math.min(count, this.alerts.length);
    for (let i = 0; i < limit; i++) {
      const alert = this.alerts[i]!;
      if (alert.time < cutoff) forgotten.push(alert);
      else kept.push(alert);
    }
    if (forgotten.length === 0) return forgotten;
    this.alerts = kept.concat(this.alerts.slice(limit));
    for (const [key, alert] of this.lastByKey) if (alert.time < cutoff) this.lastByKey.delete(key);
    return forgotten;
  }
}

function matches(e: Exclusion, a: AlertInput): boolean {
  if (e.expires !== undefined && a.time > e.expires) return false;
  if (e.type !== undefined && e.type !== a.type) return false;
  if (e.deviceId !== undefined && e.deviceId !== a.deviceId) return false;
  if (e.destination !== undefined && e.destination !== a.evidence.destination) return false;
  if (e.port !== undefined && e.port !== a.evidence.port) return false;
  return e.type !== undefined || e.deviceId !== undefined || e.destination !== undefined || e.port !== undefined;
}

/** FNV-1a over type, device, key and time: the same detection in a replay has the same id. */
function alertId(a: AlertInput): string {
  const text = `${a.type}|${a.deviceId ?? a.mac ?? ""}|${a.key}|${a.time}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `alert-${a.type}-${(h >>> 0).toString(16).padStart(8, "0")}-${Math.floor(a.time / 1000)}`;
}

function round(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 100) / 100;
}
