import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareForwarding, readForwardingState } from "./ip-forwarding.js";

/** A stand-in for /proc/sys with the three settings, as files. */
function sysctlTree(values: { forward: string; all: string; iface: string }): string {
  const root = mkdtempSync(join(tmpdir(), "heimdal-sysctl-"));
  mkdirSync(join(root, "net/ipv4/conf/all"), { recursive: true });
  mkdirSync(join(root, "net/ipv4/conf/eth0"), { recursive: true });
  writeFileSync(join(root, "net/ipv4/ip_forward"), `${values.forward}\n`);
  writeFileSync(join(root, "net/ipv4/conf/all/send_redirects"), `${values.all}\n`);
  writeFileSync(join(root, "net/ipv4/conf/eth0/send_redirects"), `${values.iface}\n`);
  return root;
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("prepareForwarding", () => {
  it("switches forwarding on and redirects off, and returns what it found", () => {
    const root = sysctlTree({ forward: "0", all: "1", iface: "1" });
    roots.push(root);
    expect(prepareForwarding("eth0", root)).toEqual({
      ipForward: false,
      sendRedirectsAll: true,
      sendRedirectsInterface: true,
    });
    expect(readForwardingState("eth0", root)).toEqual({
      ipForward: true,
      sendRedirectsAll: false,
      sendRedirectsInterface: false,
    });
    expect(readFileSync(join(root, "net/ipv4/ip_forward"), "utf8")).toBe("1\n");
  });

  it("writes nothing that is already right, and names the file it cannot read", () => {
    const root = sysctlTree({ forward: "1", all: "0", iface: "0" });
    roots.push(root);
    const writes: string[] = [];
    const files = { read: (p: string) => readFileSync(p, "utf8"), write: (p: string) => void writes.push(p) };
    prepareForwarding("eth0", root, files);
    expect(writes).toEqual([]);
    expect(() => prepareForwarding("wlan0", root)).toThrow(/Cannot read .*conf\/wlan0\/send_redirects/);
  });

  it("refuses with the sysctl and the fix when a setting cannot be written", () => {
    const root = sysctlTree({ forward: "0", all: "0", iface: "0" });
    roots.push(root);
    const readOnly = {
      read: (p: string) => readFileSync(p, "utf8"),
      write: () => {
        throw Object.assign(new Error("read-only file system"), { code: "EROFS" });
      },
    };
    expect(() => prepareForwarding("eth0", root, readOnly)).toThrow(
      "Cannot intercept: net.ipv4.ip_forward must be 1 and could not be set (EROFS). Run with CAP_NET_ADMIN, or set it yourself: sysctl -w net.ipv4.ip_forward=1",
    );
  });

  it("rejects interface names that are not names", () => {
    expect(() => prepareForwarding("../../etc", "/proc/sys")).toThrow(/"..\/..\/etc" is not an interface name/);
  });
});
