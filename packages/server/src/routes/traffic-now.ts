import { trafficNow } from "../data/traffic-now.js";
import { API, type ApiApp, type ApiContext, errorBody } from "../http/api-app.js";
import { errors } from "../schemas/common.js";
import { FlowList, FlowListQuery, TrafficNowQuery, TrafficNowResponse } from "../schemas/traffic-now.js";

/** Recent traffic: flows by destination, and the network's and each device's bytes now next to their usual. */
export function registerRecentTrafficRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    `${API}/flows`,
    {
      schema: {
        tags: ["traffic"],
        summary:
          "Recent flows summed per device, destination, protocol and port over five-minute buckets, most bytes first",
        querystring: FlowListQuery,
        response: { 200: FlowList, ...errors() },
      },
    },
    async (request, reply) => {
      const { limit = 100, offset = 0, ...filters } = request.query;
      if (filters.from !== undefined && filters.to !== undefined && filters.to < filters.from) {
        return reply
          .code(400)
          .send(errorBody(400, `querystring/to must not be before from (${filters.from}), got ${filters.to}`, "to"));
      }
      return ctx.data.memo(`flows:${JSON.stringify([filters, limit, offset])}`, () =>
        ctx.data.repositories.traffic.flows({ ...filters, limit, offset }),
      );
    },
  );

  app.get(
    `${API}/traffic/now`,
    {
      schema: {
        tags: ["traffic"],
        summary:
          "Traffic now vs usual: the network's and each device's bytes in the last minutes beside the baselines' usual",
        querystring: TrafficNowQuery,
        response: { 200: TrafficNowResponse, ...errors() },
      },
    },
    async (request) => trafficNow(ctx.data, request.query.minutes ?? 60, request.query.limit ?? 100),
  );
}
