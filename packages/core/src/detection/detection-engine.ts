import type { DeviceMap, DeviceState } from "../discovery/device-map.js";
import type { DeviceEvent } from "../discovery/device-record.js";
import type { FlowProgress } from "../flow/flow-progress.js";
import type { FlowRecord } from "../flow/flow-record.js";
import { formatMac } from "../packet/address.js";
import type { DecodedPacket } from "../packet/decoded-packet.js";
import type { DnsMessage } from "../packet/dns.js";
import type { ProfileEngine } from "../profile/profile-engine.js";
import type { Alert, AlertType } from "./alert.js";
import { AlertSink, type AlertSinkOptions, type Exclusion } from "./alert-sink.js";
import type { Detector, DetectorContext, DetectorFactory, FlowLookup, VolumeReport } from "./detector.js";
import { type EnforcementOptions, EnforcementPolicy } from "./enforcement.js";
import { type Incident, IncidentCorrelator } from "./incidents.js";

/** Sensitivity 0..1: per device overrides per detector overrides global (default 0.5). */
export interface SensitivityConfig {
  global?: number;
  detectors?: Partial<Record<AlertType, number>>;
  devices?: Record<string, number>;
}

export interface DetectionOptions extends AlertSinkOptions {
  detectors: readonly DetectorFactory[];
  sensitivity?: SensitivityConfig;
  /** Alerts of a device within this long form one incident (default 30 min). */
  incidentWindowSeconds?: number;
  sensorMacs?: readonly number[];
  /** Automatic quarantine of critical incidents: off unless given and enabled. */
  enforcement?: EnforcementOptions;
  /** The live flows, for detectors' rare questions (the pipeline gives its flow table). */
  flows?: FlowLookup;
}

/**
 * Bytes the network moves between two volume reports at most, unless a minute or an hour
 * passes first: far below any volume threshold (megabytes), so a crossing is seen within
 * these bytes of it, and a second of packet time at any rate above them per second.
 */
export const VOLUME_REPORT_BYTES = 64 * 1024;

/** Without a flow table, no live flow is known. */
const NO_FLOWS: FlowLookup = {
  lastSeenWith: () => Number.NEGATIVE_INFINITY,
  lastSeenVia: () => Number.NEGATIVE_INFINITY,
};

/**
 * Runs the detectors on the pipeline's stream and turns what they raise into deduplicated
 * alerts and per-device incidents. Hooks are prebound per kind, so a packet costs only the
 * detectors that look at packets.
 */
export class DetectionEngine {
  readonly sink: AlertSink;
  readonly incidents: IncidentCorrelator;
  readonly enforcement: EnforcementPolicy | undefined;
  private readonly packetDetectors: Detector[];
  private readonly pathDetectors: Detector[];
  private readonly volumeDetectors: Detector[];
  private readonly minuteDetectors: Detector[];
  private readonly devices: DeviceMap;
  private readonly volume: VolumeReport;
  private readonly dnsDetectors: Detector[];
  private readonly flowDetectors: Detector[];
  private readonly eventDetectors: Detector[];
  private readonly tickDetectors: Detector[];
  /** Learning phase: detectors still learn, but nothing they raise is kept. */
  private muted = false;
  private sensitivity: SensitivityConfig;

  constructor(devices: DeviceMap, profiles: ProfileEngine, options: DetectionOptions) {
    this.devices = devices;
    this.sink = new AlertSink(options);
    this.incidents = new IncidentCorrelator(options.incidentWindowSeconds);
    this.enforcement = options.enforcement ? new EnforcementPolicy(options.enforcement) : undefined;
    this.sink.onAlert((alert) => {
      const incident = this.incidents.add(alert);
      this.enforcement?.consider(incident);
    });
    const sensors = new Set(options.sensorMacs ?? []);
    this.sensitivity = options.sensitivity ?? {};
    const context: DetectorContext = {
      devices,
      profiles,
      raise: (alert) => {
        if (this.muted) return;
        // Detectors that know the device by id leave its MAC to us: alerts always name both.
        if (alert.mac === null && alert.deviceId !== null) {
          const state = devices.findById(alert.deviceId);
          if (state) alert = { ...alert, mac: formatMac(state.mac) };
        }
        this.sink.raise(alert);
      },
      // Read at every decision, so a change (setSensitivity) applies to the next one.
      sensitivity: (type, deviceId) =>
        clamp(
          (deviceId !== null ? this.sensitivity.devices?.[deviceId] : undefined) ??
            this.sensitivity.detectors?.[type] ??
            this.sensitivity.global ??
            0.5,
        ),
      isSensor: (mac) => sensors.has(mac),
      flows: options.flows ?? NO_FLOWS,
    };
    const detectors = options.detectors.map((create) => create(context));
    this.packetDetectors = detectors.filter((d) => d.onPacket);
    this.pathDetectors = detectors.filter((d) => d.onNewPath);
    this.volumeDetectors = detectors.filter((d) => d.onVolume);
    this.minuteDetectors = detectors.filter((d) => d.onVolume && d.needsMinuteVolumes);
    this.volume = { flow: undefined as unknown as FlowProgress, deviceA: undefined, deviceB: undefined };
    this.dnsDetectors = detectors.filter((d) => d.onDns);
    this.flowDetectors = detectors.filter((d) => d.onFlowEnd);
    this.eventDetectors = detectors.filter((d) => d.onDeviceEvent);
    this.tickDetectors = detectors.filter((d) => d.tick);
  }

  /** Sensitivity changed while the sensor runs: detectors use it from their next decision. */
  setSensitivity(sensitivity: SensitivityConfig): void {
    this.sensitivity = sensitivity;
  }

  /** Exclusions and mutes changed while the sensor runs: they apply to the next alert. */
  setExclusions(exclusions: readonly Exclusion[]): void {
    this.sink.setExclusions(exclusions);
  }

  /** While muted (learn files), detectors build their state but raise nothing. */
  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  onPacket(p: DecodedPacket, data: Uint8Array, sender: DeviceState | undefined): void {
    const detectors = this.packetDetectors;
    for (let i = 0; i < detectors.length; i++) detectors[i]!.onPacket!(p, data, sender);
  }

  onNewPath(p: DecodedPacket, data: Uint8Array, sender: DeviceState | undefined): void {
    const detectors = this.pathDetectors;
    for (let i = 0; i < detectors.length; i++) detectors[i]!.onNewPath!(p, data, sender);
  }

  /** Whether any detector reads volumes (else the pipeline need not report flows' progress). */
  get wantsVolume(): boolean {
    return this.volumeDetectors.length > 0;
  }

  /** Whether volumes must be reported every minute of packet time now, not only every VOLUME_REPORT_BYTES. */
  needsMinuteVolumes(): boolean {
    const detectors = this.minuteDetectors;
    for (let i = 0; i < detectors.length; i++) if (detectors[i]!.needsMinuteVolumes!()) return true;
    return false;
  }

  /** A flow's bytes since its last report: its ends' devices are looked up once for all detectors. */
  onFlowProgress(flow: FlowProgress): void {
    const detectors = this.volumeDetectors;
    if (detectors.length === 0) return;
    const report = this.volume;
    report.flow = flow;
    report.deviceA = flow.macA > 0 ? this.devices.get(flow.macA) : undefined;
    report.deviceB = flow.macB > 0 ? this.devices.get(flow.macB) : undefined;
    for (let i = 0; i < detectors.length; i++) detectors[i]!.onVolume!(report);
  }

  onDns(message: DnsMessage, p: DecodedPacket, sender: DeviceState): void {
    for (const d of this.dnsDetectors) d.onDns!(message, p, sender);
  }

  onFlowEnd(flow: FlowRecord): void {
    for (const d of this.flowDetectors) d.onFlowEnd!(flow);
  }

  onDeviceEvent(event: DeviceEvent): void {
    for (const d of this.eventDetectors) d.onDeviceEvent!(event);
  }

  tick(nowUs: number): void {
    for (const d of this.tickDetectors) d.tick!(nowUs);
  }

  alerts(): readonly Alert[] {
    return this.sink.all();
  }

  allIncidents(): readonly Incident[] {
    return this.incidents.all();
  }

  /**
   * Lets a long-running sensor keep in memory only what may still change: alerts among the
   * first `storedAlerts` that no repeat can reach, and incidents that closed. Returns the
   * alerts forgotten.
   */
  forgetSettled(nowMs: number, storedAlerts: number): Alert[] {
    this.incidents.forgetClosed(nowMs);
    return this.sink.forgetSettled(nowMs, storedAlerts);
  }
}

function clamp(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0.5;
}
