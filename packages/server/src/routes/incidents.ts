import { alertEvent } from "@heimdal/core";
import { Type } from "typebox";
import { deriveIncidents } from "../data/incidents.js";
import { API, type ApiApp, type ApiContext, errorBody } from "../http/api-app.js";
import { Incident, IncidentList, IncidentListQuery } from "../schemas/alerts.js";
import { errors, IdParams } from "../schemas/common.js";

const IncidentLookupQuery = Type.Object(
  {
    from: Type.Optional(Type.Integer({ minimum: 0, maximum: 8.64e15 })),
    to: Type.Optional(Type.Integer({ minimum: 0, maximum: 8.64e15 })),
  },
  { additionalProperties: false },
);

export function registerIncidentRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    `${API}/incidents`,
    {
      schema: {
        tags: ["alerts"],
        summary:
          "Incidents: alerts of one device that follow each other, correlated into one story (default range: the week before the newest alert)",
        querystring: IncidentListQuery,
        response: { 200: IncidentList, ...errors() },
      },
    },
    async (request) => {
      const { limit = 100, offset = 0, ...query } = request.query;
      const { range, truncated, incidents } = deriveIncidents(ctx.data, query);
      return { range, truncated, total: incidents.length, incidents: incidents.slice(offset, offset + limit) };
    },
  );

  app.get(
    `${API}/incidents/:id`,
    {
      schema: {
        tags: ["alerts"],
        summary: "One incident, looked up in the same range as the list (give the list's from and to)",
        params: IdParams,
        querystring: IncidentLookupQuery,
        response: { 200: Incident, ...errors(404) },
      },
    },
    async (request, reply) => {
      const incident = deriveIncidents(ctx.data, request.query).incidents.find((i) => i.id === request.params.id);
      if (!incident)
        return reply.code(404).send(errorBody(404, `No incident "${request.params.id}" in that range`, "id"));
      return incident;
    },
  );

  app.post(
    `${API}/incidents/:id/acknowledge`,
    {
      schema: {
        tags: ["alerts"],
        summary: "Acknowledge every alert of an incident",
        params: IdParams,
        querystring: IncidentLookupQuery,
        response: { 200: Incident, ...errors(404) },
      },
    },
    async (request, reply) => {
      const found = deriveIncidents(ctx.data, request.query).incidents.find((i) => i.id === request.params.id);
      if (!found) return reply.code(404).send(errorBody(404, `No incident "${request.params.id}" in that range`, "id"));
      const at = ctx.now();
      for (const id of found.alertIds) {
        if (!ctx.data.repositories.alerts.acknowledge(id, at)) continue;
        const stored = ctx.data.repositories.alerts.get(id)!;
        ctx.data.repositories.events.append(alertEvent("alert_acknowledged", stored.alert, stored.acknowledgedAt!));
      }
      ctx.data.wrote();
      ctx.feed.notify();
      return { ...found, acknowledged: true };
    },
  );
}
