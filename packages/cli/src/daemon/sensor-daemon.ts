import { readFileSync } from "node:fs";
import {
  type ActiveScanner,
  blockingRefusal,
  defaultDetectors,
  type NetworkInfo,
  type PacketPipeline,
  parseIpv4,
  parseSensitivity,
  type SensorConfig,
  Supervisor,
  UserSettings,
} from "@heimdal/core";
import type { LibpcapInjector } from "@heimdal/platform";
import { ApiServer, type ApiServerOptions, type ComponentHealth, type StartedServer } from "@heimdal/server";
import { AnalysisStore } from "../analysis-store.js";
import { ApiBlockingController } from "../api-blocking-controller.js";
import { ArpInterception } from "../arp-interception.js";
import { BlockingService } from "../blocking-service.js";
import { GatewayMarker, networkForScan, ownMacs, startScan } from "../live-analysis.js";
import { createPipeline, publicSuffixDomains } from "../pipeline-factory.js";
import { ScanDescriptions } from "../scan-descriptions.js";
import { wallClock } from "../state-dir.js";
import { componentHealth, storageTrouble } from "./component-health.js";
import { CaptureTotals, LiveCapture } from "./live-capture.js";
import { PipelineChanges } from "./pipeline-changes.js";
import { PipelineStorage } from "./pipeline-storage.js";
import { SettingsSync } from "./settings-sync.js";

/** One baseline version an hour: each stored change of a baseline is a version (rollback). */
const BASELINE_INTERVAL_MS = 3_600_000;
/** Seconds (clock ticks) between reads of the user's stored detection settings. */
const SETTINGS_EVERY_TICKS = 2;

export interface SensorDaemonOptions {
  config: SensorConfig & { interface: string };
  /** The dashboard's built files. */
  staticDir: string;
  adminPassword: string | undefined;
  /** Lines for the operator (stderr). */
  log: (message: string) => void;
  /** Called each time the API server listens (the first time it may carry a generated password). */
  onListening?: (server: StartedServer) => void;
}

/** A component the daemon adds to its supervisor, stopped in the reverse order of starting. */
interface Part {
  name: string;
  start: (fail: (error: Error) => void) => Promise<{ stop(): void | Promise<void> }>;
}

/**
 * The live sensor in one process: capture → pipeline (discovery, profiles, baselines,
 * detection, incidents) → the database, every few seconds, and the API and dashboard over
 * the same database; optionally the active scan and blocking. Each part runs under core's
 * supervisor, which restarts a failed one with backoff while the rest go on, and each
 * part's state is what `GET /api/v1/status` reports, with the capture's counters.
 */
export class SensorDaemon {
  readonly #supervisor: Supervisor;
  readonly #order: string[] = [];
  readonly #totals = new CaptureTotals();
  #pipeline: PacketPipeline | undefined;
  #storage: PipelineStorage | undefined;
  #scan: { scanner: ActiveScanner; injector: LibpcapInjector } | undefined;
  #server: StartedServer | undefined;
  #interception: ArpInterception | undefined;
  #stopped = false;

  constructor(private readonly options: SensorDaemonOptions) {
    this.#supervisor = new Supervisor(wallClock, (name, error, delay) =>
      options.log(`${name}: ${error.message}; restarting in ${delay / 1000} s`),
    );
  }

  /** The API server's address once it listens. */
  get server(): StartedServer | undefined {
    return this.#server;
  }

  async start(): Promise<void> {
    const { config, log } = this.options;
    // Known before anything opens: a network that cannot be scanned fails the start.
    const network = config.activeScan ? networkForScan(config.interface) : undefined;

    // The database at start: stored settings, devices and baselines. When it cannot be opened
    // now, the sensor still starts; the storage component keeps trying.
    let initial: AnalysisStore | undefined;
    try {
      initial = new AnalysisStore(config.db);
    } catch (error) {
      log(`storage: cannot open ${config.db} (${(error as Error).message}); starting without stored state`);
    }
    const stored = initial ? new UserSettings(initial.repositories.kv) : undefined;
    const descriptions = network ? new ScanDescriptions(network) : undefined;
    const pipeline = createPipeline({
      discovery: { sensorMacs: ownMacs(config.interface), offlineAfterSeconds: config.offlineAfter },
      ...(descriptions && { onUpnpLocation: descriptions.onUpnpLocation }),
      profiles: { domains: publicSuffixDomains, baseline: { retentionDays: config.retention.baselineDays } },
      // Per-minute and per-destination traffic for the dashboard's map and "now vs usual".
      traffic: {},
      detection: {
        detectors: defaultDetectors({ domains: publicSuffixDomains }),
        // The configuration's sensitivity after the one set through the API: it wins.
        sensitivity: parseSensitivity([...(stored?.sensitivity() ?? []), ...config.sensitivity]),
        exclusions: stored?.exclusions() ?? [],
      },
    });
    this.#pipeline = pipeline;
    descriptions?.attach(pipeline);
    initial?.restoreInto(pipeline);

    const changes = new PipelineChanges(pipeline);
    await this.#add({
      name: "storage",
      start: async () => {
        const storage = new PipelineStorage({
          open: () => {
            const store = initial ?? new AnalysisStore(config.db);
            initial = undefined;
            return store;
          },
          changes,
          flushIntervalMs: config.storage.flushInterval * 1000,
          baselineIntervalMs: BASELINE_INTERVAL_MS,
          log,
          now: Date.now,
        });
        storage.start();
        this.#storage = storage;
        return storage;
      },
    });

    await this.#add({
      name: "capture",
      start: async (fail) => {
        const capture = new LiveCapture({
          interface: config.interface,
          filter: config.filter,
          pipeline,
          totals: this.#totals,
          fail,
        });
        await capture.start();
        return capture;
      },
    });

    await this.#add({ name: "analysis-clock", start: async () => this.#startClock(pipeline, network) });

    if (network) {
      await this.#add({
        name: "active-scan",
        start: async () => {
          const scan = startScan(network, pipeline.deviceMap, config.serviceProbe);
          this.#scan = scan;
          descriptions?.fetcher.resume();
          return {
            stop: () => {
              this.#scan = undefined;
              scan.scanner.stop();
              scan.injector.close();
              descriptions?.fetcher.stop();
            },
          };
        },
      });
    }

    if (config.interception.enabled) {
      await this.#add({ name: "interception", start: async () => this.#startInterception() });
    }

    await this.#add({ name: "api", start: async () => this.#startServer() });
  }

  /** Stops every part, newest first: the server last, after the final write to the database. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const order = [...this.#order].reverse();
    // The API goes last so that a client sees the sensor until its data is written.
    const api = order.indexOf("api");
    if (api >= 0) order.push(...order.splice(api, 1));
    for (const name of order) {
      // Capture has stopped: flows still open end now, so the last write carries them into
      // profiles and baselines, and devices still settling are announced.
      if (name === "storage") this.#pipeline?.finish();
      await this.#supervisor.stop(name);
    }
  }

  /** Health of every part, as the status endpoint shows it. */
  health(): ComponentHealth[] {
    return this.#supervisor.status().map((status) => componentHealth(status, this.#trouble(status.name)));
  }

  #trouble(name: string): string | undefined {
    if (name === "storage") return storageTrouble(this.#storage?.status());
    // A send failure ends a round; the next runs on schedule, so the part stays up and says why.
    if (name === "active-scan") {
      const lastError = this.#scan?.scanner.health().lastError;
      if (lastError) return `last round stopped: ${lastError}`;
    }
    if (name === "interception" && this.#interception?.guardStop !== undefined) {
      return `stopped by a guard-rail, ARP restored: ${this.#interception.guardStop}`;
    }
    return undefined;
  }

  /** Whether interception runs, read whenever the settings page asks (a guard-rail may stop it). */
  #interceptionState(): { readonly running: boolean; readonly detail: string } {
    const daemon = this;
    return {
      get running() {
        return daemon.#interceptionRunning();
      },
      get detail() {
        if (!daemon.options.config.interception.enabled) return "Interception is off in the sensor's configuration";
        const stop = daemon.#interception?.guardStop;
        if (stop !== undefined) return `Stopped by a guard-rail, ARP restored: ${stop}`;
        return daemon.#interceptionRunning()
          ? "The sensor stands between the devices and the gateway (ARP interception)"
          : "Interception is starting or restarting";
      },
    };
  }

  #interceptionRunning(): boolean {
    const status = this.#supervisor.status().find((s) => s.name === "interception");
    return status?.state === "running" && this.#interception?.guardStop === undefined;
  }

  /** The capture's counters since the daemon started (across capture restarts). */
  captureStats(): Record<string, number> {
    const stats = this.#totals.current();
    const counters = this.#pipeline?.counters() ?? { packets: 0, bytes: 0, malformed: 0 };
    return {
      packets: counters.packets,
      bytes: counters.bytes,
      malformed: counters.malformed,
      received: stats.received,
      droppedByKernel: stats.droppedByKernel,
      droppedByInterface: stats.droppedByInterface,
      droppedByQueue: stats.droppedByUs,
    };
  }

  async #add(part: Part): Promise<void> {
    this.#order.push(part.name);
    await this.#supervisor.add(part.name, (fail) => {
      let instance: { stop(): void | Promise<void> } | undefined;
      return {
        start: async () => {
          instance = await part.start(fail);
        },
        stop: async () => {
          await instance?.stop();
        },
      };
    });
  }

  /**
   * Live time is wall-clock time: a silent network must still age flows and mark devices
   * offline. With the active scan, devices silent for half their offline timeout are asked
   * again, so one that only answers the sweep does not flap offline between sweeps.
   */
  #startClock(pipeline: PacketPipeline, network: NetworkInfo | undefined): { stop(): void } {
    const gateway = network ? new GatewayMarker(pipeline, network) : undefined;
    const reprobeEveryTicks = Math.max(1, Math.floor(this.options.config.offlineAfter / 4));
    const settings = new SettingsSync({
      engine: pipeline.detectionEngine,
      configSensitivity: this.options.config.sensitivity,
      log: this.options.log,
    });
    let ticks = 0;
    const timer = setInterval(() => {
      const nowUs = Date.now() * 1000;
      pipeline.advanceTime(nowUs);
      gateway?.apply();
      // What the user changed on the dashboard reaches detection.
      if (ticks % SETTINGS_EVERY_TICKS === 0) settings.sync(this.#storage?.settings());
      ticks++;
      if (this.#scan && ticks % reprobeEveryTicks === 0) {
        const silent = pipeline.deviceMap.addressesToReprobe(nowUs).map((ip) => parseIpv4(ip) ?? 0);
        this.#scan.scanner.probe(silent);
      }
    }, 1000);
    return { stop: () => clearInterval(timer) };
  }

  /**
   * ARP interception (docs/interception.md), the same unit as `heimdal intercept`. A guard-rail
   * stop (the gateway defends its entry, forwarding went off) restores ARP and leaves it off:
   * starting again would fight the network; the status shows why.
   */
  async #startInterception(): Promise<{ stop(): Promise<void> }> {
    const { config, log } = this.options;
    const settings = config.interception;
    const interception = new ArpInterception({
      interfaceName: config.interface,
      selection: {
        maxSubnetSize: settings.maxSubnet,
        ...(settings.targets !== null && { only: settings.targets }),
        exclude: settings.exclude,
      },
      refreshSeconds: settings.refresh,
      probeSeconds: settings.probeInterval,
      discoverSeconds: settings.discover,
      dnsServer: settings.dnsServer ?? undefined,
      stateDir: config.stateDir,
      emit: ({ event, ...fields }) => log(`interception: ${String(event)} ${JSON.stringify(fields)}`),
      onGuardStop: (reason) => log(`interception: stopped by a guard-rail (${reason}); ARP restored, not restarted`),
    });
    this.#interception = interception;
    try {
      await interception.start();
    } catch (error) {
      await interception.close();
      throw error;
    }
    return { stop: () => interception.stop("sensor stopping") };
  }

  async #startServer(): Promise<{ stop(): Promise<void> }> {
    const { config, staticDir, adminPassword } = this.options;
    const server = config.server;
    const options: ApiServerOptions = {
      databasePath: config.db,
      port: server.port,
      host: server.host,
      staticDir,
      secureCookies: server.secureCookies,
      localhostNoLogin: server.localhostNoLogin,
      components: () => this.health(),
      captureStats: () => this.captureStats(),
      edition: config.edition,
      interception: this.#interceptionState(),
    };
    if (!config.blocking) {
      options.blockingUnavailableReason =
        blockingRefusal(config.edition) ??
        'The sensor runs without blocking: set "blocking": true in its configuration (or --blocking)';
    }
    if (adminPassword !== undefined) options.adminPassword = adminPassword;
    if (server.tls) options.tls = { cert: readFileSync(server.tls.cert), key: readFileSync(server.tls.key) };
    let devices: AnalysisStore | undefined;
    if (config.blocking) {
      devices = new AnalysisStore(config.db);
      const store = devices;
      options.blocking = new ApiBlockingController(new BlockingService(config.stateDir), () =>
        store.repositories.devices.list(),
      );
    }
    const api = new ApiServer(options);
    try {
      this.#server = await api.start();
      this.options.onListening?.(this.#server);
    } catch (error) {
      await api.stop();
      devices?.close();
      throw error;
    }
    return {
      stop: async () => {
        await api.stop();
        devices?.close();
      },
    };
  }
}
