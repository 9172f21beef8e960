export { CommandError, type CommandRunner, execFileRunner } from "./command-runner.js";
export { OuiVendorLookup, ouiVendors } from "./data/oui-vendors.js";
export { CaptureFileProvider, NodeFileSource } from "./file/index.js";
export { BlockStore } from "./linux/block-store.js";
export { type LibpcapCaptureOptions, LibpcapCaptureProvider } from "./linux/capture.js";
export {
  type CaptureCapabilities,
  captureCapabilities,
  capturePermissionError,
  GRANT_CAPTURE_COMMAND,
} from "./linux/capture-permission.js";
export { readJson, removeFile, writeJsonAtomic } from "./linux/file-journal.js";
export { LibpcapInjector } from "./linux/injector.js";
export { type LinuxGuardOptions, LinuxInterceptionGuard } from "./linux/interception-guard.js";
export { listInterfaces } from "./linux/interfaces.js";
export {
  ForwardingSetupError,
  type ForwardingState,
  prepareForwarding,
  readForwardingState,
} from "./linux/ip-forwarding.js";
export {
  detectNetwork as detectLinuxNetwork,
  type Neighbour,
  type NetconfigSources,
  readNeighbours,
  systemSources,
} from "./linux/netconfig.js";
export { FirewallError, NFT_TABLE, NftablesFirewall } from "./linux/nftables-firewall.js";
export { FileSpoofJournal } from "./linux/spoof-journal-file.js";
export { NATIVE_BINDING_PATH } from "./native-binding.js";
export { type DetectNetworkOptions, detectNetwork, NETWORK_DETECTION_PLATFORMS } from "./netconfig.js";
export * from "./storage/index.js";
