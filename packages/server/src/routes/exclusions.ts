import { MUTE_ID_PREFIX, muteId } from "@heimdal/core";
import { Type } from "typebox";
import { API, type ApiApp, type ApiContext, errorBody } from "../http/api-app.js";
import { errors, IdParams } from "../schemas/common.js";
import { ExclusionEntry, ExclusionList, MuteBody } from "../schemas/settings.js";

/**
 * Exclusions ("not an alert") and mutes (one device–destination pair, optionally until a
 * time). A mute is an exclusion with a recognisable id, so detection has one mechanism and
 * `heimdal analyze --db` applies both. Validation is core's parseExclusions.
 */
export function registerExclusionRoutes(app: ApiApp, ctx: ApiContext): void {
  const settings = ctx.data.settings;

  app.get(
    `${API}/exclusions`,
    {
      schema: {
        tags: ["settings"],
        summary: "Exclusions, mutes included",
        response: { 200: ExclusionList, ...errors() },
      },
    },
    async () => ({ exclusions: settings.exclusionEntries() }),
  );

  app.post(
    `${API}/exclusions`,
    {
      schema: {
        tags: ["settings"],
        summary: "Add an exclusion, or replace the one with the same id",
        body: ExclusionEntry,
        response: { 201: ExclusionEntry, ...errors() },
      },
    },
    async (request, reply) => {
      settings.putExclusion(request.body);
      ctx.data.wrote();
      return reply.code(201).send(request.body);
    },
  );

  app.delete(
    `${API}/exclusions/:id`,
    {
      schema: {
        tags: ["settings"],
        summary: "Remove an exclusion or a mute",
        params: IdParams,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!settings.removeExclusion(request.params.id)) {
        return reply.code(404).send(errorBody(404, `No exclusion "${request.params.id}"`, "id"));
      }
      ctx.data.wrote();
      return reply.code(204).send(null);
    },
  );

  app.get(
    `${API}/mutes`,
    {
      schema: {
        tags: ["alerts"],
        summary: "Muted device–destination pairs",
        response: { 200: ExclusionList, ...errors() },
      },
    },
    async () => ({ exclusions: settings.exclusionEntries().filter((e) => e.id.startsWith(MUTE_ID_PREFIX)) }),
  );

  app.post(
    `${API}/mutes`,
    {
      schema: {
        tags: ["alerts"],
        summary: "Mute a device–destination pair, optionally until a time: no more alerts about it",
        body: MuteBody,
        response: { 201: ExclusionEntry, ...errors() },
      },
    },
    async (request, reply) => {
      const { deviceId, destination, expires, comment } = request.body;
      const entry = {
        id: muteId(deviceId, destination),
        comment: comment ?? `muted by ${request.session?.user ?? "a local user"}`,
        deviceId,
        destination: destination.toLowerCase(),
        ...(expires === undefined ? {} : { expires }),
      };
      settings.putExclusion(entry);
      ctx.data.wrote();
      return reply.code(201).send(entry);
    },
  );
}
