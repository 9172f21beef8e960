import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PacketPipeline } from "../analyze/packet-pipeline.js";
import type { AnalysisReport } from "../analyze/report.js";
import { formatMac } from "../packet/address.js";
import {
  arpPacket,
  BROADCAST_MAC,
  dhcpMessage,
  dnsMessage,
  dnsName,
  ethernetFrame,
  ipv4Packet,
  ipv4Rdata,
  tcpSegment,
  udpDatagram,
} from "../simulate/frame-builder.js";
import { replayFrames } from "../test-support/replay-frames.test-util.js";
import type { ClassificationInput, DeviceClassifier } from "./device-classifier.js";
import { bestHostname, DeviceMap } from "./device-map.js";
import type { DeviceType } from "./device-record.js";
import { TableVendorLookup } from "./vendor-lookup.js";

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const GATEWAY_MAC = 0x0024b2000001;
const GATEWAY_IP = ip(192, 168, 1, 1);
const PHONE_MAC = 0xf0dbe2001234;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0) * 1000;
const SECOND = 1e6;

/** Types by hostname, so tests control classification without the shipped rule set. */
const testClassifier: DeviceClassifier = {
  classify(input: ClassificationInput) {
    const name = input.hostnames.join(" ");
    const value: DeviceType = /iphone/i.test(name) ? "phone" : /tv/i.test(name) ? "tv" : "unknown";
    return {
      type: { value, confidence: value === "unknown" ? 0 : 0.9, evidence: [`test:${value}`] },
      model: null,
      os: null,
    };
  },
};
const vendors = new TableVendorLookup(
  new Map([
    [0xf0dbe2, "Apple, Inc."],
    [0x0024b2, "Netgear"],
  ]),
);

type Frame = [timestampUs: number, frame: Uint8Array];

function txt(entry: string): Uint8Array {
  const bytes = new TextEncoder().encode(entry);
  return Uint8Array.from([bytes.length, ...bytes]);
}

function analyze(
  frames: Frame[],
  options: ConstructorParameters<typeof PacketPipeline>[0]["discovery"] = {},
): AnalysisReport {
  const pipeline = new PacketPipeline({ classifier: testClassifier, vendors, discovery: options });
  replayFrames(pipeline, frames, 16);
  return pipeline.finish();
}

function dhcpJoin(
  time: number,
  mac: number,
  address: number,
  hostname: string,
  prl = [1, 3, 6, 15, 119, 252],
): Frame[] {
  const xid = (mac % 0xffffffff) >>> 0;
  const client = (m: Uint8Array) =>
    ethernetFrame(
      BROADCAST_MAC,
      mac,
      0x0800,
      ipv4Packet({ src: 0, dst: 0xffffffff, protocol: 17 }, udpDatagram(0, 0xffffffff, 68, 67, m)),
    );
  const server = (m: Uint8Array) =>
    ethernetFrame(
      mac,
      GATEWAY_MAC,
      0x0800,
      ipv4Packet({ src: GATEWAY_IP, dst: address, protocol: 17 }, udpDatagram(GATEWAY_IP, address, 67, 68, m)),
    );
  const lease = {
    yourIp: address,
    serverIp: GATEWAY_IP,
    router: GATEWAY_IP,
    dnsServer: GATEWAY_IP,
    leaseSeconds: 3600,
  };
  return [
    [time, client(dhcpMessage({ messageType: 1, xid, clientMac: mac, hostname, parameterRequestList: prl }))],
    [time + 1000, server(dhcpMessage({ messageType: 2, xid, clientMac: mac, ...lease }))],
    [
      time + 2000,
      client(
        dhcpMessage({ messageType: 3, xid, clientMac: mac, hostname, parameterRequestList: prl, requestedIp: address }),
      ),
    ],
    [time + 3000, server(dhcpMessage({ messageType: 5, xid, clientMac: mac, ...lease }))],
  ];
}

/** A small TCP exchange from a device to the internet through the gateway. */
function traffic(time: number, mac: number, address: number): Frame[] {
  const remote = ip(17, 248, 185, 10);
  const out = tcpSegment(address, remote, { srcPort: 50000, dstPort: 443, seq: 1, ack: 0, flags: 0x02 });
  const back = tcpSegment(remote, address, { srcPort: 443, dstPort: 50000, seq: 9, ack: 2, flags: 0x12 });
  return [
    [time, ethernetFrame(GATEWAY_MAC, mac, 0x0800, ipv4Packet({ src: address, dst: remote, protocol: 6 }, out))],
    [
      time + 20_000,
      ethernetFrame(mac, GATEWAY_MAC, 0x0800, ipv4Packet({ src: remote, dst: address, protocol: 6 }, back)),
    ],
  ];
}

function every(start: number, end: number, step: number, make: (t: number) => Frame[]): Frame[] {
  const frames: Frame[] = [];
  for (let t = start; t < end; t += step) frames.push(...make(t));
  return frames;
}

describe("device map", () => {
  it("announces a new device with its DHCP name, address, vendor and first/last seen", () => {
    const phoneIp = ip(192, 168, 1, 20);
    const report = analyze([
      ...dhcpJoin(T0, PHONE_MAC, phoneIp, "Lucas-iPhone"),
      ...every(T0 + SECOND, T0 + 60 * SECOND, 5 * SECOND, (t) => traffic(t, PHONE_MAC, phoneIp)),
    ]);
    const phone = report.devices.find((d) => d.mac === formatMac(PHONE_MAC))!;
    expect(phone).toMatchObject({
      hostname: "Lucas-iPhone",
      hostnames: [{ name: "Lucas-iPhone", source: "dhcp" }],
      vendor: "Apple, Inc.",
      type: "phone",
      ips: ["192.168.1.20"],
      role: "device",
      randomizedMac: false,
      firstSeen: new Date(T0 / 1000).toISOString(),
    });
    const created = report.events.filter((e) => e.type === "device_new" && e.mac === phone.mac);
    expect(created).toHaveLength(1);
    expect(created[0]!.time).toBe(phone.firstSeen);
  });

  it("knows the gateway from the DHCP router option, and never lists broadcast as a device", () => {
    const report = analyze([...dhcpJoin(T0, PHONE_MAC, ip(192, 168, 1, 20), "Lucas-iPhone")]);
    const gateway = report.devices.find((d) => d.mac === formatMac(GATEWAY_MAC))!;
    expect(gateway.role).toBe("gateway");
    expect(gateway.type).toBe("router");
    expect(report.devices.map((d) => d.mac)).not.toContain("ff:ff:ff:ff:ff:ff");
  });

  it("infers the gateway from forwarded internet traffic when nothing announces it", () => {
    const report = analyze(every(T0, T0 + 30 * SECOND, SECOND, (t) => traffic(t, PHONE_MAC, ip(192, 168, 1, 20))));
    expect(report.devices.find((d) => d.mac === formatMac(GATEWAY_MAC))!.role).toBe("gateway");
    expect(report.devices.find((d) => d.mac === formatMac(PHONE_MAC))!.role).toBe("device");
  });

  it("marks a silent device offline after the timeout, and online when it returns", () => {
    const tvMac = 0x8c79f5000001;
    const tvIp = ip(192, 168, 1, 30);
    const frames = [
      ...dhcpJoin(T0, tvMac, tvIp, "Samsung-TV"),
      ...every(T0, T0 + 60 * SECOND, 10 * SECOND, (t) => traffic(t, tvMac, tvIp)),
      // Silence from 60 s to 1000 s, while the gateway keeps the clock moving.
      ...every(T0, T0 + 1200 * SECOND, 20 * SECOND, (t) => [
        [
          t,
          ethernetFrame(
            BROADCAST_MAC,
            GATEWAY_MAC,
            0x0806,
            arpPacket(1, GATEWAY_MAC, GATEWAY_IP, 0, ip(192, 168, 1, 99)),
          ),
        ] as Frame,
      ]),
      ...traffic(T0 + 1000 * SECOND, tvMac, tvIp),
    ];
    const report = analyze(frames, { offlineAfterSeconds: 300 });
    const tv = report.events.filter((e) => e.mac === formatMac(tvMac)).map((e) => e.type);
    expect(tv).toEqual(["device_new", "device_offline", "device_online"]);
    const offline = report.events.find((e) => e.mac === formatMac(tvMac) && e.type === "device_offline")!;
    // The TV last sent at 50 s (the replies come from the gateway).
    const silentFor = (Date.parse(offline.time) - (T0 / 1000 + 50_000)) / 1000;
    expect(silentFor).toBeGreaterThanOrEqual(300);
    expect(silentFor).toBeLessThanOrEqual(302);
  });

  it("gives devices that sleep (phones) longer before calling them offline", () => {
    const phoneIp = ip(192, 168, 1, 20);
    const frames = [
      ...dhcpJoin(T0, PHONE_MAC, phoneIp, "Lucas-iPhone"),
      ...every(T0, T0 + 1200 * SECOND, 20 * SECOND, (t) => [
        [
          t,
          ethernetFrame(
            BROADCAST_MAC,
            GATEWAY_MAC,
            0x0806,
            arpPacket(1, GATEWAY_MAC, GATEWAY_IP, 0, ip(192, 168, 1, 99)),
          ),
        ] as Frame,
      ]),
    ];
    const report = analyze(frames, { offlineAfterSeconds: 300, sleepyDeviceFactor: 3 });
    const offline = report.events.find((e) => e.mac === formatMac(PHONE_MAC) && e.type === "device_offline")!;
    const silentFor = (Date.parse(offline.time) - T0 / 1000) / 1000;
    expect(silentFor).toBeGreaterThanOrEqual(900);
    expect(silentFor).toBeLessThan(905);
  });

  it("links a device that rejoins under a new randomized MAC instead of calling it new", () => {
    const first = 0x02aabbcc0001; // locally administered
    const second = 0x06aabbcc0002;
    const frames = [
      ...dhcpJoin(T0, first, ip(192, 168, 1, 40), "Emmas-Pixel"),
      ...every(T0, T0 + 60 * SECOND, 10 * SECOND, (t) => traffic(t, first, ip(192, 168, 1, 40))),
      ...dhcpJoin(T0 + 86_400 * SECOND, second, ip(192, 168, 1, 41), "Emmas-Pixel"),
      ...every(T0 + 86_400 * SECOND, T0 + 86_460 * SECOND, 10 * SECOND, (t) => traffic(t, second, ip(192, 168, 1, 41))),
    ];
    const report = analyze(frames);
    const pixel = report.devices.filter((d) => d.hostname === "Emmas-Pixel");
    expect(pixel).toHaveLength(1);
    expect(pixel[0]).toMatchObject({
      mac: formatMac(second),
      macs: [formatMac(first), formatMac(second)],
      randomizedMac: true,
      vendor: null,
    });
    expect(pixel[0]!.ips).toEqual(["192.168.1.40", "192.168.1.41"]);
    const news = report.events.filter((e) => e.type === "device_new" && e.deviceId === pixel[0]!.id);
    expect(news).toHaveLength(1);
    const linked = report.events.find((e) => e.type === "device_changed" && e.changes?.some((c) => c.field === "mac"));
    expect(linked?.changes).toEqual([{ field: "mac", from: formatMac(first), to: formatMac(second) }]);
  });

  it("does not link two devices that only share a generic name", () => {
    const a = 0x02aabbcc0011;
    const b = 0x02aabbcc0022;
    const frames = [
      ...dhcpJoin(T0, a, ip(192, 168, 1, 50), "iPhone"),
      ...dhcpJoin(T0 + 3600 * SECOND, b, ip(192, 168, 1, 51), "iPhone"),
    ];
    const report = analyze(frames);
    expect(report.devices.filter((d) => d.hostname === "iPhone")).toHaveLength(2);
    expect(report.events.filter((e) => e.type === "device_new" && e.mac !== formatMac(GATEWAY_MAC))).toHaveLength(2);
  });

  it("reports a new address and a new name as device_changed", () => {
    const tvMac = 0x8c79f5000002;
    const frames = [
      ...dhcpJoin(T0, tvMac, ip(192, 168, 1, 60), "living-room-tv"),
      ...every(T0, T0 + 30 * SECOND, 5 * SECOND, (t) => traffic(t, tvMac, ip(192, 168, 1, 60))),
      ...dhcpJoin(T0 + 40 * SECOND, tvMac, ip(192, 168, 1, 61), "bedroom-tv"),
      ...every(T0 + 41 * SECOND, T0 + 60 * SECOND, 5 * SECOND, (t) => traffic(t, tvMac, ip(192, 168, 1, 61))),
    ];
    const report = analyze(frames);
    const changes = report.events
      .filter((e) => e.type === "device_changed" && e.mac === formatMac(tvMac))
      .flatMap((e) => e.changes!);
    expect(changes).toContainEqual({ field: "ip", from: "192.168.1.60", to: "192.168.1.61" });
    expect(changes).toContainEqual({ field: "hostname", from: "living-room-tv", to: "bedroom-tv" });
  });

  it("takes mDNS names, services and models from announcements", () => {
    const speakerMac = 0x38f73d000001;
    const speakerIp = ip(192, 168, 1, 70);
    const announce = dnsMessage(
      0,
      0x8400,
      [],
      [
        { name: "_airplay._tcp.local", type: 12, data: dnsName("Kitchen Speaker._airplay._tcp.local") },
        { name: "Kitchen-Speaker.local", type: 1, data: ipv4Rdata(speakerIp) },
        { name: "Kitchen Speaker._device-info._tcp.local", type: 16, data: txt("model=AudioAccessory5,1") },
      ],
    );
    const frame = ethernetFrame(
      0x01005e0000fb,
      speakerMac,
      0x0800,
      ipv4Packet(
        { src: speakerIp, dst: ip(224, 0, 0, 251), protocol: 17 },
        udpDatagram(speakerIp, ip(224, 0, 0, 251), 5353, 5353, announce),
      ),
    );
    const report = analyze([[T0, frame]]);
    const speaker = report.devices.find((d) => d.mac === formatMac(speakerMac))!;
    expect(speaker.hostname).toBe("Kitchen-Speaker");
    expect(speaker.hostnames).toEqual([{ name: "Kitchen-Speaker", source: "mdns" }]);
    // The device-info TXT record's owner name is a service instance too (RFC 6763 §4.1).
    expect(speaker.fingerprint.mdnsServices).toEqual(["_airplay._tcp", "_device-info._tcp"]);
    expect(speaker.fingerprint.mdnsNames).toEqual(["Kitchen Speaker"]);
    expect(speaker.fingerprint.mdnsModels).toEqual(["AudioAccessory5,1"]);
  });

  it("keeps hostile names as bounded text without control characters", () => {
    const mac = 0x001122334455;
    const hostile = `<img src=x onerror=alert(1)>\u0000\u0007${"A".repeat(400)}`;
    const report = analyze(dhcpJoin(T0, mac, ip(192, 168, 1, 80), hostile));
    const device = report.devices.find((d) => d.mac === formatMac(mac))!;
    expect(device.hostname!.startsWith("<img src=x onerror=alert(1)>AAAA")).toBe(true);
    expect(device.hostname!.length).toBeLessThanOrEqual(255);
    expect(device.hostname).not.toMatch(/[\u0000-\u001f]/);
  });

  it("recognises the sensor's own MAC", () => {
    const sensorMac = 0xdca6320000aa;
    const report = analyze(traffic(T0, sensorMac, ip(192, 168, 1, 2)), { sensorMacs: [sensorMac] });
    expect(report.devices.find((d) => d.mac === formatMac(sensorMac))!.role).toBe("sensor");
  });

  it("brings back stored devices as known: online again, never new again", () => {
    const first = new DeviceMap({ classifier: testClassifier, vendors });
    const state = first.sawPacket(PHONE_MAC, T0, 100);
    first.addHostname(state, "Lucas-iPhone", "dhcp", T0);
    first.addAddress(state, "192.168.1.20", T0);
    first.flush(T0);
    const stored = JSON.parse(JSON.stringify(first.records()));

    const second = new DeviceMap({ classifier: testClassifier, vendors });
    second.restore(stored);
    expect(second.records()).toEqual(
      stored.map((r: { online: boolean }) => ({ ...r, online: false, packets: 0, bytes: 0 })),
    );
    second.sawPacket(PHONE_MAC, T0 + 86_400 * SECOND, 100);
    second.flush(T0 + 86_400 * SECOND);
    expect(second.drainEvents().map((e) => e.type)).toEqual(["device_online"]);
    expect(second.records()[0]).toMatchObject({
      id: `dev-${formatMac(PHONE_MAC).replaceAll(":", "")}`,
      type: { value: "phone" },
      online: true,
    });
  });

  it("keeps its invariants under any sequence of evidence (property)", () => {
    const macs = [0x001122000001, 0x021122000002, 0x061122000003, 0x001122000004];
    const step = fc.record({
      mac: fc.constantFrom(...macs),
      dt: fc.integer({ min: 0, max: 400 * SECOND }),
      name: fc.option(fc.constantFrom("a-phone", "iPhone", "tv", "x\u0000y", ""), { nil: undefined }),
      address: fc.integer({ min: 1, max: 6 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const map = new DeviceMap({ classifier: testClassifier, vendors, offlineAfterSeconds: 120 });
        let now = T0;
        for (const s of steps) {
          now += s.dt;
          const state = map.sawPacket(s.mac, now, 100);
          map.addAddress(state, `192.168.1.${s.address}`, now);
          if (s.name !== undefined) map.addHostname(state, s.name, "dhcp", now);
          map.tick(now);
        }
        map.flush(now);
        const records = map.records();
        const allMacs = records.flatMap((r) => r.macs);
        // Every MAC seen belongs to exactly one device.
        expect(new Set(allMacs).size).toBe(allMacs.length);
        expect(new Set(allMacs)).toEqual(new Set(steps.map((s) => formatMac(s.mac))));
        const events = map.drainEvents();
        for (const record of records) {
          expect(events.filter((e) => e.type === "device_new" && e.deviceId === record.id)).toHaveLength(1);
          // Online/offline alternate per device.
          const presence = events.filter(
            (e) => e.deviceId === record.id && (e.type === "device_online" || e.type === "device_offline"),
          );
          expect(presence.map((e) => e.type)).toEqual(
            presence.map((_, i) => (i % 2 === 0 ? "device_offline" : "device_online")),
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it("get answers with the MAC's current owner whatever it was asked before (its cache); slots are never shared", () => {
    const macs = [0x001122000001, 0x021122000002, 0x061122000003, 0x001122000004];
    const step = fc.record({
      mac: fc.constantFrom(...macs),
      asked: fc.constantFrom(...macs),
      dt: fc.integer({ min: 0, max: 400 * SECOND }),
      name: fc.option(fc.constantFrom("a-phone", "iPhone", "tv"), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const map = new DeviceMap({ classifier: testClassifier, vendors, offlineAfterSeconds: 120 });
        // The index itself is the oracle: the memo must never answer otherwise.
        const index = (map as unknown as { byMac: Map<number, { id: string }> }).byMac;
        const owner = (mac: number) => index.get(mac)?.id;
        const seen = new Set<{ slot: number }>();
        let now = T0;
        for (const s of steps) {
          now += s.dt;
          // Ask first (the cache may now hold "unknown"), then let the MAC be seen or linked.
          expect(map.get(s.asked)?.id).toBe(owner(s.asked));
          expect(map.get(-1)).toBeUndefined();
          const state = map.sawPacket(s.mac, now, 100);
          expect(map.get(s.mac)).toBe(state);
          if (s.name !== undefined) map.addHostname(state, s.name, "dhcp", now);
          map.tick(now);
          expect(map.get(s.asked)?.id).toBe(owner(s.asked));
          seen.add(state);
        }
        // Slots number the states in order of creation, one each, never reused (linked ones leave gaps).
        const slots = [...seen].map((state) => state.slot);
        expect(new Set(slots).size).toBe(slots.length);
        expect(Math.max(-1, ...slots)).toBeLessThan(slots.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe("addUpnpDescription", () => {
  it("adds the friendly name as an ssdp name, maker and model, and a device type; mDNS names still win", () => {
    const map = new DeviceMap({ classifier: testClassifier, vendors });
    const tv = map.sawPacket(0x0024b2000009, T0, 60);
    map.addUpnpDescription(
      tv,
      {
        friendlyName: "Living Room TV",
        manufacturer: "Samsung Electronics",
        modelName: "UE55MU6400",
        modelNumber: "AllShare1.0",
        deviceType: "urn:schemas-upnp-org:device:MediaRenderer:1",
      },
      T0,
    );
    map.tick(T0 + 30 * SECOND);
    const record = map.records()[0]!;
    expect(record.hostnames.map((h) => [h.name, h.source])).toEqual([["Living Room TV", "ssdp"]]);
    expect(record.fingerprint.upnpModels).toEqual(["Samsung Electronics UE55MU6400"]);
    expect(record.fingerprint.ssdpDeviceTypes).toEqual(["urn:schemas-upnp-org:device:MediaRenderer:1"]);
    map.addHostname(tv, "samsung-tv", "mdns", T0 + 31 * SECOND);
    map.tick(T0 + 32 * SECOND);
    expect(bestHostname(tv)).toBe("samsung-tv");
    // A type that is not a device type (a service, a made-up string) is not taken.
    map.addUpnpDescription(
      tv,
      { friendlyName: null, manufacturer: null, modelName: null, modelNumber: null, deviceType: "evil:1" },
      T0,
    );
    expect(tv.fingerprint.ssdpDeviceTypes).toEqual(["urn:schemas-upnp-org:device:MediaRenderer:1"]);
  });
});

describe("onlineHosts", () => {
  it("lists online stations with their newest IPv4 address, settling ones too, never the sensor", () => {
    const map = new DeviceMap({
      classifier: testClassifier,
      vendors,
      offlineAfterSeconds: 60,
      sensorMacs: [0x3c4937000003],
    });
    const camera = map.sawPacket(0x3c4937000001, T0, 60);
    map.addAddress(camera, "192.168.1.40", T0 / 1000);
    map.addAddress(camera, "192.168.1.41", T0 / 1000 + 5000);
    map.addAddress(camera, "fe80::1", T0 / 1000 + 9000); // IPv6 is not asked
    const gone = map.sawPacket(0x3c4937000002, T0, 60);
    map.addAddress(gone, "192.168.1.42", T0 / 1000);
    const sensor = map.sawPacket(0x3c4937000003, T0, 60);
    map.addAddress(sensor, "192.168.1.2", T0 / 1000);
    // Still settling (not announced yet), but already asked: the sweep that found them is running.
    expect(map.onlineHosts().map((h) => h.ip)).toEqual(["192.168.1.41", "192.168.1.42"]);
    map.tick(T0 + 30 * SECOND); // announced
    map.sawPacket(0x3c4937000001, T0 + 200 * SECOND, 60);
    map.tick(T0 + 200 * SECOND); // the second station has been silent for 200 s: offline
    expect(map.onlineHosts()).toEqual([{ mac: 0x3c4937000001, ip: "192.168.1.41" }]);
  });
});

describe("addressesToReprobe", () => {
  it("lists online devices silent for more than half their timeout, by their newest IPv4 address", () => {
    const map = new DeviceMap({ classifier: testClassifier, vendors, offlineAfterSeconds: 60 });
    const plug = map.sawPacket(0x50c7bf000031, T0, 60);
    map.addAddress(plug, "192.168.1.31", T0 / 1000);
    const chatty = map.sawPacket(0x50c7bf000032, T0, 60);
    map.addAddress(chatty, "192.168.1.32", T0 / 1000);
    map.sawPacket(0x50c7bf000033, T0, 60); // no address: nothing to ask
    map.sawPacket(0x50c7bf000032, T0 + 25 * SECOND, 60);
    map.tick(T0 + 26 * SECOND); // announced
    expect(map.addressesToReprobe(T0 + 30 * SECOND)).toEqual([]);
    expect(map.addressesToReprobe(T0 + 31 * SECOND)).toEqual(["192.168.1.31"]);
    map.tick(T0 + 61 * SECOND);
    expect(plug.online).toBe(false);
    // The plug is offline (it had its chance); the other device is now silent for 36 s.
    expect(map.addressesToReprobe(T0 + 61 * SECOND)).toEqual(["192.168.1.32"]);
  });
});
