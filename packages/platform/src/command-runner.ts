/**
 * The one boundary network detection crosses to ask the operating system: run a program with
 * a fixed argument array (execFile, never a shell, so nothing is ever interpreted), with a
 * timeout, and return its standard output. Tests replace it with recorded outputs.
 */
import { execFileSync } from "node:child_process";

/** Runs FILE with ARGS and returns its stdout; throws CommandError when it fails or is missing. */
export type CommandRunner = (file: string, args: readonly string[]) => string;

/** A command that could not be run, exited non-zero or timed out. */
export class CommandError extends Error {
  override name = "CommandError";
  constructor(
    /** The command line as a person would type it, for messages. */
    readonly command: string,
    /** Its stderr, trimmed; "" when it printed nothing or never started. */
    readonly stderr: string,
    /** The program is not installed (ENOENT). */
    readonly notFound: boolean,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** 10 s: `scutil --dns` and a cold PowerShell start take 1–3 s on a loaded laptop. */
export const COMMAND_TIMEOUT_MS = 10_000;

/** The real runner: execFileSync with an argument array, no shell, a timeout and a bounded output. */
export function execFileRunner(timeoutMs = COMMAND_TIMEOUT_MS): CommandRunner {
  return (file, args) => {
    const command = [file, ...args].join(" ");
    try {
      return execFileSync(file, args, {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        windowsHide: true,
        shell: false,
      });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string | Buffer; signal?: string | null };
      const stderr = String(e.stderr ?? "").trim();
      const notFound = e.code === "ENOENT";
      const reason = notFound
        ? "not installed"
        : e.code === "ETIMEDOUT" || e.signal === "SIGTERM"
          ? `timed out after ${timeoutMs} ms`
          : stderr || e.message;
      throw new CommandError(command, stderr, notFound, `"${command}" failed: ${reason}`, { cause: error });
    }
  };
}
