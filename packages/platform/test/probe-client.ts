/** Starts capture-probe.ts in a namespace of a VethLab and speaks its JSON-lines protocol. */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { CaptureResult, ProbeRequest } from "./capture-probe.js";
import type { VethLab } from "./netns-lab.js";

const here = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = resolve(here, "../../..");
const probeScript = resolve(here, "capture-probe.ts");
// vite-node (vitest's own runner) runs the TypeScript sources with the aliases of vitest.config.ts,
// so the probe exercises exactly the code under test, no build step needed.
const viteNode = resolve(dirname(createRequire(import.meta.url).resolve("vite-node/package.json")), "vite-node.mjs");
const vitestConfig = resolve(repositoryRoot, "vitest.config.ts");

export interface ProbeError {
  event: "error";
  name: string;
  message: string;
}

export interface ProbeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Every JSON line the probe printed, in order. */
  events: Array<Record<string, unknown>>;
  stderr: string;
}

export interface ProbeOptions {
  /** Runs the probe through this command first (setpriv, capsh). */
  wrapper?: readonly string[];
  /** Killed after this long, so that a hang fails the test instead of stalling it. */
  timeoutMs?: number;
  /** Another Vite config, e.g. one an unprivileged user may bundle (see unprivilegedViteConfig). */
  viteConfig?: string;
}

export interface RunningProbe {
  /** Resolves once the probe is capturing (or rejects with what went wrong). */
  ready: Promise<void>;
  /** Asks the probe to drain and close; resolves with its result. */
  stop(): Promise<CaptureResult>;
  exit: Promise<ProbeExit>;
}

/** Starts the probe in `ns`. */
export function startProbe(lab: VethLab, ns: string, request: ProbeRequest, options: ProbeOptions = {}): RunningProbe {
  const config = options.viteConfig ?? vitestConfig;
  const command = [...(options.wrapper ?? []), process.execPath, viteNode, "--config", config, probeScript];
  const child = lab.spawn(ns, command[0] as string, command.slice(1), {
    ...process.env,
    HEIMDAL_PROBE: JSON.stringify(request),
  });
  const events: Array<Record<string, unknown>> = [];
  let stderr = "";
  let stdoutTail = "";
  let onEvent: ((event: Record<string, unknown>) => void) | undefined;
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
  });
  child.stdout?.on("data", (chunk: string) => {
    const lines = (stdoutTail + chunk).split("\n");
    stdoutTail = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue; // vite-node may print its own notices
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      onEvent?.(event);
    }
  });
  const timeout = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const exit = new Promise<ProbeExit>((resolveExit) => {
    child.once("close", (code, signal) => {
      clearTimeout(timeout);
      resolveExit({ code, signal, events, stderr });
    });
  });
  const describe = (e: ProbeExit) =>
    `probe exited with ${e.code ?? e.signal}; events ${JSON.stringify(e.events).slice(0, 2000)}; stderr ${e.stderr.slice(-2000)}`;
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    onEvent = (event) => {
      if (event.event === "ready") resolveReady();
      if (event.event === "error") rejectReady(new Error(`${event.name}: ${event.message}`));
    };
    void exit.then((e) => rejectReady(new Error(describe(e))));
  });
  return {
    ready,
    exit,
    async stop() {
      // Not end(): vite-node's server exits the process as soon as its stdin ends.
      child.stdin?.write("stop\n");
      const e = await exit;
      const result = e.events.find((event) => event.event === "result");
      if (e.code !== 0 || !result) throw new Error(describe(e));
      return result as unknown as CaptureResult;
    },
  };
}

/**
 * Writes a Vite config with the workspace aliases into `dir` for a probe run as another user:
 * Vite bundles its config into a node_modules/.vite-temp beside it, which must be writable.
 */
export function unprivilegedViteConfig(dir: string): string {
  const source = (name: string) => JSON.stringify(resolve(repositoryRoot, `packages/${name}/src/index.ts`));
  const file = resolve(dir, "vite.config.mjs");
  writeFileSync(
    file,
    `export default { resolve: { alias: { "@heimdal/core": ${source("core")}, "@heimdal/platform": ${source("platform")} } } };\n`,
  );
  return file;
}

/** Runs a probe to completion (inject mode, or a capture expected to fail at open). */
export async function runProbe(
  lab: VethLab,
  ns: string,
  request: ProbeRequest,
  options: ProbeOptions = {},
): Promise<ProbeExit> {
  const probe = startProbe(lab, ns, request, options);
  probe.ready.catch(() => undefined);
  const e = await probe.exit;
  return e;
}
