import type { PacketBatch } from "./batch.js";

/** Counters a capture source keeps; every packet that is lost is counted somewhere here. */
export interface CaptureStats {
  /**
   * Packets the source handed to us (records read from a file; for live capture the packets
   * libpcap delivered, including any our own queue then dropped). What arrived on the link is
   * received + droppedByKernel + droppedByInterface.
   */
  received: number;
  /** Dropped by the kernel because its buffer was full (ps_drop). */
  droppedByKernel: number;
  /** Dropped by the network interface or its driver (ps_ifdrop). */
  droppedByInterface: number;
  /** Dropped by us: our bounded queue towards the pipeline was full. */
  droppedByUs: number;
}

/** One source of packets: a capture file or a live interface. */
export interface PacketCaptureProvider {
  /** Opens the source; throws a named error (see errors.ts) when it cannot. */
  open(): Promise<void>;
  /**
   * Packets in batches, in capture order. A batch is only valid until the iterator is
   * advanced. The iteration ends when the source is exhausted or closed.
   */
  batches(): AsyncIterable<PacketBatch>;
  stats(): CaptureStats;
  close(): Promise<void>;
}

/** Sends raw link-layer frames on an interface. */
export interface PacketInjector {
  /** Sends one complete Ethernet frame (no FCS). Throws when the frame cannot be sent. */
  inject(frame: Uint8Array): void;
  close(): void;
}

export interface LiveCaptureOptions {
  interface: string;
  /** BPF filter expression (tcpdump syntax); empty captures everything. */
  filter?: string;
  promiscuous?: boolean;
  /** Bytes kept per packet; 65535 by default. */
  snapLength?: number;
  /** Kernel buffer in bytes. */
  bufferSize?: number;
  /** Packets per delivered batch at most. */
  batchSize?: number;
  /** Batches we may hold before dropping (and counting) new ones. */
  queueLimit?: number;
}

export interface NetworkInterfaceInfo {
  name: string;
  description?: string;
  addresses: string[];
  up: boolean;
  loopback: boolean;
}
