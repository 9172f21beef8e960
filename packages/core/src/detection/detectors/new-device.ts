import { parseMac } from "../../packet/address.js";
import type { Detector, DetectorContext } from "../detector.js";

/**
 * new_device: a MAC never seen before joined the network. Device discovery already links
 * randomized MACs to known identities, so only truly unknown devices arrive here. Low
 * severity: new devices are usually welcome (a guest's phone), but a person should know.
 */
export function newDeviceDetector(context: DetectorContext): Detector {
  return {
    type: "new_device",
    onDeviceEvent(event) {
      if (event.type !== "device_new") return;
      const mac = parseMac(event.mac);
      if (mac !== undefined && context.isSensor(mac)) return;
      const state = mac === undefined ? undefined : context.devices.get(mac);
      if (state?.role === "sensor") return;
      const name = [...(state?.hostnames.values() ?? [])][0]?.name;
      const vendor =
        state?.vendor ??
        (state && (Math.floor(state.mac / 1099511627776) & 2) !== 0 ? "a randomized MAC" : "an unregistered vendor");
      const what = state && state.type.value !== "unknown" ? state.type.value.replaceAll("_", "/") : "device";
      context.raise({
        type: "new_device",
        severity: state?.role === "gateway" ? "info" : "low",
        confidence: 0.9,
        deviceId: event.deviceId,
        mac: event.mac,
        time: event.time,
        firstEvidence: event.time,
        key: event.mac,
        description: `A new ${what}${name ? ` named "${name}"` : ""} from ${vendor} joined the network.`,
        normal: "This MAC address was never seen on this network before.",
        observed: `First packet at ${new Date(event.time).toISOString()}${state && state.addresses.size > 0 ? ` using ${[...state.addresses.keys()].join(", ")}` : ""}.`,
        evidence: {
          mac: event.mac,
          hostname: name ?? null,
          vendor: state?.vendor ?? null,
          type: state?.type.value ?? "unknown",
          addresses: state ? [...state.addresses.keys()] : [],
        },
      });
    },
  };
}
