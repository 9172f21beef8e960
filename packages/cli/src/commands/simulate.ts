import { parseArgs } from "node:util";
import { writeSimulatedCapture } from "../capture-file-writer.js";
import { UsageError } from "../usage-error.js";

const HELP = `Usage: heimdal simulate --out FILE [--devices N] [--hours H] [--seed S] [--activity X]

Writes a simulated home network to a pcap file: DHCP joins, ARP, DNS, TCP sessions to each
persona's cloud services, NTP, mDNS. Deterministic for a seed.

  --out FILE      where to write (required)
  --devices N     devices besides the gateway (default 8)
  --hours H       packet-time length (default 1)
  --seed S        random seed (default 1)
  --activity X    multiplies every device's session rate (default 1)`;

export async function runSimulate(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: "string" },
        devices: { type: "string" },
        hours: { type: "string" },
        seed: { type: "string" },
        activity: { type: "string" },
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
  const { packets, devices } = writeSimulatedCapture(values.out, {
    devices: number("devices", 8, true),
    durationSeconds: number("hours", 1, false) * 3600,
    seed: number("seed", 1, true),
    activityScale: number("activity", 1, false),
  });
  process.stderr.write(`wrote ${packets} packets from ${devices.length} devices to ${values.out}\n`);
  return 0;
}
