import { networkInterfaces } from "node:os";
import { performance } from "node:perf_hooks";
import {
  ActiveScanner,
  type AnalysisReport,
  type DeviceMap,
  defaultDetectors,
  type EnforcementRequester,
  NetworkDetectionError,
  type NetworkInfo,
  type PacketPipeline,
  parseIpv4,
  parseMac,
  planSweep,
} from "@heimdal/core";
import { detectNetwork, LibpcapCaptureProvider, LibpcapInjector } from "@heimdal/platform";
import { createPipeline, publicSuffixDomains } from "./pipeline-factory.js";
import { ScanDescriptions } from "./scan-descriptions.js";

export interface LiveAnalysisOptions {
  interface: string;
  durationSeconds: number;
  filter: string;
  /** Silence after which a device counts as offline. */
  offlineAfterSeconds?: number;
  /** Ask the network who is there (ARP sweep, mDNS and SSDP queries) besides listening. */
  activeScan?: boolean;
  /** With activeScan: ask each station for its service ports (default true). */
  serviceProbe?: boolean;
  /** Quarantines for critical incidents go here (automatic enforcement, off unless given). */
  enforcement?: EnforcementRequester;
}

/** Captures from an interface for a while and analyzes the packets like a replay. */
export async function analyzeLive(options: LiveAnalysisOptions): Promise<AnalysisReport> {
  // Known before the capture opens, so that a network we cannot scan fails before any waiting.
  const network = options.activeScan ? networkForScan(options.interface) : undefined;
  const provider = new LibpcapCaptureProvider({
    interface: options.interface,
    filter: options.filter,
    promiscuous: true,
  });
  await provider.open();
  const discovery: { sensorMacs: number[]; offlineAfterSeconds?: number } = { sensorMacs: ownMacs(options.interface) };
  if (options.offlineAfterSeconds !== undefined) discovery.offlineAfterSeconds = options.offlineAfterSeconds;
  const descriptions = network ? new ScanDescriptions(network) : undefined;
  const pipeline = createPipeline({
    discovery,
    ...(descriptions && { onUpnpLocation: descriptions.onUpnpLocation }),
    ...(options.enforcement && {
      detection: {
        detectors: defaultDetectors({ domains: publicSuffixDomains }),
        enforcement: { enabled: true, requester: options.enforcement },
      },
    }),
  });
  descriptions?.attach(pipeline);
  const gateway = network ? new GatewayMarker(pipeline, network) : undefined;
  let scan: { scanner: ActiveScanner; injector: LibpcapInjector } | undefined;
  const stop = setTimeout(() => void provider.close(), options.durationSeconds * 1000);
  // Live time is wall-clock time: a silent network must still age flows and devices.
  // Devices silent for half their offline timeout are asked again (with --active-scan), so
  // one that only answers the sweep does not flap offline between sweeps.
  const reprobeEveryTicks = Math.max(1, Math.floor((options.offlineAfterSeconds ?? 300) / 4));
  let ticks = 0;
  const clock = setInterval(() => {
    const nowUs = Date.now() * 1000;
    pipeline.advanceTime(nowUs);
    gateway?.apply();
    if (scan && ++ticks % reprobeEveryTicks === 0) {
      const silent = pipeline.deviceMap.addressesToReprobe(nowUs).map((ip) => parseIpv4(ip) ?? 0);
      scan.scanner.probe(silent);
    }
  }, 1000);
  try {
    if (network) scan = startScan(network, pipeline.deviceMap, options.serviceProbe ?? true);
    for await (const batch of provider.batches()) pipeline.processBatch(batch);
  } finally {
    clearTimeout(stop);
    clearInterval(clock);
    scan?.scanner.stop();
    scan?.injector.close();
    descriptions?.fetcher.stop();
    await provider.close();
  }
  pipeline.advanceTime(Date.now() * 1000);
  gateway?.apply();
  pipeline.addSource(`interface:${options.interface}`, [], 0, provider.stats());
  return pipeline.finish();
}

/**
 * The network to sweep: the detected one when IFACE holds the default route (it then
 * knows the gateway too), otherwise IFACE's own IPv4 address and prefix.
 */
export function networkForScan(name: string): NetworkInfo {
  let detected: NetworkInfo | undefined;
  try {
    detected = detectNetwork();
  } catch (error) {
    if (!(error instanceof NetworkDetectionError)) throw error;
  }
  if (detected?.interfaceName === name) {
    planSweep(detected); // throws when it cannot be swept (too large, no MAC)
    return detected;
  }
  const infos = networkInterfaces()[name];
  if (!infos) throw new NetworkDetectionError(`Cannot scan "${name}": no such interface in this network namespace`);
  const v4 = infos.find((i) => i.family === "IPv4" && i.cidr);
  if (!v4?.cidr) throw new NetworkDetectionError(`Cannot scan "${name}": it has no IPv4 address`);
  const network: NetworkInfo = {
    interfaceName: name,
    mac: parseMac(v4.mac) ? v4.mac.toLowerCase() : null,
    ipv4: { address: v4.address, prefixLength: Number(v4.cidr.split("/")[1]) },
    gateway: null,
    dnsServers: [],
    ipv6Router: null,
  };
  planSweep(network);
  return network;
}

/**
 * Sends through libpcap on the capture interface; the answers come back through the capture.
 * Each round also asks the stations the device map holds for the TCP ports its rules read.
 */
export function startScan(
  network: NetworkInfo,
  deviceMap: DeviceMap,
  serviceProbe: boolean,
): { scanner: ActiveScanner; injector: LibpcapInjector } {
  const injector = new LibpcapInjector(network.interfaceName);
  injector.open(); // a missing capability shows here, before the first round
  const knownHosts = () =>
    deviceMap.onlineHosts().flatMap(({ mac, ip }) => {
      const address = parseIpv4(ip);
      return address === undefined ? [] : [{ mac, ip: address }];
    });
  const scanner = new ActiveScanner(
    {
      network,
      knownHosts,
      injector,
      clock: {
        now: () => performance.now(),
        setTimeout: (callback, ms) => setTimeout(callback, ms),
        clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      },
      onError: (error) =>
        process.stderr.write(`heimdal: active scan on "${network.interfaceName}": ${error.message}\n`),
    },
    { servicePorts: serviceProbe ? deviceMap.servicePorts() : [] },
  );
  try {
    scanner.start();
  } catch (error) {
    injector.close();
    throw error;
  }
  return { scanner, injector };
}

/**
 * Tells the device map which station is the gateway, from the routing table: by address at
 * once (its answer to the sweep carries it), and by MAC when the neighbour table knew it,
 * as soon as that MAC has been heard (the map only marks stations it has seen).
 */
export class GatewayMarker {
  #pendingMac: number | undefined;

  constructor(
    private readonly pipeline: PacketPipeline,
    network: NetworkInfo,
  ) {
    if (!network.gateway) return;
    pipeline.deviceMap.addGatewayIp(network.gateway.ipv4);
    this.#pendingMac = network.gateway.mac === null ? undefined : parseMac(network.gateway.mac);
  }

  apply(): void {
    const mac = this.#pendingMac;
    if (mac === undefined || !this.pipeline.deviceMap.get(mac)) return;
    this.pipeline.deviceMap.markGateway(mac);
    this.#pendingMac = undefined;
  }
}

/** The capturing interface's own MAC: the sensor is not a device on its own map. */
export function ownMacs(name: string): number[] {
  const macs = (networkInterfaces()[name] ?? [])
    .map((a) => parseMac(a.mac))
    .filter((m): m is number => m !== undefined && m !== 0);
  return [...new Set(macs)];
}
