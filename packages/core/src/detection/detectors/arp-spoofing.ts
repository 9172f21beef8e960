import type { FlowRecord } from "../../flow/flow-record.js";
import { formatIpv4, formatMac, isGroupMac, isPrivateIpv4, parseIpv4 } from "../../packet/address.js";
import type { DecodedPacket } from "../../packet/decoded-packet.js";
import type { Detector, DetectorContext } from "../detector.js";
import { PairCache } from "./pair-cache.js";

/**
 * arp_spoofing: a MAC claims, in ARP, an address another MAC is using at the same time, or
 * claims an address and the neighbours' internet traffic then moves to it (the man in the
 * middle now forwards it).
 *
 * Two pieces of evidence, each enough on its own:
 * 1. Concurrent conflict: MAC M announces IP X in ARP while MAC N announced X in ARP and was
 *    still active on X (ARP or IP packets from X) within CONCURRENT_US. An address that moved
 *    after its old owner fell silent is a DHCP reassignment, not a conflict; a MAC that only
 *    ever sends IP from X and never announces it (slips/test7: macOS Internet Sharing sends
 *    as 192.168.2.1 from a second MAC) does not conflict. Severity critical when N is a
 *    router (a next hop of other devices' internet traffic), else high.
 * 2. Traffic moved: a device whose internet traffic went through router G now sends it to M,
 *    while G was in use moments before and M announced an address it had not announced
 *    before within CLAIM_MEMORY_US (chrissanders/arppoison: the gateway's real MAC never
 *    appears in ARP, so only this catches it). Critical: the victim's traffic is intercepted.
 *
 * Gratuitous ARP of one's own address is one MAC and one address: never a conflict. The
 * sensor's own interception (isSensor) is never reported.
 *
 * Cost: it reads ARP frames, and of IP traffic only the packets that open a flow or change
 * their flow's MACs (onNewPath): the others cannot change who answers for an address. How
 * recently an owner used its address, or a router carried a victim's traffic, is asked of
 * the live flows when a claim makes it matter, and refreshed from flows as they end.
 */

/** Both owners active on the address within this long: a conflict, not a hand-over. */
const CONCURRENT_US = 60e6;
/** A claim stays suspicious this long, waiting for traffic to move to the claimant. */
const CLAIM_MEMORY_US = 60e6;
/** The previous router must have carried the victim's traffic this recently. */
const PREVIOUS_HOP_RECENT_US = 60e6;
const MAX_BINDINGS = 4096;
const MAX_HOPS = 4096;
const MAX_CLAIMS = 256;

interface Binding {
  mac: number;
  /** Last ARP announcement or IP packet from this MAC with this address. */
  lastUs: number;
  firstUs: number;
}

interface Hop {
  mac: number;
  lastUs: number;
}

interface Claim {
  ip: number;
  us: number;
  /** The MAC that held the address before, if any. */
  previous: number;
  victimIp: number;
}

export function arpSpoofingDetector(context: DetectorContext): Detector {
  const bindings = new Map<number, Binding>();
  /** Victim MAC → the MAC its internet-bound packets go to. */
  const hops = new Map<number, Hop>();
  /** MACs of routers: next hops of some device's internet traffic. */
  const routers = new Set<number>();
  const claims = new Map<number, Claim>();
  /** Addresses each MAC announced in ARP (a few per MAC): a spoofer holds its own and the router's. */
  const announced = new Map<number, number[]>();
  let dropped = 0;
  /**
   * Bindings and hops found before, direct-mapped: every IPv4 packet looks both up, and
   * addresses above 2^31 and 48-bit MACs are keys Map hashes slowly. Neither map ever drops
   * or replaces an entry, so what the caches remember stays the maps'.
   */
  const knownBindings = new PairCache<Binding>(256);
  const knownHops = new PairCache<Hop>(256);

  function sensitivityFactor(mac: number): number {
    // Sensitivity shortens or lengthens how concurrent two owners must be (30 s at 0 … 120 s at 1).
    const s = context.sensitivity("arp_spoofing", context.devices.get(mac)?.id ?? null);
    return 0.5 + 1.5 * s;
  }

  function arp(p: DecodedPacket): void {
    const ip = p.arpSenderIp;
    const mac = p.arpSenderMac;
    if (ip === 0 || !isPrivateIpv4(ip) || isGroupMac(mac) || mac === 0) return;
    const now = p.timestampUs;
    const binding = bindings.get(ip);
    if (binding === undefined) {
      if (bindings.size >= MAX_BINDINGS) {
        dropped++;
        return;
      }
      bindings.set(ip, { mac, lastUs: now, firstUs: now });
      noteClaim(mac, ip, -1, p);
      return;
    }
    if (binding.mac === mac) {
      binding.lastUs = now;
      return;
    }
    const previous = binding.mac;
    const windowUs = CONCURRENT_US * sensitivityFactor(mac);
    // The owner's IP traffic since its last ARP is in the live flows: asked only now.
    const concurrent = now - binding.lastUs <= windowUs || now - context.flows.lastSeenWith(previous, ip) <= windowUs;
    const sameDevice =
      context.devices.get(mac) !== undefined && context.devices.get(mac) === context.devices.get(previous);
    if (concurrent && !sameDevice && !context.isSensor(mac)) {
      raise(mac, ip, previous, now, binding.lastUs, "conflict", null);
    }
    // Either way the address now answers at the new MAC (a hand-over, or a poisoned cache).
    binding.mac = mac;
    binding.lastUs = now;
    binding.firstUs = now;
    noteClaim(mac, ip, previous, p);
  }

  function noteClaim(mac: number, ip: number, previous: number, p: DecodedPacket): void {
    if (context.isSensor(mac)) return;
    if (claims.size >= MAX_CLAIMS && !claims.has(mac)) {
      for (const [m, c] of claims) if (p.timestampUs - c.us > CLAIM_MEMORY_US) claims.delete(m);
      if (claims.size >= MAX_CLAIMS) return;
    }
    claims.set(mac, { ip, us: p.timestampUs, previous, victimIp: p.arpTargetIp });
    const own = announced.get(mac) ?? [];
    if (!own.includes(ip) && own.length < 4 && (announced.has(mac) || announced.size < MAX_CLAIMS)) {
      own.push(ip);
      announced.set(mac, own);
    }
  }

  /** The previous router announced an address of its own, other than the one now claimed. */
  function ownsOtherAddress(mac: number, ip: number): boolean {
    const own = announced.get(mac);
    return own !== undefined && own.length > 0 && !own.includes(ip);
  }

  /**
   * A claim that can take traffic away from a router: the address was someone else's before,
   * or the claimant also announces an address of its own in the same /24. A second router that
   * only ever announces its own address (two uplinks, a travel router) is not spoofing.
   */
  function claimsForeignAddress(mac: number, claim: Claim): boolean {
    if (claim.previous >= 0 && claim.previous !== mac) return true;
    if ((announced.get(mac) ?? []).some((ip) => ip !== claim.ip && ip >>> 8 === claim.ip >>> 8)) return true;
    // Addresses the device used in its own IP traffic count too (the device map knows them).
    const prefix = formatIpv4(claim.ip).split(".").slice(0, 3).join(".");
    const own = context.devices.get(mac)?.addresses.keys() ?? [];
    for (const address of own) if (address.startsWith(`${prefix}.`) && address !== formatIpv4(claim.ip)) return true;
    return false;
  }

  function ipPacket(p: DecodedPacket): void {
    const src = p.srcIp4;
    if (!isPrivateIpv4(src)) return;
    const now = p.timestampUs;
    let binding = knownBindings.get(0, src);
    if (binding === undefined) {
      binding = bindings.get(src);
      if (binding !== undefined) knownBindings.set(0, src, binding);
    }
    if (binding !== undefined && binding.mac === p.srcMac) binding.lastUs = now;
    const dst = p.dstIp4;
    if (isPrivateIpv4(dst) || dst >>> 28 >= 14 || isGroupMac(p.dstMac) || dst === 0xffffffff) return;
    // Internet-bound: dstMac is this device's router.
    let hop = knownHops.get(0, p.srcMac);
    if (hop === undefined) {
      hop = hops.get(p.srcMac);
      if (hop !== undefined) knownHops.set(0, p.srcMac, hop);
    }
    if (hop === undefined) {
      if (hops.size < MAX_HOPS) hops.set(p.srcMac, { mac: p.dstMac, lastUs: now });
      routers.add(p.dstMac);
      return;
    }
    if (hop.mac === p.dstMac) {
      hop.lastUs = now;
      return;
    }
    const claim = claims.get(p.dstMac);
    if (
      claim !== undefined &&
      now - claim.us <= CLAIM_MEMORY_US * sensitivityFactor(p.dstMac) &&
      (claimsForeignAddress(p.dstMac, claim) || !ownsOtherAddress(hop.mac, claim.ip)) &&
      !context.isSensor(p.dstMac) &&
      // The previous router's recent use: a flow opened through it, or a live one still going.
      (now - hop.lastUs <= PREVIOUS_HOP_RECENT_US ||
        now - context.flows.lastSeenVia(p.srcMac, hop.mac) <= PREVIOUS_HOP_RECENT_US)
    ) {
      raise(p.dstMac, claim.ip, hop.mac, now, claim.us, "traffic_moved", { victimMac: p.srcMac, victimIp: src });
    }
    hop.mac = p.dstMac;
    hop.lastUs = now;
    routers.add(p.dstMac);
  }

  function raise(
    claimant: number,
    ip: number,
    previous: number,
    nowUs: number,
    firstUs: number,
    how: "conflict" | "traffic_moved",
    victim: { victimMac: number; victimIp: number } | null,
  ): void {
    const state = context.devices.get(claimant);
    const previousState = previous >= 0 ? context.devices.get(previous) : undefined;
    const gateway =
      how === "traffic_moved" || (previous >= 0 && routers.has(previous)) || previousState?.role === "gateway";
    const address = formatIpv4(ip);
    const name = [...(state?.hostnames.values() ?? [])][0]?.name;
    const who = name ? `Device "${name}" (${formatMac(claimant)})` : `Device ${formatMac(claimant)}`;
    const description =
      how === "traffic_moved"
        ? `${who} pretended to be the router, and ${victim ? formatIpv4(victim.victimIp) : "a device"}'s internet traffic now flows through it: someone may be reading or changing that traffic.`
        : gateway
          ? `${who} claimed the router's address ${address} while the router was still using it: this is how attackers put themselves in the middle of a network's traffic.`
          : `${who} claimed the address ${address} while ${formatMac(previous)} was still using it: this is how attackers intercept another device's traffic.`;
    context.raise({
      type: "arp_spoofing",
      severity: gateway ? "critical" : "high",
      confidence: how === "traffic_moved" ? 0.95 : gateway ? 0.85 : 0.75,
      deviceId: state?.id ?? null,
      mac: formatMac(claimant),
      time: Math.floor(nowUs / 1000),
      firstEvidence: Math.floor(firstUs / 1000),
      key: `${formatMac(claimant)}|${address}`,
      description,
      normal:
        previous >= 0
          ? `${address} belonged to ${formatMac(previous)}${gateway ? ", the router" : ""}; one address answers at one MAC.`
          : "One address answers at one MAC, and devices send internet traffic through the router.",
      observed:
        how === "traffic_moved"
          ? `${formatMac(claimant)} announced ${address} in ARP, then ${victim ? formatMac(victim.victimMac) : "a device"} switched its internet traffic from ${formatMac(previous)} to it.`
          : `${formatMac(claimant)} announced ${address} in ARP while ${formatMac(previous)} had used it ${((nowUs - firstUs) / 1e6).toFixed(1)} s before.`,
      evidence: {
        how,
        claimedIp: address,
        claimant: formatMac(claimant),
        previousMac: previous >= 0 ? formatMac(previous) : null,
        gateway,
        victimMac: victim ? formatMac(victim.victimMac) : null,
        victimIp: victim ? formatIpv4(victim.victimIp) : null,
        destination: address,
        droppedBindings: dropped,
      },
    });
  }

  /** A flow's end: its two ends used their addresses until its last packet. */
  function refresh(mac: number, ipText: string, lastUs: number): void {
    if (mac <= 0) return;
    const ip = parseIpv4(ipText);
    if (ip === undefined) return;
    const binding = bindings.get(ip);
    if (binding !== undefined && binding.mac === mac && lastUs > binding.lastUs) binding.lastUs = lastUs;
  }

  return {
    type: "arp_spoofing",
    onPacket(p) {
      if (p.isArp) arp(p);
    },
    onNewPath(p) {
      if (p.ipVersion === 4 && p.srcMac >= 0) ipPacket(p);
    },
    onFlowEnd(flow: FlowRecord) {
      if (bindings.size === 0) return;
      refresh(flow.srcMac, flow.srcIp, flow.lastSeenUs);
      refresh(flow.dstMac, flow.dstIp, flow.lastSeenUs);
    },
    tick(nowUs) {
      // Ticks come every second of packet time: an empty map is not walked.
      if (claims.size === 0) return;
      for (const [m, c] of claims) if (nowUs - c.us > 2 * CLAIM_MEMORY_US) claims.delete(m);
    },
  };
}
