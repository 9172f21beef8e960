import { describe, expect, it } from "vitest";
import { DecodedPacket, MALFORMED_REASONS } from "../packet/decoded-packet.js";
import { decodePacket } from "../packet/decoder.js";
import { LinkType } from "../packet/link-type.js";
import { type FrameSink, simulateLabelledHomeNetwork } from "./home-network.js";
import { formatMac, INJECTION_KINDS, type InjectionKind } from "./injections.js";

const START_US = Date.UTC(2026, 10, 2, 8, 0, 0) * 1000;

interface Written {
  time: number;
  frame: Uint8Array;
  wire: number;
}

function simulate(kind: InjectionKind | undefined, seed = 5) {
  const written: Written[] = [];
  const sink: FrameSink = {
    write: (time, frame, wire) => {
      written.push({ time, frame, wire: wire ?? frame.length });
    },
  };
  const { devices, labels } = simulateLabelledHomeNetwork(
    {
      devices: 8,
      durationSeconds: kind === "new_streaming_service" || kind === "beaconing" ? 2700 : 1500,
      seed,
      startUs: START_US,
      ...(kind ? { injections: [{ kind, atSeconds: 120 }] } : {}),
    },
    sink,
  );
  return { devices, labels, written };
}

describe("injected scenarios", () => {
  for (const kind of INJECTION_KINDS) {
    it(`${kind}: valid frames, in time order, labelled as written`, () => {
      const { labels, written, devices } = simulate(kind);
      expect(labels).toHaveLength(1);
      const label = labels[0]!;
      expect(label.kind).toBe(kind);
      expect(label.start).toBe(START_US / 1000 + 120_000);
      expect(label.end).toBeGreaterThanOrEqual(label.start);
      expect(devices.map((d) => d.mac)).toContain(label.mac);
      expect(label.type).toBe(
        kind === "os_update" || kind === "new_streaming_service" || kind === "video_call" || kind === "dhcp_rejoin"
          ? "benign"
          : kind,
      );

      const p = new DecodedPacket();
      let previous = 0;
      let fromActor = 0;
      for (const { time, frame, wire } of written) {
        expect(time).toBeGreaterThanOrEqual(previous);
        previous = time;
        expect(wire).toBeGreaterThanOrEqual(frame.length);
        decodePacket(frame, 0, frame.length, wire, LinkType.ETHERNET, time, p);
        expect(MALFORMED_REASONS[p.malformed]).toBe("none");
        if (time >= label.start * 1000 && time <= label.end * 1000 && formatMac(p.srcMac) === label.mac) fromActor++;
      }
      expect(fromActor).toBeGreaterThan(0);
    });
  }

  it("does not change the capture when nothing is injected", () => {
    const a = simulate(undefined);
    const b = simulate(undefined);
    expect(a.labels).toEqual([]);
    expect(a.written.length).toBe(b.written.length);
    // The frames before an injection are the plain simulation's.
    const injected = simulate("port_scan");
    const before = injected.written.filter((w) => w.time < START_US + 120e6);
    expect(before.map((w) => w.time)).toEqual(a.written.filter((w) => w.time < START_US + 120e6).map((w) => w.time));
  });

  it("is deterministic for a seed, and differs across seeds", () => {
    const a = simulate("dns_tunneling", 9);
    const b = simulate("dns_tunneling", 9);
    const c = simulate("dns_tunneling", 10);
    expect(a.labels).toEqual(b.labels);
    expect(a.written.length).toBe(b.written.length);
    expect(a.written.every((w, i) => Buffer.compare(w.frame, b.written[i]!.frame) === 0)).toBe(true);
    expect(c.labels[0]!.description).not.toBe(a.labels[0]!.description);
  });

  it("data exfiltration writes 150 MB of wire length without allocating it", () => {
    const { labels, written } = simulate("data_exfiltration");
    const label = labels[0]!;
    const up = written.filter((w) => formatMac(new DecodedPacketView(w.frame).srcMac) === label.mac && w.wire > 1000);
    const bytes = up.reduce((sum, w) => sum + w.wire, 0);
    expect(bytes).toBeGreaterThan(150e6);
    expect(up.reduce((sum, w) => sum + w.frame.length, 0)).toBeLessThan(2e6);
    expect(label.end - label.start).toBeLessThanOrEqual(240_000);
  });

  it("a rejoin keeps the device's new address for the rest of the capture", () => {
    const { labels, devices } = simulate("dhcp_rejoin");
    const device = devices.find((d) => d.mac === labels[0]!.mac)!;
    expect(device.ip).toBe("192.168.1.100");
  });
});

/** Reads the source MAC of an Ethernet frame. */
class DecodedPacketView {
  readonly srcMac: number;
  constructor(frame: Uint8Array) {
    let mac = 0;
    for (let i = 6; i < 12; i++) mac = mac * 256 + frame[i]!;
    this.srcMac = mac;
  }
}
