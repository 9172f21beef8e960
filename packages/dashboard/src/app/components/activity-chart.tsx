import { formatBytes } from "../format.js";

/**
 * Bytes by hour of day (the profile's hour-of-week slots folded) beside the baseline's usual
 * (median) bytes for that hour. Bars are divs sized through the style property, which the CSP
 * allows (CSSOM), unlike style attributes in markup.
 */
export function ActivityChart({
  hourOfWeekBytes,
  usualByHourOfDay,
}: {
  hourOfWeekBytes: number[];
  usualByHourOfDay: number[];
}) {
  const byHour = Array.from({ length: 24 }, (_, hour) => ({
    hour,
    bytes: hourOfWeekBytes.reduce((sum, bytes, slot) => (slot % 24 === hour ? sum + bytes : sum), 0),
  }));
  const max = Math.max(1, ...byHour.map((h) => h.bytes), ...usualByHourOfDay);
  if (byHour.every((h) => h.bytes === 0)) return <p className="muted">No activity recorded yet.</p>;
  return (
    <figure className="chart">
      <div className="bars" role="img" aria-label="Bytes by hour of day, with the usual amount">
        {byHour.map(({ hour, bytes }) => (
          <div
            key={hour}
            className="bar-slot"
            title={`${hour}:00 — ${formatBytes(bytes)} (usual ${formatBytes(usualByHourOfDay[hour] ?? 0)})`}
          >
            <div className="bar usual" style={{ height: `${((usualByHourOfDay[hour] ?? 0) / max) * 100}%` }} />
            <div className="bar seen" style={{ height: `${(bytes / max) * 100}%` }} />
          </div>
        ))}
      </div>
      <figcaption className="muted small">
        0 h … 23 h · <span className="key seen" /> this device · <span className="key usual" /> usual (baseline median)
      </figcaption>
    </figure>
  );
}
