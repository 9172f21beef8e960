export { OuiVendorLookup, ouiVendors } from "./data/oui-vendors.js";
export { CaptureFileProvider, NodeFileSource } from "./file/index.js";
export { type LibpcapCaptureOptions, LibpcapCaptureProvider } from "./linux/capture.js";
export {
  type CaptureCapabilities,
  captureCapabilities,
  capturePermissionError,
  GRANT_CAPTURE_COMMAND,
} from "./linux/capture-permission.js";
export { LibpcapInjector } from "./linux/injector.js";
export { listInterfaces } from "./linux/interfaces.js";
export { detectNetwork, type NetconfigSources, systemSources } from "./linux/netconfig.js";
export { NATIVE_BINDING_PATH } from "./native-binding.js";
export * from "./storage/index.js";
