import type { DeviceState } from "../../discovery/device-map.js";
import { bestHostname } from "../../discovery/device-map.js";
import { formatMac, isLocallyAdministeredMac, parseMac } from "../../packet/address.js";
import type { Detector, DetectorContext } from "../detector.js";

/**
 * mac_change: a known device (same address and same identity: DHCP hostname, DHCP client id
 * or DHCP fingerprint) shows up behind a different MAC.
 *
 * Decisions:
 * - A randomized ("private") MAC that the device map linked to a known identity (a
 *   device_changed event with a `mac` change) is what phones do by design: an "info" alert,
 *   so the rotation is visible in the device's timeline but never counts as a problem.
 * - A new, unlinked MAC that takes over a known device's address and identity is reported:
 *   "medium" when the old MAC was silent for a while (a replaced network card, a cloned MAC
 *   on a new router), "high" when the old MAC was active within CONCURRENT_US (two machines
 *   with one identity at once: cloning to impersonate it).
 * - The same address given to a device with a different identity is an ordinary DHCP
 *   reassignment: no alert.
 */

const CONCURRENT_US = 300e6;

interface Owner {
  state: DeviceState;
  mac: number;
}

export function macChangeDetector(context: DetectorContext): Detector {
  /** Address → the device and MAC that last owned it, as announced in device events. */
  const owners = new Map<string, Owner>();

  function remember(state: DeviceState): void {
    for (const ip of state.addresses.keys()) owners.set(ip, { state, mac: state.mac });
  }

  function sameIdentity(a: DeviceState, b: DeviceState): string | null {
    const ha = bestHostname(a);
    if (ha !== null && ha.toLowerCase() === bestHostname(b)?.toLowerCase()) return `hostname "${ha}"`;
    const fa = a.fingerprint;
    const fb = b.fingerprint;
    if (fa.dhcpClientId !== undefined && fa.dhcpClientId === fb.dhcpClientId) return "DHCP client id";
    if (
      fa.dhcpParameterList !== undefined &&
      fa.dhcpVendorClass !== undefined &&
      fa.dhcpParameterList === fb.dhcpParameterList &&
      fa.dhcpVendorClass === fb.dhcpVendorClass
    )
      return "DHCP fingerprint";
    return null;
  }

  return {
    type: "mac_change",
    onDeviceEvent(event) {
      const mac = parseMac(event.mac);
      if (mac === undefined || context.isSensor(mac)) return;
      const state = context.devices.get(mac);
      if (!state || state.role === "sensor") return;
      if (event.type === "device_changed") {
        const change = event.changes?.find((c) => c.field === "mac");
        if (change && isLocallyAdministeredMac(mac)) {
          const name = bestHostname(state);
          context.raise({
            type: "mac_change",
            severity: "info",
            confidence: 0.9,
            deviceId: event.deviceId,
            mac: event.mac,
            time: event.time,
            firstEvidence: Math.floor(state.firstSeenUs / 1000),
            key: `${event.deviceId}|${event.mac}`,
            description: `${name ? `"${name}"` : "A known device"} switched to a new private (randomized) MAC address, as phones and laptops do to protect privacy.`,
            normal: `This device used ${change.from ?? "another MAC"} before.`,
            observed: `The same device identity now uses ${change.to ?? event.mac}.`,
            evidence: { from: change.from, to: change.to, randomized: true },
          });
        }
        remember(state);
        return;
      }
      if (event.type !== "device_new") {
        if (event.type === "device_online") remember(state);
        return;
      }
      for (const ip of state.addresses.keys()) {
        const owner = owners.get(ip);
        if (!owner || owner.state === state || owner.mac === mac || context.isSensor(owner.mac)) continue;
        const matched = sameIdentity(owner.state, state);
        if (matched === null) continue;
        const concurrent = state.firstSeenUs - owner.state.lastSeenUs <= CONCURRENT_US;
        const name = bestHostname(state) ?? ip;
        context.raise({
          type: "mac_change",
          severity: concurrent ? "high" : "medium",
          confidence: concurrent ? 0.8 : 0.6,
          deviceId: state.id,
          mac: event.mac,
          time: event.time,
          firstEvidence: Math.floor(state.firstSeenUs / 1000),
          key: `${ip}|${event.mac}`,
          description: concurrent
            ? `"${name}" appeared with a second MAC address (${event.mac}) while the original was still active: another machine may be impersonating it.`
            : `"${name}" came back with a different MAC address (${event.mac}): a replaced network card, or another machine copying its identity.`,
          normal: `${ip} with ${matched} belonged to ${formatMac(owner.mac)}.`,
          observed: `${event.mac} now uses ${ip} with the same ${matched}.`,
          evidence: {
            destination: ip,
            previousMac: formatMac(owner.mac),
            newMac: event.mac,
            matchedBy: matched,
            concurrent,
            silenceSeconds: Math.max(0, Math.round((state.firstSeenUs - owner.state.lastSeenUs) / 1e6)),
          },
        });
        break;
      }
      remember(state);
    },
  };
}
