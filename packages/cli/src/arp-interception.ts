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
import { BlockingService } from "./blocking-service.js";
import { restoreFromJournal } from "./commands/restore-arp.js";
import { arpJournalPath, wallClock } from "./state-dir.js";
import { UsageError } from "./usage-error.js";

export interface ArpInterceptionOptions {
  /** The interface; it must hold the default route (default: the one that does). */
  interfaceName?: string | undefined;
  selection: TargetSelection;
  refreshSeconds: number;
  probeSeconds: number;
  /** Listening and sweeping before the first claims. */
  discoverSeconds: number;
  dnsServer?: string | undefined;
  /** Journal of spoofed pairs and the block list. */
  stateDir: string;
  /** What happens, as events (`forwarding`, `restored`, `intercepting`, `targets`, `stopped`, …). */
  emit: (event: Record<string, unknown>) => void;
  /** A guard-rail stopped the interception (ARP is restored): it must not simply start again. */
  onGuardStop: (reason: string) => void;
}

/**
 * ARP interception as one unit, for `heimdal intercept` and `heimdal run --intercept`: undoes
 * what a killed run left, turns forwarding on, re-applies recorded blocks, learns the hosts of
 * the subnet (neighbour table, an ARP sweep, ARP heard), then claims to be the gateway to them
 * under its own supervisor, with the guard-rails of docs/interception.md. stop() restores every
 * ARP entry it changed.
 */
export class ArpInterception {
  readonly #journal: FileSpoofJournal;
  readonly #supervisor: Supervisor;
  #interceptor: ArpInterceptor | undefined;
  #capture: LibpcapCaptureProvider | undefined;
  #sweepInjector: LibpcapInjector | undefined;
  #scanner: ActiveScanner | undefined;
  #reading: Promise<void> | undefined;
  #retarget: ReturnType<typeof setInterval> | undefined;
  #stoppingOnRequest = false;
  #guardStop: string | undefined;
  #closed = false;

  constructor(private readonly options: ArpInterceptionOptions) {
    this.#journal = new FileSpoofJournal(arpJournalPath(options.stateDir));
    this.#supervisor = new Supervisor(wallClock, (name, error, delay) =>
      options.emit({ event: "restarting", component: name, error: error.message, inMs: delay }),
    );
  }

  /** Why a guard-rail stopped it, or undefined while it runs (or was stopped on request). */
  get guardStop(): string | undefined {
    return this.#guardStop;
  }

  async start(): Promise<void> {
    const { emit, selection } = this.options;
    const journal = this.#journal;
    // A journal left by a killed run is undone before anything else.
    const leftover = await restoreFromJournal(journal);
    if (leftover) emit({ event: "restored", reason: "journal of an earlier run", targets: leftover.targets });

    const network = networkWithGateway(this.options.interfaceName);
    planInterception(network, [], selection); // refuses before any change: no gateway MAC, subnet too large
    const before = prepareForwarding(network.interfaceName);
    emit({ event: "forwarding", interface: network.interfaceName, before });
    const blocks = await new BlockingService(this.options.stateDir).reapply();
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
    this.#capture = capture;
    const sweepInjector = new LibpcapInjector(network.interfaceName);
    sweepInjector.open();
    this.#sweepInjector = sweepInjector;
    const scanner = new ActiveScanner(
      { network, injector: sweepInjector, clock: wallClock },
      { mdnsQuery: false, ssdpSearch: false, packetsPerSecond: 100, intervalSeconds: 600 },
    );
    scanner.start();
    this.#scanner = scanner;

    this.#reading = (async () => {
      for await (const batch of capture.batches()) {
        for (let i = 0; i < batch.count; i++) {
          const offset = batch.offsets[i]!;
          const frame = batch.data.subarray(offset, offset + batch.capturedLengths[i]!);
          const arp = parseArpFrame(frame);
          if (!arp) continue;
          if (arp.ethernetSource !== sensorMac && arp.senderMac === arp.ethernetSource && arp.senderIp !== 0) {
            hosts.set(arp.senderIp, arp.senderMac);
          }
          this.#interceptor?.observe(frame);
        }
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, this.options.discoverSeconds * 1000));
    if (this.#closed) return; // stopped while discovering
    const guard = new LinuxInterceptionGuard({
      interfaceName: network.interfaceName,
      gateway: network.gateway!.ipv4,
      dnsServer: this.options.dnsServer ?? network.dnsServers.find((s) => parseIpv4(s) !== undefined) ?? null,
    });
    const { refreshSeconds, probeSeconds } = this.options;
    await this.#supervisor.add("arp-interceptor", (fail) => {
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
            if (!this.#stoppingOnRequest && reason !== "restarting") {
              this.#guardStop = reason;
              emit({ event: "stopped", reason, restored: journal.load() === undefined });
              this.options.onGuardStop(reason);
            }
          },
        },
        { refreshSeconds, probeSeconds },
      );
      return {
        start: () => {
          injector.open();
          this.#interceptor = instance;
          instance.start();
          emit({ event: "intercepting", gateway: instance.health().gateway, targets: instance.health().targets });
        },
        stop: () => instance.stop("restarting"),
      };
    });

    this.#retarget = setInterval(() => {
      const interceptor = this.#interceptor;
      if (!interceptor?.running) return;
      const before = interceptor.health().targets.join();
      interceptor.setTargets(planInterception(network, candidates(), selection).targets);
      const after = interceptor.health().targets;
      if (after.join() !== before) emit({ event: "targets", targets: after });
    }, 2000);
  }

  /** Stops on request: ARP entries restored (`stopped` with `restored`), then everything closed. */
  async stop(why: string): Promise<void> {
    if (this.#closed) return;
    this.#stoppingOnRequest = true;
    if (this.#guardStop === undefined) {
      await this.#interceptor?.stop(why);
      this.options.emit({ event: "stopped", reason: why, restored: this.#journal.load() === undefined });
    }
    await this.close();
  }

  /** Closes what start() opened (after a guard-rail stop, or from stop()). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#retarget);
    await this.#supervisor.stopAll();
    this.#scanner?.stop();
    this.#sweepInjector?.close();
    await this.#capture?.close();
    await this.#reading;
  }
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
