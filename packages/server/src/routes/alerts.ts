import { type AlertQuery, alertEvent, applyExpectedFeedback } from "@heimdal/core";
import { API, type ApiApp, type ApiContext, errorBody } from "../http/api-app.js";
import { AcknowledgeResponse, AlertList, AlertListQuery, ExpectedResponse, StoredAlert } from "../schemas/alerts.js";
import { errors, IdParams } from "../schemas/common.js";

export function registerAlertRoutes(app: ApiApp, ctx: ApiContext): void {
  const alerts = ctx.data.repositories.alerts;

  app.get(
    `${API}/alerts`,
    {
      schema: {
        tags: ["alerts"],
        summary: "Stored alerts, newest first, filtered by severity, device, type, time and acknowledgement",
        querystring: AlertListQuery,
        response: { 200: AlertList, ...errors() },
      },
    },
    async (request) => {
      const { limit = 100, offset = 0, ...filters } = request.query;
      const query: AlertQuery = { ...filters };
      // Totals change only with the data: counting 100,000 rows per page view is wasted work.
      const total = ctx.data.memo(`alert-count:${JSON.stringify(query)}`, () => alerts.count(query));
      return { total, alerts: alerts.list({ ...query, limit, offset }) };
    },
  );

  app.get(
    `${API}/alerts/:id`,
    {
      schema: {
        tags: ["alerts"],
        summary: "One alert with its evidence",
        params: IdParams,
        response: { 200: StoredAlert, ...errors(404) },
      },
    },
    async (request, reply) => {
      const stored = alerts.get(request.params.id);
      if (!stored) return reply.code(404).send(errorBody(404, `No stored alert "${request.params.id}"`, "id"));
      return stored;
    },
  );

  app.post(
    `${API}/alerts/:id/acknowledge`,
    {
      schema: {
        tags: ["alerts"],
        summary: "Acknowledge an alert (the first acknowledgement stands)",
        params: IdParams,
        response: { 200: AcknowledgeResponse, ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!alerts.acknowledge(id, ctx.now())) {
        return reply.code(404).send(errorBody(404, `No stored alert "${id}"`, "id"));
      }
      const stored = alerts.get(id)!;
      announce(ctx, stored.alert, stored.acknowledgedAt!);
      return { id, acknowledgedAt: stored.acknowledgedAt! };
    },
  );

  app.post(
    `${API}/alerts/:id/expected`,
    {
      schema: {
        tags: ["alerts"],
        summary:
          "\"This was me / expected\": fold the alert's destination and port into its device's baseline (a new version) and acknowledge it",
        params: IdParams,
        response: { 200: ExpectedResponse, ...errors(404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const result = applyExpectedFeedback(ctx.data.repositories, id, ctx.now());
      const stored = alerts.get(id)!;
      announce(ctx, stored.alert, stored.acknowledgedAt ?? ctx.now());
      return {
        id,
        deviceId: result.deviceId,
        baselineVersion: result.version,
        destinations: result.destinations,
        ports: result.ports,
      };
    },
  );
}

/** Records the acknowledgement in the event log, so every open dashboard hears of it. */
function announce(ctx: ApiContext, alert: Parameters<typeof alertEvent>[1], at: number): void {
  ctx.data.repositories.events.append(alertEvent("alert_acknowledged", alert, at));
  ctx.data.wrote();
  ctx.feed.notify();
}
