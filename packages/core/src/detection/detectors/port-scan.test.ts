import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ethernetFrame, ipv4Packet, udpDatagram } from "../../simulate/frame-builder.js";
import type { Alert } from "../alert.js";
import { type Frame, type Host, ip, runDetectors as run, T0, tcpFrame as tcp } from "./detector-harness.test-util.js";

const udp = (from: Host, to: Host, sport: number, dport: number): Uint8Array =>
  ethernetFrame(
    to.mac,
    from.mac,
    0x0800,
    ipv4Packet(
      { src: from.ip, dst: to.ip, protocol: 17 },
      udpDatagram(from.ip, to.ip, sport, dport, new Uint8Array(4)),
    ),
  );

/** Every raise counted, folded repeats included. */
const raised = (alerts: Alert[]) => alerts.reduce((n, a) => n + 1 + a.repeats, 0);

import { portScanDetector } from "./port-scan.js";

const GW: Host = { mac: 0x0024b2000001, ip: ip(192, 168, 1, 1) };
const ATTACKER: Host = { mac: 0xf8bc12000001, ip: ip(192, 168, 1, 20) };
const NAS: Host = { mac: 0x001132000001, ip: ip(192, 168, 1, 30) };

/** A SYN to each port; the target refuses with RST+ACK 1 ms later. */
function synScan(ports: number[], start = T0, gapUs = 10_000): Frame[] {
  return ports.flatMap((port, i) => [
    [start + i * gapUs, tcp(ATTACKER, NAS, ATTACKER.ip, NAS.ip, 40000, port, 0x02)] as Frame,
    [start + i * gapUs + 1000, tcp(NAS, ATTACKER, NAS.ip, ATTACKER.ip, port, 40000, 0x14)] as Frame,
  ]);
}

describe("port_scan", () => {
  it("raises a vertical scan of refused ports within a second, with the port evidence", () => {
    const alerts = run(synScan(Array.from({ length: 200 }, (_, i) => i + 1)), [portScanDetector]);
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ type: "port_scan", mac: "f8:bc:12:00:00:01", key: "f8:bc:12:00:00:01|vertical" });
    expect(a.evidence.destination).toBe("192.168.1.30");
    expect(a.time - a.firstEvidence).toBeLessThan(1000);
    expect(a.description).toContain("ports");
  });

  it("counts XMAS probes as strong evidence even without answers", () => {
    const frames: Frame[] = Array.from({ length: 10 }, (_, i) => [
      T0 + i * 1000,
      tcp(ATTACKER, NAS, ATTACKER.ip, NAS.ip, 40000, 100 + i, 0x29),
    ]);
    const alerts = run(frames, [portScanDetector]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.evidence.oddFlagProbes).toBeGreaterThan(0);
  });

  it("finds unanswered SYNs to one port on many hosts (horizontal)", () => {
    const frames: Frame[] = Array.from({ length: 40 }, (_, i) => [
      T0 + i * 50_000,
      tcp(ATTACKER, GW, ATTACKER.ip, ip(192, 168, 1, 100 + i), 40000, 445, 0x02),
    ]);
    frames.push([T0 + 10e6, tcp(GW, ATTACKER, GW.ip, ATTACKER.ip, 53, 40000, 0x10)]);
    const alerts = run(frames, [portScanDetector]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.evidence).toMatchObject({ kind: "horizontal", port: "tcp/445" });
    expect(alerts[0]!.severity).toBe("high");
  });

  it("stays quiet for a browser's many connections to one host and port, and for DNS to many servers", () => {
    const frames: Frame[] = [];
    for (let i = 0; i < 200; i++) {
      frames.push([T0 + i * 10_000, tcp(ATTACKER, GW, ATTACKER.ip, ip(151, 101, 1, 140), 40000 + i, 443, 0x02)]);
      frames.push([T0 + i * 10_000 + 5000, tcp(GW, ATTACKER, ip(151, 101, 1, 140), ATTACKER.ip, 443, 40000 + i, 0x12)]);
      frames.push([
        T0 + i * 10_000 + 6000,
        udp(ATTACKER, { mac: GW.mac, ip: ip(8, 8, (i >> 8) & 255, i & 255) }, 50000 + i, 53),
      ]);
    }
    expect(run(frames, [portScanDetector])).toEqual([]);
  });

  it("never reports a scan at a threshold above the ports tried (a few refused ports are normal)", () => {
    expect(run(synScan([22, 80, 443, 8080, 8443]), [portScanDetector])).toEqual([]);
  });

  it("property: higher sensitivity never raises fewer alerts; random sequences never throw", () => {
    const packet = fc.record({
      dt: fc.integer({ min: 0, max: 2_000_000 }),
      host: fc.integer({ min: 0, max: 40 }),
      port: fc.integer({ min: 1, max: 200 }),
      flags: fc.constantFrom(0x02, 0x14, 0x12, 0x01, 0x00, 0x29, 0x10),
      reply: fc.boolean(),
      udp: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(packet, { maxLength: 150 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (packets, s1, s2) => {
          let t = T0;
          const frames: Frame[] = packets.map((q) => {
            t += q.dt;
            const target: Host = { mac: NAS.mac + q.host, ip: ip(192, 168, 1, 30 + q.host) };
            if (q.udp)
              return [t, q.reply ? udp(target, ATTACKER, q.port, 40000) : udp(ATTACKER, target, 40000, q.port)];
            return [
              t,
              q.reply
                ? tcp(target, ATTACKER, target.ip, ATTACKER.ip, q.port, 40000, q.flags)
                : tcp(ATTACKER, target, ATTACKER.ip, target.ip, 40000, q.port, q.flags),
            ];
          });
          const [low, high] = s1 <= s2 ? [s1, s2] : [s2, s1];
          expect(raised(run(frames, [portScanDetector], high))).toBeGreaterThanOrEqual(
            raised(run(frames, [portScanDetector], low)),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});
