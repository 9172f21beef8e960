import type { CaptureStats, PacketPipeline, SupervisedComponent } from "@heimdal/core";
import { LibpcapCaptureProvider } from "@heimdal/platform";

/**
 * Capture counters that outlive one capture handle: a restarted capture starts its libpcap
 * counters from zero, so each closed handle's final counts are added here.
 */
export class CaptureTotals {
  #closed: CaptureStats = { received: 0, droppedByKernel: 0, droppedByInterface: 0, droppedByUs: 0 };
  #open: (() => CaptureStats) | undefined;

  /** The running handle's counters are read through this until it closes. */
  attach(stats: () => CaptureStats): void {
    this.#open = stats;
  }

  detach(final: CaptureStats): void {
    this.#open = undefined;
    this.#closed = {
      received: this.#closed.received + final.received,
      droppedByKernel: this.#closed.droppedByKernel + final.droppedByKernel,
      droppedByInterface: this.#closed.droppedByInterface + final.droppedByInterface,
      droppedByUs: this.#closed.droppedByUs + final.droppedByUs,
    };
  }

  current(): CaptureStats {
    const open = this.#open?.();
    if (!open) return { ...this.#closed };
    return {
      received: this.#closed.received + open.received,
      droppedByKernel: this.#closed.droppedByKernel + open.droppedByKernel,
      droppedByInterface: this.#closed.droppedByInterface + open.droppedByInterface,
      droppedByUs: this.#closed.droppedByUs + open.droppedByUs,
    };
  }
}

export interface LiveCaptureOptions {
  interface: string;
  filter: string;
  pipeline: PacketPipeline;
  totals: CaptureTotals;
  /** The supervisor's failure callback: the capture ended or broke without being stopped. */
  fail: (error: Error) => void;
}

/**
 * Feeds packets from a live interface into the pipeline, as one supervised component: a
 * capture that breaks (interface gone, permission lost) reports it through `fail`, and the
 * supervisor opens a new one into the same pipeline, so nothing learned is lost.
 */
export class LiveCapture implements SupervisedComponent {
  #provider: LibpcapCaptureProvider | undefined;
  #stopping = false;
  #reading: Promise<void> | undefined;

  constructor(private readonly options: LiveCaptureOptions) {}

  async start(): Promise<void> {
    const { interface: name, filter, pipeline, totals } = this.options;
    const provider = new LibpcapCaptureProvider({ interface: name, filter, promiscuous: true });
    await provider.open();
    this.#provider = provider;
    totals.attach(() => provider.stats());
    this.#reading = (async () => {
      try {
        // Synchronous per batch: the hot path never awaits inside a batch.
        for await (const batch of provider.batches()) pipeline.processBatch(batch);
        if (!this.#stopping) this.options.fail(new Error(`Capture on "${name}" ended`));
      } catch (error) {
        if (!this.#stopping) this.options.fail(error instanceof Error ? error : new Error(String(error)));
      }
    })();
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const provider = this.#provider;
    if (!provider) return;
    await provider.close();
    await this.#reading;
    this.options.totals.detach(provider.stats());
  }
}
