import { CaptureUnavailableError } from "@heimdal/core";
import { nativeErrorCode } from "../native-binding.js";
import { capturePermissionError } from "./capture-permission.js";

/**
 * Turns an error thrown by the binding into the error callers handle: PermissionDeniedError
 * when a capability is missing, CaptureUnavailableError when the interface cannot be used
 * (missing, down, gone). A bad filter or option stays a plain Error: retrying cannot fix it.
 */
export function toCaptureError(error: unknown, context: { interfaceName: string; promiscuous: boolean }): Error {
  const code = nativeErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "ERR_PCAP_PERM_DENIED":
    case "ERR_PCAP_PROMISC_PERM_DENIED": {
      const detail = (error as { detail?: unknown }).detail;
      return capturePermissionError(context.interfaceName, {
        promiscuous: context.promiscuous,
        detail: typeof detail === "string" ? detail : message,
      });
    }
    case "ERR_PCAP_NO_SUCH_DEVICE":
    case "ERR_PCAP_IFACE_NOT_UP":
    case "ERR_PCAP_CLOSED":
    case "ERR_PCAP":
      return new CaptureUnavailableError(message, { cause: error });
    default:
      return error instanceof Error ? error : new Error(message);
  }
}
