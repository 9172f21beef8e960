import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arpPacket, ethernetFrame } from "../../simulate/frame-builder.js";
import type { Alert } from "../alert.js";
import { type Frame, type Host, ip, runDetectors as run, T0, tcpFrame as tcp } from "./detector-harness.test-util.js";

const arp = (
  op: 1 | 2,
  senderMac: number,
  senderIp: number,
  targetMac: number,
  targetIp: number,
  dstMac = 0xffffffffffff,
): Uint8Array => ethernetFrame(dstMac, senderMac, 0x0806, arpPacket(op, senderMac, senderIp, targetMac, targetIp));

/** Every raise counted, folded repeats included. */
const raised = (alerts: Alert[]) => alerts.reduce((n, a) => n + 1 + a.repeats, 0);

import { arpSpoofingDetector } from "./arp-spoofing.js";

const GW: Host = { mac: 0x0024b2000001, ip: ip(192, 168, 1, 1) };
const VICTIM: Host = { mac: 0xf8bc12000001, ip: ip(192, 168, 1, 20) };
const EVIL: Host = { mac: 0x001132000001, ip: ip(192, 168, 1, 30) };
const WEB = ip(151, 101, 1, 140);

describe("arp_spoofing", () => {
  it("raises critical when another MAC claims the router's address while the router is active", () => {
    const frames: Frame[] = [
      [T0, arp(2, GW.mac, GW.ip, VICTIM.mac, VICTIM.ip, VICTIM.mac)],
      [T0 + 100_000, tcp(VICTIM, GW, VICTIM.ip, WEB, 40000, 443, 0x02)],
      [T0 + 1e6, arp(2, EVIL.mac, GW.ip, VICTIM.mac, VICTIM.ip, VICTIM.mac)],
    ];
    const alerts = run(frames, [arpSpoofingDetector]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      severity: "critical",
      mac: "00:11:32:00:00:01",
      key: "00:11:32:00:00:01|192.168.1.1",
    });
  });

  it("raises critical when the victim's internet traffic moves to a claimant (router never in ARP)", () => {
    const frames: Frame[] = [
      [T0, tcp(VICTIM, GW, VICTIM.ip, WEB, 40000, 443, 0x02)],
      [T0 + 1e6, arp(1, EVIL.mac, GW.ip, 0, VICTIM.ip, VICTIM.mac)],
      [T0 + 2e6, tcp(VICTIM, EVIL, VICTIM.ip, WEB, 40000, 443, 0x10)],
    ];
    const alerts = run(frames, [arpSpoofingDetector]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: "critical", confidence: 0.95 });
    expect(alerts[0]!.evidence.how).toBe("traffic_moved");
  });

  it("ignores gratuitous announcements and an address handed over after its owner went silent (DHCP)", () => {
    const frames: Frame[] = Array.from({ length: 50 }, (_, i) => [
      T0 + i * 1e6,
      arp(1, VICTIM.mac, VICTIM.ip, 0, VICTIM.ip),
    ]);
    frames.push([T0 + 600e6, arp(1, EVIL.mac, VICTIM.ip, 0, VICTIM.ip)]);
    expect(run(frames, [arpSpoofingDetector])).toEqual([]);
  });

  it("property: higher sensitivity never raises fewer alerts; random sequences never throw", () => {
    const packet = fc.record({
      dt: fc.integer({ min: 0, max: 120_000_000 }),
      who: fc.integer({ min: 0, max: 2 }),
      ipIndex: fc.integer({ min: 0, max: 2 }),
      kind: fc.constantFrom(0, 1, 2),
    });
    const hosts = [GW, VICTIM, EVIL];
    fc.assert(
      fc.property(
        fc.array(packet, { maxLength: 80 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (packets, s1, s2) => {
          let t = T0;
          const frames: Frame[] = packets.map((q) => {
            t += q.dt;
            const who = hosts[q.who]!;
            const claimed = hosts[q.ipIndex]!.ip;
            if (q.kind === 0) return [t, arp(2, who.mac, claimed, VICTIM.mac, VICTIM.ip, VICTIM.mac)];
            if (q.kind === 1) return [t, arp(1, who.mac, claimed, 0, VICTIM.ip)];
            return [t, tcp(VICTIM, who, VICTIM.ip, WEB, 40000, 443, 0x10)];
          });
          const [low, high] = s1 <= s2 ? [s1, s2] : [s2, s1];
          expect(raised(run(frames, [arpSpoofingDetector], high))).toBeGreaterThanOrEqual(
            raised(run(frames, [arpSpoofingDetector], low)),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
