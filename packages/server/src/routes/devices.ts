import { deviceDetail, listDevices } from "../data/devices.js";
import { deviceTraffic, networkTraffic } from "../data/traffic.js";
import { API, type ApiApp, type ApiContext, errorBody } from "../http/api-app.js";
import { errors, IdParams } from "../schemas/common.js";
import {
  DeviceDetailResponse,
  DeviceList,
  DeviceListQuery,
  DeviceTrafficResponse,
  NetworkTrafficResponse,
  TrafficQuery,
} from "../schemas/devices.js";

export function registerDeviceRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    `${API}/devices`,
    {
      schema: {
        tags: ["devices"],
        summary: "Devices, filtered by type, online state, vendor and search text, by id",
        querystring: DeviceListQuery,
        response: { 200: DeviceList, ...errors() },
      },
    },
    async (request) => {
      const { limit = 100, offset = 0, ...filter } = request.query;
      return listDevices(ctx.data, filter, { limit, offset });
    },
  );

  app.get(
    `${API}/devices/:id`,
    {
      schema: {
        tags: ["devices"],
        summary: "One device: record (addresses, names, type evidence), profile, baseline and learning progress",
        params: IdParams,
        response: { 200: DeviceDetailResponse, ...errors(404) },
      },
    },
    async (request, reply) => {
      const detail = deviceDetail(ctx.data, request.params.id);
      if (!detail) return reply.code(404).send(errorBody(404, `No device "${request.params.id}"`, "id"));
      return detail;
    },
  );

  app.get(
    `${API}/devices/:id/traffic`,
    {
      schema: {
        tags: ["traffic"],
        summary: "A device's traffic: totals, protocols, destinations, ports, bytes by hour with its usual",
        params: IdParams,
        querystring: TrafficQuery,
        response: { 200: DeviceTrafficResponse, ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!ctx.data.repositories.devices.get(request.params.id)) {
        return reply.code(404).send(errorBody(404, `No device "${request.params.id}"`, "id"));
      }
      return deviceTraffic(ctx.data, request.params.id, request.query.days ?? 7);
    },
  );

  app.get(
    `${API}/traffic`,
    {
      schema: {
        tags: ["traffic"],
        summary: "Network-wide traffic: totals, protocols, top destinations and devices, bytes by hour with the usual",
        querystring: TrafficQuery,
        response: { 200: NetworkTrafficResponse, ...errors() },
      },
    },
    async (request) => networkTraffic(ctx.data, request.query.days ?? 7),
  );
}
