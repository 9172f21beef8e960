import { readFileSync } from "node:fs";
import { PermissionDeniedError } from "@heimdal/core";

/** Capability bit numbers (linux/capability.h). */
const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;

/** The one-time command that lets Node capture without running as root. */
export const GRANT_CAPTURE_COMMAND = "sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))";

export interface CaptureCapabilities {
  netRaw: boolean;
  netAdmin: boolean;
}

/**
 * Reads the effective capabilities from /proc/self/status text ("CapEff:\t000001ffffffffff").
 * Returns undefined when the text has no CapEff line (not Linux, or /proc unavailable).
 */
export function parseCaptureCapabilities(statusText: string): CaptureCapabilities | undefined {
  const match = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(statusText);
  if (!match?.[1]) return undefined;
  const effective = BigInt(`0x${match[1]}`);
  const has = (bit: number) => (effective & (1n << BigInt(bit))) !== 0n;
  return { netRaw: has(CAP_NET_RAW), netAdmin: has(CAP_NET_ADMIN) };
}

/** This process's capture capabilities, or undefined where /proc/self/status cannot be read. */
export function captureCapabilities(): CaptureCapabilities | undefined {
  try {
    return parseCaptureCapabilities(readFileSync("/proc/self/status", "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The error for a capture or injection the kernel refused: names the capabilities that are
 * missing and how to grant them. `detail` is libpcap's own message, kept for diagnosis.
 */
export function capturePermissionError(
  interfaceName: string,
  options: { promiscuous: boolean; detail: string; capabilities?: CaptureCapabilities | undefined },
): PermissionDeniedError {
  const caps = options.capabilities ?? captureCapabilities();
  const missing = caps
    ? [caps.netRaw ? undefined : "CAP_NET_RAW", options.promiscuous && !caps.netAdmin ? "CAP_NET_ADMIN" : undefined]
        .filter((name): name is string => name !== undefined)
        .join(" and ")
    : "";
  const lacks = missing ? `this process lacks ${missing}` : "the kernel refused it";
  return new PermissionDeniedError(
    `Cannot capture on "${interfaceName}": permission denied. Live capture needs the CAP_NET_RAW capability (and CAP_NET_ADMIN for promiscuous mode); ${lacks}. ` +
      `Grant it to Node once with \`${GRANT_CAPTURE_COMMAND}\`, or run the systemd unit with ` +
      `AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN. (libpcap: ${options.detail})`,
  );
}
