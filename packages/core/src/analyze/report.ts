/**
 * The JSON contract of `heimdal analyze --format json` (documented in docs/analyze-json.md).
 * Fields are only ever added, never renamed or removed.
 */
export interface AnalysisReport {
  /** Schema version of this object; bumped when fields are added. */
  version: 1;
  /** What was analyzed: file paths or "interface:NAME". */
  sources: string[];
  /** Packets read (malformed ones included). */
  packets: number;
  /** Bytes on the wire (from each packet's original length, not its captured length). */
  bytes: number;
  /** Malformed packets by reason; each was counted and skipped. */
  malformed: Record<string, number>;
  /** Packets whose headers were cut by the capture's snap length (decoded as far as present). */
  truncatedPackets: number;
  /** Packets skipped because their link type is unsupported. */
  skippedPackets: number;
  /** Packets lost by live capture before we saw them (always zero for files). */
  dropped: DropReport;
  /** Problems met in the capture files (truncation, corruption, unsupported link types). */
  captureProblems: CaptureProblemReport[];
  /** Packet time from the first to the last packet. */
  durationSeconds: number;
  /** First and last packet time, ISO 8601 UTC; null without packets. */
  startTime: string | null;
  endTime: string | null;
  devices: DeviceReport[];
  flows: FlowSummaryReport;
}

export interface DropReport {
  byKernel: number;
  byInterface: number;
  byHeimdal: number;
}

export interface CaptureProblemReport {
  source: string;
  kind: string;
  message: string;
  byteOffset: number;
}

export interface DeviceReport {
  mac: string;
  ips: string[];
  packets: number;
  bytes: number;
}

export interface FlowSummaryReport {
  /** Flows seen in all (a flow restarted by the active timeout counts again). */
  count: number;
  /** Flows ended early because the table was full. */
  evicted: number;
  byProtocol: Record<string, number>;
  /** Hosts by bytes sent plus received, largest first. */
  topTalkers: TalkerReport[];
}

export interface TalkerReport {
  ip: string;
  bytes: number;
  bytesOut: number;
  bytesIn: number;
  packets: number;
  flows: number;
}
