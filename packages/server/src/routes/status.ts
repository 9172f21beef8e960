import { statSync } from "node:fs";
import { blockingAllowed } from "../blocking.js";
import { allDeviceSummaries } from "../data/devices.js";
import { API, type ApiApp, type ApiContext } from "../http/api-app.js";
import { errors } from "../schemas/common.js";
import { StatusResponse } from "../schemas/status.js";
import type { ComponentHealth } from "../server-options.js";
import { SERVER_VERSION } from "../version.js";

export function registerStatusRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    `${API}/status`,
    {
      schema: {
        tags: ["status"],
        summary: "Sensor status: versions, database, counts, components' health, capture counters",
        response: { 200: StatusResponse, ...errors() },
      },
    },
    async () => {
      const { repositories } = ctx.data;
      const counts = ctx.data.memo("status-counts", () => {
        const devices = allDeviceSummaries(ctx.data);
        const unacknowledged = repositories.alerts.countBy("severity", { acknowledged: false });
        return {
          devices: devices.length,
          devicesOnline: devices.filter((d) => d.online).length,
          alerts: repositories.alerts.count(),
          unacknowledgedAlerts: Object.values(unacknowledged).reduce((a, b) => a + b, 0),
          unacknowledgedBySeverity: { ...unacknowledged },
          lastEventId: repositories.events.lastId(),
        };
      });
      const gate = blockingAllowed(ctx.blocking, ctx.blockingUnavailableReason);
      const components: ComponentHealth[] = [
        { name: "database", state: "ok" },
        {
          name: "event-stream",
          state: "ok",
          detail: `${ctx.feed.subscribers} client${ctx.feed.subscribers === 1 ? "" : "s"}`,
        },
        gate.allowed
          ? { name: "blocking", state: "ok" }
          : { name: "blocking", state: "unavailable", detail: gate.reason },
        ...ctx.components(),
      ];
      return {
        versions: {
          heimdal: SERVER_VERSION,
          api: "v1",
          node: process.versions.node,
          schema: ctx.data.schemaVersion(),
        },
        database: { path: ctx.data.path, sizeBytes: fileSize(ctx.data.path) },
        counts,
        components,
        capture: ctx.captureStats(),
        uptimeSeconds: Math.round((ctx.now() - ctx.startedAt) / 1000),
      };
    },
  );
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}
