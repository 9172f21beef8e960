import { type FormEvent, useState } from "react";
import { api } from "../../api/client.js";
import { type NotificationSettings, SEVERITIES, type Severity } from "../../api/types.js";

/** Which severities notify, and quiet hours; stored with PATCH /config, which validates them. */
export function NotificationsForm({ settings, onSaved }: { settings: NotificationSettings; onSaved: () => void }) {
  const [severities, setSeverities] = useState<Severity[]>(settings.severities);
  const [quiet, setQuiet] = useState(settings.quietHours !== null);
  const [start, setStart] = useState(settings.quietHours?.start ?? "22:00");
  const [end, setEnd] = useState(settings.quietHours?.end ?? "07:00");
  const [critical, setCritical] = useState(settings.criticalDuringQuietHours);
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const toggle = (severity: Severity) =>
    setSeverities((list) => (list.includes(severity) ? list.filter((s) => s !== severity) : [...list, severity]));
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(undefined);
    setError(undefined);
    try {
      await api.send("PATCH", "/config", {
        notifications: { severities, quietHours: quiet ? { start, end } : null, criticalDuringQuietHours: critical },
      });
      setMessage("Saved.");
      onSaved();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <form className="card" onSubmit={(event) => void onSubmit(event)} aria-label="Notifications">
      <h2>Notifications</h2>
      <fieldset className="choices">
        <legend>Notify me about alerts that are</legend>
        {SEVERITIES.map((severity) => (
          <label key={severity}>
            <input type="checkbox" checked={severities.includes(severity)} onChange={() => toggle(severity)} />
            {severity}
          </label>
        ))}
      </fieldset>
      <label className="inline">
        <input type="checkbox" checked={quiet} onChange={(event) => setQuiet(event.target.checked)} />
        Quiet hours
      </label>
      {quiet && (
        <div className="inline-form">
          <label>
            From
            <input
              type="time"
              value={start}
              onChange={(event) => setStart(event.target.value)}
              aria-label="Quiet from"
            />
          </label>
          <label>
            To
            <input type="time" value={end} onChange={(event) => setEnd(event.target.value)} aria-label="Quiet until" />
          </label>
          <label className="inline">
            <input type="checkbox" checked={critical} onChange={(event) => setCritical(event.target.checked)} />
            Critical alerts still notify
          </label>
        </div>
      )}
      <button type="submit" className="primary">
        Update notifications
      </button>
      {message !== undefined && (
        <p className="action-result" role="status">
          {message}
        </p>
      )}
      {error !== undefined && <p className="form-error">{error}</p>}
    </form>
  );
}
