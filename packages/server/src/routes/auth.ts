import { Type } from "typebox";
import { API, type ApiApp, type ApiContext, errorBody } from "../http/api-app.js";
import { LoginBody, SessionResponse } from "../schemas/auth.js";
import { errors } from "../schemas/common.js";
import { verifyAdmin } from "../security/admin-credential.js";
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from "../security/cookies.js";
import { isLoopbackAddress, isLoopbackHost } from "../security/loopback.js";

/** The user name of sessions that skipped the password on this machine (--localhost-no-login). */
const LOCAL_USER = "local";

export function registerAuthRoutes(app: ApiApp, ctx: ApiContext): void {
  const secure = ctx.settings.tls || ctx.settings.secureCookies;

  app.post(
    `${API}/auth/login`,
    {
      config: { public: true },
      schema: {
        tags: ["auth"],
        summary: "Log in as admin; sets the session cookie and returns the CSRF token",
        body: LoginBody,
        response: { 200: SessionResponse, ...errors(429) },
      },
    },
    async (request, reply) => {
      const address = request.ip;
      const wait = ctx.limiter.retryAfterMs(address);
      if (wait > 0) {
        return reply
          .code(429)
          .header("retry-after", String(Math.ceil(wait / 1000)))
          .send(errorBody(429, `Too many failed logins from ${address}; try again in ${Math.ceil(wait / 1000)} s`));
      }
      const { username, password } = request.body;
      if (!(await verifyAdmin(ctx.data.repositories.kv, username, password))) {
        ctx.limiter.recordFailure(address);
        return reply.code(401).send(errorBody(401, "Wrong user name or password"));
      }
      ctx.limiter.recordSuccess(address);
      // A new session id at every login: a cookie planted before login is worthless after it.
      const old = readCookie(request.headers.cookie, SESSION_COOKIE);
      if (old !== undefined) ctx.sessions.delete(old);
      const session = ctx.sessions.create(username);
      return reply
        .header("set-cookie", sessionCookie(session.id, secure))
        .send({ username: session.user, csrfToken: session.csrfToken });
    },
  );

  app.post(
    `${API}/auth/logout`,
    { schema: { tags: ["auth"], summary: "End the session", response: { 204: Type.Null(), ...errors() } } },
    async (request, reply) => {
      if (request.session) ctx.sessions.delete(request.session.id);
      return reply.code(204).header("set-cookie", clearedSessionCookie(secure)).send(null);
    },
  );

  app.get(
    `${API}/auth/session`,
    {
      config: { public: true },
      schema: {
        tags: ["auth"],
        summary:
          "The current session and its CSRF token; 401 without one. With --localhost-no-login, a client on this machine gets a session here without a password.",
        response: { 200: SessionResponse, ...errors() },
      },
    },
    async (request, reply) => {
      if (request.session) return { username: request.session.user, csrfToken: request.session.csrfToken };
      if (ctx.settings.localhostNoLogin && isLoopbackAddress(request.ip) && isLoopbackHost(request.headers.host)) {
        const session = ctx.sessions.create(LOCAL_USER);
        return reply
          .header("set-cookie", sessionCookie(session.id, secure))
          .send({ username: session.user, csrfToken: session.csrfToken });
      }
      return reply.code(401).send(errorBody(401, "Not logged in"));
    },
  );
}
