import type { AnalysisReport } from "@heimdal/core";

/** A person-readable summary of an analysis; the JSON form is the machine contract. */
export function formatReportText(report: AnalysisReport): string {
  const lines: string[] = [];
  lines.push(`Analyzed ${report.sources.join(", ")}`);
  lines.push(
    `  ${report.packets.toLocaleString("en-US")} packets, ${formatBytes(report.bytes)} over ${formatDuration(report.durationSeconds)}` +
      (report.startTime ? ` (${report.startTime} to ${report.endTime})` : ""),
  );
  const malformedTotal = Object.values(report.malformed).reduce((a, b) => a + b, 0);
  if (malformedTotal > 0) {
    const reasons = Object.entries(report.malformed)
      .map(([reason, count]) => `${reason} ${count}`)
      .join(", ");
    lines.push(`  ${malformedTotal} malformed packets skipped (${reasons})`);
  }
  if (report.truncatedPackets > 0)
    lines.push(`  ${report.truncatedPackets} packets cut short by the capture's snap length`);
  const { byKernel, byInterface, byHeimdal } = report.dropped;
  if (byKernel + byInterface + byHeimdal > 0) {
    lines.push(
      `  ! capture dropped ${byKernel + byInterface + byHeimdal} packets (kernel ${byKernel}, interface ${byInterface}, heimdal ${byHeimdal})`,
    );
  }
  for (const problem of report.captureProblems) lines.push(`  ! ${problem.message}`);
  lines.push("", `Devices (${report.devices.length}):`);
  for (const device of report.devices.slice(0, 40)) {
    const name = device.hostname ?? (device.role === "gateway" ? "gateway" : "unnamed");
    const what = [
      device.type === "unknown" ? null : device.type,
      device.vendor ?? (device.randomizedMac ? "randomized MAC" : null),
    ]
      .filter(Boolean)
      .join(", ");
    lines.push(
      `  ${printable(name).slice(0, 28).padEnd(28)} ${device.mac}  ${(device.ips[0] ?? "-").padEnd(15)} ${printable(what).slice(0, 48)}${device.role === "device" ? "" : ` [${device.role}]`}`,
    );
  }
  if (report.devices.length > 40) lines.push(`  … and ${report.devices.length - 40} more`);
  const eventCounts = new Map<string, number>();
  for (const event of report.events) eventCounts.set(event.type, (eventCounts.get(event.type) ?? 0) + 1);
  if (eventCounts.size > 0) {
    lines.push(`Device events: ${[...eventCounts].map(([type, count]) => `${type} ${count}`).join(", ")}`);
  }
  if (report.alerts.length > 0) {
    lines.push("", `Alerts (${report.alerts.length}) in ${report.incidents.length} incidents:`);
    for (const incident of report.incidents.slice(0, 20)) {
      lines.push(`  [${incident.severity}] ${incident.mac ?? "network"} from ${incident.start}`);
      for (const entry of incident.timeline.slice(0, 6))
        lines.push(`    ${entry.time}  ${entry.type.padEnd(22)} ${printable(entry.description)}`);
      if (incident.timeline.length > 6) lines.push(`    … and ${incident.timeline.length - 6} more`);
    }
  }
  const protocols = Object.entries(report.flows.byProtocol)
    .map(([name, count]) => `${name} ${count}`)
    .join(", ");
  lines.push("", `Flows: ${report.flows.count}${protocols ? ` (${protocols})` : ""}`);
  if (report.flows.evicted > 0) lines.push(`  ${report.flows.evicted} flows evicted early: the flow table was full`);
  lines.push("Top talkers:");
  for (const talker of report.flows.topTalkers) {
    lines.push(`  ${talker.ip.padEnd(39)} ${formatBytes(talker.bytes).padStart(10)}  ${talker.flows} flows`);
  }
  return `${lines.join("\n")}\n`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** Names come from the network: show them as inert text, control characters escaped. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
