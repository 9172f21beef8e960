/**
 * What must be undone if the sensor dies while intercepting: the pairs it has told the
 * gateway and the targets. The interceptor saves the journal before it sends the first
 * false claim and after every change of targets, and clears it only when a restore has been
 * sent; `heimdal restore-arp` (run by the service manager after the process exits, and at
 * start) reads it and sends the restore.
 */
import { formatIpv4, formatMac, parseIpv4, parseMac } from "../packet/address.js";
import type { InterceptionHost, InterceptionPlan } from "./interception-plan.js";

export interface SpoofJournalHost {
  ip: string;
  mac: string;
}

/** The journal as stored (JSON), with addresses as text so a person can read it. */
export interface SpoofJournalState {
  version: 1;
  interfaceName: string;
  sensorMac: string;
  gateway: SpoofJournalHost;
  targets: SpoofJournalHost[];
  /** ISO 8601 UTC. */
  updatedAt: string;
}

/** Durable storage of the journal; the platform writes it atomically (file, fsync, rename). */
export interface SpoofJournal {
  save(state: SpoofJournalState): void;
  load(): SpoofJournalState | undefined;
  clear(): void;
}

export function journalState(
  plan: InterceptionPlan,
  targets: readonly InterceptionHost[],
  nowMs: number,
): SpoofJournalState {
  return {
    version: 1,
    interfaceName: plan.interfaceName,
    sensorMac: formatMac(plan.sensor.mac),
    gateway: hostText(plan.gateway),
    targets: targets.map(hostText),
    updatedAt: new Date(nowMs).toISOString(),
  };
}

function hostText(host: InterceptionHost): SpoofJournalHost {
  return { ip: formatIpv4(host.ip), mac: formatMac(host.mac) };
}

/** Parses a stored journal; throws an Error naming the field when it is not one. */
export function parseSpoofJournal(json: unknown, source: string): SpoofJournalState {
  const fail = (field: string, why: string): never => {
    throw new Error(`${source}: ${field} ${why}`);
  };
  if (typeof json !== "object" || json === null) return fail("(root)", "is not an object");
  const o = json as Record<string, unknown>;
  if (o.version !== 1) fail("version", `must be 1, got ${JSON.stringify(o.version)}`);
  if (typeof o.interfaceName !== "string" || o.interfaceName === "")
    fail("interfaceName", "must be a non-empty string");
  if (typeof o.sensorMac !== "string" || parseMac(o.sensorMac) === undefined) fail("sensorMac", "must be a MAC");
  const host = (value: unknown, field: string): SpoofJournalHost => {
    const h = value as Record<string, unknown> | null;
    if (typeof h !== "object" || h === null) return fail(field, "must be an object");
    if (typeof h.ip !== "string" || parseIpv4(h.ip) === undefined) fail(`${field}.ip`, "must be an IPv4 address");
    if (typeof h.mac !== "string" || parseMac(h.mac) === undefined) fail(`${field}.mac`, "must be a MAC");
    return { ip: h.ip as string, mac: h.mac as string };
  };
  if (!Array.isArray(o.targets)) fail("targets", "must be an array");
  return {
    version: 1,
    interfaceName: o.interfaceName as string,
    sensorMac: o.sensorMac as string,
    gateway: host(o.gateway, "gateway"),
    targets: (o.targets as unknown[]).map((t, i) => host(t, `targets[${i}]`)),
    updatedAt: typeof o.updatedAt === "string" ? o.updatedAt : "",
  };
}

/** The host pairs of a journal, as numbers for the frame builders. */
export function journalHosts(state: SpoofJournalState): {
  sensorMac: number;
  gateway: InterceptionHost;
  targets: InterceptionHost[];
} {
  const host = (h: SpoofJournalHost): InterceptionHost => ({ ip: parseIpv4(h.ip)!, mac: parseMac(h.mac)! });
  return { sensorMac: parseMac(state.sensorMac)!, gateway: host(state.gateway), targets: state.targets.map(host) };
}
