import type { RepositoryWrite, TrafficDrain } from "@heimdal/core";

/**
 * A traffic recorder's drain as repository writes: per-device minutes, destination aggregates,
 * the `traffic` events for live clients, and the pruning of what is past its retention
 * (counted back from the newest minute drained).
 */
export function trafficWrites({ minutes, destinations, events }: TrafficDrain): RepositoryWrite[] {
  const writes: RepositoryWrite[] = [];
  let newest = Number.NEGATIVE_INFINITY;
  for (const sample of minutes) {
    writes.push({ kind: "traffic_minute", sample });
    if (sample.minute > newest) newest = sample.minute;
  }
  for (const sample of destinations) writes.push({ kind: "traffic_destination", sample });
  for (const event of events) writes.push({ kind: "event", event });
  if (Number.isFinite(newest)) writes.push({ kind: "traffic_prune", newestMs: newest });
  return writes;
}
