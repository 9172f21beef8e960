import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { INJECTION_KINDS, type InjectionSpec, isInjectionKind } from "@heimdal/core";
import { writeSimulatedCapture } from "../capture-file-writer.js";
import { UsageError } from "../usage-error.js";

const HELP = `Usage: heimdal simulate --out FILE [--devices N] [--hours H] [--seed S] [--activity X]
                        [--inject KIND@SECONDS]... [--labels FILE]

Writes a simulated home network to a pcap file: DHCP joins, ARP, DNS, TCP sessions to each
persona's cloud services, NTP, mDNS. Deterministic for a seed.

  --out FILE      where to write (required)
  --devices N     devices besides the gateway (default 8)
  --hours H       packet-time length (default 1)
  --seed S        random seed (default 1)
  --activity X    multiplies every device's session rate (default 1)
  --inject KIND@SECONDS
                  injects a labelled scenario SECONDS into the capture (repeatable). Attacks:
                  port_scan, host_sweep, arp_spoofing, dns_tunneling, beaconing,
                  data_exfiltration, brute_force; benign: os_update, new_streaming_service,
                  video_call, dhcp_rejoin
  --labels FILE   writes { seed, devices, injections: [label...] } as JSON`;

export async function runSimulate(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: "string" },
        devices: { type: "string" },
        hours: { type: "string" },
        seed: { type: "string" },
        activity: { type: "string" },
        inject: { type: "string", multiple: true },
        labels: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (typeof values.out !== "string") throw new UsageError("simulate needs --out FILE");
  const number = (name: string, fallback: number, integer: boolean) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      throw new UsageError(`--${name} must be a positive ${integer ? "integer" : "number"}, got "${String(raw)}"`);
    }
    return value;
  };
  const hours = number("hours", 1, false);
  const injections = ((values.inject as string[] | undefined) ?? []).map((raw): InjectionSpec => {
    const match = /^([a-z_]+)@(\d+(?:\.\d+)?)$/.exec(raw);
    const kind = match?.[1] ?? "";
    const atSeconds = Number(match?.[2]);
    if (!match || !isInjectionKind(kind)) {
      throw new UsageError(
        `--inject must be KIND@SECONDS with KIND one of ${INJECTION_KINDS.join(", ")}, got "${raw}"`,
      );
    }
    if (atSeconds >= hours * 3600) throw new UsageError(`--inject ${raw} starts after the capture ends`);
    return { kind, atSeconds };
  });
  const seed = number("seed", 1, true);
  const { packets, devices, labels } = writeSimulatedCapture(values.out, {
    devices: number("devices", 8, true),
    durationSeconds: hours * 3600,
    seed,
    activityScale: number("activity", 1, false),
    ...(injections.length > 0 ? { injections } : {}),
  });
  if (typeof values.labels === "string") {
    writeFileSync(values.labels, `${JSON.stringify({ seed, devices, injections: labels }, null, 2)}\n`);
  }
  process.stderr.write(
    `wrote ${packets} packets from ${devices.length} devices${labels.length > 0 ? ` with ${labels.length} injections` : ""} to ${values.out}\n`,
  );
  return 0;
}
