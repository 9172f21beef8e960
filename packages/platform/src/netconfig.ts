/**
 * Network detection for the platform Heimdal runs on: the one place that knows which
 * operating system's implementation serves `detectNetwork`. Each lives in its own folder
 * with the same file name (linux/, darwin/, win32/netconfig.ts); all are plain TypeScript
 * over the system's commands, so importing the others costs nothing.
 */
import { NetworkDetectionError, type NetworkInfo } from "@heimdal/core";
import type { CommandRunner } from "./command-runner.js";
import { detectNetwork as detectDarwinNetwork } from "./darwin/netconfig.js";
import { detectNetwork as detectLinuxNetwork } from "./linux/netconfig.js";
import { detectNetwork as detectWindowsNetwork } from "./win32/netconfig.js";

export const NETWORK_DETECTION_PLATFORMS = ["linux", "darwin", "win32"] as const;

export interface DetectNetworkOptions {
  /** process.platform by default. */
  platform?: NodeJS.Platform;
  /** How macOS and Windows commands are run; the real execFile runner by default. */
  run?: CommandRunner;
}

/**
 * The primary interface, its address, the gateway and the resolvers of this machine
 * (see NetworkInfo). Throws NetworkDetectionError naming the platform when it is not one of
 * linux, darwin (macOS) or win32 (Windows), and as each implementation does when it cannot
 * tell (no default route, no address).
 */
export function detectNetwork(options: DetectNetworkOptions = {}): NetworkInfo {
  const platform = options.platform ?? process.platform;
  switch (platform) {
    case "linux":
      return detectLinuxNetwork();
    case "darwin":
      return options.run ? detectDarwinNetwork(options.run) : detectDarwinNetwork();
    case "win32":
      return options.run ? detectWindowsNetwork(options.run) : detectWindowsNetwork();
    default:
      throw new NetworkDetectionError(
        `Cannot detect the network on platform "${platform}": supported are linux, darwin (macOS) and win32 (Windows)`,
      );
  }
}
