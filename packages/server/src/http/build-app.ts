import fastifySwagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify from "fastify";
import { registerAlertRoutes } from "../routes/alerts.js";
import { registerAuthRoutes } from "../routes/auth.js";
import { registerBlockingRoutes } from "../routes/blocking.js";
import { registerConfigRoutes } from "../routes/config.js";
import { registerDeviceLabelRoutes } from "../routes/device-labels.js";
import { registerDeviceRoutes } from "../routes/devices.js";
import { registerEventStreamRoute } from "../routes/events-stream.js";
import { registerExclusionRoutes } from "../routes/exclusions.js";
import { registerIncidentRoutes } from "../routes/incidents.js";
import { registerOpenApiRoute } from "../routes/openapi.js";
import { registerStaticFiles } from "../routes/static-files.js";
import { registerStatusRoutes } from "../routes/status.js";
import { registerRecentTrafficRoutes } from "../routes/traffic-now.js";
import { Incident, StoredAlert } from "../schemas/alerts.js";
import { ErrorResponse } from "../schemas/common.js";
import { DeviceSummary } from "../schemas/devices.js";
import { Block, ExclusionEntry } from "../schemas/settings.js";
import { FlowAggregate } from "../schemas/traffic-now.js";
import { installAccessControl } from "../security/access-control.js";
import { SECURITY_HEADERS } from "../security/security-headers.js";
import { SERVER_VERSION } from "../version.js";
import type { ApiApp, ApiContext } from "./api-app.js";
import { handleError } from "./error-handler.js";

export interface BuildOptions {
  staticDir: string | undefined;
  tls: { key: string | Buffer; cert: string | Buffer } | undefined;
  logger: boolean;
}

const registered = new WeakMap<ApiApp, { method: string; url: string }[]>();

/** Every route of an application built here, as registered (the OpenAPI test checks each is described). */
export function routesOf(app: ApiApp): readonly { method: string; url: string }[] {
  return registered.get(app) ?? [];
}

/** The Fastify application: hooks, schemas, OpenAPI and every route; not yet listening. */
export async function buildApp(ctx: ApiContext, options: BuildOptions): Promise<ApiApp> {
  const app = Fastify({
    logger: options.logger,
    ...(options.tls ? { https: options.tls } : {}),
    // Bodies are small JSON documents; anything larger is not for us.
    bodyLimit: 64 * 1024,
    ajv: {
      customOptions: {
        // Unknown parameters and fields are errors that name them, not silently dropped.
        removeAdditional: false,
        coerceTypes: "array",
        useDefaults: true,
        allErrors: false,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as ApiApp;

  const routes: { method: string; url: string }[] = [];
  registered.set(app, routes);
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });

  // Only JSON bodies: a cross-site HTML form can send text/plain without a CORS preflight.
  app.removeContentTypeParser("text/plain");
  app.setErrorHandler(handleError);
  app.addHook("onSend", async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });

  for (const schema of [ErrorResponse, DeviceSummary, StoredAlert, Incident, ExclusionEntry, Block, FlowAggregate]) {
    app.addSchema(schema);
  }
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "Heimdal sensor API",
        version: SERVER_VERSION,
        description:
          "The sensor's devices, traffic, alerts and settings. Log in with POST /api/v1/auth/login; send the session's csrfToken as X-CSRF-Token on every state-changing request. See docs/api.md.",
      },
      components: {
        securitySchemes: {
          session: { type: "apiKey", in: "cookie", name: "heimdal_session" },
          csrf: { type: "apiKey", in: "header", name: "X-CSRF-Token" },
        },
      },
      security: [{ session: [] }],
    },
    // Shared schemas appear under their own names in components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  installAccessControl(app, ctx);
  registerAuthRoutes(app, ctx);
  registerDeviceRoutes(app, ctx);
  registerDeviceLabelRoutes(app, ctx);
  registerAlertRoutes(app, ctx);
  registerIncidentRoutes(app, ctx);
  registerExclusionRoutes(app, ctx);
  registerBlockingRoutes(app, ctx);
  registerConfigRoutes(app, ctx);
  registerStatusRoutes(app, ctx);
  registerEventStreamRoute(app, ctx);
  registerRecentTrafficRoutes(app, ctx);
  registerOpenApiRoute(app);
  await registerStaticFiles(app, options.staticDir);
  return app;
}
