import { Type } from "typebox";
import { API, type ApiApp, type ApiContext, errorBody } from "../http/api-app.js";
import { errors } from "../schemas/common.js";
import { SECURITY_HEADERS } from "../security/security-headers.js";

/** Events per read while catching up: bounds one read's memory, not how many are sent. */
const BATCH = 500;
/** A comment line this often keeps proxies and browsers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

const StreamQuery = Type.Object(
  {
    lastEventId: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: "Resume after this event id (for clients that cannot set Last-Event-ID)",
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Server-sent events from the events table: device events (device_new, device_online,
 * device_offline, device_changed) and alert events (alert_raised, alert_acknowledged), each with
 * `id:` = its event id. A client reconnecting with Last-Event-ID gets every event after it; a
 * new client starts with what comes next.
 */
export function registerEventStreamRoute(app: ApiApp, ctx: ApiContext): void {
  app.get(
    `${API}/events/stream`,
    {
      schema: {
        tags: ["events"],
        summary: "Live device and alert events (text/event-stream); resumes after Last-Event-ID",
        querystring: StreamQuery,
        headers: Type.Object({
          "last-event-id": Type.Optional(
            Type.String({ pattern: "^[0-9]{1,15}$", description: "The last event id received" }),
          ),
        }),
        produces: ["text/event-stream"],
        response: { 200: Type.String({ description: "An event stream" }), ...errors() },
      },
    },
    async (request, reply) => {
      const header = request.headers["last-event-id"];
      const given = typeof header === "string" ? Number(header) : request.query.lastEventId;
      const events = ctx.data.repositories.events;
      let cursor = given ?? events.lastId();
      if (!Number.isSafeInteger(cursor)) {
        return reply.code(400).send(errorBody(400, "Last-Event-ID must be an event id", "Last-Event-ID"));
      }

      reply.hijack();
      const out = reply.raw;
      // hijack() bypasses the onSend hook: the security headers are set here.
      out.writeHead(200, {
        ...SECURITY_HEADERS,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      out.write("retry: 2000\n\n");

      let draining = false;
      let closed = false;
      const drain = async () => {
        if (draining || closed) return;
        draining = true;
        try {
          for (;;) {
            const batch = events.since(cursor, BATCH);
            for (const { id, event } of batch) {
              // JSON has no raw newlines, so one data: line carries the whole event.
              const ok = out.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify({ id, ...event })}\n\n`);
              cursor = id;
              if (!ok) {
                await new Promise((resolve) => {
                  out.once("drain", resolve);
                  out.once("close", resolve);
                });
              }
              if (closed) return;
            }
            if (batch.length < BATCH) break;
          }
        } catch (error) {
          request.log.warn({ err: error }, "event stream read failed; retrying at the next poll");
        } finally {
          draining = false;
        }
      };
      const unsubscribe = ctx.feed.subscribe(() => void drain());
      const heartbeat = setInterval(() => out.write(": keep-alive\n\n"), HEARTBEAT_MS);
      heartbeat.unref();
      // The response's close: the client went away (the request's may come earlier, once read).
      out.on("close", () => {
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
      });
      await drain();
    },
  );
}
