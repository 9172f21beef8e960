import type { DeviceType } from "../../discovery/device-record.js";
import type { FlowRecord } from "../../flow/flow-record.js";
import type { Severity } from "../alert.js";
import type { Detector, DetectorContext } from "../detector.js";
import { describeNormal, historyDays, isJudgedDevice, isRemoteIp } from "./remote-peers.js";

/** Remote-access and botnet ports a thing (not a computer) has no business using toward the internet. */
const RISKY_PORTS: ReadonlyMap<string, string> = new Map([
  ["tcp/23", "telnet"],
  ["tcp/2323", "telnet"],
  ["tcp/6667", "IRC"],
  ["tcp/3389", "remote desktop"],
  ["tcp/5900", "VNC"],
  ["tcp/445", "Windows file sharing"],
]);
/** Devices that are things: a fixed firmware with a fixed set of services. */
const THINGS: ReadonlySet<DeviceType> = new Set([
  "tv",
  "speaker",
  "camera",
  "doorbell_lock",
  "plug_switch_bulb",
  "sensor_hub",
  "printer",
  "wearable_scale",
  "appliance",
]);
/** UDP ports from here up are ephemeral: P2P, games and WebRTC pick them at random (DETECTION.md trap). */
const EPHEMERAL_UDP = 32_768;
const ALERTED_LIMIT = 16_384;

/**
 * unusual_port: a device opens a connection to the internet on a service port its ready
 * baseline never used, or on one its type should never use (telnet, IRC, RDP, VNC, SMB from a
 * TV, plug, camera or lock). LAN traffic (DNS to the gateway, discovery) is not judged.
 */
export function unusualPortDetector(context: DetectorContext): Detector {
  const alerted = new Set<string>();
  return {
    type: "unusual_port",
    onFlowEnd(flow: FlowRecord) {
      if (flow.protocol !== 6 && flow.protocol !== 17) return;
      if (flow.protocol === 17 && flow.dstPort >= EPHEMERAL_UDP) return;
      const state = flow.srcMac > 0 ? context.devices.get(flow.srcMac) : context.devices.stateForIp(flow.srcIp);
      if (!isJudgedDevice(state) || !state.addresses.has(flow.srcIp) || context.isSensor(state.mac)) return;
      if (!isRemoteIp(flow.dstIp)) return;
      const port = `${flow.protocol === 6 ? "tcp" : "udp"}/${flow.dstPort}`;
      const key = `${state.id}|${port}`;
      if (alerted.has(key)) return;
      const nowMs = flow.lastSeenUs / 1000;
      const baseline = context.profiles.baseline(state.id);
      const type = state.type.value;
      const thing = THINGS.has(type);
      const risky = thing ? RISKY_PORTS.get(port) : undefined;
      const history = historyDays(baseline, nowMs);
      const usedBefore =
        baseline !== undefined &&
        (baseline.golden.some((g) => g.ports.includes(port)) ||
          baseline.windowDays(nowMs).some((d) => d.day < Math.floor(nowMs / 86_400_000) && port in d.ports));
      if (usedBefore) return;
      const sensitivity = context.sensitivity("unusual_port", state.id);
      let severity: Severity;
      let confidence: number;
      if (risky !== undefined) {
        severity = port === "tcp/23" || port === "tcp/2323" ? "high" : "medium";
        confidence = 0.8;
      } else {
        // A new port only counts once the baseline has most of a week behind it.
        const needed = Math.round(6 - 4 * sensitivity);
        if (history < needed) return;
        confidence = Math.round((1 - Math.exp(-history / 3)) * (thing ? 0.9 : 0.5) * 100) / 100;
        severity = thing && flow.protocol === 6 && flow.packetsIn > 0 ? "medium" : "low";
      }
      if (alerted.size >= ALERTED_LIMIT) alerted.clear();
      alerted.add(key);
      const what = type === "unknown" ? "device" : type.replaceAll("_", "/");
      const destination = context.profiles.destinationOf(flow.dstIp);
      context.raise({
        type: "unusual_port",
        severity,
        confidence,
        deviceId: state.id,
        mac: null,
        time: Math.floor(nowMs),
        firstEvidence: Math.floor(flow.firstSeenUs / 1000),
        key,
        description:
          risky !== undefined
            ? `This ${what} used ${risky} (${port}) to reach the internet, which such devices never need and malware often does.`
            : `This ${what} used a network service (${port}) it has never used before.`,
        normal: `${describeNormal(baseline, nowMs)}${
          baseline
            ? ` Usual ports: ${
                baseline
                  .summary(nowMs)
                  .usualPorts.map((p) => p.port)
                  .join(", ") || "none"
              }.`
            : ""
        }`,
        observed: `A connection to ${destination} on ${port} (${flow.packetsOut} packets out, ${flow.packetsIn} back).`,
        evidence: {
          destination,
          address: flow.dstIp,
          port,
          packetsOut: flow.packetsOut,
          packetsIn: flow.packetsIn,
          bytesUp: flow.bytesOut,
          risky: risky ?? null,
          historyDays: history,
        },
      });
    },
  };
}
