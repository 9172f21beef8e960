/**
 * The sensor daemon's configuration (`heimdal run --config FILE`, docs/config.md): one JSON
 * document, validated field by field at load. Every error names the field and says what it
 * must be and what it was (`interception.refresh must be a number of seconds ≥ 2, got "x"`);
 * unknown fields are errors, so a misspelt setting is never silently ignored.
 *
 * parseSensorConfig() checks one layer (the file, or the command line's flags turned into
 * the same shape); resolveSensorConfig() lays the layers over the defaults and checks what
 * depends on several fields.
 */
import { DetectionConfigError, parseSensitivity } from "../detection/detection-config.js";
import { blockingAllowed, PRODUCT_EDITIONS, type ProductEdition } from "../enforcement/feature-gate.js";
import { parseIpv4, parseMac } from "../packet/address.js";
import { ConfigError } from "./config-error.js";

export interface ServerConfig {
  host: string;
  port: number;
  /** The dashboard's built files; null: the ones shipped with Heimdal. */
  static: string | null;
  tls: { cert: string; key: string } | null;
  secureCookies: boolean;
  localhostNoLogin: boolean;
  /** A file holding the admin password; null: $HEIMDAL_ADMIN_PASSWORD, the stored one or a generated one. */
  adminPasswordFile: string | null;
}

export interface InterceptionConfig {
  enabled: boolean;
  /** Only these addresses or MACs; null: every device found. */
  targets: string[] | null;
  exclude: string[];
  /** Seconds between claim refreshes (varied by ±20 %). */
  refresh: number;
  /** Seconds between guard probes. */
  probeInterval: number;
  /** The DNS server the guard probes; null: the system's first. */
  dnsServer: string | null;
  /** Subnets with more addresses are refused. */
  maxSubnet: number;
  /** Seconds of listening and sweeping before the first claims. */
  discover: number;
}

export interface SensorConfig {
  /** The capture interface; null: the one holding the default route. */
  interface: string | null;
  /** BPF filter (tcpdump syntax); "" captures everything. */
  filter: string;
  db: string;
  stateDir: string;
  edition: ProductEdition;
  activeScan: boolean;
  /** With activeScan: also ask each station found for its service ports (one SYN each). */
  serviceProbe: boolean;
  blocking: boolean;
  sensitivity: string[];
  /** Seconds of silence after which a device is offline. */
  offlineAfter: number;
  server: ServerConfig;
  interception: InterceptionConfig;
  retention: { baselineDays: number };
  /** Seconds between writes of what the pipeline learned to the database. */
  storage: { flushInterval: number };
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : DeepPartial<T[K]> };
/** One validated layer: the fields it sets. */
export type SensorConfigLayer = DeepPartial<SensorConfig>;

/** Checks one value; `path` names it in errors. Returns the value to keep. */
type Check = (value: unknown, path: string) => unknown;

const MAX_TEXT = 4096;

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const fail = (path: string, must: string, value: unknown): never => {
  throw new ConfigError(path, `must be ${must}, got ${show(value)}`);
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function text(must = "a string", allowEmpty = true): Check {
  return (value, path) => {
    if (typeof value !== "string" || (!allowEmpty && value === "") || value.length > MAX_TEXT || value.includes("\0"))
      return fail(path, must, value);
    return value;
  };
}

const filePath = text("a file path (a non-empty string)", false);

const interfaceName: Check = (value, path) => {
  // IFNAMSIZ is 16 with the terminating NUL; names never hold "/" or white space.
  if (typeof value !== "string" || !/^[^\s/:]{1,15}$/.test(value))
    return fail(path, "an interface name (1–15 characters, no spaces or slashes)", value);
  return value;
};

const bool: Check = (value, path) => (typeof value === "boolean" ? value : fail(path, "true or false", value));

function seconds(min: number, max = 365 * 86_400): Check {
  return (value, path) => {
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max)
      return fail(path, `a number of seconds ≥ ${min}${max < 365 * 86_400 ? ` and ≤ ${max}` : ""}`, value);
    return value;
  };
}

function wholeNumber(min: number, max: number): Check {
  return (value, path) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
      return fail(path, `a whole number from ${min} to ${max}`, value);
    return value;
  };
}

const port = wholeNumber(0, 65_535);

const edition: Check = (value, path) =>
  typeof value === "string" && (PRODUCT_EDITIONS as readonly string[]).includes(value)
    ? value
    : fail(path, `one of ${PRODUCT_EDITIONS.join(", ")}`, value);

const ipv4: Check = (value, path) =>
  typeof value === "string" && parseIpv4(value) !== undefined ? value : fail(path, "an IPv4 address", value);

function listOf(item: Check, must: string): Check {
  return (value, path) => {
    if (!Array.isArray(value)) return fail(path, must, value);
    return value.map((entry, i) => item(entry, `${path}[${i}]`));
  };
}

const hostList = listOf(
  (value, path) =>
    typeof value === "string" && (parseIpv4(value) !== undefined || parseMac(value) !== undefined)
      ? value
      : fail(path, "an IPv4 address or a MAC address", value),
  "a list of IPv4 or MAC addresses",
);

const sensitivity: Check = (value, path) => {
  const list = listOf(text(), 'a list of settings such as "0.7", "port_scan=0.8", "device:ID=0.2"')(
    value,
    path,
  ) as string[];
  list.forEach((setting, i) => {
    try {
      parseSensitivity([setting]);
    } catch (error) {
      if (!(error instanceof DetectionConfigError)) throw error;
      // parseSensitivity names the setting as the first of a list: keep only what it says of it.
      const prefix = `sensitivity[0] ("${setting.slice(0, 80)}")`;
      const said = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : `: ${error.message}`;
      const problem = said.startsWith(": ") ? `is wrong: ${said.slice(2)}` : said.trimStart();
      throw new ConfigError(`${path}[${i}]`, problem);
    }
  });
  return list;
};

const nullable =
  (check: Check): Check =>
  (value, path) =>
    value === null ? null : check(value, path);

/** An object with these fields only; `required` ones must be present. */
function section(fields: Record<string, Check>, required: readonly string[] = []): Check {
  return (value, path) => {
    if (!isPlainObject(value)) return fail(path || "the configuration", "an object", value);
    const out: Record<string, unknown> = {};
    const where = (key: string) => (path === "" ? key : `${path}.${key}`);
    for (const [key, entry] of Object.entries(value)) {
      // Own fields only: "toString" or "__proto__" in a file are unknown fields, not Object's.
      const check = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (!check) {
        throw new ConfigError(where(key), `is not a known field (known: ${Object.keys(fields).join(", ")})`);
      }
      out[key] = check(entry, where(key));
    }
    for (const key of required) {
      if (!(key in value)) throw new ConfigError(where(key), `is missing (${path} needs ${required.join(" and ")})`);
    }
    return out;
  };
}

const LAYER = section({
  interface: nullable(interfaceName),
  filter: text("a BPF filter (a string)"),
  db: filePath,
  stateDir: filePath,
  edition,
  activeScan: bool,
  serviceProbe: bool,
  blocking: bool,
  sensitivity,
  offlineAfter: seconds(1),
  server: section({
    host: text("an address or host name (a non-empty string)", false),
    port,
    static: nullable(filePath),
    tls: nullable(section({ cert: filePath, key: filePath }, ["cert", "key"])),
    secureCookies: bool,
    localhostNoLogin: bool,
    adminPasswordFile: nullable(filePath),
  }),
  interception: section({
    enabled: bool,
    targets: nullable(hostList),
    exclude: hostList,
    refresh: seconds(2),
    probeInterval: seconds(1),
    dnsServer: nullable(ipv4),
    maxSubnet: wholeNumber(2, 1 << 24),
    discover: seconds(0, 600),
  }),
  retention: section({ baselineDays: wholeNumber(1, 3650) }),
  storage: section({ flushInterval: seconds(1, 3600) }),
});

/** The sensor's defaults: its state in `stateDir`, its database at `db`. */
export function defaultSensorConfig(stateDir: string, db: string): SensorConfig {
  return {
    interface: null,
    filter: "",
    db,
    stateDir,
    edition: "hardware",
    activeScan: false,
    serviceProbe: true,
    blocking: false,
    sensitivity: [],
    offlineAfter: 300,
    server: {
      host: "127.0.0.1",
      port: 8080,
      static: null,
      tls: null,
      secureCookies: false,
      localhostNoLogin: false,
      adminPasswordFile: null,
    },
    interception: {
      enabled: false,
      targets: null,
      exclude: [],
      refresh: 10,
      probeInterval: 5,
      dnsServer: null,
      maxSubnet: 1024,
      discover: 3,
    },
    retention: { baselineDays: 30 },
    storage: { flushInterval: 10 },
  };
}

/**
 * Validates one layer of configuration (a parsed JSON document); throws ConfigError naming
 * the first bad or unknown field.
 */
export function parseSensorConfig(document: unknown): SensorConfigLayer {
  return LAYER(document, "") as SensorConfigLayer;
}

/** Reads a configuration file's text: JSON, with the problem's position when it is not. */
export function parseSensorConfigText(source: string): SensorConfigLayer {
  let document: unknown;
  try {
    document = JSON.parse(source);
  } catch (error) {
    throw new ConfigError("the configuration", `must be JSON: ${(error as Error).message}`);
  }
  return parseSensorConfig(document);
}

/**
 * The defaults with each layer laid over them in order (later layers win, field by field),
 * then the checks that span fields.
 */
export function resolveSensorConfig(defaults: SensorConfig, ...layers: SensorConfigLayer[]): SensorConfig {
  let config = cloneJson(defaults);
  for (const layer of layers) config = overlay(config, layer) as SensorConfig;
  if (config.blocking && !blockingAllowed(config.edition)) {
    throw new ConfigError(
      "blocking",
      `cannot be on in the ${config.edition} edition (it shows devices and alerts but never blocks; Pro and above)`,
    );
  }
  return config;
}

function overlay(base: unknown, layer: unknown): unknown {
  if (!isPlainObject(layer) || !isPlainObject(base)) return cloneJson(layer);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    if (value !== undefined) out[key] = overlay(base[key], value);
  }
  return out;
}

/** Configuration is JSON data: a JSON round trip copies it (core has no structuredClone). */
function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
