import { Type } from "typebox";
import { type BlockTarget, blockingAllowed } from "../blocking.js";
import { API, type ApiApp, type ApiContext, errorBody } from "../http/api-app.js";
import { errors, IdParams } from "../schemas/common.js";
import { Block, BlockBody, BlockList } from "../schemas/settings.js";
import { parseIsoTime } from "./iso-time.js";

export function registerBlockingRoutes(app: ApiApp, ctx: ApiContext): void {
  /** The controller, or a 503 already sent with the reason. */
  const gate = (reply: { code(n: number): { send(body: unknown): unknown } }) => {
    const decision = blockingAllowed(ctx.blocking, ctx.blockingUnavailableReason);
    if (decision.allowed) return decision.controller;
    reply.code(503).send(errorBody(503, decision.reason));
    return undefined;
  };

  app.get(
    `${API}/blocking`,
    {
      schema: {
        tags: ["blocking"],
        summary: "Blocks in force (503 when this sensor cannot block)",
        response: { 200: BlockList, ...errors(503) },
      },
    },
    async (_request, reply) => {
      const controller = gate(reply);
      if (!controller) return reply;
      return { blocks: await controller.list() };
    },
  );

  app.post(
    `${API}/blocking`,
    {
      schema: {
        tags: ["blocking"],
        summary: "Block a device, or a destination (for one device or all), optionally until a time",
        body: BlockBody,
        response: { 201: Block, ...errors(503) },
      },
    },
    async (request, reply) => {
      const controller = gate(reply);
      if (!controller) return reply;
      const { target, expires, reason } = request.body;
      const expiresAt = expires === undefined ? null : parseIsoTime(expires, "expires");
      if (expiresAt !== null && expiresAt <= ctx.now()) {
        return reply.code(400).send(errorBody(400, `body.expires must be in the future, got "${expires}"`, "expires"));
      }
      if (target.kind === "device" && !ctx.data.repositories.devices.get(target.deviceId)) {
        return reply.code(400).send(errorBody(400, `body.target.deviceId names no known device`, "target.deviceId"));
      }
      const block = await controller.block({
        target: target as BlockTarget,
        expiresAt,
        decidedBy: request.session?.user ?? "local",
        reason: reason ?? "blocked from the dashboard",
      });
      return reply.code(201).send(block);
    },
  );

  app.delete(
    `${API}/blocking/:id`,
    {
      schema: {
        tags: ["blocking"],
        summary: "Lift a block",
        params: IdParams,
        response: { 204: Type.Null(), ...errors(404, 503) },
      },
    },
    async (request, reply) => {
      const controller = gate(reply);
      if (!controller) return reply;
      if (!(await controller.unblock(request.params.id, request.session?.user ?? "local"))) {
        return reply.code(404).send(errorBody(404, `No block "${request.params.id}"`, "id"));
      }
      return reply.code(204).send(null);
    },
  );
}
