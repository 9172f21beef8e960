import { useState } from "react";
import { api } from "../../api/client.js";
import type { Config } from "../../api/types.js";

/** The Asgard connector's switch, off by default, with what it shares and what it never does. */
export function CloudCard({ cloud, onSaved }: { cloud: Config["cloud"]; onSaved: () => void }) {
  const [error, setError] = useState<string | undefined>();
  // Shown switched at once; put back if the server refuses.
  const [enabled, setEnabled] = useState(cloud.enabled);
  const set = async (next: boolean) => {
    setError(undefined);
    setEnabled(next);
    try {
      await api.send("PATCH", "/config", { cloud: { enabled: next } });
      onSaved();
    } catch (caught) {
      setEnabled(!next);
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <section className="card" data-testid="cloud">
      <h2>Cloud (Asgard)</h2>
      <label className="inline">
        <input type="checkbox" checked={enabled} onChange={(event) => void set(event.target.checked)} />
        Share anonymized metadata with Asgard
      </label>
      <p className="muted small">
        {enabled ? "On" : "Off"}.{" "}
        {cloud.connected ? "Connected." : "No connector runs in this version: nothing is sent yet."}
      </p>
      <div className="grid two">
        <div>
          <h3>Shared when on</h3>
          <ul className="small">
            {cloud.shares.map((item) => (
              <li key={item}>{item}</li>
            ))}
          </ul>
        </div>
        <div>
          <h3>Never shared</h3>
          <ul className="small">
            {cloud.neverShared.map((item) => (
              <li key={item}>{item}</li>
            ))}
          </ul>
        </div>
      </div>
      {error !== undefined && <p className="form-error">{error}</p>}
    </section>
  );
}
