import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { BlockingController } from "../blocking.js";
import type { EventFeed } from "../data/event-feed.js";
import type { SensorData } from "../data/sensor-data.js";
import type { LoginLimiter } from "../security/login-limiter.js";
import type { Session, SessionStore } from "../security/sessions.js";
import type { ComponentHealth } from "../server-options.js";

export const API = "/api/v1";

/** The Fastify instance with TypeBox schemas typing requests. */
export type ApiApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What route handlers share: built once per server at start. */
export interface ApiContext {
  data: SensorData;
  feed: EventFeed;
  sessions: SessionStore;
  limiter: LoginLimiter;
  blocking: BlockingController | undefined;
  /** What blocking answers with when there is no controller. */
  blockingUnavailableReason: string | undefined;
  edition: string | null;
  interception: { running: boolean; detail: string };
  now: () => number;
  startedAt: number;
  settings: {
    port: number;
    host: string;
    tls: boolean;
    secureCookies: boolean;
    localhostNoLogin: boolean;
  };
  components: () => ComponentHealth[];
  captureStats: () => Record<string, number> | null;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** Served without a session (login, the session probe). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** The request's live session, set by access control; null without one. */
    session: Session | null;
  }
}

/** The error answer's body. */
export function errorBody(statusCode: number, message: string, field?: string) {
  const error =
    {
      400: "Bad Request",
      401: "Unauthorized",
      403: "Forbidden",
      404: "Not Found",
      409: "Conflict",
      413: "Payload Too Large",
      415: "Unsupported Media Type",
      429: "Too Many Requests",
      503: "Service Unavailable",
    }[statusCode] ?? (statusCode >= 500 ? "Internal Server Error" : "Error");
  return field === undefined ? { statusCode, error, message } : { statusCode, error, message, field };
}
