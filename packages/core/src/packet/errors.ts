/** The capture source cannot be used (no such interface, unsupported file, …). */
export class CaptureUnavailableError extends Error {
  override name = "CaptureUnavailableError";
}

/** The process lacks a privilege it needs; the message says which and how to grant it. */
export class PermissionDeniedError extends Error {
  override name = "PermissionDeniedError";
}

/** A capture file is not in a format we read (bad magic, unsupported version). */
export class CaptureFormatError extends Error {
  override name = "CaptureFormatError";
  constructor(
    message: string,
    readonly byteOffset: number,
  ) {
    super(message);
  }
}
