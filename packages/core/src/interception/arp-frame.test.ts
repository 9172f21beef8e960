import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arpPacket, ethernetFrame } from "../simulate/frame-builder.js";
import { ARP_REPLY, ARP_REQUEST, arpReplyFrame, parseArpFrame } from "./arp-frame.js";

const mac = fc.integer({ min: 0, max: 2 ** 48 - 1 });
const ip = fc.integer({ min: 0, max: 2 ** 32 - 1 });

describe("parseArpFrame", () => {
  it("reads back every field of a built request or reply", () => {
    fc.assert(
      fc.property(
        mac,
        mac,
        fc.constantFrom(ARP_REQUEST, ARP_REPLY),
        mac,
        ip,
        mac,
        ip,
        (dst, src, op, sha, spa, tha, tpa) => {
          const frame = ethernetFrame(dst, src, 0x0806, arpPacket(op as 1 | 2, sha, spa, tha, tpa));
          expect(parseArpFrame(frame)).toEqual({
            ethernetDestination: dst,
            ethernetSource: src,
            operation: op,
            senderMac: sha,
            senderIp: spa,
            targetMac: tha,
            targetIp: tpa,
          });
        },
      ),
    );
  });

  it("reads a frame with one 802.1Q tag", () => {
    const arp = arpPacket(1, 0x0200000000aa, 0xc0a80102, 0, 0xc0a80101);
    const tagged = new Uint8Array(14 + 4 + arp.length);
    tagged.set(
      ethernetFrame(0xffffffffffff, 0x0200000000aa, 0x8100, new Uint8Array([0, 5, 0x08, 0x06])).subarray(0, 18),
    );
    tagged.set(arp, 18);
    expect(parseArpFrame(tagged)?.targetIp).toBe(0xc0a80101);
  });

  it("never throws, and rejects what is not Ethernet/IPv4 ARP", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => void parseArpFrame(bytes)));
    const ipv4 = ethernetFrame(1, 2, 0x0800, new Uint8Array(28));
    expect(parseArpFrame(ipv4)).toBeUndefined();
    const truncated = ethernetFrame(1, 2, 0x0806, arpPacket(1, 1, 1, 1, 1)).subarray(0, 40);
    expect(parseArpFrame(truncated)).toBeUndefined();
    const badOperation = ethernetFrame(1, 2, 0x0806, arpPacket(1, 1, 1, 1, 1));
    badOperation[21] = 3; // RARP request
    expect(parseArpFrame(badOperation)).toBeUndefined();
  });
});

describe("arpReplyFrame", () => {
  it("sends from the sensor's MAC whatever it claims, unicast to the receiver", () => {
    const sensor = 0x02000000005e;
    const frame = parseArpFrame(
      arpReplyFrame(sensor, 0x0a0b0c0d0e0f, 0xc0a80101, { mac: 0x0200000000aa, ip: 0xc0a80102 }),
    )!;
    expect(frame).toEqual({
      ethernetDestination: 0x0200000000aa,
      ethernetSource: sensor,
      operation: ARP_REPLY,
      senderMac: 0x0a0b0c0d0e0f,
      senderIp: 0xc0a80101,
      targetMac: 0x0200000000aa,
      targetIp: 0xc0a80102,
    });
  });
});
