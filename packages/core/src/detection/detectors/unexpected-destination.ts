import type { DeviceState } from "../../discovery/device-map.js";
import type { DeviceType } from "../../discovery/device-record.js";
import type { FlowRecord } from "../../flow/flow-record.js";
import type { Severity } from "../alert.js";
import type { Detector, DetectorContext } from "../detector.js";
import { DestinationPrevalence, describeNormal, historyDays, isJudgedDevice, isRemoteIp } from "./remote-peers.js";

/** Devices people browse with: a new website is their normal, so ordinary web traffic never counts. */
const BROWSING: ReadonlySet<DeviceType> = new Set(["phone", "tablet", "computer", "game_console", "tv", "unknown"]);
const WEB_PORTS: ReadonlySet<string> = new Set(["tcp/80", "tcp/443", "udp/443", "tcp/853", "tcp/8080"]);
/** Pool NTP servers rotate by design; their addresses are not destinations. */
const IGNORED_PORTS: ReadonlySet<string> = new Set(["udp/123"]);
/** Alerted (device, destination) pairs remembered; the sink's cooldown does the rest. */
const ALERTED_LIMIT = 16_384;
/** The baseline summary is recomputed this often per device (it walks the window). */
const SUMMARY_TTL_MS = 15 * 60_000;

/**
 * unexpected_destination: a device reaches a destination (registrable domain, or an address no
 * lookup named) outside its ready baseline and golden profiles. Weighted by how sure the baseline
 * is (nothing while it learns), by prevalence (what the rest of the home reaches is not unusual),
 * and by type: IoT devices talk to a fixed set of clouds, phones and computers browse.
 */
export function unexpectedDestinationDetector(context: DetectorContext): Detector {
  const prevalence = new DestinationPrevalence();
  const alerted = new Set<string>();
  const summaries = new Map<string, { atMs: number; ready: boolean; confidence: number }>();

  const readiness = (state: DeviceState, nowMs: number) => {
    const cached = summaries.get(state.id);
    if (cached && nowMs - cached.atMs < SUMMARY_TTL_MS && nowMs >= cached.atMs) return cached;
    const baseline = context.profiles.baseline(state.id);
    const summary = baseline?.summary(nowMs);
    // The flow being judged is not in the baseline yet, so a window full except for today is ready.
    const ready =
      summary !== undefined && (summary.state === "ready" || historyDays(baseline, nowMs) >= summary.windowDays - 1);
    const fresh = { atMs: nowMs, ready, confidence: summary?.confidence ?? 0 };
    summaries.set(state.id, fresh);
    return fresh;
  };

  return {
    type: "unexpected_destination",
    onFlowEnd(flow: FlowRecord) {
      if (flow.protocol !== 6 && flow.protocol !== 17) return;
      const state = flow.srcMac > 0 ? context.devices.get(flow.srcMac) : context.devices.stateForIp(flow.srcIp);
      if (!isJudgedDevice(state) || !state.addresses.has(flow.srcIp) || context.isSensor(state.mac)) return;
      if (!isRemoteIp(flow.dstIp)) return;
      const destination = context.profiles.destinationOf(flow.dstIp);
      prevalence.note(destination, state.id);
      const port = `${flow.protocol === 6 ? "tcp" : "udp"}/${flow.dstPort}`;
      if (IGNORED_PORTS.has(port)) return;
      const type = state.type.value;
      if (BROWSING.has(type) && WEB_PORTS.has(port)) return;
      const key = `${state.id}|${destination}`;
      if (alerted.has(key)) return;
      const nowMs = flow.lastSeenUs / 1000;
      const baseline = context.profiles.baseline(state.id);
      if (!baseline || baseline.knowsDestination(destination, nowMs)) return;
      const { ready, confidence } = readiness(state, nowMs);
      if (!ready) return;
      const sensitivity = context.sensitivity("unexpected_destination", state.id);
      const novelty = prevalence.weight(destination, state.id);
      const named = destination !== flow.dstIp;
      // Score: baseline confidence × novelty, a little lower for a named destination (the device
      // looked it up, as firmware does for a new cloud endpoint) than for a bare address.
      const score = confidence * novelty * (named ? 0.85 : 1) * (BROWSING.has(type) ? 0.6 : 1);
      const threshold = 0.75 - 0.5 * sensitivity;
      if (score < threshold) return;
      if (alerted.size >= ALERTED_LIMIT) alerted.clear();
      alerted.add(key);
      const severity: Severity = score >= 0.7 && !BROWSING.has(type) ? "medium" : "low";
      const others = prevalence.others(destination, state.id);
      const what = type === "unknown" ? "device" : type.replaceAll("_", "/");
      context.raise({
        type: "unexpected_destination",
        severity,
        confidence: Math.round(score * 100) / 100,
        deviceId: state.id,
        mac: null,
        time: Math.floor(nowMs),
        firstEvidence: Math.floor(flow.firstSeenUs / 1000),
        key,
        description: `This ${what} contacted ${destination}, somewhere it has never talked to before.`,
        normal: describeNormal(baseline, nowMs),
        observed: `${named ? destination : `The address ${destination}, which no lookup named,`} was reached on ${port} (${flow.bytesOut} bytes up, ${flow.bytesIn} down)${others > 0 ? `; ${others} other local device(s) reach it too` : "; no other local device reaches it"}.`,
        evidence: {
          destination,
          address: flow.dstIp,
          port,
          bytesUp: flow.bytesOut,
          bytesDown: flow.bytesIn,
          named,
          otherDevices: others,
          baselineConfidence: confidence,
        },
      });
    },
  };
}
