import {
  type DeviceState,
  isAskable,
  type NetworkInfo,
  type PacketPipeline,
  parseIpv4,
  planSweep,
} from "@heimdal/core";
import { UpnpDescriptionFetcher } from "./upnp-description-fetcher.js";

/**
 * The active scan's UPnP description fetches: the pipeline tells it of each LOCATION a device
 * announces (`onUpnpLocation`, given to the pipeline's options), and what a description says
 * goes to that pipeline's device map once `attach` has named it.
 */
export class ScanDescriptions {
  readonly fetcher: UpnpDescriptionFetcher;
  #pipeline: PacketPipeline | undefined;

  constructor(network: NetworkInfo) {
    const plan = planSweep(network);
    this.fetcher = new UpnpDescriptionFetcher({
      inSubnet: (ip) => {
        const n = parseIpv4(ip);
        return n !== undefined && isAskable(plan, n);
      },
      apply: (deviceId, description) => {
        const map = this.#pipeline?.deviceMap;
        const state = map?.findById(deviceId);
        if (map && state) map.addUpnpDescription(state, description, Date.now() * 1000);
      },
    });
  }

  readonly onUpnpLocation = (device: DeviceState, location: string, sourceIp: string): void =>
    this.fetcher.offer(device.id, location, sourceIp);

  attach(pipeline: PacketPipeline): void {
    this.#pipeline = pipeline;
  }
}
