import type { DeviceState } from "../../discovery/device-map.js";
import type { VolumeReport } from "../detector.js";

/** Bytes of one device: what it sent (up) or what the gateway sent it (down), as of `atUs`. */
export type DeviceVolumeCounter = (state: DeviceState, bytes: number, up: boolean, atUs: number) => void;

/**
 * Splits a flow's new bytes between the local devices they belong to, as counting packet by
 * packet did: bytes a device sends are its upload (to the internet or the LAN), bytes the
 * gateway sends to a device are that device's download. The gateway, the sensor and group
 * MACs count for nobody.
 */
export function countDeviceVolume(report: VolumeReport, count: DeviceVolumeCounter): void {
  const { flow, deviceA: a, deviceB: b } = report;
  const at = flow.lastUs;
  if (flow.bytesAB > 0) {
    if (a?.role === "device") count(a, flow.bytesAB, true, at);
    else if (a?.role === "gateway" && b?.role === "device") count(b, flow.bytesAB, false, at);
  }
  if (flow.bytesBA > 0) {
    if (b?.role === "device") count(b, flow.bytesBA, true, at);
    else if (b?.role === "gateway" && a?.role === "device") count(a, flow.bytesBA, false, at);
  }
}
