import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BaselineFormatError, DeviceBaseline, parseBaselineJson } from "@heimdal/core";
import { AnalysisStore, type BaselineExport } from "../analysis-store.js";
import { UsageError } from "../usage-error.js";

const HELP = `Usage: heimdal baseline <export|import|versions|rollback> --db FILE [options]

  export   [--device ID] [--out FILE]   write the current baselines as JSON (stdout by default)
  import   FILE                         merge baselines (a backup, or golden profiles) into the database
  versions --device ID                  list a device's saved baseline versions
  rollback --device ID --version N      make version N current again (saved as a new version)

Every save of a changed baseline is a new version; history is never rewritten.`;

export async function runBaseline(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === "--help" || action === "-h") {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        db: { type: "string" },
        device: { type: "string" },
        out: { type: "string" },
        version: { type: "string" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (typeof values.db !== "string") throw new UsageError(`baseline ${action} needs --db FILE`);
  const store = new AnalysisStore(values.db);
  try {
    switch (action) {
      case "export":
        return exportBaselines(store, values.device as string | undefined, values.out as string | undefined);
      case "import": {
        const file = positionals[0];
        if (!file) throw new UsageError("baseline import needs a FILE");
        return importBaselines(store, file);
      }
      case "versions": {
        const device = requireString(values.device, "--device ID");
        const versions = store.repositories.baselines.versions(device);
        if (versions.length === 0) throw new Error(`No baseline stored for device "${device}"`);
        for (const v of versions) {
          const restored = v.restoredFrom === null ? "" : ` (restored from version ${v.restoredFrom})`;
          process.stdout.write(`version ${v.version}  saved ${new Date(v.savedAt).toISOString()}${restored}\n`);
        }
        return 0;
      }
      case "rollback": {
        const device = requireString(values.device, "--device ID");
        const version = Number(requireString(values.version, "--version N"));
        if (!Number.isInteger(version) || version < 1)
          throw new UsageError(`--version must be a positive integer, got "${values.version}"`);
        const current = store.repositories.baselines.rollback(device, version);
        process.stdout.write(`device ${device}: version ${version} is current again, saved as version ${current}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown baseline action "${action}" (export, import, versions, rollback)`);
    }
  } finally {
    store.close();
  }
}

function requireString(value: string | boolean | undefined, what: string): string {
  if (typeof value !== "string" || value === "") throw new UsageError(`this action needs ${what}`);
  return value;
}

function exportBaselines(store: AnalysisStore, device: string | undefined, out: string | undefined): number {
  const ids = device ? [device] : store.repositories.devices.list().map((d) => d.id);
  const baselines: BaselineExport["baselines"] = [];
  for (const id of ids) {
    const stored = store.repositories.baselines.load(id);
    if (stored)
      baselines.push({
        deviceId: id,
        version: stored.version,
        baseline: parseBaselineJson(stored.baseline, `stored baseline of ${id}`),
      });
  }
  if (device && baselines.length === 0) throw new Error(`No baseline stored for device "${device}"`);
  const file: BaselineExport = {
    format: "heimdal-baselines",
    formatVersion: 1,
    exportedAt: new Date().toISOString(),
    baselines,
  };
  const text = `${JSON.stringify(file, null, 2)}\n`;
  if (out) {
    writeFileSync(out, text);
    process.stderr.write(`exported ${baselines.length} baselines to ${out}\n`);
  } else process.stdout.write(text);
  return 0;
}

function importBaselines(store: AnalysisStore, path: string): number {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`Cannot read baseline file "${path}": ${(error as Error).message}`, { cause: error });
  }
  const record = document as Partial<BaselineExport>;
  if (record?.format !== "heimdal-baselines" || !Array.isArray(record.baselines)) {
    throw new BaselineFormatError(
      `${path}: not a Heimdal baseline export (expected "format": "heimdal-baselines" and a "baselines" array)`,
    );
  }
  // Validate everything before the first write: a bad file imports nothing.
  const incoming = record.baselines.map((entry, i) =>
    parseBaselineJson((entry as { baseline?: unknown })?.baseline, `${path}: baselines[${i}].baseline`),
  );
  let saved = 0;
  for (const json of incoming) {
    const merged = new DeviceBaseline(json.deviceId, {
      windowDays: 7,
      retentionDays: 30,
      utcOffsetMinutes: json.utcOffsetMinutes,
      perDayLimit: 32,
    });
    const current = store.repositories.baselines.load(json.deviceId);
    if (current) merged.merge(parseBaselineJson(current.baseline, `stored baseline of ${json.deviceId}`));
    merged.merge(json);
    const version = store.repositories.baselines.save(json.deviceId, merged.toJSON());
    process.stdout.write(`device ${json.deviceId}: baseline version ${version}\n`);
    saved++;
  }
  process.stderr.write(`imported ${saved} baselines from ${path}\n`);
  return 0;
}
