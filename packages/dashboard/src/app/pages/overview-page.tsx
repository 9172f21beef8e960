import { api } from "../api/client.js";
import { type DeviceList, SEVERITIES, type Status } from "../api/types.js";
import { DeviceIcon } from "../components/device-icon.js";
import { SeverityBadge } from "../components/severity-badge.js";
import { Empty, Loaded } from "../components/states.js";
import { TrafficNowCard } from "../components/traffic-now-card.js";
import { formatAgo, formatBytes } from "../format.js";
import { useResource } from "../live/use-resource.js";
import { devicePath, Link } from "../router.js";

const DAY_MS = 86_400_000;

interface Overview {
  status: Status;
  devices: DeviceList;
  traffic: { totals: { bytesUp: number; bytesDown: number; connections: number } };
}

/** The ten-second answer: who is here, what is new, what needs a look, is the sensor well. */
export function OverviewPage() {
  const resource = useResource<Overview>(async (signal) => {
    const [status, devices, traffic] = await Promise.all([
      api.get<Status>("/status", {}, signal),
      api.get<DeviceList>("/devices", { limit: 1000 }, signal),
      api.get<Overview["traffic"]>("/traffic", { days: 7 }, signal),
    ]);
    return { status, devices, traffic };
  }, []);
  return (
    <>
      <h1>Overview</h1>
      <Loaded resource={resource} what="the overview">
        {(data) => <OverviewView {...data} />}
      </Loaded>
    </>
  );
}

function OverviewView({ status, devices, traffic }: Overview) {
  // A replayed capture is older than the clock: "today" means the day before the newest packet.
  const newest = Math.max(0, ...devices.devices.map((d) => d.lastSeen));
  const newToday = devices.devices.filter((d) => d.firstSeen > newest - DAY_MS && d.role !== "gateway");
  const open = status.counts.unacknowledgedBySeverity;
  return (
    <>
      <section className="tiles">
        <div className="tile" data-testid="tile-online">
          <span className="tile-value">{status.counts.devicesOnline}</span>
          <span className="tile-label">devices online of {status.counts.devices}</span>
        </div>
        <div className="tile" data-testid="tile-new">
          <span className="tile-value">{newToday.length}</span>
          <span className="tile-label">new in the last day</span>
        </div>
        <div className="tile" data-testid="tile-alerts">
          <span className="tile-value">{status.counts.unacknowledgedAlerts}</span>
          <span className="tile-label">alerts to look at</span>
        </div>
        <div className="tile">
          <span className="tile-value">{formatBytes(traffic.totals.bytesUp + traffic.totals.bytesDown)}</span>
          <span className="tile-label">traffic, {traffic.totals.connections} connections</span>
        </div>
      </section>

      <TrafficNowCard devices={devices.devices} />

      <section className="card">
        <h2>Open alerts by severity</h2>
        {status.counts.unacknowledgedAlerts === 0 ? (
          <Empty title="Nothing to look at.">Every alert has been acknowledged.</Empty>
        ) : (
          <ul className="severity-list">
            {[...SEVERITIES].reverse().map((severity) => (
              <li key={severity}>
                <SeverityBadge severity={severity} />
                <span className="count">{open[severity] ?? 0}</span>
              </li>
            ))}
          </ul>
        )}
        <Link to="/alerts">See the alerts →</Link>
      </section>

      <section className="card">
        <h2>New devices</h2>
        {newToday.length === 0 ? (
          <Empty title="No new devices in the last day." />
        ) : (
          <ul className="plain-list">
            {newToday.map((device) => (
              <li key={device.id}>
                <DeviceIcon type={device.type} />
                <Link to={devicePath(device.id)}>{device.name ?? device.vendor ?? device.mac}</Link>
                <span className="muted"> first seen {formatAgo(device.firstSeen, newest)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card">
        <h2>Sensor health</h2>
        <ul className="plain-list">
          {status.components.map((component) => (
            <li key={component.name}>
              <span className={`dot state-${component.state}`} aria-hidden="true" />
              <strong>{component.name}</strong> {component.state}
              {component.detail !== undefined && <span className="muted"> — {component.detail}</span>}
            </li>
          ))}
        </ul>
        <p className="muted small">
          Heimdal {status.versions.heimdal}, API {status.versions.api}, database schema {status.versions.schema}
          {status.database.sizeBytes !== null && `, ${formatBytes(status.database.sizeBytes)}`}.
        </p>
      </section>
    </>
  );
}
