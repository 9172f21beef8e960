import { parseSensitivity } from "@heimdal/core";
import { blockingAllowed } from "../blocking.js";
import { API, type ApiApp, type ApiContext } from "../http/api-app.js";
import { errors } from "../schemas/common.js";
import { ConfigPatch, ConfigResponse } from "../schemas/settings.js";

export function registerConfigRoutes(app: ApiApp, ctx: ApiContext): void {
  const settings = ctx.data.settings;
  const current = () => {
    const sensitivity = settings.sensitivity();
    return {
      sensitivity: { settings: sensitivity, effective: parseSensitivity(sensitivity) },
      exclusions: settings.exclusionEntries().length,
      server: { ...ctx.settings, blocking: blockingAllowed(ctx.blocking).allowed },
    };
  };

  app.get(
    `${API}/config`,
    {
      schema: {
        tags: ["settings"],
        summary: "Configuration: detection sensitivity and how this server runs",
        response: { 200: ConfigResponse, ...errors() },
      },
    },
    async () => current(),
  );

  app.patch(
    `${API}/config`,
    {
      schema: {
        tags: ["settings"],
        summary:
          "Change the settings a user may change (sensitivity); validated like the command line's --sensitivity. Applied by the next analysis of this database.",
        body: ConfigPatch,
        response: { 200: ConfigResponse, ...errors() },
      },
    },
    async (request) => {
      if (request.body.sensitivity !== undefined) {
        settings.setSensitivity(request.body.sensitivity);
        ctx.data.wrote();
      }
      return current();
    },
  );
}
