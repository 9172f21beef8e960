import { Type } from "typebox";
import { updateDeviceLabel } from "../data/device-labels.js";
import { allDeviceSummaries } from "../data/devices.js";
import { API, type ApiApp, type ApiContext, errorBody } from "../http/api-app.js";
import { errors, IdParams } from "../schemas/common.js";
import { DevicePatch } from "../schemas/devices.js";

/**
 * Renaming and labelling a device. The user's name wins over discovered ones everywhere a
 * device is summarized; the discovered names stay in the device record.
 */
export function registerDeviceLabelRoutes(app: ApiApp, ctx: ApiContext): void {
  app.patch(
    `${API}/devices/:id`,
    {
      schema: {
        tags: ["devices"],
        summary:
          "Name, label or annotate a device (null or empty clears a field; absent fields stay). Emits device_changed on the event stream.",
        params: IdParams,
        body: DevicePatch,
        response: { 200: Type.Ref("DeviceSummary"), ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const record = ctx.data.repositories.devices.get(id);
      if (!record) return reply.code(404).send(errorBody(404, `No device "${id}"`, "id"));
      if (Object.keys(request.body).length === 0) {
        return reply.code(400).send(errorBody(400, "body must set at least one of name, label, notes", "body"));
      }
      const changes = updateDeviceLabel(ctx.data, record, request.body, ctx.now());
      if (changes.length > 0) ctx.feed.notify();
      return allDeviceSummaries(ctx.data).find((d) => d.id === id);
    },
  );
}
