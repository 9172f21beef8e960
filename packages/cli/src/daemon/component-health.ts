import type { ComponentStatus, WriterStatus } from "@heimdal/core";
import type { ComponentHealth } from "@heimdal/server";

/**
 * A supervised component's status as `GET /api/v1/status` shows it: "ok" while running,
 * "degraded" while starting or running with trouble it works around (a storage outage),
 * "failed" while it waits to be restarted, with the last error and the restart count.
 */
export function componentHealth(status: ComponentStatus, trouble?: string): ComponentHealth {
  const history =
    status.restarts > 0 || status.lastError !== null
      ? `restarted ${status.restarts} time${status.restarts === 1 ? "" : "s"}; last error: ${status.lastError ?? "none"}`
      : undefined;
  const detail = (...parts: (string | undefined)[]) => parts.filter((p) => p !== undefined).join("; ");
  switch (status.state) {
    case "running":
      return trouble === undefined
        ? { name: status.name, state: "ok", ...(history && { detail: `running; ${history}` }) }
        : { name: status.name, state: "degraded", detail: detail(`running: ${trouble}`, history) };
    case "starting":
      return { name: status.name, state: "degraded", detail: detail("starting", history) };
    case "restarting":
      return { name: status.name, state: "failed", detail: detail("restarting", history) };
    case "stopped":
      return { name: status.name, state: "unavailable", detail: detail("stopped", history) };
  }
}

/** What a storage writer's counters say is wrong, or undefined when it writes. */
export function storageTrouble(status: WriterStatus | undefined): string | undefined {
  if (status === undefined || (status.healthy && status.dropped === 0)) return undefined;
  const parts = [`${status.pending} records waiting`];
  if (status.dropped > 0) parts.push(`${status.dropped} dropped`);
  if (!status.healthy) parts.push(`database unavailable: ${status.lastError ?? "unknown error"}`);
  return parts.join(", ");
}
