import { api } from "../api/client.js";
import type { AlertList, DeviceDetail, DeviceTraffic } from "../api/types.js";
import { ActivityChart } from "../components/activity-chart.js";
import { AlertCard } from "../components/alert-card.js";
import { BlockAction } from "../components/block-action.js";
import { DeviceIcon } from "../components/device-icon.js";
import { DeviceLabelForm } from "../components/device-label-form.js";
import { Empty, Loaded } from "../components/states.js";
import { formatBytes, formatPercent, formatTime, humanize } from "../format.js";
import { useResource } from "../live/use-resource.js";
import { Link } from "../router.js";

interface Detail {
  detail: DeviceDetail;
  traffic: DeviceTraffic;
  alerts: AlertList;
}

export function DeviceDetailPage({ id }: { id: string }) {
  const resource = useResource<Detail>(
    async (signal) => {
      const path = `/devices/${encodeURIComponent(id)}`;
      const [detail, traffic, alerts] = await Promise.all([
        api.get<DeviceDetail>(path, {}, signal),
        api.get<DeviceTraffic>(`${path}/traffic`, { days: 7 }, signal),
        api.get<AlertList>("/alerts", { deviceId: id, limit: 50 }, signal),
      ]);
      return { detail, traffic, alerts };
    },
    [id],
  );
  return (
    <>
      <p>
        <Link to="/devices">← Devices</Link>
      </p>
      <Loaded resource={resource} what="the device">
        {(data) => <DeviceView {...data} reload={resource.kind === "ready" ? resource.reload : () => {}} />}
      </Loaded>
    </>
  );
}

function DeviceView({ detail, traffic, alerts, reload }: Detail & { reload: () => void }) {
  const { summary, device, baseline } = detail;
  const learning = baseline?.summary;
  return (
    <>
      <h1 className="device-title">
        <DeviceIcon type={summary.type} />
        <span data-testid="device-title">{summary.name ?? summary.mac}</span>
        {summary.label !== null && (
          <span className="badge label" data-testid="device-label">
            {summary.label}
          </span>
        )}
        <span className={summary.online ? "status online" : "status offline"}>
          {summary.online ? "online" : "offline"}
        </span>
      </h1>
      <p className="muted">
        {summary.vendor ?? "Unknown vendor"} · {summary.mac}
        {summary.randomizedMac && " (private MAC)"} · first seen {formatTime(summary.firstSeen)} · last seen{" "}
        {formatTime(summary.lastSeen)}
      </p>
      {detail.labels?.notes ? <p className="notes">{detail.labels.notes}</p> : null}
      <div className="actions">
        <BlockAction deviceId={summary.id} onBlocked={reload} />
      </div>

      <div className="grid">
        <DeviceLabelForm
          key={summary.id}
          deviceId={summary.id}
          labels={detail.labels}
          discoveredName={summary.discoveredName}
          onSaved={reload}
        />

        <section className="card">
          <h2>What it is</h2>
          <Conclusion label="Type" value={humanize(device.type.value)} inference={device.type} />
          {device.model !== null && <Conclusion label="Model" value={device.model.value} inference={device.model} />}
          {device.os !== null && <Conclusion label="System" value={device.os.value} inference={device.os} />}
        </section>

        <section className="card">
          <h2>Addresses and names</h2>
          <ul className="plain-list mono">
            {device.addresses.map((address) => (
              <li key={address.ip}>{address.ip}</li>
            ))}
            {device.macs.map((mac) => (
              <li key={mac}>{mac}</li>
            ))}
          </ul>
          {device.hostnames.length === 0 ? (
            <p className="muted">It has not told its name.</p>
          ) : (
            <ul className="plain-list">
              {device.hostnames.map((hostname) => (
                <li key={`${hostname.source}:${hostname.name}`}>
                  <span data-testid="hostname">{hostname.name}</span>{" "}
                  <span className="muted small">via {hostname.source}</span>
                </li>
              ))}
            </ul>
          )}
          <Fingerprint fingerprint={device.fingerprint} />
        </section>

        <section className="card">
          <h2>Learning</h2>
          {learning === undefined ? (
            <Empty title="No baseline yet." />
          ) : (
            <>
              <p>
                {learning.state === "ready" ? "Knows what is normal" : "Still learning"}: {learning.progress}
              </p>
              <progress max={1} value={Math.min(1, learning.daysObserved / 7)} aria-label="Learning progress" />
              <p className="muted small">Confidence {formatPercent(learning.confidence)}</p>
            </>
          )}
        </section>

        <section className="card">
          <h2>Top destinations</h2>
          {traffic.topDestinations.length === 0 ? (
            <Empty title="No traffic to other hosts yet." />
          ) : (
            <table className="table compact">
              <tbody>
                {traffic.topDestinations.map((destination) => (
                  <tr key={destination.name}>
                    <td className="mono">{destination.name}</td>
                    <td>{formatBytes(destination.bytes)}</td>
                    <td className="muted">{destination.connections} conn.</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section className="card">
          <h2>Ports and protocols</h2>
          {traffic.ports.length === 0 ? (
            <Empty title="No ports used yet." />
          ) : (
            <ul className="chips">
              {traffic.ports.map((port) => (
                <li key={port.name} className="chip mono">
                  {port.name} <span className="muted">×{port.connections}</span>
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className="card wide">
          <h2>Activity by hour</h2>
          <ActivityChart hourOfWeekBytes={traffic.hourOfWeekBytes} usualByHourOfDay={traffic.usualByHourOfDay} />
        </section>
      </div>

      <h2>Alerts</h2>
      {alerts.alerts.length === 0 ? (
        <Empty title="No alerts about this device." />
      ) : (
        alerts.alerts.map((stored) => <AlertCard key={stored.alert.id} stored={stored} onChanged={reload} />)
      )}
    </>
  );
}

function Conclusion({
  label,
  value,
  inference,
}: {
  label: string;
  value: string;
  inference: { confidence: number; evidence: string[] };
}) {
  return (
    <div className="conclusion">
      <p>
        <strong>{label}:</strong> {value}{" "}
        <span className="muted small">({formatPercent(inference.confidence)} sure)</span>
      </p>
      {inference.evidence.length > 0 && (
        <ul className="evidence-list small">
          {inference.evidence.map((line) => (
            <li key={line} className="mono">
              {line}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const FINGERPRINT_LABELS: Record<string, string> = {
  mdnsNames: "mDNS names",
  mdnsServices: "mDNS services",
  mdnsModels: "mDNS models",
  ssdpServers: "SSDP servers",
  ssdpDeviceTypes: "UPnP types",
  userAgents: "User agents",
  tlsServerNames: "TLS names",
  dnsNames: "DNS names",
  netbiosNames: "NetBIOS names",
  httpServers: "HTTP servers",
  serverPorts: "Serves on",
  broadcastPorts: "Broadcasts to",
  upnpModels: "UPnP models",
  dhcpVendorClass: "DHCP vendor class",
};

/** What the device says about itself: all attacker-controlled, all rendered as text. */
function Fingerprint({ fingerprint }: { fingerprint: Record<string, unknown> }) {
  const rows = Object.entries(FINGERPRINT_LABELS).flatMap(([key, label]) => {
    const value = fingerprint[key];
    const values = Array.isArray(value) ? value.map(String) : typeof value === "string" ? [value] : [];
    return values.length === 0 ? [] : [{ key, label, values }];
  });
  if (rows.length === 0) return null;
  return (
    <dl className="facts small" data-testid="fingerprint">
      {rows.map((row) => (
        <div key={row.key} className="fact">
          <dt>{row.label}</dt>
          <dd className="mono">{row.values.join(", ")}</dd>
        </div>
      ))}
    </dl>
  );
}
