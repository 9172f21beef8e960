import { API, type ApiApp, type ApiContext, errorBody } from "../http/api-app.js";
import { readCookie, SESSION_COOKIE } from "./cookies.js";
import { isLoopbackAddress, isLoopbackHost } from "./loopback.js";
import { csrfTokenMatches } from "./sessions.js";

/** Methods that change nothing: everything else needs the CSRF token. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Who may do what, before any handler runs: every API route needs a session except those
 * marked public (login, the session probe), and every state-changing request needs the
 * session's CSRF token in X-CSRF-Token, which another site's page can neither read nor send.
 * With --localhost-no-login a client on this machine may read without logging in; to change
 * anything it still takes a session (and its token) from GET /auth/session.
 */
export function installAccessControl(app: ApiApp, ctx: ApiContext): void {
  app.decorateRequest("session", null);
  app.addHook("onRequest", async (request, reply) => {
    // Decided by the route matched, not the raw URL, so no spelling of a path slips past.
    const route = request.routeOptions.url ?? "";
    if (!route.startsWith(`${API}/`)) return; // the dashboard's static files, and answers of 404
    const session = ctx.sessions.get(readCookie(request.headers.cookie, SESSION_COOKIE));
    request.session = session ?? null;
    if (request.routeOptions.config.public) return;
    const safe = SAFE_METHODS.has(request.method);
    if (!session) {
      const local =
        ctx.settings.localhostNoLogin && isLoopbackAddress(request.ip) && isLoopbackHost(request.headers.host);
      if (local && safe) return;
      return reply.code(401).send(errorBody(401, "This request needs a session: log in with POST /api/v1/auth/login"));
    }
    if (!safe && !csrfTokenMatches(session, headerValue(request.headers["x-csrf-token"]))) {
      return reply
        .code(403)
        .send(errorBody(403, "Missing or wrong X-CSRF-Token header (the csrfToken of the session)", "X-CSRF-Token"));
    }
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
