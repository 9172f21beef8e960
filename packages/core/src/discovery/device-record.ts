/** What Heimdal knows about one device: the shape reports, storage and the dashboard use. */

export const DEVICE_TYPES = [
  "phone",
  "tablet",
  "computer",
  "tv",
  "speaker",
  "camera",
  "doorbell_lock",
  "plug_switch_bulb",
  "sensor_hub",
  "printer",
  "game_console",
  "nas",
  "router",
  "wearable_scale",
  "appliance",
  "unknown",
] as const;

export type DeviceType = (typeof DEVICE_TYPES)[number];

/** Where a name came from; `ssdp` is the friendly name of the UPnP description its SSDP LOCATION points at. */
export type HostnameSource = "dhcp" | "dhcp_server" | "dhcpv6" | "mdns" | "ssdp" | "netbios" | "llmnr" | "dns_ptr";

export type DeviceRole = "device" | "gateway" | "sensor";

export interface AddressSighting {
  ip: string;
  /** Milliseconds since the epoch, packet time. */
  firstSeen: number;
  lastSeen: number;
}

export interface HostnameSighting {
  name: string;
  source: HostnameSource;
  firstSeen: number;
  lastSeen: number;
}

/** A conclusion (type, model, OS) with how sure we are and the rules that produced it. */
export interface Inference<T extends string = string> {
  value: T;
  confidence: number;
  /** Rule ids that fired, each with the evidence it matched ("oui:Philips Lighting BV"). */
  evidence: string[];
}

/** Identity evidence as seen on the wire; every list is bounded (newest kept). */
export interface DeviceFingerprint {
  dhcpParameterList?: string;
  dhcpVendorClass?: string;
  dhcpClientId?: string;
  dhcpv6Duid?: string;
  dhcpv6Enterprise?: number;
  mdnsServices: string[];
  mdnsNames: string[];
  mdnsModels: string[];
  ssdpServers: string[];
  userAgents: string[];
  ja4: string[];
  tlsServerNames: string[];
  dnsNames: string[];
  netbiosNames: string[];
  /**
   * UPnP device types the device announces over SSDP (NOTIFY NT, search-response ST, the type
   * part of USN), e.g. "urn:Belkin:device:bridge:1", and vendor targets outside the urn: scheme
   * ("roku:ecp"); not service types, and never the targets it searches for.
   */
  ssdpDeviceTypes: string[];
  /**
   * Ports the device answered on as a server, "tcp/10000" or "udp/48899": a TCP SYN+ACK from
   * its LAN address, or a UDP datagram from its LAN address and a port below 49152 that answers
   * one sent to that port first.
   */
  serverPorts: string[];
  /**
   * UDP ports the device sends broadcasts to (Ethernet broadcast), "udp/6667": the discovery
   * beacons of a platform (Tuya's LAN discovery) name it without anyone asking.
   */
  broadcastPorts: string[];
  /** Maker and model from the device's UPnP description, "Sonos, Inc. Sonos One" (active scan only). */
  upnpModels: string[];
  /** Server headers of HTTP responses the device sent from its LAN address (its own web server). */
  httpServers: string[];
}

export interface DeviceRecord {
  /** Stable id: survives address changes and randomized-MAC rotation. */
  id: string;
  /** The MAC most recently used. */
  mac: string;
  /** Every MAC linked to this device, oldest first. */
  macs: string[];
  /** The current MAC is locally administered (a randomized, "private" address). */
  randomizedMac: boolean;
  role: DeviceRole;
  addresses: AddressSighting[];
  hostnames: HostnameSighting[];
  /** Organisation that registered the OUI (IEEE registry), null when unregistered or randomized. */
  vendor: string | null;
  type: Inference<DeviceType>;
  model: Inference | null;
  os: Inference | null;
  fingerprint: DeviceFingerprint;
  firstSeen: number;
  lastSeen: number;
  online: boolean;
  packets: number;
  bytes: number;
}

export type DeviceEventType = "device_new" | "device_online" | "device_offline" | "device_changed";

export interface DeviceChange {
  field: "ip" | "hostname" | "type" | "mac" | "vendor";
  from: string | null;
  to: string | null;
}

export interface DeviceEvent {
  type: DeviceEventType;
  /** Milliseconds since the epoch, packet time. */
  time: number;
  deviceId: string;
  mac: string;
  /** For device_changed: what changed. */
  changes?: DeviceChange[];
}
