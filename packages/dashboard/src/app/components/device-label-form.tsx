import { type FormEvent, useState } from "react";
import { api } from "../api/client.js";
import type { DeviceLabels } from "../api/types.js";

/** Limits of PATCH /devices/{id}, so the form says so before the server has to. */
const MAX = { name: 64, label: 32, notes: 1000 } as const;

/**
 * Rename and label a device. The name given here replaces the discovered one wherever the
 * device is shown; emptying it brings the discovered name back.
 */
export function DeviceLabelForm({
  deviceId,
  labels,
  discoveredName,
  onSaved,
}: {
  deviceId: string;
  labels: DeviceLabels | null;
  discoveredName: string | null;
  onSaved: () => void;
}) {
  const [name, setName] = useState(labels?.name ?? "");
  const [label, setLabel] = useState(labels?.label ?? "");
  const [notes, setNotes] = useState(labels?.notes ?? "");
  const [message, setMessage] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(undefined);
    setError(undefined);
    try {
      await api.send("PATCH", `/devices/${encodeURIComponent(deviceId)}`, { name, label, notes });
      setMessage("Saved.");
      onSaved();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };

  return (
    <form className="card label-form" onSubmit={(event) => void onSubmit(event)} aria-label="Name and label">
      <h2>Name and label</h2>
      <label>
        Name
        <input
          value={name}
          maxLength={MAX.name}
          placeholder={discoveredName ?? "e.g. Lucas' phone"}
          onChange={(event) => setName(event.target.value)}
        />
      </label>
      <p className="muted small">
        {discoveredName === null
          ? "The device has not told its name."
          : `It calls itself "${discoveredName}". Leave the name empty to use that.`}
      </p>
      <label>
        Label
        <input
          value={label}
          maxLength={MAX.label}
          placeholder="e.g. kids, IoT, work"
          onChange={(event) => setLabel(event.target.value)}
        />
      </label>
      <label>
        Notes
        <textarea rows={3} value={notes} maxLength={MAX.notes} onChange={(event) => setNotes(event.target.value)} />
      </label>
      <button type="submit" className="primary">
        Save
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
