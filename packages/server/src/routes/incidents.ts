import { alertEvent } from "@heimdal/core";
import { Type } from "typebox";
import { listIncidents, toView } from "../data/incidents.js";
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
          "Incidents: alerts of one device that follow each other, correlated into one story and stored as alerts are (default range: the week before the latest incident; incidents overlapping the range are listed whole)",
        querystring: IncidentListQuery,
        response: { 200: IncidentList, ...errors() },
      },
    },
    async (request) => {
      const { limit = 100, offset = 0, ...query } = request.query;
      return listIncidents(ctx.data, query, limit, offset);
    },
  );

  app.get(
    `${API}/incidents/:id`,
    {
      schema: {
        tags: ["alerts"],
        summary: "One stored incident by its id (from and to are accepted and ignored: ids are stable)",
        params: IdParams,
        querystring: IncidentLookupQuery,
        response: { 200: Incident, ...errors(404) },
      },
    },
    async (request, reply) => {
      const stored = ctx.data.repositories.incidents.get(request.params.id);
      if (!stored) return reply.code(404).send(errorBody(404, `No incident "${request.params.id}"`, "id"));
      return toView(stored);
    },
  );

  app.post(
    `${API}/incidents/:id/acknowledge`,
    {
      schema: {
        tags: ["alerts"],
        summary: "Acknowledge an incident and every alert of it (earlier acknowledgements stand)",
        params: IdParams,
        querystring: IncidentLookupQuery,
        response: { 200: Incident, ...errors(404) },
      },
    },
    async (request, reply) => {
      const { repositories } = ctx.data;
      const acknowledged = repositories.incidents.acknowledge(request.params.id, ctx.now());
      if (!acknowledged) return reply.code(404).send(errorBody(404, `No incident "${request.params.id}"`, "id"));
      // Each alert this acknowledged goes to the event log, as acknowledging it alone would.
      for (const id of acknowledged) {
        const stored = repositories.alerts.get(id);
        if (stored) repositories.events.append(alertEvent("alert_acknowledged", stored.alert, stored.acknowledgedAt!));
      }
      ctx.data.wrote();
      ctx.feed.notify();
      return toView(repositories.incidents.get(request.params.id)!);
    },
  );
}
