import { execFileSync } from "node:child_process";
import {
  ActiveScanner,
  ArpInterceptor,
  type InterceptionHost,
  type NetworkInfo,
  parseArpFrame,
  parseIpv4,
  parseMac,
  planInterception,
  Supervisor,
  type TargetSelection,
} from "@heimdal/core";
import {
  detectNetwork,
  FileSpoofJournal,
  LibpcapCaptureProvider,
  LibpcapInjector,
  LinuxInterceptionGuard,
  prepareForwarding,
  readNeighbours,
} from "@heimdal/platform";
import { BlockingService } from "../blocking-service.js";
import { parseCommandArgs, printHelp } from "../command-args.js";
import { arpJournalPath, stateDir, wallClock } from "../state-dir.js";
import { UsageError } from "../usage-error.js";
import { restoreFromJournal } from "./restore-arp.js";

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
  const dir = stateDir(values["state-dir"]);
  const journal = new FileSpoofJournal(arpJournalPath(dir));

  // A journal left by a killed run is undone before anything else.
  const leftover = await restoreFromJournal(journal);
  if (leftover) emit({ event: "restored", reason: "journal of an earlier run", targets: leftover.targets });

  const network = networkWithGateway(values.interface);
  planInterception(network, [], selection); // refuses before any change: no gateway MAC, subnet too large
  const before = prepareForwarding(network.interfaceName);
  emit({ event: "forwarding", interface: network.interfaceName, before });
  const blocks = await new BlockingService(dir).reapply();
  if (blocks > 0) emit({ event: "blocks-reapplied", count: blocks });

  const hosts = new Map<number, number>(); // ip → mac, from ARP and the neighbour table
  for (const n of readNeighbours()) {
    const ip = parseIpv4(n.ip);
    const mac = parseMac(n.mac);
    if (n.interfaceName === network.interfaceName && ip !== undefined && mac !== undefined) hosts.set(ip, mac);
  }
  const sensorMac = parseMac(network.mac!)!;
  const candidates = (): InterceptionHost[] => [...hosts].map(([ip, mac]) => ({ ip, mac }));

  const capture = new LibpcapCaptureProvider({ interface: network.interfaceName, filter: "arp", promiscuous: true });
  await capture.open();
  const sweepInjector = new LibpcapInjector(network.interfaceName);
  sweepInjector.open();
  const scanner = new ActiveScanner(
    { network, injector: sweepInjector, clock: wallClock },
    { mdnsQuery: false, ssdpSearch: false, packetsPerSecond: 100, intervalSeconds: 600 },
  );
  scanner.start();

  let interceptor: ArpInterceptor | undefined;
  let finished: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finished = resolve;
  });
  const supervisor = new Supervisor(wallClock, (name, error, delay) =>
    emit({ event: "restarting", component: name, error: error.message, inMs: delay }),
  );
  let stoppingOnRequest = false;

  const reading = (async () => {
    for await (const batch of capture.batches()) {
      for (let i = 0; i < batch.count; i++) {
        const offset = batch.offsets[i]!;
        const frame = batch.data.subarray(offset, offset + batch.capturedLengths[i]!);
        const arp = parseArpFrame(frame);
        if (!arp) continue;
        if (arp.ethernetSource !== sensorMac && arp.senderMac === arp.ethernetSource && arp.senderIp !== 0) {
          hosts.set(arp.senderIp, arp.senderMac);
        }
        interceptor?.observe(frame);
      }
    }
  })();

  await new Promise((resolve) => setTimeout(resolve, discoverSeconds * 1000));
  const guard = new LinuxInterceptionGuard({
    interfaceName: network.interfaceName,
    gateway: network.gateway!.ipv4,
    dnsServer: dnsServer ?? network.dnsServers.find((s) => parseIpv4(s) !== undefined) ?? null,
  });
  await supervisor.add("arp-interceptor", (fail) => {
    const injector = new LibpcapInjector(network.interfaceName);
    const instance = new ArpInterceptor(
      planInterception(network, candidates(), selection),
      {
        injector,
        clock: wallClock,
        journal,
        guard,
        onFailed: fail,
        onStopped: (reason) => {
          injector.close();
          if (!stoppingOnRequest && reason !== "restarting") {
            emit({ event: "stopped", reason, restored: journal.load() === undefined });
            finished(3);
          }
        },
      },
      { refreshSeconds, probeSeconds },
    );
    return {
      start: () => {
        injector.open();
        interceptor = instance;
        instance.start();
        emit({ event: "intercepting", gateway: instance.health().gateway, targets: instance.health().targets });
      },
      stop: () => instance.stop("restarting"),
    };
  });

  const retarget = setInterval(() => {
    if (!interceptor?.running) return;
    const before = interceptor.health().targets.join();
    interceptor.setTargets(planInterception(network, candidates(), selection).targets);
    const after = interceptor.health().targets;
    if (after.join() !== before) emit({ event: "targets", targets: after });
  }, 2000);

  const stopOnRequest = (why: string) => () => {
    stoppingOnRequest = true;
    void (async () => {
      await interceptor?.stop(why);
      emit({ event: "stopped", reason: why, restored: journal.load() === undefined });
      finished(0);
    })();
  };
  const onSignal = stopOnRequest("stopped by signal");
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const timer =
    durationSeconds === undefined ? undefined : setTimeout(stopOnRequest("duration elapsed"), durationSeconds * 1000);

  const code = await done;
  clearTimeout(timer);
  clearInterval(retarget);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  await supervisor.stopAll();
  scanner.stop();
  sweepInjector.close();
  await capture.close();
  await reading;
  return code;
}

/** The detected network, on IFACE when given; the gateway's MAC asked for when not yet known. */
function networkWithGateway(interfaceName: string | undefined): NetworkInfo {
  let network = detectNetwork();
  if (interfaceName !== undefined && network.interfaceName !== interfaceName) {
    throw new UsageError(
      `--interface ${interfaceName}: the default route uses "${network.interfaceName}"; interception works on the interface that leads to the gateway`,
    );
  }
  if (network.gateway && network.gateway.mac === null) {
    // One ping makes the kernel resolve the gateway (validated address, no shell).
    try {
      execFileSync("ping", ["-n", "-q", "-c", "1", "-W", "1", network.gateway.ipv4], { stdio: "ignore" });
    } catch {
      // No answer to the ping: the ARP entry may still have been made.
    }
    network = detectNetwork();
  }
  return network;
}
