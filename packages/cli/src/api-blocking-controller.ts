import { type BlockRule, type DeviceRecord, expiryFrom, validateBlockMac, validateDestination } from "@heimdal/core";
import type { Block, BlockingController, BlockRequest } from "@heimdal/server";
import { type BlockingService, newBlockId, resolveDomain } from "./blocking-service.js";

/**
 * The API's blocking endpoints on the sensor's firewall: requests name devices by id, rules
 * by MAC and addresses, so devices are looked up in the sensor's database both ways.
 */
export class ApiBlockingController implements BlockingController {
  constructor(
    private readonly service: BlockingService,
    private readonly devices: () => readonly DeviceRecord[],
  ) {}

  async block(request: BlockRequest): Promise<Block> {
    const now = Date.now();
    const seconds = request.expiresAt === null ? null : Math.max(1, Math.ceil((request.expiresAt - now) / 1000));
    const common = {
      id: newBlockId(),
      decidedBy: request.decidedBy,
      reason: request.reason,
      createdAt: new Date(now).toISOString(),
      expiresAt: expiryFrom(now, seconds, "expires"),
    };
    const { target } = request;
    const device = target.deviceId === undefined ? undefined : this.#device(target.deviceId);
    let rule: BlockRule;
    if (target.kind === "device") {
      rule = {
        kind: "device",
        mac: validateBlockMac(device!.mac, "target.deviceId"),
        ips: device!.addresses.map((a) => a.ip).filter((ip) => ip.includes(".")),
        ...common,
      };
    } else {
      const destination = validateDestination(target.destination, "target.destination");
      rule = {
        kind: "destination",
        destination: destination.value,
        resolved: destination.kind === "domain" ? await resolveDomain(destination.value) : [],
        mac: device ? validateBlockMac(device.mac, "target.deviceId") : null,
        ...common,
      };
    }
    await this.service.add(rule);
    return this.#toBlock(rule);
  }

  async unblock(id: string): Promise<boolean> {
    return (await this.service.remove((rule) => rule.id === id)).length > 0;
  }

  async list(): Promise<Block[]> {
    return this.service
      .list()
      .filter((rule) => rule.active)
      .map((rule) => this.#toBlock(rule));
  }

  #device(id: string): DeviceRecord {
    const device = this.devices().find((d) => d.id === id);
    if (!device) throw new Error(`target.deviceId: no device "${id}"`);
    return device;
  }

  #toBlock(rule: BlockRule): Block {
    const deviceId = rule.mac === null ? undefined : this.devices().find((d) => d.macs.includes(rule.mac!))?.id;
    const target: BlockRequest["target"] =
      rule.kind === "device"
        ? { kind: "device", deviceId: deviceId ?? `mac:${rule.mac}` }
        : { kind: "destination", destination: rule.destination, ...(deviceId !== undefined && { deviceId }) };
    return {
      id: rule.id,
      target,
      expiresAt: rule.expiresAt === null ? null : Date.parse(rule.expiresAt),
      decidedBy: rule.decidedBy,
      reason: rule.reason,
      createdAt: Date.parse(rule.createdAt),
    };
  }
}
