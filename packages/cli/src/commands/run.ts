import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { detectNetwork } from "@heimdal/platform";
import { parseCommandArgs, printHelp } from "../command-args.js";
import { DEFAULT_CONFIG_PATH, type RunFlags, resolveRunConfig } from "../daemon/run-config.js";
import { SensorDaemon } from "../daemon/sensor-daemon.js";
import { adminPassword, DEFAULT_STATIC, isLoopback } from "./serve.js";

const HELP = `Usage: heimdal run [--config FILE] [options]

The sensor daemon: detects the network (or uses --interface), captures live, runs the whole
analysis (discovery, profiles, baselines, detection, incidents), writes what it learns to
the database every few seconds, and serves the API (/api/v1) and dashboard on the same
database, until SIGINT or SIGTERM. Each part is supervised: one that fails is restarted
with backoff while the rest go on; GET /api/v1/status shows each part's health and the
capture's counters. Needs CAP_NET_RAW and CAP_NET_ADMIN (deploy/systemd/heimdal.service).

  --config FILE            JSON configuration (default ${DEFAULT_CONFIG_PATH} when present;
                           docs/config.md); flags override it
  --interface IFACE        capture interface (default: the one holding the default route)
  --filter BPF             BPF filter (tcpdump syntax)
  --db FILE                the database (default STATE-DIR/heimdal.db)
  --state-dir DIR          state: database, block list (default $HEIMDAL_STATE_DIR or /var/lib/heimdal)
  --port N --host ADDRESS  where the API listens (default 8080 on 127.0.0.1: this machine only)
  --static DIR             the dashboard's built files
  --admin-password-file F  admin password from a file (or env HEIMDAL_ADMIN_PASSWORD)
  --tls-cert F --tls-key F serve HTTPS
  --secure-cookies         Secure cookies on plain HTTP (TLS ends at a proxy in front)
  --localhost-no-login     clients on this machine need no password (desktop use)
  --active-scan            also ask who is there (ARP sweep, mDNS, SSDP, service ports;
                           docs/cli.md)
  --no-service-probe       with --active-scan: send no SYNs to the devices' service ports
  --intercept              ARP interception: stand between the devices and the gateway
                           (docs/interception.md)
  --blocking               let the API block devices and destinations (nftables)
  --edition E              hardware (default), desktop-free, desktop-pro, desktop-enterprise
  --sensitivity S          detection sensitivity (repeatable; as heimdal analyze)
  --offline-after S        seconds of silence before a device is offline (default 300)
  --baseline-days N        days of baseline history kept (default 30)
  --flush-interval S       seconds between database writes (default 10)

Exit status: 0 after SIGINT/SIGTERM, 1 when it cannot start, 2 for a bad command line.
Documentation: docs/cli.md, docs/config.md`;

export async function runRun(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args: argv,
    options: {
      config: { type: "string" },
      interface: { type: "string" },
      filter: { type: "string" },
      db: { type: "string" },
      "state-dir": { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      static: { type: "string" },
      "admin-password-file": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "secure-cookies": { type: "boolean" },
      "localhost-no-login": { type: "boolean" },
      "active-scan": { type: "boolean" },
      "no-service-probe": { type: "boolean" },
      intercept: { type: "boolean" },
      blocking: { type: "boolean" },
      edition: { type: "string" },
      sensitivity: { type: "string", multiple: true },
      "offline-after": { type: "string" },
      "baseline-days": { type: "string" },
      "flush-interval": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return printHelp(HELP);
  const { help: _, ...flags } = values;
  const { config, file } = resolveRunConfig(flags as RunFlags);
  const interfaceName = config.interface ?? detectNetwork().interfaceName;
  const log = (message: string) => process.stderr.write(`heimdal: ${message}\n`);

  const daemon = new SensorDaemon({
    config: { ...config, interface: interfaceName },
    staticDir: config.server.static ?? DEFAULT_STATIC,
    adminPassword: adminPassword(config.server.adminPasswordFile ?? undefined),
    log,
    onListening: (server) => {
      process.stdout.write(`heimdal: serving ${server.url} (database ${config.db})\n`);
      if (server.credential.source === "generated") {
        // Shown once: only its hash is stored.
        process.stdout.write(
          `heimdal: first start: log in as "admin" with password ${server.credential.password}\n` +
            "         (shown only now; set another with HEIMDAL_ADMIN_PASSWORD or server.adminPasswordFile)\n",
        );
      }
    },
  });
  const stopRequested = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  process.stdout.write(
    `heimdal: sensor on "${interfaceName}"${file ? ` (configuration ${file})` : ""}, database ${config.db}\n`,
  );
  if (!isLoopback(config.server.host) && !config.server.tls && !config.server.secureCookies) {
    log("warning: serving plain HTTP beyond this machine; prefer server.tls (--tls-cert/--tls-key)");
  }
  // The state directory is made here when missing (systemd's StateDirectory= makes it too);
  // when it cannot be, the storage component says why and keeps trying.
  for (const dir of new Set([config.stateDir, dirname(config.db)])) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o750 });
    } catch (error) {
      log(`cannot create ${dir}: ${(error as Error).message}`);
    }
  }
  try {
    await daemon.start();
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  const signal = await stopRequested;
  log(`${signal}: stopping`);
  await daemon.stop();
  process.stdout.write("heimdal: stopped\n");
  return 0;
}
