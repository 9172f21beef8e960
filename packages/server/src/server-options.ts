import type { BlockingController } from "./blocking.js";
import type { LoginLimits } from "./security/login-limiter.js";
import type { SessionLimits } from "./security/sessions.js";

/** A component's health as the status endpoint reports it. */
export interface ComponentHealth {
  name: string;
  state: "ok" | "degraded" | "failed" | "unavailable";
  detail?: string;
}

export interface ApiServerOptions {
  /** The sensor's SQLite database (the file `heimdal analyze --db` writes). */
  databasePath: string;
  /** Default 8080. 0 picks a free port (tests). */
  port?: number;
  /** Default 127.0.0.1: reachable from this machine only until the operator chooses otherwise. */
  host?: string;
  /** The dashboard's built files; a placeholder page is served when absent. */
  staticDir?: string;
  /** Sets the admin password (stored hashed); without it the stored one, or a generated one, is used. */
  adminPassword?: string;
  /** Serve over TLS with this key and certificate (PEM); cookies are then Secure. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Mark cookies Secure although this server speaks plain HTTP (TLS ends at a proxy in front). */
  secureCookies?: boolean;
  /** Clients on this machine skip the password (desktop product). Off by default. */
  localhostNoLogin?: boolean;
  /** The interception component; blocking endpoints answer 503 without it. */
  blocking?: BlockingController;
  /** Why there is no blocking, in a sentence for the user (the edition, a missing --blocking). */
  blockingUnavailableReason?: string;
  /** The product edition ("hardware", "desktop-free", …), shown in the settings. */
  edition?: string;
  /** Whether ARP interception runs next to this server (the sensor daemon), for the settings page. */
  interception?: { running: boolean; detail: string };
  /** Health of components running next to the server (capture, storage writer, …). */
  components?: () => ComponentHealth[];
  /** Capture counters when a live capture runs in this process; null otherwise. */
  captureStats?: () => Record<string, number> | null;
  /** How often the event stream looks for new events written by another process (default 1,000 ms). */
  eventPollMs?: number;
  /** Wall clock (ms since the epoch) for sessions, acknowledgements and rate limits. */
  now?: () => number;
  loginLimits?: LoginLimits;
  sessionLimits?: SessionLimits;
  /** Fastify's logger; off by default (the CLI prints what matters). */
  logger?: boolean;
}
