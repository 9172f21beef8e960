/** The server's version, reported by /status; kept equal to the CLI's VERSION. */
export const SERVER_VERSION = "0.1.0";
