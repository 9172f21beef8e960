import { networkInterfaces } from "node:os";
import { type AnalysisReport, parseMac } from "@heimdal/core";
import { LibpcapCaptureProvider } from "@heimdal/platform";
import { createPipeline } from "./pipeline-factory.js";

export interface LiveAnalysisOptions {
  interface: string;
  durationSeconds: number;
  filter: string;
  /** Silence after which a device counts as offline. */
  offlineAfterSeconds?: number;
}

/** Captures from an interface for a while and analyzes the packets like a replay. */
export async function analyzeLive(options: LiveAnalysisOptions): Promise<AnalysisReport> {
  const provider = new LibpcapCaptureProvider({
    interface: options.interface,
    filter: options.filter,
    promiscuous: true,
  });
  await provider.open();
  const discovery: { sensorMacs: number[]; offlineAfterSeconds?: number } = { sensorMacs: ownMacs(options.interface) };
  if (options.offlineAfterSeconds !== undefined) discovery.offlineAfterSeconds = options.offlineAfterSeconds;
  const pipeline = createPipeline({ discovery });
  const stop = setTimeout(() => void provider.close(), options.durationSeconds * 1000);
  // Live time is wall-clock time: a silent network must still age flows and devices.
  const clock = setInterval(() => pipeline.advanceTime(Date.now() * 1000), 1000);
  try {
    for await (const batch of provider.batches()) pipeline.processBatch(batch);
  } finally {
    clearTimeout(stop);
    clearInterval(clock);
    await provider.close();
  }
  pipeline.advanceTime(Date.now() * 1000);
  pipeline.addSource(`interface:${options.interface}`, [], 0, provider.stats());
  return pipeline.finish();
}

/** The capturing interface's own MAC: the sensor is not a device on its own map. */
function ownMacs(name: string): number[] {
  const macs = (networkInterfaces()[name] ?? [])
    .map((a) => parseMac(a.mac))
    .filter((m): m is number => m !== undefined && m !== 0);
  return [...new Set(macs)];
}
