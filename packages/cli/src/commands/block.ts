import {
  type BlockRule,
  blockingAllowed,
  expiryFrom,
  parseProductEdition,
  validateBlockMac,
  validateDestination,
} from "@heimdal/core";
import { readNeighbours } from "@heimdal/platform";
import { BlockingService, newBlockId, resolveDomain } from "../blocking-service.js";
import { parseCommandArgs, printHelp } from "../command-args.js";
import { printable } from "../report-text.js";
import { stateDir } from "../state-dir.js";
import { UsageError } from "../usage-error.js";

const HELP = `Usage:
  heimdal block device MAC [--ip IP]... [--expires SECONDS] [--reason TEXT] [--by WHO]
  heimdal block destination ADDRESS|CIDR|DOMAIN [--device MAC] [--expires SECONDS] [--reason TEXT] [--by WHO]
  heimdal block list [--format json|text]
  heimdal unblock ID | device MAC | destination DEST [--device MAC]

Blocks traffic that crosses the sensor (devices under interception) through nftables
(table inet heimdal). "device" quarantines a device: nothing it sends is forwarded, nothing
is forwarded to its addresses (from --ip and the neighbour table); the sensor's own
dashboard stays reachable. "destination" blocks an address, a CIDR block or a domain (its
current IPv4 addresses) for one device (--device) or all. --expires lifts it by itself.
Blocking is a Pro feature on the desktop product: --edition or $HEIMDAL_EDITION
(hardware, desktop-free, desktop-pro, desktop-enterprise; default hardware).
Common: --state-dir DIR (default $HEIMDAL_STATE_DIR or /var/lib/heimdal).`;

interface BlockArgs {
  ip?: string[];
  device?: string;
  expires?: string;
  reason?: string;
  by?: string;
  format?: string;
  edition?: string;
  "state-dir"?: string;
  help?: boolean;
}

function parse(argv: string[]): { values: BlockArgs; positionals: string[] } {
  return parseCommandArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ip: { type: "string", multiple: true },
      device: { type: "string" },
      expires: { type: "string" },
      reason: { type: "string" },
      by: { type: "string" },
      format: { type: "string" },
      edition: { type: "string" },
      "state-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** The gate: refuses with the reason when this edition may not block. */
function checkGate(values: BlockArgs): void {
  const edition = parseProductEdition(values.edition ?? process.env.HEIMDAL_EDITION ?? "hardware", "--edition");
  if (!blockingAllowed(edition)) {
    throw new Error(
      `blocking needs Heimdal Pro or Enterprise: the ${edition} edition shows devices and alerts but never blocks`,
    );
  }
}

function expiry(values: BlockArgs): string | null {
  if (values.expires === undefined) return null;
  const seconds = Number(values.expires);
  try {
    return expiryFrom(Date.now(), Number.isFinite(seconds) ? seconds : Number.NaN, "--expires");
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export async function runBlock(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [what, subject] = positionals;
  if (values.help || what === undefined) return printHelp(HELP);
  const service = new BlockingService(stateDir(values["state-dir"]));
  if (what === "list") return listBlocks(service, values.format ?? "text");
  checkGate(values);
  if (subject === undefined) throw new UsageError(`block ${what} needs a subject (see heimdal block --help)`);
  const common = {
    id: newBlockId(),
    decidedBy: values.by ?? `user (${process.env.SUDO_USER ?? process.env.USER ?? "command line"})`,
    reason: values.reason ?? "",
    createdAt: new Date().toISOString(),
    expiresAt: expiry(values),
  };
  let rule: BlockRule;
  if (what === "device") {
    const mac = usage(() => validateBlockMac(subject, "device"));
    const ips = new Set((values.ip ?? []).map((ip) => usage(() => validateDestination(ip, "--ip").value)));
    for (const n of readNeighbours()) if (n.mac === mac) ips.add(n.ip);
    rule = { kind: "device", mac, ips: [...ips], ...common };
  } else if (what === "destination") {
    const destination = usage(() => validateDestination(subject, "destination"));
    const mac = values.device === undefined ? null : usage(() => validateBlockMac(values.device!, "--device"));
    const resolved = destination.kind === "domain" ? await resolveDomain(destination.value) : [];
    rule = { kind: "destination", destination: destination.value, resolved, mac, ...common };
  } else {
    throw new UsageError(`block: unknown target "${what}" (device, destination or list)`);
  }
  await service.add(rule);
  process.stdout.write(`${JSON.stringify(rule)}\n`);
  return 0;
}

export async function runUnblock(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [what, subject] = positionals;
  if (values.help || what === undefined) return printHelp(HELP);
  const service = new BlockingService(stateDir(values["state-dir"]));
  let match: (rule: BlockRule) => boolean;
  if (what === "device" && subject !== undefined) {
    const mac = usage(() => validateBlockMac(subject, "device"));
    match = (r) => r.kind === "device" && r.mac === mac;
  } else if (what === "destination" && subject !== undefined) {
    const destination = usage(() => validateDestination(subject, "destination")).value;
    const mac = values.device === undefined ? null : usage(() => validateBlockMac(values.device!, "--device"));
    match = (r) => r.kind === "destination" && r.destination === destination && r.mac === mac;
  } else if (/^blk-[0-9a-f]{8}$/.test(what)) {
    match = (r) => r.id === what;
  } else {
    throw new UsageError(`unblock: give a block id (blk-…), "device MAC" or "destination DEST"`);
  }
  const removed = await service.remove(match);
  if (removed.length === 0) throw new Error(`unblock: no block matches "${[what, subject].filter(Boolean).join(" ")}"`);
  process.stdout.write(`${JSON.stringify({ unblocked: removed.map((r) => r.id) })}\n`);
  return 0;
}

function listBlocks(service: BlockingService, format: string): number {
  if (format !== "json" && format !== "text") throw new UsageError(`--format must be json or text, got "${format}"`);
  const rules = service.list();
  if (format === "json") {
    process.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
    return 0;
  }
  if (rules.length === 0) process.stdout.write("No blocks.\n");
  for (const r of rules) {
    const what =
      r.kind === "device" ? `device ${r.mac}` : `${r.destination}${r.mac ? ` for ${r.mac}` : " for every device"}`;
    const until = r.expiresAt ?? "no expiry";
    process.stdout.write(
      `${r.id}  ${what}  by ${printable(r.decidedBy)}  until ${until}${r.active ? "" : " (expired)"}  ${printable(r.reason)}\n`,
    );
  }
  return 0;
}
