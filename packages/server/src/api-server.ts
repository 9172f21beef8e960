import type { InjectOptions } from "fastify";
import { EventFeed } from "./data/event-feed.js";
import { SensorData } from "./data/sensor-data.js";
import type { ApiApp, ApiContext } from "./http/api-app.js";
import { buildApp, routesOf } from "./http/build-app.js";
import { type CredentialOutcome, ensureAdminCredential } from "./security/admin-credential.js";
import { LoginLimiter } from "./security/login-limiter.js";
import { SessionStore } from "./security/sessions.js";
import type { ApiServerOptions, ComponentHealth } from "./server-options.js";

export interface StartedServer {
  /** "http://127.0.0.1:8080" (the address actually bound, so port 0 becomes the chosen one). */
  url: string;
  port: number;
  credential: CredentialOutcome;
}

/**
 * The sensor's HTTP API and dashboard server as one component: the constructor only keeps
 * its options, start() opens the database, makes sure an admin credential exists, builds the
 * routes and listens; stop() closes streams, the listener and the database. Both idempotent.
 */
export class ApiServer {
  private app: ApiApp | undefined;
  private data: SensorData | undefined;
  private feed: EventFeed | undefined;
  private started: StartedServer | undefined;

  constructor(private readonly options: ApiServerOptions) {}

  /** Builds the application without listening (for Fastify's inject in tests, and start()). */
  async ready(): Promise<{ app: ApiApp; credential: CredentialOutcome }> {
    const options = this.options;
    const now = options.now ?? Date.now;
    const data = new SensorData(options.databasePath);
    data.open();
    this.data = data;
    const credential = await ensureAdminCredential(data.repositories.kv, options.adminPassword);
    this.feed = new EventFeed(data, options.eventPollMs ?? 1000);
    const ctx: ApiContext = {
      data,
      feed: this.feed,
      sessions: new SessionStore(data.sessions, now, options.sessionLimits),
      limiter: new LoginLimiter(now, options.loginLimits),
      blocking: options.blocking,
      blockingUnavailableReason: options.blockingUnavailableReason,
      edition: options.edition ?? null,
      interception: options.interception ?? {
        running: false,
        detail: "No interception runs in this process: it serves the database that an analysis or the sensor writes",
      },
      now,
      startedAt: now(),
      settings: {
        port: options.port ?? 8080,
        host: options.host ?? "127.0.0.1",
        tls: options.tls !== undefined,
        secureCookies: options.secureCookies ?? false,
        localhostNoLogin: options.localhostNoLogin ?? false,
      },
      components: options.components ?? ((): ComponentHealth[] => []),
      captureStats: options.captureStats ?? (() => null),
    };
    this.app = await buildApp(ctx, {
      staticDir: options.staticDir,
      tls: options.tls,
      logger: options.logger ?? false,
    });
    await this.app.ready();
    return { app: this.app, credential };
  }

  async start(): Promise<StartedServer> {
    if (this.started) return this.started;
    const { app, credential } = await this.ready();
    await app.listen({ port: this.options.port ?? 8080, host: this.options.host ?? "127.0.0.1" });
    const address = app.server.address();
    const port = typeof address === "object" && address !== null ? address.port : (this.options.port ?? 8080);
    const host = this.options.host ?? "127.0.0.1";
    const shown = host.includes(":") ? `[${host}]` : host;
    this.started = { url: `${this.options.tls ? "https" : "http"}://${shown}:${port}`, port, credential };
    return this.started;
  }

  /**
   * A request handled in-process, without a socket (Fastify's inject): the way to present a
   * client address this machine cannot have, e.g. a LAN address, in tests.
   */
  async inject(options: InjectOptions) {
    if (!this.app) throw new Error("The API server is not started");
    return this.app.inject(options);
  }

  /** The application's routes (after start), for checks that every one is described. */
  routes(): readonly { method: string; url: string }[] {
    return this.app ? routesOf(this.app) : [];
  }

  async stop(): Promise<void> {
    this.feed?.stop();
    const app = this.app;
    this.app = undefined;
    this.started = undefined;
    if (app) {
      // Open event streams never end by themselves: close every connection, then the listener.
      app.server.closeAllConnections?.();
      await app.close();
    }
    this.data?.close();
    this.data = undefined;
  }
}
