import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PacketPipeline, type PacketPipelineOptions } from "../analyze/packet-pipeline.js";
import type { AnalysisReport, DeviceReport } from "../analyze/report.js";
import { formatIpv4, formatMac } from "../packet/address.js";
import { MemoryByteSource } from "../packet/byte-source.js";
import { CaptureFileReader } from "../packet/capture-file-reader.js";
import { TcpFlag } from "../packet/decoded-packet.js";
import { PcapWriter } from "../packet/pcap-writer.js";
import {
  BROADCAST_MAC,
  concat,
  dnsMessage,
  dnsName,
  ethernetFrame,
  ipv4MulticastMac,
  ipv4Packet,
  tcpSegment,
  textBytes,
  udpDatagram,
} from "../simulate/frame-builder.js";
import { createDefaultClassifier } from "./default-classifier.js";
import { upnpType } from "./evidence-observer.js";
import { TableVendorLookup } from "./vendor-lookup.js";

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0) * 1000;
const MS = 1000;
const SSDP_GROUP = ip(239, 255, 255, 250);
const MDNS_GROUP = ip(224, 0, 0, 251);

const ROUTER = { mac: 0x0024b2000001, ip: ip(192, 168, 1, 1) };
const PHONE = { mac: 0xf0dbe2000002, ip: ip(192, 168, 1, 20) };
const PLUG = { mac: 0x74da38000003, ip: ip(192, 168, 1, 30) };
const BRIDGE = { mac: 0x94103e000004, ip: ip(192, 168, 1, 40) };
const INTERNET = ip(93, 184, 216, 34);

interface Host {
  mac: number;
  ip: number;
}

const classifier = createDefaultClassifier();
/** The registry entries of the real captures' devices below (the rest stay unregistered). */
const vendors = new TableVendorLookup(
  new Map([
    [0x74da38, "Edimax Technology Co. Ltd."],
    [0x94103e, "Belkin International Inc."],
  ]),
);

/** A UDP datagram to a station, to a group or broadcast address, or (with `srcIp`) forwarded by a router. */
function udp(
  from: Host,
  to: Host | number,
  sport: number,
  dport: number,
  payload: Uint8Array,
  srcIp = from.ip,
): Uint8Array {
  const dst = typeof to === "number" ? to : to.ip;
  const dstMac =
    typeof to !== "number"
      ? to.mac
      : dst === 0xffffffff
        ? BROADCAST_MAC
        : dst >>> 28 === 14
          ? ipv4MulticastMac(dst)
          : 0;
  return ethernetFrame(
    dstMac,
    from.mac,
    0x0800,
    ipv4Packet({ src: srcIp, dst, protocol: 17 }, udpDatagram(srcIp, dst, sport, dport, payload)),
  );
}

/** A TCP segment between two stations; `srcIp` overrides the sender's address (a router forwarding). */
function tcp(
  from: Host,
  to: Host,
  sport: number,
  dport: number,
  flags: number,
  payload: Uint8Array = new Uint8Array(0),
  srcIp = from.ip,
): Uint8Array {
  return ethernetFrame(
    to.mac,
    from.mac,
    0x0800,
    ipv4Packet(
      { src: srcIp, dst: to.ip, protocol: 6 },
      tcpSegment(srcIp, to.ip, { srcPort: sport, dstPort: dport, seq: 1, ack: 1, flags }, payload),
    ),
  );
}

function replay(frames: readonly Uint8Array[]): AnalysisReport {
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((c) => chunks.push(c));
  for (const [i, frame] of frames.entries()) writer.write(T0 + i * MS, frame);
  writer.flush();
  return analyze(concat(chunks));
}

function analyze(capture: Uint8Array, options: Partial<PacketPipelineOptions> = {}): AnalysisReport {
  const pipeline = new PacketPipeline({ classifier, vendors, ...options });
  const reader = new CaptureFileReader(new MemoryByteSource(capture), { batchSize: 64 });
  reader.open();
  for (let batch = reader.nextBatch(); batch; batch = reader.nextBatch()) pipeline.processBatch(batch);
  return pipeline.finish();
}

function device(report: AnalysisReport, host: Host | number): DeviceReport {
  const mac = formatMac(typeof host === "number" ? host : host.mac);
  const found = report.devices.find((d) => d.mac === mac);
  if (found === undefined) throw new Error(`no device ${mac}`);
  return found;
}

function http(text: string): Uint8Array {
  return textBytes(text.replaceAll("\n", "\r\n"));
}

function txt(...entries: string[]): Uint8Array {
  return concat(
    entries.map((entry) => {
      const bytes = textBytes(entry);
      return Uint8Array.from([bytes.length, ...bytes]);
    }),
  );
}

describe("SSDP device types", () => {
  const notify = (nt: string, usn: string) =>
    http(
      "NOTIFY * HTTP/1.1\nHOST: 239.255.255.250:1900\nNT: " +
        nt +
        "\nNTS: ssdp:alive\nSERVER: Unspecified, UPnP/1.0, Unspecified\nUSN: " +
        usn +
        "\n\n",
    );

  it("takes the device type from NOTIFY NT, search-response ST and USN, never from a search", () => {
    const uuid = "uuid:Bridge-1_0-231447B010097E";
    const report = replay([
      udp(BRIDGE, SSDP_GROUP, 1901, 1900, notify("upnp:rootdevice", `${uuid}::upnp:rootdevice`)),
      udp(BRIDGE, SSDP_GROUP, 1901, 1900, notify(uuid, uuid)),
      udp(BRIDGE, SSDP_GROUP, 1901, 1900, notify("urn:Belkin:device:bridge:1", `${uuid}::urn:Belkin:device:bridge:1`)),
      udp(
        BRIDGE,
        SSDP_GROUP,
        1901,
        1900,
        notify("urn:Belkin:service:basicevent:1", `${uuid}::urn:Belkin:service:basicevent:1`),
      ),
      udp(
        PHONE,
        SSDP_GROUP,
        50000,
        1900,
        http(
          'M-SEARCH * HTTP/1.1\nHOST: 239.255.255.250:1900\nMAN: "ssdp:discover"\nMX: 2\nST: urn:dial-multiscreen-org:device:dial:1\n\n',
        ),
      ),
      udp(
        PLUG,
        PHONE,
        1900,
        50000,
        http(
          "HTTP/1.1 200 OK\nST: roku:ecp\nUSN: uuid:roku:ecp:P0A070000007\nSERVER: Roku/9.4.0 UPnP/1.0 Roku/9.4.0\n\n",
        ),
      ),
    ]);
    expect(device(report, BRIDGE).fingerprint.ssdpDeviceTypes).toEqual(["urn:Belkin:device:bridge:1"]);
    expect(device(report, BRIDGE).type).toBe("sensor_hub");
    expect(device(report, PHONE).fingerprint.ssdpDeviceTypes).toEqual([]);
    expect(device(report, PLUG).fingerprint.ssdpDeviceTypes).toEqual(["roku:ecp"]);
  });

  it("passes on the LOCATION a LAN device announces or answers with, never a searcher's or a forwarded one", () => {
    const frames = [
      udp(
        BRIDGE,
        SSDP_GROUP,
        1901,
        1900,
        http(
          `NOTIFY * HTTP/1.1\nNT: upnp:rootdevice\nNTS: ssdp:alive\nLOCATION: http://${formatIpv4(BRIDGE.ip)}:49153/setup.xml\nUSN: uuid:x\n\n`,
        ),
      ),
      udp(PLUG, PHONE, 1900, 50000, http("HTTP/1.1 200 OK\nST: roku:ecp\nLOCATION: http://anywhere/\n\n")),
      udp(PHONE, SSDP_GROUP, 50000, 1900, http("M-SEARCH * HTTP/1.1\nST: ssdp:all\nLOCATION: http://10.0.0.1/\n\n")),
      // The router forwarding an internet host's SSDP (a public source address): not a LAN device's.
      udp(
        ROUTER,
        PHONE,
        1900,
        50000,
        http("HTTP/1.1 200 OK\nST: upnp:rootdevice\nLOCATION: http://8.8.8.8/\n\n"),
        INTERNET,
      ),
    ];
    const seen: string[] = [];
    const chunks: Uint8Array[] = [];
    const writer = new PcapWriter((c) => chunks.push(c));
    for (const [i, frame] of frames.entries()) writer.write(T0 + i * MS, frame);
    writer.flush();
    analyze(concat(chunks), {
      onUpnpLocation: (state, location, sourceIp) => seen.push(`${formatMac(state.mac)} ${sourceIp} ${location}`),
    });
    expect(seen).toEqual([
      `${formatMac(BRIDGE.mac)} ${formatIpv4(BRIDGE.ip)} http://${formatIpv4(BRIDGE.ip)}:49153/setup.xml`,
      `${formatMac(PLUG.mac)} ${formatIpv4(PLUG.ip)} http://anywhere/`,
    ]);
  });

  it.each([
    ["urn:Belkin:device:bridge:1", "urn:Belkin:device:bridge:1"],
    ["uuid:Socket-1_0-221517K0101769::urn:Belkin:device:controllee:1", "urn:Belkin:device:controllee:1"],
    ["  urn:schemas-upnp-org:device:MediaRenderer:1 ", "urn:schemas-upnp-org:device:MediaRenderer:1"],
    ["hnap:NetworkCamera", "hnap:NetworkCamera"],
    ["urn:schemas-upnp-org:service:WANIPConnection:1", undefined],
    ["uuid:Bridge-1_0-231447B010097E", undefined],
    ["uuid:x::upnp:rootdevice", undefined],
    ["ssdp:all", undefined],
    ["", undefined],
  ])("reads %j as %j", (value, type) => {
    expect(upnpType(value)).toBe(type);
  });
});

describe("server ports", () => {
  it("records a TCP port the device accepts connections on, not the internet's behind the router", () => {
    const report = replay([
      tcp(PHONE, PLUG, 60994, 10000, TcpFlag.SYN),
      tcp(PLUG, PHONE, 10000, 60994, TcpFlag.SYN | TcpFlag.ACK),
      tcp(PHONE, PLUG, 60994, 10000, TcpFlag.ACK),
      tcp(PHONE, PLUG, 45891, 10000, TcpFlag.SYN),
      tcp(PLUG, PHONE, 10000, 45891, TcpFlag.SYN | TcpFlag.ACK),
      // The phone browses the web: the server's SYN+ACK arrives from the router's MAC.
      tcp(PHONE, ROUTER, 51000, 443, TcpFlag.SYN, undefined),
      tcp(ROUTER, PHONE, 443, 51000, TcpFlag.SYN | TcpFlag.ACK, undefined, INTERNET),
    ]);
    expect(device(report, PLUG).fingerprint.serverPorts).toEqual(["tcp/10000"]);
    expect(device(report, PHONE).fingerprint.serverPorts).toEqual([]);
    expect(device(report, ROUTER).fingerprint.serverPorts).toEqual([]);
  });

  it("records a UDP port that answers a broadcast or unicast request, never the asker's", () => {
    const query = dnsMessage(1, 0x0100, [{ name: "example.com", type: 1 }]);
    const answer = dnsMessage(1, 0x8180, [{ name: "example.com", type: 1 }]);
    const report = replay([
      // Kasa discovery: the phone broadcasts to 9999, the plug answers from 9999.
      udp(PHONE, 0xffffffff, 50000, 9999, textBytes("{}")),
      udp(PLUG, PHONE, 9999, 50000, textBytes("{}")),
      // DNS: two questions from one port, two answers, then another question from that port.
      udp(PHONE, ROUTER, 3076, 53, query),
      udp(PHONE, ROUTER, 3076, 53, query),
      udp(ROUTER, PHONE, 53, 3076, answer),
      udp(ROUTER, PHONE, 53, 3076, answer),
      udp(PHONE, ROUTER, 3076, 53, query),
      // NTP between equal ports, twice.
      udp(PHONE, ROUTER, 123, 123, new Uint8Array(48)),
      udp(ROUTER, PHONE, 123, 123, new Uint8Array(48)),
      udp(PHONE, ROUTER, 123, 123, new Uint8Array(48)),
      udp(ROUTER, PHONE, 123, 123, new Uint8Array(48)),
    ]);
    expect(device(report, PLUG).fingerprint.serverPorts).toEqual(["udp/9999"]);
    expect(device(report, PHONE).fingerprint.broadcastPorts).toEqual(["udp/9999"]); // it searched
    expect(device(report, ROUTER).fingerprint.serverPorts).toEqual(["udp/53", "udp/123"]);
    expect(device(report, PHONE).fingerprint.serverPorts).toEqual([]);
  });

  it("records the UDP ports a device broadcasts to, once each; not multicast, unicast or unaddressed", () => {
    const report = replay([
      // Tuya LAN discovery, every few seconds, to both ports.
      udp(PLUG, 0xffffffff, 49154, 6667, textBytes("beacon")),
      udp(PLUG, 0xffffffff, 49154, 6667, textBytes("beacon")),
      udp(PLUG, 0xffffffff, 49155, 6666, textBytes("beacon")),
      // The phone: SSDP to its multicast group, a unicast datagram, and a DHCP discover from 0.0.0.0.
      udp(PHONE, 0xeffffffa, 50000, 1900, textBytes("M-SEARCH")),
      udp(PHONE, ROUTER, 50001, 7000, textBytes("unicast")),
      udp(PHONE, 0xffffffff, 68, 67, new Uint8Array(300), 0),
    ]);
    expect(device(report, PLUG).fingerprint.broadcastPorts).toEqual(["udp/6667", "udp/6666"]);
    expect(device(report, PHONE).fingerprint.broadcastPorts).toEqual([]);
  });

  it("takes no server for a server's first word (DHCP 67 → 68), the internet's answers, or another host's", () => {
    const report = replay([
      udp(ROUTER, PHONE, 67, 68, new Uint8Array(300)),
      udp(PHONE, ROUTER, 68, 67, new Uint8Array(300)),
      // The plug's cloud answers through the router, from a public address.
      udp(PLUG, { mac: ROUTER.mac, ip: INTERNET }, 4000, 8765, textBytes("hello")),
      udp(ROUTER, PLUG, 8765, 4000, textBytes("hello"), INTERNET),
      udp(PHONE, PLUG, 50001, 60000, textBytes("high port")),
      udp(PLUG, PHONE, 60000, 50001, textBytes("from a dynamic port")),
      // The phone asks the bridge; the plug answers from that port: not an answer to it.
      udp(PHONE, BRIDGE, 50002, 7000, textBytes("to the bridge")),
      udp(PLUG, PHONE, 7000, 50002, textBytes("not asked")),
    ]);
    for (const host of [ROUTER, PHONE, PLUG]) expect(device(report, host).fingerprint.serverPorts).toEqual([]);
  });

  it("never names a port nobody sent to (property over random LAN datagrams)", () => {
    const hosts = [ROUTER, PHONE, PLUG, BRIDGE];
    const datagram = fc.record({
      from: fc.integer({ min: 0, max: 3 }),
      to: fc.integer({ min: -1, max: 3 }), // -1: broadcast
      sport: fc.constantFrom(53, 67, 68, 123, 1900, 3076, 9999, 50000, 60000),
      dport: fc.constantFrom(53, 67, 68, 123, 1900, 3076, 9999, 50000, 60000),
    });
    fc.assert(
      fc.property(fc.array(datagram, { maxLength: 40 }), (datagrams) => {
        const sent = datagrams.filter((d) => d.from !== d.to);
        const report = replay(
          sent.map((d) =>
            udp(hosts[d.from]!, d.to === -1 ? 0xffffffff : hosts[d.to]!, d.sport, d.dport, textBytes("x")),
          ),
        );
        for (const record of report.devices) {
          const index = hosts.findIndex((h) => formatMac(h.mac) === record.mac);
          for (const port of record.fingerprint.serverPorts) {
            const number = Number(port.slice(4));
            expect(port.startsWith("udp/")).toBe(true);
            expect(number).toBeLessThan(49152);
            // Someone sent to that port of this host (or to all hosts) before it answered.
            const asked = sent.some((d) => d.dport === number && (d.to === index || d.to === -1) && d.from !== index);
            expect(asked, `${record.mac} ${port}`).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("HTTP servers", () => {
  it("records the Server header of the device's own responses, not of the internet's behind the router", () => {
    const response = http("HTTP/1.1 200 OK\nContent-Type: application/xml\nServer: lighttpd/1.4.31\n\n<SMARTPLUG/>");
    const report = replay([
      tcp(PHONE, PLUG, 60994, 10000, TcpFlag.PSH | TcpFlag.ACK, http("POST /smartplug.cgi HTTP/1.1\nHost: plug\n\n")),
      tcp(PLUG, PHONE, 10000, 60994, TcpFlag.PSH | TcpFlag.ACK, response),
      tcp(ROUTER, PHONE, 80, 51000, TcpFlag.PSH | TcpFlag.ACK, http("HTTP/1.1 200 OK\nServer: nginx\n\n"), INTERNET),
    ]);
    expect(device(report, PLUG).fingerprint.httpServers).toEqual(["lighttpd/1.4.31"]);
    expect(device(report, ROUTER).fingerprint.httpServers).toEqual([]);
    expect(device(report, PHONE).fingerprint.httpServers).toEqual([]);
  });
});

describe("mDNS TXT and instance records", () => {
  it("takes models from the TXT keys model, md, ty, usb_MDL and model_number, and services from SRV/TXT owners", () => {
    const announce = dnsMessage(
      0,
      0x8400,
      [],
      [
        { name: "Office._ipp._tcp.local", type: 16, data: txt("ty=HP LaserJet MFP M234sdw", "usb_MDL=LaserJet M234") },
        { name: "Office._ipp._tcp.local", type: 33, data: concat([new Uint8Array(6), dnsName("hp-office.local")]) },
        { name: "Cam._dhnap._tcp.local", type: 16, data: txt("model_number=DCS-935L", "type=camera", "md=", "x") },
      ],
    );
    const report = replay([udp(PLUG, MDNS_GROUP, 5353, 5353, announce)]);
    const fingerprint = device(report, PLUG).fingerprint;
    expect(fingerprint.mdnsModels).toEqual(["HP LaserJet MFP M234sdw", "LaserJet M234", "DCS-935L"]);
    expect(fingerprint.mdnsServices).toEqual(["_ipp._tcp", "_dhnap._tcp"]);
    expect(fingerprint.mdnsNames).toEqual(["Office", "Cam"]);
    expect(device(report, PLUG).hostnames).toContainEqual({ name: "hp-office", source: "mdns" });
  });
});

describe("TLS", () => {
  it("reads an SSLv2-compatible ClientHello (RFC 5246 E.2) as old embedded stacks send it", () => {
    const ciphers = [0x000039, 0x000038, 0x000035, 0x010080];
    const body = concat([
      Uint8Array.from([0x01, 0x03, 0x01, 0x00, ciphers.length * 3, 0x00, 0x00, 0x00, 0x10]),
      Uint8Array.from(ciphers.flatMap((c) => [c >> 16, (c >> 8) & 0xff, c & 0xff])),
      new Uint8Array(16).fill(7),
    ]);
    const hello = concat([Uint8Array.from([0x80 | (body.length >> 8), body.length & 0xff]), body]);
    const report = replay([tcp(PLUG, ROUTER, 54032, 443, TcpFlag.PSH | TcpFlag.ACK, hello)]);
    const ja4 = device(report, PLUG).fingerprint.ja4;
    expect(ja4).toHaveLength(1);
    expect(ja4[0]).toMatch(/^t10i0300/);
  });
});

describe("evidence from real captures", () => {
  const data = new URL("../../../../../shared/data/iot-sentinel/", import.meta.url);
  // Each folder holds one setup capture, Setup-<person>-<n>-STA.pcap.
  const capture = (folder: string) => {
    const dir = new URL(`${folder}/`, data);
    const file = readdirSync(dir).find((name) => /^Setup-.*\.pcap$/.test(name));
    if (file === undefined) throw new Error(`no capture in ${dir.pathname}`);
    return analyze(new Uint8Array(readFileSync(new URL(file, dir))));
  };

  it("EdimaxPlug1101W: the EdiPlug API on TCP 10000 behind lighttpd", () => {
    const plug = device(capture("EdimaxPlug1101W"), 0x74da384a7649);
    expect(plug.fingerprint.serverPorts).toEqual(["tcp/10000"]);
    expect(plug.fingerprint.httpServers).toEqual(["lighttpd/1.4.31"]);
    expect(plug.type).toBe("plug_switch_bulb");
  });

  it("WeMoLink: the UPnP device type of Belkin's bridge", () => {
    const link = device(capture("WeMoLink"), 0x94103ecd3765);
    expect(link.fingerprint.ssdpDeviceTypes).toEqual(["urn:Belkin:device:bridge:1"]);
    expect(link.type).toBe("sensor_hub");
    expect(link.model).toBe("Belkin WeMo Link");
  });

  it("MAXGateway: the MAX! Cube's LAN port; D-LinkCam: its model in the UPnP type and an SSLv2 hello", () => {
    expect(device(capture("MAXGateway"), 0x001a2203cbbe).fingerprint.serverPorts).toEqual(["tcp/62910"]);
    const camera = device(capture("D-LinkCam"), 0xb0c554255b0e);
    expect(camera.fingerprint.ssdpDeviceTypes).toEqual([
      "urn:schemas-upnp-org:device:DCS-935L:1",
      "hnap:NetworkCamera",
    ]);
    expect(camera.fingerprint.serverPorts).toEqual(["tcp/80"]);
    expect(camera.fingerprint.ja4).toContain("t10i210000_e91ed181b052_000000000000");
  });

  it("HueSwitch: a bridge that announces only its instance's TXT record", () => {
    const bridge = device(capture("HueSwitch"), 0x0017882476ff);
    expect(bridge.fingerprint.mdnsServices).toEqual(["_hap._tcp"]);
    expect(bridge.fingerprint.mdnsNames).toEqual(["Philips hue - 2476FF"]);
    expect(bridge.fingerprint.mdnsModels).toEqual(["BSB002"]);
  });
});
