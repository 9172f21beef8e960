import { formatMac } from "../packet/address.js";
import type { DeviceFingerprint, HostnameSighting } from "./device-record.js";

interface IdentityView {
  mac: number;
  macs: number[];
  hostnames: Map<string, HostnameSighting>;
  fingerprint: DeviceFingerprint;
}

/** Score at which a randomized MAC is taken to be an earlier device. */
export const LINK_THRESHOLD = 3;

/**
 * Names that many devices share say nothing about which device this is; they never link
 * two records on their own.
 */
const GENERIC_NAMES =
  /^(localhost|android|iphone|ipad|macbook(-pro|-air)?|galaxy|unknown|espressif|esp[_-]?[0-9a-f]*|host|device|client|wlan\d*|user)$/i;

/**
 * How strongly two records look like the same physical device, from identity evidence that
 * survives a MAC change: hostnames and mDNS names (2 each), a DHCPv6 DUID or a DHCP client id
 * that does not embed the MAC (3), the DHCP parameter list and vendor class (1 each). A link
 * also needs one strong signal, so a shared OS fingerprint alone never merges two phones.
 */
export function identityMatchScore(a: IdentityView, b: IdentityView): number {
  let score = 0;
  let strong = false;
  const namesA = names(a);
  for (const name of names(b)) {
    if (namesA.has(name)) {
      score += 2;
      strong = true;
      break;
    }
  }
  const fa = a.fingerprint;
  const fb = b.fingerprint;
  for (const name of fb.mdnsNames) {
    if (fa.mdnsNames.includes(name)) {
      score += 2;
      strong = true;
      break;
    }
  }
  if (fa.dhcpv6Duid && fa.dhcpv6Duid === fb.dhcpv6Duid) {
    score += 3;
    strong = true;
  }
  if (
    fa.dhcpClientId &&
    fa.dhcpClientId === fb.dhcpClientId &&
    !embedsMac(fa.dhcpClientId, a) &&
    !embedsMac(fb.dhcpClientId, b)
  ) {
    score += 3;
    strong = true;
  }
  if (fa.dhcpParameterList && fa.dhcpParameterList === fb.dhcpParameterList) score += 1;
  if (fa.dhcpVendorClass && fa.dhcpVendorClass === fb.dhcpVendorClass) score += 1;
  return strong ? score : 0;
}

function names(view: IdentityView): Set<string> {
  const result = new Set<string>();
  for (const sighting of view.hostnames.values()) {
    const name = sighting.name.toLowerCase();
    if (!GENERIC_NAMES.test(name)) result.add(name);
  }
  return result;
}

/** DHCP client ids of type 1 are the hardware address: they change with the MAC. */
function embedsMac(clientId: string, view: IdentityView): boolean {
  const id = clientId.toLowerCase();
  return view.macs.some((mac) => id.includes(formatMac(mac).replaceAll(":", "")));
}
