import type { DeviceMap, DeviceState } from "../discovery/device-map.js";
import type { DeviceEvent } from "../discovery/device-record.js";
import type { FlowProgress } from "../flow/flow-progress.js";
import type { FlowRecord } from "../flow/flow-record.js";
import type { DecodedPacket } from "../packet/decoded-packet.js";
import type { DnsMessage } from "../packet/dns.js";
import type { ProfileEngine } from "../profile/profile-engine.js";
import type { AlertInput, AlertType } from "./alert.js";

/** What every detector is given at construction: read access to what Heimdal knows, and a way to raise alerts. */
export interface DetectorContext {
  devices: DeviceMap;
  profiles: ProfileEngine;
  raise(alert: AlertInput): void;
  /**
   * Sensitivity for a detector and device, 0..1 (default 0.5). Detectors turn it into their
   * thresholds monotonically: a higher sensitivity never raises fewer alerts on the same input.
   */
  sensitivity(type: AlertType, deviceId: string | null): number;
  /** MACs of the sensor itself (its own traffic and ARP interception are never suspicious). */
  isSensor(mac: number): boolean;
  /** Questions about live flows, for rare checks (they walk the flow table). */
  flows: FlowLookup;
}

/** What a detector may ask of the live flows. */
export interface FlowLookup {
  /** Latest packet time (µs) of a live flow in which `mac` used IPv4 address `ip4`, or -Infinity. */
  lastSeenWith(mac: number, ip4: number): number;
  /** Latest packet time (µs) of a live flow `mac` opened through next hop `via`, or -Infinity. */
  lastSeenVia(mac: number, via: number): number;
}

/**
 * Bytes a flow carried since it was last reported, with its two ends' devices looked up once
 * for every detector (undefined for group MACs and MACs never seen as a sender).
 */
export interface VolumeReport {
  flow: FlowProgress;
  /** The device of the flow's first packet's source MAC (A) and destination MAC (B). */
  deviceA: DeviceState | undefined;
  deviceB: DeviceState | undefined;
}

/**
 * A streaming detector. Every hook is optional; all run synchronously in packet time. onPacket
 * is the hot path: constant work and no allocation for the packets a detector ignores.
 */
export interface Detector {
  readonly type: AlertType;
  /** A well-formed packet; `sender` is the source MAC's device (undefined for group or absent MACs). */
  onPacket?(p: DecodedPacket, data: Uint8Array, sender: DeviceState | undefined): void;
  /**
   * An IP packet that opened a flow, or that travelled between other MACs than its flow's
   * first packet (its next hop changed). A subset of onPacket's packets, for detectors that
   * watch who answers for an address.
   */
  onNewPath?(p: DecodedPacket, data: Uint8Array, sender: DeviceState | undefined): void;
  /**
   * Volume: what each flow carried since its last report, about once a second of packet time
   * (at the tick, before tick()) and when it ends. Detectors of volume read this instead of
   * counting every packet: the flow table counts bytes anyway.
   */
  onVolume?(report: VolumeReport): void;
  /**
   * Whether volumes must come at least once a minute of packet time now (it counts minutes
   * with traffic); asked at every tick. Otherwise they come once enough bytes moved to matter
   * (VOLUME_REPORT_BYTES) or the hour changed: thresholds of megabytes need no report of every
   * second of a quiet network.
   */
  needsMinuteVolumes?(): boolean;
  /** A DNS message (port 53) sent by `sender`. */
  onDns?(message: DnsMessage, p: DecodedPacket, sender: DeviceState): void;
  /** A flow, or an active-timeout slice of one, ended. */
  onFlowEnd?(flow: FlowRecord): void;
  onDeviceEvent?(event: DeviceEvent): void;
  /** About once a second of packet time: windows close, evidence completes. */
  tick?(nowUs: number): void;
}

export type DetectorFactory = (context: DetectorContext) => Detector;
