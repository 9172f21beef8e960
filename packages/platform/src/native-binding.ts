import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { CaptureUnavailableError, type PacketBatch } from "@heimdal/core";

/** Where `npm run build:native -w @heimdal/platform` puts the binding (same path from src/ and dist/). */
export const NATIVE_BINDING_PATH = fileURLToPath(new URL("../native/build/Release/heimdal_pcap.node", import.meta.url));

/** Error codes the binding sets on `error.code` (native/src/errors.h). */
export type NativeErrorCode =
  | "ERR_INVALID_ARG"
  | "ERR_PCAP_PERM_DENIED"
  | "ERR_PCAP_PROMISC_PERM_DENIED"
  | "ERR_PCAP_NO_SUCH_DEVICE"
  | "ERR_PCAP_IFACE_NOT_UP"
  | "ERR_PCAP_FILTER"
  | "ERR_PCAP_CLOSED"
  | "ERR_PCAP";

export interface NativeInterface {
  name: string;
  description?: string;
  addresses: string[];
  up: boolean;
  running: boolean;
  loopback: boolean;
}

export interface NativeCaptureOptions {
  device: string;
  snapLength?: number;
  promiscuous?: boolean;
  /** Kernel ring size in bytes; 0 keeps libpcap's default (2 MiB). */
  bufferSize?: number;
  immediate?: boolean;
  /** Without immediate mode: the longest the kernel holds packets before waking us. */
  timeoutMs?: number;
  filter?: string;
  /** Receive nothing (a reject-all kernel filter): the handle only sends. */
  injectOnly?: boolean;
}

export interface NativeCaptureStats {
  /** Packets libpcap handed to the binding. */
  received: number;
  /** libpcap's ps_recv: on Linux, packets that passed the filter including those the kernel dropped. */
  kernelReceived: number;
  droppedByKernel: number;
  droppedByInterface: number;
  /** Packets the binding could not store (should stay 0). */
  lost: number;
}

/**
 * Called once per batch with the index of the filled slot and its packet count; returns the
 * index of the slot to fill next (the same index drops the batch). On a read error it is
 * called once with the error, slot -1 and count 0, and delivery stops.
 */
export type NativeBatchCallback = (error: Error | null, slot: number, count: number) => number;

export interface NativeLiveCapture {
  readonly device: string;
  /** LINKTYPE_ value of every packet on this handle. */
  readonly linkType: number;
  /** Bytes kept per packet, as libpcap settled it. */
  readonly snapLength: number;
  /** A pcap_activate warning, when there was one. */
  readonly warning?: string;
  start(slots: readonly PacketBatch[], onBatch: NativeBatchCallback): void;
  stats(): NativeCaptureStats;
  inject(frame: Uint8Array): void;
  close(): void;
}

export interface NativeBinding {
  listInterfaces(): NativeInterface[];
  LiveCapture: new (options: NativeCaptureOptions) => NativeLiveCapture;
  libpcapVersion: string;
}

let binding: NativeBinding | undefined;

/**
 * Loads the binding on first use, so that importing this package (for capture files, say)
 * works on machines where it was never built.
 */
export function loadNativeBinding(): NativeBinding {
  if (binding) return binding;
  const require = createRequire(import.meta.url);
  try {
    binding = require(NATIVE_BINDING_PATH) as NativeBinding;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const build = "run `npm run build:native -w @heimdal/platform` (it needs libpcap-dev and a C compiler)";
    const reason =
      code === "MODULE_NOT_FOUND"
        ? `the native libpcap binding "${NATIVE_BINDING_PATH}" is not built`
        : `the native libpcap binding "${NATIVE_BINDING_PATH}" cannot be loaded (${(error as Error).message})`;
    throw new CaptureUnavailableError(`Live capture is unavailable: ${reason}; ${build}`, { cause: error });
  }
  return binding;
}

/** The `code` the binding put on an error, if it came from the binding. */
export function nativeErrorCode(error: unknown): NativeErrorCode | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code === "ERR_INVALID_ARG" || code.startsWith("ERR_PCAP"))
    ? (code as NativeErrorCode)
    : undefined;
}
