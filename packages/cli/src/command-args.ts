import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./usage-error.js";

/** parseArgs whose mistakes (unknown option, missing value) are usage errors (exit status 2). */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Prints a command's help; returns the exit status for the caller to return. */
export function printHelp(help: string): number {
  process.stdout.write(`${help}\n`);
  return 0;
}
