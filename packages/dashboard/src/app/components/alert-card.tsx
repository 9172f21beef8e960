import { type FormEvent, useState } from "react";
import { api } from "../api/client.js";
import type { StoredAlert } from "../api/types.js";
import { formatTime, humanize } from "../format.js";
import { devicePath, Link } from "../router.js";
import { BlockAction } from "./block-action.js";
import { DeviceName } from "./device-name.js";
import { SeverityBadge } from "./severity-badge.js";

/** Evidence values are device-influenced: shown as text, arrays joined, objects as JSON text. */
function evidenceText(value: unknown): string {
  if (Array.isArray(value))
    return value.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join(", ");
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/**
 * One alert explained for a person: the sentence, what is normal, what was seen, the evidence,
 * and what they can do about it. Every action reports its outcome on the card.
 */
export function AlertCard({ stored, onChanged }: { stored: StoredAlert; onChanged: () => void }) {
  const { alert, acknowledgedAt } = stored;
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | undefined>();
  const [muting, setMuting] = useState(false);
  const destination = typeof alert.evidence.destination === "string" ? alert.evidence.destination : "";

  const act = async (label: string, action: () => Promise<unknown>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      await action();
      setMessage(label);
      onChanged();
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };
  const path = `/alerts/${encodeURIComponent(alert.id)}`;

  return (
    <article
      className={`card alert-card severity-border-${alert.severity}`}
      data-testid="alert-card"
      data-alert-id={alert.id}
    >
      <header className="alert-head">
        <SeverityBadge severity={alert.severity} />
        <span className="alert-type">{humanize(alert.type)}</span>
        <time className="muted small">{formatTime(alert.time)}</time>
        {acknowledgedAt !== null && <span className="badge acknowledged">acknowledged</span>}
      </header>
      <p className="alert-sentence">{alert.description}</p>
      <dl className="facts">
        <dt>Normal</dt>
        <dd>{alert.normal}</dd>
        <dt>Seen</dt>
        <dd>{alert.observed}</dd>
        {alert.deviceId !== null && (
          <>
            <dt>Device</dt>
            <dd>
              <Link to={devicePath(alert.deviceId)}>
                <DeviceName id={alert.deviceId} fallback={alert.mac ?? alert.deviceId} />
              </Link>
            </dd>
          </>
        )}
      </dl>
      <details className="evidence">
        <summary>Evidence{alert.repeats > 0 && ` (repeated ${alert.repeats} more times)`}</summary>
        <dl className="facts">
          {Object.entries(alert.evidence).map(([key, value]) => (
            <div key={key} className="fact">
              <dt>{humanize(key)}</dt>
              <dd className="mono">{evidenceText(value)}</dd>
            </div>
          ))}
        </dl>
      </details>
      <div className="actions">
        {acknowledgedAt === null && (
          <button
            type="button"
            disabled={busy}
            onClick={() => void act("Acknowledged.", () => api.send("POST", `${path}/acknowledge`))}
          >
            Acknowledge
          </button>
        )}
        {alert.deviceId !== null && (
          <button
            type="button"
            disabled={busy}
            title="It was you or expected: this becomes normal for the device"
            onClick={() =>
              void act("Learned: this is now normal for the device.", () => api.send("POST", `${path}/expected`))
            }
          >
            This was me
          </button>
        )}
        {alert.deviceId !== null && (
          <button type="button" disabled={busy} onClick={() => setMuting((m) => !m)}>
            Mute…
          </button>
        )}
        {alert.deviceId !== null && (
          <BlockAction
            deviceId={alert.deviceId}
            {...(destination === "" ? {} : { destination })}
            onBlocked={onChanged}
          />
        )}
      </div>
      {muting && alert.deviceId !== null && (
        <MuteForm
          deviceId={alert.deviceId}
          destination={destination}
          onDone={(text) => {
            setMuting(false);
            setMessage(text);
            onChanged();
          }}
        />
      )}
      {message !== undefined && (
        <p className="action-result" role="status">
          {message}
        </p>
      )}
    </article>
  );
}

function MuteForm({
  deviceId,
  destination,
  onDone,
}: {
  deviceId: string;
  destination: string;
  onDone: (message: string) => void;
}) {
  const [target, setTarget] = useState(destination);
  const [days, setDays] = useState("7");
  const [error, setError] = useState<string | undefined>();
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const body: Record<string, string> = { deviceId, destination: target.trim() };
    const n = Number(days);
    if (days !== "" && n > 0) body.expires = new Date(Date.now() + n * 86_400_000).toISOString();
    try {
      await api.send("POST", "/mutes", body);
      onDone(`Muted alerts about ${target.trim()}${body.expires ? ` for ${n} days` : ""}.`);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <form className="inline-form" onSubmit={(event) => void onSubmit(event)}>
      <label>
        Destination
        <input value={target} onChange={(event) => setTarget(event.target.value)} required />
      </label>
      <label>
        Days (empty: until removed)
        <input inputMode="numeric" value={days} onChange={(event) => setDays(event.target.value)} />
      </label>
      <button type="submit" className="primary">
        Mute
      </button>
      {error !== undefined && <p className="form-error">{error}</p>}
    </form>
  );
}
