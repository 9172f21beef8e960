/** Something wrong in a capture that the reader reported and stepped around (or stopped at). */
export interface CaptureProblem {
  kind: "truncated" | "corrupt" | "unsupported_link_type";
  message: string;
  /** Byte offset in the file where the problem starts. */
  byteOffset: number;
}
