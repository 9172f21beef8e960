/**
 * A configuration value that cannot be used: `path` names the field (`interception.refresh`,
 * or a flag such as `--port`), `problem` says what it must be and what it was.
 */
export class ConfigError extends Error {
  override name = "ConfigError";

  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path} ${problem}`);
  }
}
