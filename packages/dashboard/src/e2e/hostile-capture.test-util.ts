import { writeFileSync } from "node:fs";
import {
  BROADCAST_MAC,
  dhcpMessage,
  dnsMessage,
  ethernetFrame,
  ipv4MulticastMac,
  ipv4Packet,
  ipv4Rdata,
  PcapWriter,
  textBytes,
  udpDatagram,
} from "@heimdal/core";

/** Markup that runs script if any page builds HTML from device-sent text. No dots: DNS labels. */
export const PAYLOADS = {
  dhcpHostname: "<img src=x onerror=window.__xss=1>",
  mdnsName: "<script>window.__xss=1</script>",
  ssdpServer: '"><svg onload=window.__xss=1>',
} as const;

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const MDNS_GROUP = ip(224, 0, 0, 251);
const SSDP_GROUP = ip(239, 255, 255, 250);

function udpFrame(
  srcMac: number,
  dstMac: number,
  src: number,
  dst: number,
  sport: number,
  dport: number,
  payload: Uint8Array,
) {
  return ethernetFrame(
    dstMac,
    srcMac,
    0x0800,
    ipv4Packet({ src, dst, protocol: 17 }, udpDatagram(src, dst, sport, dport, payload)),
  );
}

/**
 * A capture of two devices whose self-descriptions are attacker-controlled markup: a DHCP
 * hostname, an mDNS name and an SSDP SERVER header (the fields the dashboard shows).
 */
export function writeHostileCapture(path: string): void {
  const chunks: Uint8Array[] = [];
  const writer = new PcapWriter((bytes) => chunks.push(bytes));
  const start = Date.UTC(2024, 4, 1, 12) * 1000;
  const deviceA = { mac: 0x00_1a_11_00_00_01, ip: ip(192, 168, 1, 50) };
  const deviceB = { mac: 0x00_1a_11_00_00_02, ip: ip(192, 168, 1, 51) };

  writer.write(
    start,
    udpFrame(
      deviceA.mac,
      BROADCAST_MAC,
      0,
      0xffffffff,
      68,
      67,
      dhcpMessage({
        messageType: 3,
        xid: 0x1234,
        clientMac: deviceA.mac,
        requestedIp: deviceA.ip,
        hostname: PAYLOADS.dhcpHostname,
        parameterRequestList: [1, 3, 6, 15],
      }),
    ),
  );
  const mdns = dnsMessage(
    0,
    0x8400,
    [],
    [{ name: `${PAYLOADS.mdnsName}.local`, type: 1, ttl: 120, data: ipv4Rdata(deviceB.ip) }],
  );
  writer.write(
    start + 1_000_000,
    udpFrame(deviceB.mac, ipv4MulticastMac(MDNS_GROUP), deviceB.ip, MDNS_GROUP, 5353, 5353, mdns),
  );
  for (const [offset, device] of [
    [2, deviceA],
    [3, deviceB],
  ] as const) {
    const notify = textBytes(
      "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n" +
        `LOCATION: http://192.168.1.${device.ip & 0xff}/desc.xml\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n` +
        `SERVER: ${PAYLOADS.ssdpServer}\r\nUSN: uuid:hostile-${offset}::upnp:rootdevice\r\n\r\n`,
    );
    writer.write(
      start + offset * 1_000_000,
      udpFrame(device.mac, ipv4MulticastMac(SSDP_GROUP), device.ip, SSDP_GROUP, 1900, 1900, notify),
    );
  }
  writer.flush();
  writeFileSync(path, Buffer.concat(chunks));
}
