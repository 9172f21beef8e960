/** A command line that cannot be run as given; exits with status 2 and the usage hint. */
export class UsageError extends Error {
  override name = "UsageError";
}
