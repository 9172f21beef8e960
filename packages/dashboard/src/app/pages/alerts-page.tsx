import { useState } from "react";
import { api } from "../api/client.js";
import { type AlertList, type IncidentList, SEVERITIES } from "../api/types.js";
import { AlertCard } from "../components/alert-card.js";
import { DeviceName } from "../components/device-name.js";
import { SeverityBadge } from "../components/severity-badge.js";
import { Empty, Loaded } from "../components/states.js";
import { formatTime } from "../format.js";
import { useResource } from "../live/use-resource.js";
import { devicePath, Link } from "../router.js";

type Show = "open" | "all";

export function AlertsPage() {
  const [show, setShow] = useState<Show>("open");
  const [severity, setSeverity] = useState<string>("");
  const resource = useResource(
    async (signal) => {
      const filters = {
        acknowledged: show === "open" ? false : undefined,
        severity: severity === "" ? undefined : [severity],
      };
      const [alerts, incidents] = await Promise.all([
        api.get<AlertList>("/alerts", { ...filters, limit: 100 }, signal),
        api.get<IncidentList>("/incidents", { ...filters, limit: 20 }, signal),
      ]);
      return { alerts, incidents };
    },
    [show, severity],
  );
  const reload = resource.kind === "ready" ? resource.reload : () => {};

  return (
    <>
      <h1>Alerts and incidents</h1>
      <div className="filters">
        <fieldset className="segmented">
          <legend className="sr-only">Which alerts</legend>
          <button type="button" className={show === "open" ? "active" : ""} onClick={() => setShow("open")}>
            To look at
          </button>
          <button type="button" className={show === "all" ? "active" : ""} onClick={() => setShow("all")}>
            All
          </button>
        </fieldset>
        <label>
          Severity{" "}
          <select value={severity} onChange={(event) => setSeverity(event.target.value)}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Loaded resource={resource} what="alerts">
        {({ alerts, incidents }) => (
          <>
            <section>
              <h2>Incidents</h2>
              {incidents.incidents.length === 0 ? (
                <Empty title="No incidents.">Alerts of one device within 30 minutes are grouped here.</Empty>
              ) : (
                <ol className="timeline">
                  {incidents.incidents.map((incident) => (
                    <li key={incident.id} className="card incident" data-testid="incident">
                      <header className="alert-head">
                        <SeverityBadge severity={incident.severity} />
                        <span className="muted small">
                          {formatTime(incident.start)} – {formatTime(incident.end)}
                        </span>
                        {incident.deviceId !== null && (
                          <Link to={devicePath(incident.deviceId)}>
                            <DeviceName id={incident.deviceId} fallback={incident.mac ?? incident.deviceId} />
                          </Link>
                        )}
                        {incident.acknowledged && <span className="badge acknowledged">acknowledged</span>}
                      </header>
                      <ol className="plain-list">
                        {incident.timeline.map((step) => (
                          <li key={`${step.time}-${step.type}`}>
                            <span className="muted small">{formatTime(step.time)}</span> {step.description}
                          </li>
                        ))}
                      </ol>
                    </li>
                  ))}
                </ol>
              )}
            </section>
            <section>
              <h2>
                Alerts{" "}
                <span className="muted small" data-testid="alert-total">
                  {alerts.total}
                </span>
              </h2>
              {alerts.alerts.length === 0 ? (
                <Empty title={show === "open" ? "Nothing to look at." : "No alerts yet."}>
                  {show === "open" ? "Every alert has been acknowledged." : "Alerts appear here as they are raised."}
                </Empty>
              ) : (
                alerts.alerts.map((stored) => <AlertCard key={stored.alert.id} stored={stored} onChanged={reload} />)
              )}
            </section>
          </>
        )}
      </Loaded>
    </>
  );
}
