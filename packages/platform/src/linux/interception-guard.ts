/**
 * The guard-rails probe of interception, run from the sensor every few seconds: forwarding
 * still on (fatal when not: every target has lost the internet), the gateway answering a
 * ping and the DNS server answering a query. Commands run with execFile and fixed
 * arguments built from validated addresses: no shell, no text from the network.
 */
import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import type { GuardResult, InterceptionGuard } from "@heimdal/core";
import { parseIpv4 } from "@heimdal/core";
import { readForwardingState } from "./ip-forwarding.js";

export interface LinuxGuardOptions {
  interfaceName: string;
  gateway: string;
  /** The DNS server to probe, or null to skip that probe. */
  dnsServer: string | null;
  timeoutMs?: number;
  sysctlRoot?: string;
}

/** A DNS query for the root's NS records: any answer, even a refusal, means the server is reachable. */
const ROOT_NS_QUERY = Buffer.from([0x4e, 0x44, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]);

export class LinuxInterceptionGuard implements InterceptionGuard {
  constructor(private readonly options: LinuxGuardOptions) {
    for (const [field, value] of [
      ["gateway", options.gateway],
      ["dnsServer", options.dnsServer],
    ] as const) {
      if (value !== null && parseIpv4(value) === undefined)
        throw new Error(`guard ${field}: "${value}" is not an IPv4 address`);
    }
  }

  async check(): Promise<GuardResult> {
    const { interfaceName, gateway, dnsServer } = this.options;
    try {
      if (!readForwardingState(interfaceName, this.options.sysctlRoot).ipForward) {
        return { ok: false, fatal: true, reason: "IPv4 forwarding was switched off (net.ipv4.ip_forward = 0)" };
      }
    } catch (error) {
      return { ok: false, fatal: true, reason: (error as Error).message };
    }
    const [gatewayUp, dnsUp] = await Promise.all([this.#ping(gateway), dnsServer ? this.#dns(dnsServer) : true]);
    if (!gatewayUp) return { ok: false, fatal: false, reason: `the gateway ${gateway} does not answer pings` };
    if (!dnsUp) return { ok: false, fatal: false, reason: `the DNS server ${dnsServer} does not answer` };
    return { ok: true };
  }

  #timeout(): number {
    return this.options.timeoutMs ?? 1500;
  }

  #ping(address: string): Promise<boolean> {
    const seconds = String(Math.max(1, Math.ceil(this.#timeout() / 1000)));
    return new Promise((resolve) => {
      execFile("ping", ["-n", "-q", "-c", "1", "-W", seconds, address], { timeout: this.#timeout() + 1000 }, (error) =>
        resolve(error === null),
      );
    });
  }

  #dns(server: string): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createSocket("udp4");
      const finish = (up: boolean) => {
        clearTimeout(timer);
        socket.close();
        resolve(up);
      };
      const timer = setTimeout(() => finish(false), this.#timeout());
      socket.once("message", () => finish(true));
      socket.once("error", () => finish(false));
      socket.send(ROOT_NS_QUERY, 53, server);
    });
  }
}
