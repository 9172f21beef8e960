import { parseIpv4, type TargetSelection } from "@heimdal/core";
import { ArpInterception } from "../arp-interception.js";
import { parseCommandArgs, printHelp } from "../command-args.js";
import { stateDir } from "../state-dir.js";
import { UsageError } from "../usage-error.js";

const HELP = `Usage: heimdal intercept [options]

Places the sensor between the devices of the local subnet and the gateway by ARP
interception, forwarding everything (IPv4 only; IPv6 is left alone). Runs until SIGINT or
SIGTERM (or --duration), then restores every ARP entry it changed. Prints one JSON line per
event on stdout. Needs CAP_NET_RAW and CAP_NET_ADMIN.

  --interface IFACE       the interface (default: the one holding the default route)
  --targets A,B,…         only these addresses or MACs (default: every device found)
  --exclude A,B,…         never these addresses or MACs
  --refresh SECONDS       claim refresh interval, varied by ±20% (default 10)
  --probe-interval S      guard probe interval (default 5)
  --dns-server IP         the DNS server the guard probes (default: the system's first)
  --max-subnet N          refuse subnets with more addresses (default 1024)
  --discover SECONDS      listen and sweep this long before the first claims (default 3)
  --duration SECONDS      stop after this long
  --state-dir DIR         journal and block list (default $HEIMDAL_STATE_DIR or /var/lib/heimdal)

Exit status: 0 after a stop by signal or --duration, 3 when a guard-rail stopped it (the
reason is printed), 1 when it cannot start.`;

interface InterceptArgs {
  interface?: string;
  targets?: string;
  exclude?: string;
  refresh?: string;
  "probe-interval"?: string;
  "dns-server"?: string;
  "max-subnet"?: string;
  discover?: string;
  duration?: string;
  "state-dir"?: string;
  help?: boolean;
}

function positiveNumber(text: string | undefined, field: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value))
    throw new UsageError(`--${field} must be a positive number, got "${text}"`);
  return value;
}

const list = (text: string): string[] =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

const emit = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);

export async function runIntercept(argv: string[]): Promise<number> {
  const { values }: { values: InterceptArgs } = parseCommandArgs({
    args: argv,
    options: {
      interface: { type: "string" },
      targets: { type: "string" },
      exclude: { type: "string" },
      refresh: { type: "string" },
      "probe-interval": { type: "string" },
      "dns-server": { type: "string" },
      "max-subnet": { type: "string" },
      discover: { type: "string" },
      duration: { type: "string" },
      "state-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return printHelp(HELP);
  const refreshSeconds = positiveNumber(values.refresh, "refresh", 10);
  const probeSeconds = positiveNumber(values["probe-interval"], "probe-interval", 5);
  const discoverSeconds = positiveNumber(values.discover, "discover", 3);
  const durationSeconds = values.duration === undefined ? undefined : positiveNumber(values.duration, "duration", 1);
  const dnsServer = values["dns-server"];
  if (dnsServer !== undefined && parseIpv4(dnsServer) === undefined) {
    throw new UsageError(`--dns-server must be an IPv4 address, got "${dnsServer}"`);
  }
  const selection: TargetSelection = {
    maxSubnetSize: positiveNumber(values["max-subnet"], "max-subnet", 1024),
    ...(values.targets !== undefined && { only: list(values.targets) }),
    ...(values.exclude !== undefined && { exclude: list(values.exclude) }),
  };
  let finished: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finished = resolve;
  });
  const interception = new ArpInterception({
    interfaceName: values.interface,
    selection,
    refreshSeconds,
    probeSeconds,
    discoverSeconds,
    dnsServer,
    stateDir: stateDir(values["state-dir"]),
    emit,
    onGuardStop: () => finished(3),
  });
  const stopOnRequest = (why: string) => () => {
    void (async () => {
      await interception.stop(why);
      finished(0);
    })();
  };
  const onSignal = stopOnRequest("stopped by signal");
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await interception.start();
    timer =
      durationSeconds === undefined ? undefined : setTimeout(stopOnRequest("duration elapsed"), durationSeconds * 1000);
    const code = await done;
    return code;
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await interception.close();
  }
}
