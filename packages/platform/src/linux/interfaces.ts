import { CaptureUnavailableError, type NetworkInterfaceInfo } from "@heimdal/core";
import { loadNativeBinding } from "../native-binding.js";

/** The interfaces libpcap can open in this network namespace, with their IP addresses. */
export function listInterfaces(): NetworkInterfaceInfo[] {
  const binding = loadNativeBinding();
  let found: ReturnType<typeof binding.listInterfaces>;
  try {
    found = binding.listInterfaces();
  } catch (error) {
    throw new CaptureUnavailableError((error as Error).message, { cause: error });
  }
  return found.map((device) => {
    const info: NetworkInterfaceInfo = {
      name: device.name,
      addresses: device.addresses,
      up: device.up,
      loopback: device.loopback,
    };
    if (device.description !== undefined) info.description = device.description;
    return info;
  });
}
