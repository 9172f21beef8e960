import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PRODUCT_EDITIONS } from "../enforcement/feature-gate.js";
import { ConfigError } from "./config-error.js";
import {
  defaultSensorConfig,
  parseSensorConfig,
  parseSensorConfigText,
  resolveSensorConfig,
  type SensorConfig,
  type SensorConfigLayer,
} from "./sensor-config.js";

const DEFAULTS: SensorConfig = defaultSensorConfig("/var/lib/heimdal", "/var/lib/heimdal/heimdal.db");

// ---- valid values, per field ----
const path = fc.stringMatching(/^\/[a-z0-9_./-]{1,40}$/);
const ipv4 = fc.ipV4();
const mac = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
  .map((b) => b.map((x) => x.toString(16).padStart(2, "0")).join(":"));
const seconds = (min: number, max: number) =>
  fc.oneof(fc.integer({ min, max }), fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
const sensitivitySetting = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }).map(String),
  fc
    .constantFrom("port_scan", "beaconing", "dns_tunneling")
    .chain((t) => fc.double({ min: 0, max: 1, noNaN: true }).map((v) => `${t}=${v}`)),
  fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((id) => `device:${id}=0.2`),
);

const validLayer: fc.Arbitrary<SensorConfigLayer> = fc.record(
  {
    interface: fc.option(fc.stringMatching(/^[a-z][a-z0-9.]{0,14}$/), { nil: null }),
    filter: fc.constantFrom("", "arp or udp", "not port 22"),
    db: path,
    stateDir: path,
    edition: fc.constantFrom("hardware", "desktop-pro", "desktop-enterprise") as fc.Arbitrary<SensorConfig["edition"]>,
    activeScan: fc.boolean(),
    serviceProbe: fc.boolean(),
    blocking: fc.boolean(),
    sensitivity: fc.array(sensitivitySetting, { maxLength: 4 }),
    offlineAfter: seconds(1, 86_400),
    server: fc.record(
      {
        host: fc.oneof(ipv4, fc.constant("localhost"), fc.constant("::")),
        port: fc.integer({ min: 0, max: 65_535 }),
        static: fc.option(path, { nil: null }),
        tls: fc.option(fc.record({ cert: path, key: path }), { nil: null }),
        secureCookies: fc.boolean(),
        localhostNoLogin: fc.boolean(),
        adminPasswordFile: fc.option(path, { nil: null }),
      },
      { requiredKeys: [] },
    ),
    interception: fc.record(
      {
        enabled: fc.boolean(),
        targets: fc.option(fc.array(fc.oneof(ipv4, mac), { maxLength: 3 }), { nil: null }),
        exclude: fc.array(fc.oneof(ipv4, mac), { maxLength: 3 }),
        refresh: seconds(2, 3600),
        probeInterval: seconds(1, 3600),
        dnsServer: fc.option(ipv4, { nil: null }),
        maxSubnet: fc.integer({ min: 2, max: 1 << 24 }),
        discover: seconds(0, 600),
      },
      { requiredKeys: [] },
    ),
    retention: fc.record({ baselineDays: fc.integer({ min: 1, max: 3650 }) }, { requiredKeys: [] }),
    storage: fc.record({ flushInterval: seconds(1, 3600) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

// ---- invalid values, per field: each is wrong for its field whatever else is set ----
const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}));
const notBool = fc.oneof(fc.constantFrom("yes", "true", 1, 0, null), fc.string());
const notNumber = fc.oneof(fc.constantFrom("x", "10", true, null, Number.NaN, Number.POSITIVE_INFINITY), fc.string());
// fast-check takes -0 to lie below 0, but -0 is 0 and a valid value where 0 is the minimum.
const below = (min: number) =>
  fc.double({ max: min, maxExcluded: true, noNaN: true, noDefaultInfinity: true }).filter((v) => !Object.is(v, -0));
const notList = fc.oneof(fc.constantFrom("10.0.0.1", 1, true, null), fc.constant({}));

const INVALID: Record<string, fc.Arbitrary<unknown>> = {
  interface: fc.oneof(fc.constantFrom("", "a name too long!!", "eth 0", "a/b", 7, true), fc.constant({})),
  filter: notString,
  db: fc.oneof(notString, fc.constant(""), fc.constant(null)),
  stateDir: fc.oneof(notString, fc.constant("")),
  edition: fc.oneof(
    fc.constantFrom("pro", "Hardware", "", 1, null),
    fc.string().filter((s) => !(PRODUCT_EDITIONS as readonly string[]).includes(s)),
  ),
  activeScan: notBool,
  serviceProbe: notBool,
  blocking: notBool,
  sensitivity: fc.oneof(
    notList,
    fc.constant(["1.5"]),
    fc.constant(["0.5", "no_such_detector=0.3"]),
    fc.constant(["device:=0.2"]),
    fc.constant([0.5]),
  ),
  offlineAfter: fc.oneof(notNumber, below(1)),
  "server.host": fc.oneof(notString, fc.constant("")),
  "server.port": fc.oneof(notNumber, fc.integer({ min: 65_536 }), fc.integer({ max: -1 }), fc.constant(80.5)),
  "server.static": fc.oneof(notString, fc.constant("")),
  "server.tls": fc.oneof(
    fc.constantFrom("cert.pem", 1, true),
    fc.constant({ cert: "/c.pem" }),
    fc.constant({ key: "/k.pem" }),
    fc.constant({ cert: "/c.pem", key: "/k.pem", ca: "/ca.pem" }),
  ),
  "server.secureCookies": notBool,
  "server.localhostNoLogin": notBool,
  "server.adminPasswordFile": fc.oneof(notString, fc.constant("")),
  "interception.enabled": notBool,
  "interception.targets": fc.oneof(
    fc.constantFrom("10.0.0.1", 1, true),
    fc.constant(["not-an-address"]),
    fc.constant(["10.0.0.1", 5]),
  ),
  "interception.exclude": fc.oneof(notList, fc.constant(["10.0.0.300"]), fc.constant([null])),
  "interception.refresh": fc.oneof(notNumber, below(2)),
  "interception.probeInterval": fc.oneof(notNumber, below(1)),
  "interception.dnsServer": fc.oneof(notString, fc.constantFrom("", "dns.example", "10.0.0")),
  "interception.maxSubnet": fc.oneof(notNumber, fc.constantFrom(1, 0, -5, 2.5, 2 ** 25)),
  "interception.discover": fc.oneof(notNumber, below(0), fc.constant(601)),
  "retention.baselineDays": fc.oneof(notNumber, fc.constantFrom(0, 1.5, 3651)),
  "storage.flushInterval": fc.oneof(notNumber, below(1), fc.constant(3601)),
};

function setPath(layer: SensorConfigLayer, dotted: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(layer) as Record<string, Record<string, unknown>>;
  const [outer, inner] = dotted.split(".") as [string, string | undefined];
  if (inner === undefined) (copy as Record<string, unknown>)[outer] = value;
  else copy[outer] = { ...copy[outer], [inner]: value };
  return copy;
}

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError, but the configuration was accepted");
}

describe("parseSensorConfig", () => {
  it("accepts every valid configuration and keeps exactly what it sets", () => {
    fc.assert(
      fc.property(validLayer, (layer) => {
        expect(parseSensorConfig(JSON.parse(JSON.stringify(layer)))).toEqual(layer);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects any single corrupted field, naming its path", () => {
    const corrupted = validLayer
      .chain((layer) => fc.constantFrom(...Object.keys(INVALID)).map((field) => ({ layer, field })))
      .chain(({ layer, field }) => INVALID[field]!.map((bad) => ({ layer, field, bad })));
    fc.assert(
      fc.property(corrupted, ({ layer, field, bad }) => {
        const error = errorOf(() => parseSensorConfig(setPath(layer, field, bad)));
        // A list names the bad entry (sensitivity[1]); an object the bad member (server.tls.key).
        expect(error.path === field || error.path.startsWith(`${field}[`) || error.path.startsWith(`${field}.`)).toBe(
          true,
        );
        expect(error.message.startsWith(error.path)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("rejects any unknown field, at the top or in a section, naming it", () => {
    const unknown = fc.oneof(
      fc.stringMatching(/^[a-zA-Z_]{1,12}$/),
      fc.constantFrom("toString", "__proto__", "constructor"),
    );
    fc.assert(
      fc.property(
        validLayer,
        unknown,
        fc.constantFrom("", "server", "interception", "retention", "storage"),
        (l, k, s) => {
          const known = s === "" ? Object.keys(DEFAULTS) : Object.keys(DEFAULTS[s as "server"]);
          fc.pre(!known.includes(k));
          const doc = structuredClone(l) as Record<string, Record<string, unknown>>;
          if (s !== "") doc[s] = { ...doc[s] };
          const target = s === "" ? doc : doc[s];
          // An own field even when named "__proto__", as JSON.parse makes it.
          Object.defineProperty(target, k, { value: 1, enumerable: true, configurable: true, writable: true });
          const error = errorOf(() => parseSensorConfig(doc));
          expect(error.path).toBe(s === "" ? k : `${s}.${k}`);
          expect(error.problem).toMatch(/^is not a known field \(known: /);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("says what each field must be, with the value it got", () => {
    const message = (doc: unknown) => errorOf(() => parseSensorConfig(doc)).message;
    expect(message({ interception: { refresh: "x" } })).toBe(
      'interception.refresh must be a number of seconds ≥ 2, got "x"',
    );
    expect(message({ server: { port: 70000 } })).toBe("server.port must be a whole number from 0 to 65535, got 70000");
    expect(message({ server: { tls: { cert: "/c.pem" } } })).toBe(
      "server.tls.key is missing (server.tls needs cert and key)",
    );
    expect(message({ sensitivity: ["0.5", "1.5"] })).toBe('sensitivity[1] must be a number from 0 to 1, got "1.5"');
    expect(message({ sensitivity: ["device:=0.2"] })).toBe(
      'sensitivity[0] is wrong: a device id must follow "device:"',
    );
    expect(message({ edition: "pro" })).toBe(
      'edition must be one of hardware, desktop-free, desktop-pro, desktop-enterprise, got "pro"',
    );
    expect(message({ activeScan: "yes" })).toBe('activeScan must be true or false, got "yes"');
    expect(message({ interception: { targets: ["10.0.0.1", "nope"] } })).toBe(
      'interception.targets[1] must be an IPv4 address or a MAC address, got "nope"',
    );
    expect(message({ dashboard: true })).toMatch(/^dashboard is not a known field \(known: interface, filter, db, /);
    expect(message([])).toBe("the configuration must be an object, got []");
  });

  it("reports text that is not JSON", () => {
    const error = errorOf(() => parseSensorConfigText('{"db": "/x.db",}'));
    expect(error.path).toBe("the configuration");
    expect(error.problem).toMatch(/^must be JSON: /);
  });
});

describe("resolveSensorConfig", () => {
  it("lays layers over the defaults field by field, later layers winning", () => {
    fc.assert(
      fc.property(validLayer, validLayer, (file, flags) => {
        fc.pre(!((flags.blocking ?? file.blocking) && (flags.edition ?? file.edition) === "desktop-free"));
        const config = resolveSensorConfig(DEFAULTS, file, flags);
        expect(config.server.port).toBe(flags.server?.port ?? file.server?.port ?? DEFAULTS.server.port);
        expect(config.interception.refresh).toBe(
          flags.interception?.refresh ?? file.interception?.refresh ?? DEFAULTS.interception.refresh,
        );
        expect(config.sensitivity).toEqual(flags.sensitivity ?? file.sensitivity ?? []);
        expect(config.interface).toBe(flags.interface !== undefined ? flags.interface : (file.interface ?? null));
        expect(DEFAULTS.server.port).toBe(8080); // the defaults are not changed
      }),
      { numRuns: 200 },
    );
  });

  it("refuses blocking in the edition that never blocks", () => {
    const error = errorOf(() => resolveSensorConfig(DEFAULTS, { blocking: true }, { edition: "desktop-free" }));
    expect(error.path).toBe("blocking");
    expect(error.message).toMatch(/^blocking cannot be on in the desktop-free edition/);
  });
});
