import { closeSync, openSync, writeSync } from "node:fs";
import {
  type HomeNetworkOptions,
  type InjectionLabel,
  PcapWriter,
  type SimulatedDevice,
  simulateLabelledHomeNetwork,
} from "@heimdal/core";

/** Generates a simulated home network into a pcap file; returns its devices, injection labels and packet count. */
export function writeSimulatedCapture(
  path: string,
  options: HomeNetworkOptions,
): { devices: SimulatedDevice[]; labels: InjectionLabel[]; packets: number } {
  let fd: number;
  try {
    fd = openSync(path, "w");
  } catch (error) {
    throw new Error(`Cannot write capture file "${path}": ${(error as NodeJS.ErrnoException).code ?? error}`, {
      cause: error,
    });
  }
  try {
    const writer = new PcapWriter((chunk) => {
      writeSync(fd, chunk);
    });
    const { devices, labels } = simulateLabelledHomeNetwork(options, writer);
    writer.flush();
    return { devices, labels, packets: writer.packets };
  } finally {
    closeSync(fd);
  }
}
