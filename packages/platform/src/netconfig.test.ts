/** The platform dispatcher: which implementation answers, and the error for any other platform. */
import { readFileSync } from "node:fs";
import { NetworkDetectionError, type NetworkInfo } from "@heimdal/core";
import { describe, expect, it } from "vitest";
import type { CommandRunner } from "./command-runner.js";
import { detectNetwork as detectLinuxNetwork } from "./linux/netconfig.js";
import { detectNetwork } from "./netconfig.js";

const windowsOutput = readFileSync(new URL("../test/fixtures/netconfig-win32/wifi-home.json", import.meta.url), "utf8");

describe("detectNetwork's platform dispatch", () => {
  it("win32 and darwin go to their own implementation through the given runner", () => {
    const files: string[] = [];
    const windows: CommandRunner = (file) => {
      files.push(file);
      return windowsOutput;
    };
    expect(detectNetwork({ platform: "win32", run: windows }).interfaceName).toBe("Wi-Fi");
    expect(files[0]).toMatch(/powershell\.exe$/);

    const mac: CommandRunner = (file) => {
      files.push(file);
      return file === "/sbin/route" ? "  interface: en0\n    gateway: 10.0.0.1\n" : "";
    };
    // route names en0 but ifconfig (empty here) knows no such interface: darwin's own error.
    expect(() => detectNetwork({ platform: "darwin", run: mac })).toThrow(
      "Cannot detect the network: the default routes lead through en0, none of which is active with an IPv4 address",
    );
    expect(files).toContain("/sbin/ifconfig");
  });

  it.each(["freebsd", "openbsd", "aix", "sunos", "android"] as const)("refuses %s, naming it", (platform) => {
    expect(() => detectNetwork({ platform })).toThrow(NetworkDetectionError);
    expect(() => detectNetwork({ platform })).toThrow(
      `Cannot detect the network on platform "${platform}": supported are linux, darwin (macOS) and win32 (Windows)`,
    );
  });

  it("linux answers exactly what the Linux implementation answers on this machine", () => {
    if (process.platform !== "linux") return; // it reads this machine's own routing table
    let direct: NetworkInfo;
    try {
      direct = detectLinuxNetwork();
    } catch (error) {
      expect(() => detectNetwork({ platform: "linux" })).toThrow((error as Error).message);
      return;
    }
    expect(detectNetwork({ platform: "linux" })).toEqual(direct);
  });
});
