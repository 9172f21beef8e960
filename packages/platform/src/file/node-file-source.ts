import { closeSync, openSync, readSync } from "node:fs";
import type { ByteSource } from "@heimdal/core";

/** Positional reads from a file with one descriptor; the reader decides the window size. */
export class NodeFileSource implements ByteSource {
  private fd: number | undefined;

  constructor(readonly path: string) {}

  /** Opens the file; the error names the path and the system's reason. */
  open(): this {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.path, "r");
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "error";
        throw new Error(`Cannot open capture file "${this.path}": ${code}`, { cause: error });
      }
    }
    return this;
  }

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    if (this.fd === undefined) this.open();
    return readSync(this.fd!, target, targetOffset, length, position);
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
