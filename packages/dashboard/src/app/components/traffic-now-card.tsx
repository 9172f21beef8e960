import { api } from "../api/client.js";
import type { DeviceSummary, TrafficNow } from "../api/types.js";
import { formatBytes, formatTime } from "../format.js";
import { useResource } from "../live/use-resource.js";
import { devicePath, Link } from "../router.js";
import { Empty, Loaded } from "./states.js";

const WINDOW_MINUTES = 60;

/** "Traffic now vs usual": the last hour's bytes beside what the baselines expect, and who is most above it. */
export function TrafficNowCard({ devices }: { devices: readonly DeviceSummary[] }) {
  const resource = useResource(
    (signal) => api.get<TrafficNow>("/traffic/now", { minutes: WINDOW_MINUTES, limit: 5 }, signal),
    [],
  );
  return (
    <section className="card" data-testid="traffic-now">
      <h2>Traffic now vs usual</h2>
      <Loaded resource={resource} what="the traffic">
        {(now) => <TrafficNowView now={now} devices={devices} />}
      </Loaded>
    </section>
  );
}

function TrafficNowView({ now, devices }: { now: TrafficNow; devices: readonly DeviceSummary[] }) {
  if (now.asOf === null)
    return (
      <Empty title="No recent traffic recorded yet.">
        Traffic appears here a minute after the sensor sees it (or after a capture is analyzed).
      </Empty>
    );
  const names = new Map(devices.map((d) => [d.id, d.name ?? d.vendor ?? d.mac]));
  // 10 % over is noise, not news.
  const above = now.devices.filter((d) => d.bytes > d.usualBytes * 1.1);
  return (
    <>
      <p className="now-figure">
        <strong data-testid="traffic-now-bytes">{formatBytes(now.network.bytes)}</strong> in the last{" "}
        {now.windowMinutes} minutes <span className="muted">(usual: {formatBytes(now.network.usualBytes)})</span>
      </p>
      <ComparisonBar bytes={now.network.bytes} usual={now.network.usualBytes} />
      <p className="muted small">
        {verdict(now.network.ratio)} · {now.network.activeDevices} devices active · up to {formatTime(now.asOf)}
      </p>
      <h3>Most above their usual</h3>
      {above.length === 0 ? (
        <Empty title="Every device is within its usual." />
      ) : (
        <ul className="plain-list" data-testid="traffic-now-devices">
          {above.map((d) => (
            <li key={d.deviceId}>
              <Link to={devicePath(d.deviceId)}>{names.get(d.deviceId) ?? d.deviceId}</Link>{" "}
              <span className="muted">
                {formatBytes(d.bytes)} vs usual {formatBytes(d.usualBytes)}
                {d.ratio !== null && ` (×${d.ratio})`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** Two bars on one scale; widths through the style property (the CSP forbids style attributes). */
function ComparisonBar({ bytes, usual }: { bytes: number; usual: number }) {
  const max = Math.max(1, bytes, usual);
  return (
    <div className="comparison" role="img" aria-label={`${formatBytes(bytes)} now, ${formatBytes(usual)} usual`}>
      <div className="comparison-bar now" style={{ width: `${(bytes / max) * 100}%` }} />
      <div className="comparison-bar usual" style={{ width: `${(usual / max) * 100}%` }} />
    </div>
  );
}

function verdict(ratio: number | null): string {
  if (ratio === null) return "Nothing is usual yet: the baselines are still learning";
  if (ratio >= 2) return `${ratio}× the usual: busier than normal`;
  if (ratio <= 0.5) return "Quieter than usual";
  return "About as usual";
}
