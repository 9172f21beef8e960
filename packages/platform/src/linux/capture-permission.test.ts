import { PermissionDeniedError } from "@heimdal/core";
import { describe, expect, it } from "vitest";
import {
  captureCapabilities,
  capturePermissionError,
  GRANT_CAPTURE_COMMAND,
  parseCaptureCapabilities,
} from "./capture-permission.js";

const status = (capEff: string) =>
  `Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t${capEff}\nCapBnd:\t000001ffffffffff\n`;

describe("parseCaptureCapabilities", () => {
  it("reads CAP_NET_RAW (bit 13) and CAP_NET_ADMIN (bit 12) from CapEff", () => {
    expect(parseCaptureCapabilities(status("000001ffffffffff"))).toEqual({ netRaw: true, netAdmin: true });
    expect(parseCaptureCapabilities(status("0000000000000000"))).toEqual({ netRaw: false, netAdmin: false });
    expect(parseCaptureCapabilities(status("0000000000002000"))).toEqual({ netRaw: true, netAdmin: false });
    expect(parseCaptureCapabilities(status("0000000000001000"))).toEqual({ netRaw: false, netAdmin: true });
    // Every bit but 13: a root process in a container that drops NET_RAW.
    expect(parseCaptureCapabilities(status("000001ffffffdfff"))).toEqual({ netRaw: false, netAdmin: true });
  });

  it("returns undefined when there is no CapEff line", () => {
    expect(parseCaptureCapabilities("Name:\tnode\n")).toBeUndefined();
    expect(parseCaptureCapabilities("")).toBeUndefined();
  });

  it("reads this process's own status on Linux", () => {
    if (process.platform !== "linux") return;
    const caps = captureCapabilities();
    expect(typeof caps?.netRaw).toBe("boolean");
    expect(typeof caps?.netAdmin).toBe("boolean");
  });
});

describe("capturePermissionError", () => {
  it("names the missing capability, the interface, libpcap's reason and how to grant it", () => {
    const error = capturePermissionError("eth0", {
      promiscuous: false,
      detail: "socket: Operation not permitted",
      capabilities: { netRaw: false, netAdmin: false },
    });
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error.name).toBe("PermissionDeniedError");
    expect(error.message).toBe(
      'Cannot capture on "eth0": permission denied. Live capture needs the CAP_NET_RAW capability ' +
        "(and CAP_NET_ADMIN for promiscuous mode); this process lacks CAP_NET_RAW. Grant it to Node once with " +
        `\`${GRANT_CAPTURE_COMMAND}\`, or run the systemd unit with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN. ` +
        "(libpcap: socket: Operation not permitted)",
    );
  });

  it("names CAP_NET_ADMIN too when promiscuous mode was asked for without it", () => {
    const error = capturePermissionError("wlan0", {
      promiscuous: true,
      detail: "x",
      capabilities: { netRaw: false, netAdmin: false },
    });
    expect(error.message).toContain("this process lacks CAP_NET_RAW and CAP_NET_ADMIN.");
  });

  it("says the kernel refused when the capabilities look present (e.g. a seccomp or LSM denial)", () => {
    const error = capturePermissionError("eth0", {
      promiscuous: false,
      detail: "x",
      capabilities: { netRaw: true, netAdmin: true },
    });
    expect(error.message).toContain("; the kernel refused it.");
  });
});
