import type { DeviceMap, DeviceState } from "../discovery/device-map.js";
import type { DeviceEvent } from "../discovery/device-record.js";
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
}

/**
 * A streaming detector. Every hook is optional; all run synchronously in packet time. onPacket
 * is the hot path: constant work and no allocation for the packets a detector ignores.
 */
export interface Detector {
  readonly type: AlertType;
  /** A well-formed packet; `sender` is the source MAC's device (undefined for group or absent MACs). */
  onPacket?(p: DecodedPacket, data: Uint8Array, sender: DeviceState | undefined): void;
  /** A DNS message (port 53) sent by `sender`. */
  onDns?(message: DnsMessage, p: DecodedPacket, sender: DeviceState): void;
  /** A flow, or an active-timeout slice of one, ended. */
  onFlowEnd?(flow: FlowRecord): void;
  onDeviceEvent?(event: DeviceEvent): void;
  /** About once a second of packet time: windows close, evidence completes. */
  tick?(nowUs: number): void;
}

export type DetectorFactory = (context: DetectorContext) => Detector;
