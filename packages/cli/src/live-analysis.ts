import { type AnalysisReport, PacketPipeline } from "@heimdal/core";
import { LibpcapCaptureProvider } from "@heimdal/platform";

export interface LiveAnalysisOptions {
  interface: string;
  durationSeconds: number;
  filter: string;
}

/** Captures from an interface for a while and analyzes the packets like a replay. */
export async function analyzeLive(options: LiveAnalysisOptions): Promise<AnalysisReport> {
  const provider = new LibpcapCaptureProvider({
    interface: options.interface,
    filter: options.filter,
    promiscuous: true,
  });
  await provider.open();
  const pipeline = new PacketPipeline();
  const timer = setTimeout(() => void provider.close(), options.durationSeconds * 1000);
  try {
    for await (const batch of provider.batches()) pipeline.processBatch(batch);
  } finally {
    clearTimeout(timer);
    await provider.close();
  }
  pipeline.addSource(`interface:${options.interface}`, [], 0, provider.stats());
  return pipeline.finish();
}
