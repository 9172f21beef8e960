/**
 * The tshark oracle: every capture under ../shared/data (found by magic number, not by
 * extension) is decoded by our reader and decoder and compared, packet by packet and field by
 * field, with tshark's dissection of the same file. Differences are bugs, or deliberate
 * choices listed in DIFFERENCES.md (see differences.ts). The bench/ merges are sampled: their
 * first 20,000 packets (they are merges of the other captures, 345k packets in all).
 *
 * Needs tshark (set TSHARK to its path if it is not on PATH); skipped with the reason when it
 * or the data folder is missing. A report per file goes to the log and to
 * test-output/tshark-oracle.json.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ByteSource } from "../packet/byte-source.js";
import { CaptureFileReader } from "../packet/capture-file-reader.js";
import { DecodedPacket } from "../packet/decoded-packet.js";
import { decodePacket } from "../packet/decoder.js";
import { comparePacket, emptyTally, type FileTally, formatTally } from "./compare.js";
import { DELIBERATE_DIFFERENCES } from "./differences.js";
import { parseTsharkOutput, tsharkArguments } from "./tshark-fields.js";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const DATA = resolve(REPO, "../shared/data");
const TSHARK = process.env.TSHARK ?? "tshark";
/** Packets compared in each sampled file. */
const SAMPLE_PACKETS = 20_000;
const SAMPLED_FOLDER = "bench";
/** tshark runs at once: this machine has two cores and others build on it. */
const CONCURRENCY = 2;

/** Positional reads over node:fs (core tests may not import the platform package). */
class FileByteSource implements ByteSource {
  private fd: number | undefined;

  constructor(private readonly path: string) {}

  read(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    this.fd ??= openSync(this.path, "r");
    return readSync(this.fd, target, targetOffset, length, position);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

const MAGIC_NUMBERS = new Set(["d4c3b2a1", "a1b2c3d4", "4d3cb2a1", "a1b23c4d", "0a0d0d0a"]);

/** Capture files under `root` by their first four bytes, in a stable order. */
function findCaptures(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && isCapture(path)) found.push(path);
    }
  };
  walk(root);
  return found;
}

function isCapture(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && MAGIC_NUMBERS.has(head.toString("hex"));
  } finally {
    closeSync(fd);
  }
}

function tsharkMissingReason(): string | undefined {
  if (!existsSync(DATA)) return `no capture folder at ${DATA}`;
  const probe = spawnSync(TSHARK, ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return `tshark not runnable as "${TSHARK}"`;
  return undefined;
}

interface TsharkOutput {
  stdout: string;
  stderr: string;
  status: number | null;
  milliseconds: number;
}

/**
 * An empty configuration folder, so that no personal Wireshark preference (a decode-as, a
 * disabled protocol, name resolution) changes what tshark prints.
 */
const configDir = mkdtempSync(join(tmpdir(), "heimdal-tshark-"));

function runTshark(file: string, limit: number | undefined): Promise<TsharkOutput> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TSHARK, tsharkArguments(file, limit), {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WIRESHARK_CONFIG_DIR: configDir },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (status) =>
      resolvePromise({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        status,
        milliseconds: performance.now() - started,
      }),
    );
  });
}

/** Starts `task` for each item, at most `limit` at a time, in order. */
function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Map<T, Promise<R>> {
  const results = new Map<T, Promise<R>>();
  let running = 0;
  const waiting: (() => void)[] = [];
  for (const item of items) {
    results.set(
      item,
      (async () => {
        if (running >= limit) await new Promise<void>((go) => waiting.push(go));
        running++;
        try {
          return await task(item);
        } finally {
          running--;
          waiting.shift()?.();
        }
      })(),
    );
  }
  return results;
}

/** Decodes `file` with our reader and decoder and compares each packet with tshark's row. */
function compareFile(path: string, name: string, output: TsharkOutput, limit: number | undefined): FileTally {
  const started = performance.now();
  const rows = parseTsharkOutput(output.stdout);
  const tally = emptyTally(name);
  tally.tsharkMs = output.milliseconds;
  tally.tsharkFrames = rows.length;
  const reader = new CaptureFileReader(new FileByteSource(path), { name });
  const p = new DecodedPacket();
  try {
    reader.open();
    let index = 0;
    for (let batch = reader.nextBatch(); batch && (limit === undefined || index < limit); batch = reader.nextBatch()) {
      for (let i = 0; i < batch.count && (limit === undefined || index < limit); i++, index++) {
        const row = rows[index];
        if (!row) {
          index++;
          continue; // counted as a packet-count difference below
        }
        const offset = batch.offsets[i]!;
        const linkType = batch.linkTypes[i]!;
        decodePacket(
          batch.data,
          offset,
          batch.capturedLengths[i]!,
          batch.wireLengths[i]!,
          linkType,
          batch.timestampsUs[i]!,
          p,
        );
        comparePacket({ p, linkType, data: batch.data, offset }, row, tally);
      }
    }
    tally.packets = Math.max(tally.packets, index);
    const skipped = reader.problems.filter((problem) => problem.kind === "unsupported_link_type");
    // Skipped packets would shift the alignment with tshark's frames; the corpus has none.
    expect(skipped).toEqual([]);
  } finally {
    reader.close();
  }
  tally.oursMs = performance.now() - started;
  return tally;
}

const skipReason = tsharkMissingReason();
const captures = skipReason ? [] : findCaptures(DATA);

describe.skipIf(skipReason !== undefined)(`tshark oracle${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  const tallies: FileTally[] = [];
  let outputs = new Map<string, Promise<TsharkOutput>>();
  const limitOf = (path: string) =>
    relative(DATA, path).startsWith(`${SAMPLED_FOLDER}/`) ? SAMPLE_PACKETS : undefined;

  beforeAll(() => {
    outputs = inParallel(captures, CONCURRENCY, (path) => runTshark(path, limitOf(path)));
  });

  afterAll(() => {
    rmSync(configDir, { recursive: true, force: true });
    if (tallies.length === 0) return;
    const total = tallies.reduce(
      (sum, t) => ({
        packets: sum.packets + t.packets,
        compared: sum.compared + t.compared,
        matched: sum.matched + t.matched,
      }),
      { packets: 0, compared: 0, matched: 0 },
    );
    const documented: Record<string, number> = {};
    for (const t of tallies)
      for (const [id, n] of Object.entries(t.documented)) documented[id] = (documented[id] ?? 0) + n;
    console.log(
      `tshark oracle: ${tallies.length} files, ${total.packets} packets, ${total.matched}/${total.compared} fields matched; ` +
        `documented differences: ${JSON.stringify(documented)}`,
    );
    const byCheck: Record<string, { compared: number; matched: number }> = {};
    for (const t of tallies) {
      for (const [name, n] of Object.entries(t.byCheck)) {
        const sum = byCheck[name] ?? { compared: 0, matched: 0 };
        sum.compared += n.compared;
        sum.matched += n.matched;
        byCheck[name] = sum;
      }
    }
    console.log(
      `by check: ${Object.entries(byCheck)
        .map(([name, n]) => `${name} ${n.matched}/${n.compared}`)
        .join(", ")}`,
    );
    const dir = join(REPO, "test-output");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "tshark-oracle.json"),
      `${JSON.stringify({ total, documented, byCheck, files: tallies }, null, 2)}\n`,
    );
  });

  it("finds the shared captures by magic number, whatever their extension", () => {
    const names = captures.map((path) => relative(DATA, path));
    expect(names).toContain("ndpi/netbios.pcap"); // pcapng inside
    expect(names).toContain("ndpi/tcp_scan.pcapng"); // pcap inside
    expect(names.some((name) => name.endsWith(".txt"))).toBe(false);
    expect(captures.length).toBeGreaterThan(50);
  });

  it.each(captures.map((path) => [relative(DATA, path), path] as const))("%s", async (name, path) => {
    const output = await outputs.get(path)!;
    const limit = limitOf(path);
    const tally = compareFile(path, name, output, limit);
    tallies.push(tally);
    console.log(formatTally(tally));
    for (const m of tally.undocumented)
      console.log(`  frame ${m.frame} ${m.check}: ours ${JSON.stringify(m.ours)}, tshark ${JSON.stringify(m.theirs)}`);
    expect(output.stdout.length, `tshark printed nothing: ${output.stderr}`).toBeGreaterThan(0);
    expect(tally.packets, "packets read by us and by tshark").toBe(tally.tsharkFrames);
    expect(tally.undocumentedCount, "undocumented differences (listed above)").toBe(0);
  });

  it("documents every deliberate difference in DIFFERENCES.md", () => {
    const text = readFileSync(fileURLToPath(new URL("./DIFFERENCES.md", import.meta.url)), "utf8");
    const headings = [...text.matchAll(/^## `([a-z0-9_]+)`/gm)].map((match) => match[1]);
    expect(headings.sort()).toEqual(DELIBERATE_DIFFERENCES.map((rule) => rule.id).sort());
  });
});
