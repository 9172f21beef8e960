import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { blockingRefusal, parseProductEdition } from "@heimdal/core";
import { ApiServer, type ApiServerOptions } from "@heimdal/server";
import { AnalysisStore } from "../analysis-store.js";
import { ApiBlockingController } from "../api-blocking-controller.js";
import { BlockingService } from "../blocking-service.js";
import { stateDir } from "../state-dir.js";
import { UsageError } from "../usage-error.js";

const HELP = `Usage: heimdal serve --db FILE [options]

Serves the sensor's API (/api/v1) and dashboard from the database that
\`heimdal analyze --db FILE\` writes.

  --port N                 port (default 8080)
  --host ADDRESS           address to listen on (default 127.0.0.1: this machine only)
  --static DIR             the dashboard's built files (default packages/dashboard/dist)
  --admin-password-file F  set the admin password from a file (or env HEIMDAL_ADMIN_PASSWORD);
                           without either, the stored one is kept, or one is generated and
                           printed once
  --tls-cert F --tls-key F serve HTTPS (cookies are then Secure)
  --secure-cookies         mark cookies Secure on plain HTTP (TLS ends at a proxy in front)
  --localhost-no-login     clients on this machine need no password (desktop use)
  --blocking               let the API block devices and destinations through nftables
                           (CAP_NET_ADMIN; see docs/interception.md), if the edition allows it
  --edition E              hardware (default), desktop-free, desktop-pro, desktop-enterprise;
                           also $HEIMDAL_EDITION. desktop-free never blocks: it serves
                           with blocking off and says why (--blocking is then ignored)
  --state-dir DIR          where the block list lives (default $HEIMDAL_STATE_DIR or /var/lib/heimdal)

Documentation: docs/api.md`;

export const DEFAULT_STATIC = fileURLToPath(new URL("../../../dashboard/dist", import.meta.url));

export async function runServe(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        db: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        static: { type: "string" },
        "admin-password-file": { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "secure-cookies": { type: "boolean" },
        "localhost-no-login": { type: "boolean" },
        blocking: { type: "boolean" },
        edition: { type: "string" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const db = values.db as string | undefined;
  if (!db) throw new UsageError("serve needs --db FILE");
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number 0–65535, got "${String(values.port)}"`);
  const host = (values.host as string | undefined) ?? "127.0.0.1";

  const options: ApiServerOptions = {
    databasePath: db,
    port,
    host,
    staticDir: (values.static as string | undefined) ?? DEFAULT_STATIC,
    secureCookies: values["secure-cookies"] === true,
    localhostNoLogin: values["localhost-no-login"] === true,
  };
  const password = adminPassword(values["admin-password-file"] as string | undefined);
  if (password !== undefined) options.adminPassword = password;
  const cert = values["tls-cert"] as string | undefined;
  const key = values["tls-key"] as string | undefined;
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  if (cert !== undefined && key !== undefined) options.tls = { cert: readFileSync(cert), key: readFileSync(key) };

  const edition = parseProductEdition(
    (values.edition as string | undefined) ?? process.env.HEIMDAL_EDITION ?? "hardware",
    "--edition",
  );
  options.edition = edition;
  const refusal = blockingRefusal(edition);
  if (refusal !== undefined) {
    // Free is visibility only: the dashboard runs and shows why its Block buttons are off.
    options.blockingUnavailableReason = refusal;
    if (values.blocking === true) {
      process.stderr.write(`heimdal: warning: --blocking ignored: ${options.blockingUnavailableReason}\n`);
    }
  } else if (values.blocking === true) {
    const devices = new AnalysisStore(db);
    options.blocking = new ApiBlockingController(
      new BlockingService(stateDir(values["state-dir"] as string | undefined)),
      () => devices.repositories.devices.list(),
    );
  } else {
    options.blockingUnavailableReason =
      "Blocking is off: this server was started without --blocking (heimdal serve --blocking, see docs/interception.md)";
  }
  const server = new ApiServer(options);
  const started = await server.start();
  process.stdout.write(`heimdal: serving ${started.url} (database ${db})\n`);
  if (started.credential.source === "generated") {
    // Shown once: only its hash is stored.
    process.stdout.write(
      `heimdal: first start: log in as "admin" with password ${started.credential.password}\n` +
        "         (shown only now; set another with HEIMDAL_ADMIN_PASSWORD or --admin-password-file)\n",
    );
  }
  if (!isLoopback(host) && !options.tls && !options.secureCookies) {
    process.stderr.write(
      "heimdal: warning: serving plain HTTP beyond this machine: the session cookie is not Secure and\n" +
        "         anyone on the LAN who can read traffic could take over a session. Prefer --tls-cert/--tls-key.\n",
    );
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.stop();
  return 0;
}

export function adminPassword(file: string | undefined): string | undefined {
  const env = process.env.HEIMDAL_ADMIN_PASSWORD;
  if (file !== undefined && env !== undefined && env !== "") {
    throw new UsageError("give the admin password once: HEIMDAL_ADMIN_PASSWORD or --admin-password-file, not both");
  }
  if (file !== undefined) {
    try {
      // One line: a trailing newline from `echo` is not part of the password.
      return readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      throw new Error(`Cannot read the admin password file "${file}": ${(error as Error).message}`, { cause: error });
    }
  }
  return env === undefined || env === "" ? undefined : env;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
