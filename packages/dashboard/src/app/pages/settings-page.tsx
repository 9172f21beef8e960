import { type FormEvent, useState } from "react";
import { api } from "../api/client.js";
import type { Config, Exclusion } from "../api/types.js";
import { DeviceName } from "../components/device-name.js";
import { BlocksCard } from "../components/settings/blocks-card.js";
import { CloudCard } from "../components/settings/cloud-card.js";
import { InterceptionCard } from "../components/settings/interception-card.js";
import { NotificationsForm } from "../components/settings/notifications-form.js";
import { Empty, Loaded } from "../components/states.js";
import { useResource } from "../live/use-resource.js";

export function SettingsPage() {
  const resource = useResource(async (signal) => {
    const [config, exclusions] = await Promise.all([
      api.get<Config>("/config", {}, signal),
      api.get<{ exclusions: Exclusion[] }>("/exclusions", {}, signal),
    ]);
    return { config, exclusions: exclusions.exclusions };
  }, []);
  const reload = resource.kind === "ready" ? resource.reload : () => {};
  return (
    <>
      <h1>Settings</h1>
      <Loaded resource={resource} what="settings">
        {({ config, exclusions }) => (
          <>
            <SensitivityForm settings={config.sensitivity.settings} onSaved={reload} />
            <ExclusionsCard exclusions={exclusions} onChanged={reload} />
            <InterceptionCard interception={config.interception} />
            {config.interception.blocking && <BlocksCard />}
            <NotificationsForm settings={config.notifications} onSaved={reload} />
            <CloudCard cloud={config.cloud} onSaved={reload} />
            <section className="card">
              <h2>Server</h2>
              <p className="muted">
                Listening on {config.server.host}:{config.server.port}
                {config.server.tls ? " with TLS" : " without TLS"}
                {config.server.localhostNoLogin && "; this machine may read without logging in"}.
              </p>
            </section>
          </>
        )}
      </Loaded>
    </>
  );
}

function SensitivityForm({ settings, onSaved }: { settings: string[]; onSaved: () => void }) {
  const [text, setText] = useState(settings.join("\n"));
  const [message, setMessage] = useState<string | undefined>();
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const sensitivity = text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "");
    try {
      await api.send("PATCH", "/config", { sensitivity });
      setMessage("Saved. A running sensor uses it within seconds; a later analysis reads it too.");
      onSaved();
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <form className="card" onSubmit={(event) => void onSubmit(event)}>
      <h2>Sensitivity</h2>
      <p className="muted small">
        One setting a line, from 0 (quiet) to 1 (everything): <code>0.7</code> for all detectors,{" "}
        <code>port_scan=0.9</code> for one, <code>device:ID=0.2</code> for one device. Later lines win.
      </p>
      <textarea rows={4} value={text} onChange={(event) => setText(event.target.value)} aria-label="Sensitivity" />
      <button type="submit" className="primary">
        Save
      </button>
      {message !== undefined && (
        <p className="action-result" role="status">
          {message}
        </p>
      )}
    </form>
  );
}

function ExclusionsCard({ exclusions, onChanged }: { exclusions: Exclusion[]; onChanged: () => void }) {
  const [error, setError] = useState<string | undefined>();
  const remove = async (id: string) => {
    try {
      await api.send("DELETE", `/exclusions/${encodeURIComponent(id)}`);
      onChanged();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <section className="card">
      <h2>Exclusions and mutes</h2>
      {exclusions.length === 0 ? (
        <Empty title="No exclusions.">Mute a destination from an alert, or add an exclusion below.</Empty>
      ) : (
        <ul className="plain-list">
          {exclusions.map((exclusion) => (
            <li key={exclusion.id} className="exclusion">
              <span>
                <strong className="mono">{exclusion.id}</strong> {exclusion.comment}
                <span className="muted small block">
                  {exclusion.deviceId !== undefined && (
                    <>
                      <DeviceName id={exclusion.deviceId} fallback={exclusion.deviceId} />
                      {" · "}
                    </>
                  )}
                  {[
                    exclusion.type,
                    exclusion.destination,
                    exclusion.port,
                    exclusion.expires && `until ${exclusion.expires}`,
                  ]
                    .filter(Boolean)
                    .join(" · ")}
                </span>
              </span>
              <button type="button" onClick={() => void remove(exclusion.id)}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {error !== undefined && <p className="form-error">{error}</p>}
      <ExclusionForm onAdded={onChanged} />
    </section>
  );
}

const EXCLUSION_FIELDS = ["id", "comment", "type", "deviceId", "destination", "port"] as const;

function ExclusionForm({ onAdded }: { onAdded: () => void }) {
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | undefined>();
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const body = Object.fromEntries(Object.entries(fields).filter(([, value]) => value.trim() !== ""));
    try {
      await api.send("POST", "/exclusions", body);
      setFields({});
      setError(undefined);
      onAdded();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <form className="inline-form" onSubmit={(event) => void onSubmit(event)}>
      {EXCLUSION_FIELDS.map((name) => (
        <label key={name}>
          {name}
          <input
            value={fields[name] ?? ""}
            required={name === "id" || name === "comment"}
            onChange={(event) => setFields((f) => ({ ...f, [name]: event.target.value }))}
          />
        </label>
      ))}
      <button type="submit" className="primary">
        Add exclusion
      </button>
      {error !== undefined && <p className="form-error">{error}</p>}
    </form>
  );
}
