import { parseArgs } from "node:util";
import { applyExpectedFeedback } from "@heimdal/core";
import { AnalysisStore } from "../analysis-store.js";
import { printable } from "../report-text.js";
import { UsageError } from "../usage-error.js";

const HELP = `Usage: heimdal alerts <list|ack|expected> --db FILE [options]

  list     [--severity S] [--device ID] [--type T] [--limit N]   stored alerts, newest first
  ack      ID                                                     acknowledge an alert
  expected ID                                                     "this was me / expected": fold the
           alert's destination and port into the device's baseline (a new baseline version)
           and acknowledge it`;

interface StoredAlertShape {
  id: string;
  type: string;
  severity: string;
  deviceId: string | null;
  mac?: string | null;
  time: number;
  description?: string;
  evidence?: Record<string, unknown>;
}

export async function runAlerts(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === "--help" || action === "-h") {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  let parsed: { values: Record<string, string | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        db: { type: "string" },
        severity: { type: "string" },
        device: { type: "string" },
        type: { type: "string" },
        limit: { type: "string" },
      },
    }) as typeof parsed;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (!values.db) throw new UsageError(`alerts ${action} needs --db FILE`);
  const store = new AnalysisStore(values.db);
  try {
    const alerts = store.repositories.alerts;
    const now = Date.now();
    switch (action) {
      case "list": {
        const limit = values.limit === undefined ? 100 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new UsageError(`--limit must be a positive integer, got "${values.limit}"`);
        const query: Parameters<typeof alerts.list>[0] = { limit };
        if (values.severity) query.severity = values.severity.split(",");
        if (values.device) query.deviceId = values.device;
        if (values.type) query.type = values.type;
        for (const stored of alerts.list(query)) {
          const a = stored.alert as StoredAlertShape;
          const acked = stored.acknowledgedAt === null ? "" : " (acknowledged)";
          process.stdout.write(
            `${new Date(a.time).toISOString()}  ${a.severity.padEnd(8)} ${a.type.padEnd(22)} ${a.id}${acked}\n    ${printable(a.description ?? "")}\n`,
          );
        }
        return 0;
      }
      case "ack": {
        const id = requireId(positionals);
        if (!alerts.acknowledge(id, now)) throw new Error(`No stored alert "${id}"`);
        process.stdout.write(`acknowledged ${id}\n`);
        return 0;
      }
      case "expected": {
        const id = requireId(positionals);
        const result = applyExpectedFeedback(store.repositories, id, now);
        const what =
          [...result.destinations, ...result.ports].join(", ") ||
          "nothing new (the alert named no destination or port)";
        process.stdout.write(
          `device ${result.deviceId}: ${what} is now expected (baseline version ${result.version}); ${id} acknowledged\n`,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown alerts action "${action}" (list, ack, expected)`);
    }
  } finally {
    store.close();
  }
}

function requireId(positionals: string[]): string {
  const id = positionals[0];
  if (!id) throw new UsageError("this action needs an alert ID");
  return id;
}
