/**
 * The kernel settings interception depends on: IPv4 forwarding on (the sensor passes the
 * intercepted traffic on), and ICMP redirects off (otherwise the kernel tells every target
 * "the gateway is directly reachable", undoing the interception and flooding the log).
 * Writing them needs CAP_NET_ADMIN in the sensor's network namespace. IPv6 is left alone:
 * the sensor does not intercept NDP, so IPv6 traffic keeps flowing directly.
 */
import { readFileSync, writeFileSync } from "node:fs";

export class ForwardingSetupError extends Error {
  override name = "ForwardingSetupError";
}

export interface ForwardingState {
  ipForward: boolean;
  sendRedirectsAll: boolean;
  sendRedirectsInterface: boolean;
}

const IFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

function settingPaths(interfaceName: string, sysctlRoot: string) {
  if (!IFACE_NAME.test(interfaceName)) throw new ForwardingSetupError(`"${interfaceName}" is not an interface name`);
  return {
    ipForward: `${sysctlRoot}/net/ipv4/ip_forward`,
    sendRedirectsAll: `${sysctlRoot}/net/ipv4/conf/all/send_redirects`,
    sendRedirectsInterface: `${sysctlRoot}/net/ipv4/conf/${interfaceName}/send_redirects`,
  };
}

/** How settings are read and written; tests replace it to see a refused write. */
export interface SysctlFiles {
  read(path: string): string;
  write(path: string, text: string): void;
}

const procFiles: SysctlFiles = {
  read: (path) => readFileSync(path, "utf8"),
  write: (path, text) => writeFileSync(path, text),
};

function readFlag(path: string, files: SysctlFiles): boolean {
  try {
    return files.read(path).trim() === "1";
  } catch (error) {
    throw new ForwardingSetupError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export function readForwardingState(
  interfaceName: string,
  sysctlRoot = "/proc/sys",
  files: SysctlFiles = procFiles,
): ForwardingState {
  const paths = settingPaths(interfaceName, sysctlRoot);
  return {
    ipForward: readFlag(paths.ipForward, files),
    sendRedirectsAll: readFlag(paths.sendRedirectsAll, files),
    sendRedirectsInterface: readFlag(paths.sendRedirectsInterface, files),
  };
}

/**
 * Turns forwarding on and redirects off where they are not already; returns the state found
 * before. Throws ForwardingSetupError naming the setting and the fix when one cannot be set.
 */
export function prepareForwarding(
  interfaceName: string,
  sysctlRoot = "/proc/sys",
  files: SysctlFiles = procFiles,
): ForwardingState {
  const paths = settingPaths(interfaceName, sysctlRoot);
  const before = readForwardingState(interfaceName, sysctlRoot, files);
  const wanted: Array<[keyof ForwardingState, boolean]> = [
    ["ipForward", true],
    ["sendRedirectsAll", false],
    ["sendRedirectsInterface", false],
  ];
  for (const [setting, value] of wanted) {
    if (before[setting] === value) continue;
    try {
      files.write(paths[setting], value ? "1\n" : "0\n");
    } catch (error) {
      const sysctl = paths[setting].slice(sysctlRoot.length + 1).replaceAll("/", ".");
      throw new ForwardingSetupError(
        `Cannot intercept: ${sysctl} must be ${value ? 1 : 0} and could not be set (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). ` +
          `Run with CAP_NET_ADMIN, or set it yourself: sysctl -w ${sysctl}=${value ? 1 : 0}`,
        { cause: error },
      );
    }
  }
  return before;
}
