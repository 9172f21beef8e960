import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import { API, type ApiApp, errorBody } from "../http/api-app.js";

/** Shown until the dashboard is built: no script, no style, nothing from the network. */
const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Heimdal</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>Heimdal</h1>
<p>The sensor is running. The dashboard is not built yet (npm run build -w packages/dashboard).</p>
<p>The API is at <a href="${API}/openapi.json">${API}/openapi.json</a>.</p>
</body>
</html>
`;

/**
 * The dashboard: its built files, or the placeholder. Paths outside /api that name no file get
 * index.html, so the single-page app's own routes survive a reload.
 */
export async function registerStaticFiles(app: ApiApp, staticDir: string | undefined): Promise<void> {
  const hasDashboard = staticDir !== undefined && existsSync(join(staticDir, "index.html"));
  if (hasDashboard) {
    await app.register(fastifyStatic, { root: staticDir, prefix: "/", wildcard: true, index: ["index.html"] });
  } else {
    app.get("/", { schema: { hide: true } }, async (_request, reply) =>
      reply.type("text/html; charset=utf-8").send(PLACEHOLDER),
    );
  }
  app.setNotFoundHandler(async (request, reply) => {
    const api = request.url === API || request.url.startsWith(`${API}/`);
    if (!api && request.method === "GET" && hasDashboard && request.headers.accept?.includes("text/html")) {
      return reply.sendFile("index.html");
    }
    return reply.code(404).send(errorBody(404, `No such resource: ${request.method} ${request.url.split("?")[0]}`));
  });
}
