import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ConfigError,
  defaultSensorConfig,
  parseSensorConfig,
  parseSensorConfigText,
  resolveSensorConfig,
  type SensorConfig,
  type SensorConfigLayer,
} from "@heimdal/core";
import { stateDir } from "../state-dir.js";
import { UsageError } from "../usage-error.js";

/** Read when present and no --config is given. */
export const DEFAULT_CONFIG_PATH = "/etc/heimdal/heimdal.json";

/** The command line's options of `heimdal run`, as parseArgs gives them. */
export interface RunFlags {
  config?: string;
  interface?: string;
  filter?: string;
  db?: string;
  "state-dir"?: string;
  port?: string;
  host?: string;
  static?: string;
  "admin-password-file"?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
  "secure-cookies"?: boolean;
  "localhost-no-login"?: boolean;
  "active-scan"?: boolean;
  "no-service-probe"?: boolean;
  intercept?: boolean;
  blocking?: boolean;
  edition?: string;
  sensitivity?: string[];
  "offline-after"?: string;
  "baseline-days"?: string;
  "flush-interval"?: string;
}

/** Each flag and the configuration field it sets (errors in a flag name the flag). */
const FLAG_FIELDS: Record<string, string> = {
  "--interface": "interface",
  "--filter": "filter",
  "--db": "db",
  "--state-dir": "stateDir",
  "--port": "server.port",
  "--host": "server.host",
  "--static": "server.static",
  "--admin-password-file": "server.adminPasswordFile",
  "--tls-cert": "server.tls.cert",
  "--tls-key": "server.tls.key",
  "--secure-cookies": "server.secureCookies",
  "--localhost-no-login": "server.localhostNoLogin",
  "--active-scan": "activeScan",
  "--no-service-probe": "serviceProbe",
  "--intercept": "interception.enabled",
  "--blocking": "blocking",
  "--edition": "edition",
  "--sensitivity": "sensitivity",
  "--offline-after": "offlineAfter",
  "--baseline-days": "retention.baselineDays",
  "--flush-interval": "storage.flushInterval",
};

export interface ResolvedRunConfig {
  config: SensorConfig;
  /** The file read, or undefined when none was. */
  file: string | undefined;
}

/**
 * The daemon's configuration: the defaults, then the file (--config FILE, else
 * /etc/heimdal/heimdal.json when it exists), then $HEIMDAL_EDITION, then the flags.
 * A bad file is an error naming the file and the field; a bad flag a usage error naming
 * the flag.
 */
export function resolveRunConfig(flags: RunFlags, env: NodeJS.ProcessEnv = process.env): ResolvedRunConfig {
  const file = flags.config ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  const fileLayer = file === undefined ? {} : readConfigFile(file);
  const envLayer = env.HEIMDAL_EDITION ? layerOf("$HEIMDAL_EDITION", { edition: env.HEIMDAL_EDITION }) : {};
  const flagLayer = flagsLayer(flags);
  const defaults = defaultConfig(stateDir(undefined));
  let config: SensorConfig;
  try {
    config = resolveSensorConfig(defaults, fileLayer, envLayer, flagLayer);
  } catch (error) {
    if (error instanceof ConfigError && file !== undefined) throw new Error(`${file}: ${error.message}`);
    throw error;
  }
  // The database lives in the state directory unless placed elsewhere.
  const dbSet = flagLayer.db !== undefined || fileLayer.db !== undefined;
  if (!dbSet) config.db = join(config.stateDir, "heimdal.db");
  return { config, file };
}

export function defaultConfig(dir: string): SensorConfig {
  return defaultSensorConfig(dir, join(dir, "heimdal.db"));
}

function readConfigFile(file: string): SensorConfigLayer {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`Cannot read the configuration file "${file}": ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseSensorConfigText(text);
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(`${file}: ${error.message}`, { cause: error });
    throw error;
  }
}

function layerOf(source: string, document: unknown): SensorConfigLayer {
  try {
    return parseSensorConfig(document);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${source} ${error.problem}`);
    throw error;
  }
}

/** A number when the flag's text is one; the text otherwise, so the error quotes it. */
const numeric = (text: string | undefined): number | string | undefined =>
  text === undefined ? undefined : text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text;

function flagsLayer(flags: RunFlags): SensorConfigLayer {
  const server: Record<string, unknown> = {
    host: flags.host,
    port: numeric(flags.port),
    static: flags.static,
    adminPasswordFile: flags["admin-password-file"],
    secureCookies: flags["secure-cookies"],
    localhostNoLogin: flags["localhost-no-login"],
  };
  const cert = flags["tls-cert"];
  const key = flags["tls-key"];
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  if (cert !== undefined) server.tls = { cert, key };
  const document: Record<string, unknown> = {
    interface: flags.interface,
    filter: flags.filter,
    db: flags.db,
    stateDir: flags["state-dir"],
    activeScan: flags["active-scan"],
    serviceProbe: flags["no-service-probe"] ? false : undefined,
    blocking: flags.blocking,
    edition: flags.edition,
    sensitivity: flags.sensitivity,
    offlineAfter: numeric(flags["offline-after"]),
    server: defined(server),
    interception: defined({ enabled: flags.intercept }),
    retention: defined({ baselineDays: numeric(flags["baseline-days"]) }),
    storage: defined({ flushInterval: numeric(flags["flush-interval"]) }),
  };
  try {
    return parseSensorConfig(defined(document) ?? {});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const field = error.path.replace(/\[\d+\]$/, "");
    const flag = Object.keys(FLAG_FIELDS).find((f) => FLAG_FIELDS[f] === field);
    throw new UsageError(`${flag ?? error.path} ${error.problem}`);
  }
}

/** The object without its undefined members (an empty section is left out). */
function defined(object: Record<string, unknown>): Record<string, unknown> | undefined {
  const entries = Object.entries(object).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}
