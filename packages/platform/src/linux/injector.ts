import type { PacketInjector } from "@heimdal/core";
import { loadNativeBinding, type NativeLiveCapture } from "../native-binding.js";
import { toCaptureError } from "./libpcap-errors.js";

/** Sends raw link-layer frames on one interface through libpcap (pcap_inject). */
export class LibpcapInjector implements PacketInjector {
  readonly interfaceName: string;
  #handle: NativeLiveCapture | undefined;
  #closed = false;

  constructor(interfaceName: string) {
    this.interfaceName = interfaceName;
  }

  /**
   * Opens the interface for sending. inject() opens on first use too; calling open() at start
   * surfaces a missing interface or capability (PermissionDeniedError) before any frame.
   */
  open(): void {
    if (this.#handle) return;
    if (this.#closed) throw new Error(`Injector on "${this.interfaceName}" was closed`);
    const binding = loadNativeBinding();
    try {
      // The handle never reads: its kernel filter rejects everything, so a small ring will do.
      this.#handle = new binding.LiveCapture({
        device: this.interfaceName,
        injectOnly: true,
        snapLength: 128,
        bufferSize: 65536,
      });
    } catch (error) {
      throw toCaptureError(error, { interfaceName: this.interfaceName, promiscuous: false });
    }
  }

  /** Sends one complete frame (no FCS); throws with the kernel's reason when it cannot. */
  inject(frame: Uint8Array): void {
    if (!this.#handle) this.open();
    // The binding's error names the interface, the frame size and the kernel's reason.
    this.#handle!.inject(frame);
  }

  close(): void {
    this.#closed = true;
    this.#handle?.close();
    this.#handle = undefined;
  }
}
