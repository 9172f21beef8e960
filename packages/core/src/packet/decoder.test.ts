import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIp, formatIpv4, formatMac } from "./address.js";
import { DecodedPacket, IpProtocol, MALFORMED_REASONS, type MalformedReason, TcpFlag } from "./decoded-packet.js";
import { decodePacket } from "./decoder.js";
import { LinkType } from "./link-type.js";
import { concatBytes } from "./test-support/bytes.js";
import {
  arp,
  EtherType,
  ethernet,
  Ipv6Ext,
  icmp,
  ipv4,
  ipv6,
  ipv6FragmentBody,
  nullLoopback,
  ppi,
  sll,
  sll2,
  TcpFlags,
  tcp,
  udp,
} from "./test-support/frames.js";

/** The fields of a decoded packet that its own flags say are meaningful, offsets relative to the frame. */
function view(p: DecodedPacket, frameStart = 0): Record<string, unknown> {
  const v: Record<string, unknown> = {
    malformed: MALFORMED_REASONS[p.malformed],
    truncated: p.truncated,
    timestampUs: p.timestampUs,
    wireLength: p.wireLength,
    capturedLength: p.capturedLength,
    srcMac: p.srcMac,
    dstMac: p.dstMac,
    vlanOuter: p.vlanOuter,
    vlanInner: p.vlanInner,
    etherType: p.etherType,
    ipVersion: p.ipVersion,
    isArp: p.isArp,
    protocol: p.protocol,
    l4Offset: p.l4Offset < 0 ? p.l4Offset : p.l4Offset - frameStart,
    srcPort: p.srcPort,
    dstPort: p.dstPort,
    tcpFlags: p.tcpFlags,
    icmpType: p.icmpType,
    icmpCode: p.icmpCode,
    payloadCapturedLength: p.payloadCapturedLength,
    payloadLength: p.payloadLength,
  };
  if (p.payloadCapturedLength > 0) v.payloadOffset = p.payloadOffset - frameStart;
  if (p.isArp) {
    Object.assign(v, {
      arpOperation: p.arpOperation,
      arpSenderMac: p.arpSenderMac,
      arpSenderIp: p.arpSenderIp,
      arpTargetMac: p.arpTargetMac,
      arpTargetIp: p.arpTargetIp,
    });
  }
  if (p.ipVersion !== 0) {
    Object.assign(v, {
      srcAddress: Array.from(p.srcAddress),
      dstAddress: Array.from(p.dstAddress),
      srcIp4: p.srcIp4,
      dstIp4: p.dstIp4,
      ttl: p.ttl,
      ipOffset: p.ipOffset - frameStart,
      ipLength: p.ipLength,
      ipId: p.ipId,
      ipHasOptions: p.ipHasOptions,
      isFragment: p.isFragment,
      isLaterFragment: p.isLaterFragment,
    });
  }
  if (p.protocol === IpProtocol.TCP && p.l4Offset >= 0) {
    Object.assign(v, { tcpSeq: p.tcpSeq, tcpAck: p.tcpAck, tcpWindow: p.tcpWindow });
  }
  if (p.icmpType >= 0) Object.assign(v, { icmpId: p.icmpId, icmpSeq: p.icmpSeq });
  return v;
}

function decode(frame: Uint8Array, linkType: number = LinkType.ETHERNET, wireLength = frame.length): DecodedPacket {
  const out = new DecodedPacket();
  decodePacket(frame, 0, frame.length, wireLength, linkType, 1_000_000, out);
  return out;
}

/** Decodes the first `captured` bytes of a frame whose wire length is the whole frame (a snap length cut). */
function decodeCut(frame: Uint8Array, captured: number, linkType: number = LinkType.ETHERNET): DecodedPacket {
  return decode(frame.subarray(0, captured), linkType, frame.length);
}

const malformed = (p: DecodedPacket): MalformedReason => MALFORMED_REASONS[p.malformed]!;

const MAC_A = "00:11:22:33:44:55";
const MAC_B = "66:77:88:99:aa:bb";

describe("decodePacket: Ethernet and VLANs", () => {
  it("decodes Ethernet, IPv4 and TCP fields", () => {
    const segment = tcp(
      {
        srcPort: 51000,
        dstPort: 443,
        seq: 0xfedcba98,
        ack: 0x01020304,
        flags: TcpFlags.PSH | TcpFlags.ACK,
        window: 1234,
      },
      [1, 2, 3, 4, 5],
    );
    const frame = ethernet(
      { src: MAC_A, dst: MAC_B, etherType: EtherType.IPV4 },
      ipv4({ src: "10.0.0.1", dst: "203.0.113.9", protocol: IpProtocol.TCP, ttl: 63, id: 0xbeef }, segment),
    );
    const p = decode(frame);
    expect(view(p)).toMatchObject({
      malformed: "none",
      truncated: false,
      wireLength: frame.length,
      capturedLength: frame.length,
      vlanOuter: -1,
      etherType: 0x0800,
      ipVersion: 4,
      ttl: 63,
      ipId: 0xbeef,
      ipLength: 45,
      ipOffset: 14,
      ipHasOptions: false,
      isFragment: false,
      protocol: IpProtocol.TCP,
      l4Offset: 34,
      srcPort: 51000,
      dstPort: 443,
      tcpSeq: 0xfedcba98,
      tcpAck: 0x01020304,
      tcpFlags: TcpFlag.PSH | TcpFlag.ACK,
      tcpWindow: 1234,
      payloadOffset: 54,
      payloadLength: 5,
      payloadCapturedLength: 5,
    });
    expect(formatMac(p.srcMac)).toBe(MAC_A);
    expect(formatMac(p.dstMac)).toBe(MAC_B);
    expect(formatIpv4(p.srcIp4)).toBe("10.0.0.1");
    expect(formatIpv4(p.dstIp4)).toBe("203.0.113.9");
    expect(Array.from(p.srcAddress)).toEqual([0, 0, 0xffff, 0x0a000001]);
    expect(formatIp(p.dstAddress)).toBe("203.0.113.9");
  });

  it("ignores Ethernet padding after the IP packet", () => {
    const frame = concatBytes(
      ethernet({ etherType: EtherType.IPV4 }, ipv4({ protocol: IpProtocol.UDP }, udp({}, [9, 9]))),
      new Array(16).fill(0xee),
    );
    const p = decode(frame);
    expect(p).toMatchObject({ malformed: 0, ipLength: 30, payloadLength: 2, payloadCapturedLength: 2 });
  });

  it.each([
    { name: "802.1Q", vlans: [{ id: 100 }], outer: 100, inner: -1 },
    { name: "QinQ (802.1ad outer)", vlans: [{ tpid: EtherType.QINQ, id: 10 }, { id: 4095 }], outer: 10, inner: 4095 },
    { name: "QinQ (old 0x9100 outer)", vlans: [{ tpid: 0x9100, id: 7 }, { id: 8 }], outer: 7, inner: 8 },
    { name: "four tags (the limit)", vlans: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }], outer: 1, inner: 2 },
  ])("reads $name tags and the inner EtherType", ({ vlans, outer, inner }) => {
    const frame = ethernet(
      { etherType: EtherType.IPV4, vlans: vlans.map((v) => ({ ...v, priority: 5 })) },
      ipv4({ protocol: IpProtocol.UDP }, udp({ srcPort: 1, dstPort: 2 })),
    );
    const p = decode(frame);
    expect(p).toMatchObject({ malformed: 0, vlanOuter: outer, vlanInner: inner, etherType: 0x0800, ipVersion: 4 });
    expect(p.ipOffset).toBe(14 + 4 * vlans.length);
    expect(p.srcPort).toBe(1);
  });

  it("calls a fifth VLAN tag or a cut tag malformed", () => {
    const five = ethernet(
      { etherType: EtherType.IPV4, vlans: [1, 2, 3, 4, 5].map((id) => ({ id })) },
      ipv4({ protocol: 17 }),
    );
    expect(malformed(decode(five))).toBe("vlan_header_short");
    const cut = ethernet({ etherType: EtherType.VLAN }, [0, 100]);
    expect(malformed(decode(cut))).toBe("vlan_header_short");
  });

  it("calls a frame shorter than an Ethernet header malformed", () => {
    expect(malformed(decode(new Uint8Array(13)))).toBe("link_header_short");
    expect(malformed(decode(new Uint8Array(0)))).toBe("link_header_short");
  });

  it("leaves 802.3 length frames and unknown EtherTypes undecoded without calling them malformed", () => {
    const llc = decode(ethernet({ etherType: 0x0026 }, new Array(38).fill(0x42)));
    expect(llc).toMatchObject({ malformed: 0, truncated: false, etherType: 0x26, ipVersion: 0, isArp: false });
    const lldp = decode(ethernet({ etherType: 0x88cc }, new Array(30).fill(1)));
    expect(lldp).toMatchObject({ malformed: 0, etherType: 0x88cc, ipVersion: 0, l4Offset: -1 });
  });
});

describe("decodePacket: ARP", () => {
  it("reads an Ethernet/IPv4 ARP reply", () => {
    const frame = ethernet(
      { src: MAC_A, dst: MAC_B, etherType: EtherType.ARP },
      arp({ operation: 2, senderMac: MAC_A, senderIp: "192.168.1.20", targetMac: MAC_B, targetIp: "192.168.1.1" }),
    );
    const p = decode(frame);
    expect(p).toMatchObject({ malformed: 0, isArp: true, arpOperation: 2, ipVersion: 0, etherType: 0x0806 });
    expect(formatMac(p.arpSenderMac)).toBe(MAC_A);
    expect(formatIpv4(p.arpSenderIp)).toBe("192.168.1.20");
    expect(formatMac(p.arpTargetMac)).toBe(MAC_B);
    expect(formatIpv4(p.arpTargetIp)).toBe("192.168.1.1");
  });

  it("calls ARP shorter than its fixed part or its addresses malformed", () => {
    expect(malformed(decode(ethernet({ etherType: EtherType.ARP }, [0, 1, 8, 0, 6, 4, 0])))).toBe("arp_short");
    const full = arp();
    expect(malformed(decode(ethernet({ etherType: EtherType.ARP }, full.subarray(0, 27))))).toBe("arp_short");
  });

  it("keeps the operation of ARP for other address sizes, and no stale addresses", () => {
    const out = new DecodedPacket();
    const ordinary = ethernet({ etherType: EtherType.ARP }, arp({ senderIp: "10.9.9.9" }));
    decodePacket(ordinary, 0, ordinary.length, ordinary.length, LinkType.ETHERNET, 0, out);
    const odd = ethernet({ etherType: EtherType.ARP }, arp({ operation: 9, hardwareLength: 8 }));
    decodePacket(odd, 0, odd.length, odd.length, LinkType.ETHERNET, 0, out);
    expect(out).toMatchObject({ malformed: 0, isArp: true, arpOperation: 9, arpSenderIp: 0, arpSenderMac: 0 });
  });
});

describe("decodePacket: IPv4", () => {
  const udpPayload = udp({ srcPort: 5353, dstPort: 5353 }, [1, 2, 3]);

  it("skips options to the transport header", () => {
    const options = [0x94, 0x04, 0x00, 0x00, 0x07, 0x07, 0x04, 0, 0, 0, 0]; // router alert, record route
    const p = decode(ethernet({ etherType: EtherType.IPV4 }, ipv4({ protocol: IpProtocol.UDP, options }, udpPayload)));
    expect(p).toMatchObject({ malformed: 0, ipHasOptions: true, l4Offset: 14 + 32, srcPort: 5353, payloadLength: 3 });
  });

  it("decodes the transport header of a first fragment and not of later ones", () => {
    const first = decode(
      ethernet({ etherType: EtherType.IPV4 }, ipv4({ protocol: IpProtocol.UDP, moreFragments: true }, udpPayload)),
    );
    expect(first).toMatchObject({ isFragment: true, isLaterFragment: false, srcPort: 5353, l4Offset: 34 });
    const later = decode(
      ethernet({ etherType: EtherType.IPV4 }, ipv4({ protocol: IpProtocol.UDP, fragmentOffset: 185 }, udpPayload)),
    );
    expect(later).toMatchObject({ malformed: 0, isFragment: true, isLaterFragment: true, protocol: 17, srcPort: 0 });
    expect(later.l4Offset).toBe(-1);
    const last = decode(ethernet({ etherType: EtherType.IPV4 }, ipv4({ protocol: 17, fragmentOffset: 1 }, [1, 2, 3])));
    expect(last).toMatchObject({ isFragment: true, isLaterFragment: true });
    const unfragmented = decode(
      ethernet({ etherType: EtherType.IPV4 }, ipv4({ protocol: 17, dontFragment: true }, udpPayload)),
    );
    expect(unfragmented).toMatchObject({ isFragment: false, isLaterFragment: false });
  });

  it.each<{ name: string; options: Parameters<typeof ipv4>[0]; reason: MalformedReason }>([
    { name: "a version other than 4", options: { protocol: 17, version: 5 }, reason: "ipv4_bad_version" },
    { name: "a header length below 20", options: { protocol: 17, ihl: 4 }, reason: "ipv4_bad_header_length" },
    {
      name: "a total length below the header",
      options: { protocol: 17, totalLength: 19 },
      reason: "ipv4_bad_total_length",
    },
    {
      name: "a total length past the frame",
      options: { protocol: 17, totalLength: 1000 },
      reason: "ipv4_bad_total_length",
    },
  ])("calls $name malformed", ({ options, reason }) => {
    const p = decode(ethernet({ etherType: EtherType.IPV4 }, ipv4(options, udpPayload)));
    expect(malformed(p)).toBe(reason);
    expect(p.ipVersion).toBe(0);
  });

  it("takes a zero total length (segmentation offload) as the frame's", () => {
    const p = decode(ethernet({ etherType: EtherType.IPV4 }, ipv4({ protocol: 17, totalLength: 0 }, udpPayload)));
    expect(p).toMatchObject({ malformed: 0, ipLength: 31, srcPort: 5353, payloadLength: 3 });
  });

  it("distinguishes a header cut by the snap length (truncated) from one that is short on the wire (malformed)", () => {
    const frame = ethernet({ etherType: EtherType.IPV4 }, ipv4({ protocol: 17 }, udpPayload));
    for (let captured = 15; captured < 34; captured++) {
      expect(decodeCut(frame, captured)).toMatchObject({ malformed: 0, truncated: true, ipVersion: 0 });
    }
    // Nothing was cut: these bytes are all the sender put on the wire.
    expect(malformed(decode(frame.subarray(0, 30)))).toBe("ipv4_header_short");
    expect(malformed(decode(frame.subarray(0, 14)))).toBe("ipv4_header_short");
  });

  it("calls IPv4 options cut by the snap length truncated", () => {
    const frame = ethernet(
      { etherType: EtherType.IPV4 },
      ipv4({ protocol: 17, options: [1, 1, 1, 1, 1, 1, 1, 1] }, udpPayload),
    );
    expect(decodeCut(frame, 14 + 24)).toMatchObject({
      malformed: 0,
      truncated: true,
      ipVersion: 4,
      ipHasOptions: true,
      l4Offset: -1,
    });
  });
});

describe("decodePacket: IPv6", () => {
  const segment = tcp({ srcPort: 1000, dstPort: 22, flags: TcpFlags.SYN });

  it("reads addresses, hop limit and the transport header", () => {
    const p = decode(
      ethernet(
        { etherType: EtherType.IPV6 },
        ipv6(
          { src: "2001:db8::1", dst: "ff02::fb", protocol: IpProtocol.UDP, hopLimit: 255 },
          udp({ dstPort: 5353 }, [7]),
        ),
      ),
    );
    expect(p).toMatchObject({
      malformed: 0,
      ipVersion: 6,
      ttl: 255,
      ipLength: 49,
      protocol: 17,
      dstPort: 5353,
      payloadLength: 1,
    });
    expect(p.ipId).toBe(0);
    expect(formatIp(p.srcAddress)).toBe("2001:db8::1");
    expect(formatIp(p.dstAddress)).toBe("ff02::fb");
    expect(p.srcIp4).toBe(0);
  });

  it("walks hop-by-hop, routing, destination options and AH headers", () => {
    const extensions = [
      { type: Ipv6Ext.HOP_BY_HOP, body: [5, 2, 0, 0, 1, 0] }, // router alert + PadN
      { type: Ipv6Ext.ROUTING, body: [0, 0, 0, 0, 0, 0, ...new Array(16).fill(0)] },
      { type: Ipv6Ext.AH, body: new Array(14).fill(0xa5) },
      { type: Ipv6Ext.DEST_OPTS, body: new Array(14).fill(1) },
    ];
    const packet = ipv6({ protocol: IpProtocol.TCP, extensions }, segment);
    const p = decode(ethernet({ etherType: EtherType.IPV6 }, packet));
    const extensionLength = 8 + 24 + 16 + 16;
    expect(p).toMatchObject({ malformed: 0, truncated: false, protocol: IpProtocol.TCP, srcPort: 1000, dstPort: 22 });
    expect(p.l4Offset).toBe(14 + 40 + extensionLength);
    expect(p.ipLength).toBe(40 + extensionLength + 20);
  });

  it("decodes the transport header of a first fragment and not of later ones", () => {
    const first = decode(
      ethernet(
        { etherType: EtherType.IPV6 },
        ipv6(
          { protocol: IpProtocol.TCP, extensions: [{ type: Ipv6Ext.FRAGMENT, body: ipv6FragmentBody(0, true) }] },
          segment,
        ),
      ),
    );
    expect(first).toMatchObject({ isFragment: true, isLaterFragment: false, protocol: 6, dstPort: 22, l4Offset: 62 });
    const later = decode(
      ethernet(
        { etherType: EtherType.IPV6 },
        ipv6(
          { protocol: IpProtocol.TCP, extensions: [{ type: Ipv6Ext.FRAGMENT, body: ipv6FragmentBody(100, false) }] },
          segment,
        ),
      ),
    );
    expect(later).toMatchObject({
      malformed: 0,
      isFragment: true,
      isLaterFragment: true,
      protocol: 6,
      dstPort: 0,
      l4Offset: -1,
    });
  });

  it("stops after eight extension headers and reports the ninth as the protocol", () => {
    const chain = (n: number) =>
      new Array(n).fill(0).map(() => ({ type: Ipv6Ext.DEST_OPTS, body: [1, 4, 0, 0, 0, 0] }));
    const eight = decode(ethernet({ etherType: EtherType.IPV6 }, ipv6({ protocol: 6, extensions: chain(8) }, segment)));
    expect(eight).toMatchObject({ malformed: 0, protocol: 6, dstPort: 22, l4Offset: 14 + 40 + 64 });
    const nine = decode(ethernet({ etherType: EtherType.IPV6 }, ipv6({ protocol: 6, extensions: chain(9) }, segment)));
    expect(nine).toMatchObject({ malformed: 0, protocol: Ipv6Ext.DEST_OPTS, dstPort: 0, l4Offset: 14 + 40 + 64 });
  });

  it("calls an extension header that overruns the payload length malformed", () => {
    const p = decode(
      ethernet(
        { etherType: EtherType.IPV6 },
        ipv6(
          { protocol: 6, payloadLength: 12, extensions: [{ type: Ipv6Ext.HOP_BY_HOP, body: new Array(14).fill(1) }] },
          segment,
        ),
      ),
    );
    expect(malformed(p)).toBe("ipv6_extension_header_bad");
    const tooShort = decode(
      ethernet(
        { etherType: EtherType.IPV6 },
        ipv6({ protocol: 6, payloadLength: 4, extensions: [{ type: Ipv6Ext.HOP_BY_HOP, body: [1, 0, 0, 0, 0, 0] }] }),
      ),
    );
    expect(malformed(tooShort)).toBe("ipv6_extension_header_bad");
  });

  it("calls an extension header cut by the snap length truncated", () => {
    const frame = ethernet(
      { etherType: EtherType.IPV6 },
      ipv6({ protocol: 6, extensions: [{ type: Ipv6Ext.HOP_BY_HOP, body: new Array(14).fill(1) }] }, segment),
    );
    expect(decodeCut(frame, 14 + 40 + 4)).toMatchObject({ malformed: 0, truncated: true, ipVersion: 6, protocol: 0 });
    expect(decodeCut(frame, 14 + 40 + 12)).toMatchObject({ malformed: 0, truncated: true, ipVersion: 6, l4Offset: -1 });
    // The capture ends inside a header whose first 8 bytes are there, before an opaque protocol.
    const gre = ethernet(
      { etherType: EtherType.IPV6 },
      ipv6({ protocol: 47, extensions: [{ type: Ipv6Ext.DEST_OPTS, body: new Array(14).fill(1) }] }, [0, 0, 8, 0]),
    );
    expect(decodeCut(gre, 14 + 40 + 8)).toMatchObject({ malformed: 0, truncated: true, protocol: 47, l4Offset: -1 });
  });

  it("calls a bad version malformed, and a short header truncated or malformed by the wire length", () => {
    const frame = ethernet({ etherType: EtherType.IPV6 }, ipv6({ protocol: 17 }, udp()));
    expect(malformed(decode(ethernet({ etherType: EtherType.IPV6 }, ipv6({ protocol: 17, version: 4 }, udp()))))).toBe(
      "ipv6_bad_version",
    );
    expect(decodeCut(frame, 14 + 39)).toMatchObject({ malformed: 0, truncated: true, ipVersion: 0 });
    expect(malformed(decode(frame.subarray(0, 14 + 39)))).toBe("ipv6_header_short");
  });

  // Like IPv4's total length, the payload length may not claim more than the frame carried.
  it("calls an IPv6 payload length past the frame malformed", () => {
    const p = decode(
      ethernet({ etherType: EtherType.IPV6 }, ipv6({ protocol: 17, payloadLength: 1000 }, udp({ length: 1000 }, [1]))),
    );
    expect(malformed(p)).toBe("ipv6_bad_payload_length");
  });

  it("takes a zero payload length (jumbogram or offload) from the frame", () => {
    const p = decode(
      ethernet({ etherType: EtherType.IPV6 }, ipv6({ protocol: 17, payloadLength: 0 }, udp({}, [1, 2]))),
    );
    expect(p).toMatchObject({ malformed: 0, ipLength: 50, payloadLength: 2 });
  });
});

describe("decodePacket: transport headers", () => {
  const ip4 = (protocol: number, payload: ArrayLike<number>, wire?: Partial<Parameters<typeof ipv4>[0]>) =>
    ethernet({ etherType: EtherType.IPV4 }, ipv4({ protocol, ...wire }, payload));

  it("reads TCP options and the payload after them", () => {
    const mss = [2, 4, 0x05, 0xb4, 1, 1, 4, 2]; // MSS, NOP, NOP, SACK permitted
    const p = decode(ip4(6, tcp({ options: mss, flags: TcpFlags.SYN }, [0xaa, 0xbb])));
    expect(p).toMatchObject({ malformed: 0, tcpFlags: TcpFlag.SYN, payloadOffset: 34 + 28, payloadLength: 2 });
  });

  it.each([
    { name: "a data offset below 5", segment: tcp({ dataOffset: 4 }) },
    { name: "a data offset past the segment", segment: tcp({ dataOffset: 15 }) },
    { name: "a segment shorter than a TCP header", segment: tcp().subarray(0, 12) },
  ])("calls TCP with $name malformed", ({ segment }) => {
    expect(malformed(decode(ip4(6, segment)))).toBe("tcp_bad_data_offset");
  });

  it("calls a TCP header cut by the snap length truncated, keeping the ports and flags it has", () => {
    const frame = ip4(6, tcp({ srcPort: 7, dstPort: 9, flags: TcpFlags.RST }));
    expect(decodeCut(frame, 34 + 3)).toMatchObject({ truncated: true, malformed: 0, srcPort: 0, l4Offset: -1 });
    expect(decodeCut(frame, 34 + 4)).toMatchObject({
      truncated: true,
      srcPort: 7,
      dstPort: 9,
      tcpFlags: 0,
      l4Offset: 34,
    });
    expect(decodeCut(frame, 34 + 14)).toMatchObject({ truncated: true, tcpFlags: TcpFlag.RST, tcpSeq: 0 });
    expect(decodeCut(frame, 34 + 20)).toMatchObject({ truncated: false, tcpFlags: TcpFlag.RST, tcpSeq: 1000 });
  });

  it("counts payload from the headers and captured payload from the capture", () => {
    const frame = ip4(6, tcp({}, new Array(1000).fill(1)));
    expect(decodeCut(frame, 100)).toMatchObject({ truncated: false, payloadLength: 1000, payloadCapturedLength: 46 });
  });

  it("reads UDP, and takes a zero UDP length as the IP payload's", () => {
    expect(decode(ip4(17, udp({ srcPort: 68, dstPort: 67 }, [1, 2, 3, 4])))).toMatchObject({
      malformed: 0,
      srcPort: 68,
      dstPort: 67,
      payloadOffset: 42,
      payloadLength: 4,
    });
    expect(decode(ip4(17, udp({ length: 0 }, [1, 2, 3])))).toMatchObject({ malformed: 0, payloadLength: 3 });
  });

  it.each([
    { name: "a length below 8", datagram: udp({ length: 7 }, [1]) },
    { name: "a length past the IP payload", datagram: udp({ length: 20 }, [1]) },
    { name: "an IP payload shorter than a UDP header", datagram: udp().subarray(0, 6) },
  ])("calls UDP with $name malformed", ({ datagram }) => {
    expect(malformed(decode(ip4(17, datagram)))).toBe("udp_bad_length");
  });

  it("calls a UDP header cut by the snap length truncated", () => {
    expect(decodeCut(ip4(17, udp({ srcPort: 53 })), 34 + 6)).toMatchObject({
      malformed: 0,
      truncated: true,
      srcPort: 53,
    });
  });

  it("reads ICMP echo identifiers and other ICMP types", () => {
    const echo = decode(ip4(1, icmp({ type: 8, id: 0x1234, seq: 7 }, [1, 2, 3])));
    expect(echo).toMatchObject({
      malformed: 0,
      icmpType: 8,
      icmpCode: 0,
      icmpId: 0x1234,
      icmpSeq: 7,
      payloadLength: 3,
    });
    const unreachable = decode(ip4(1, icmp({ type: 3, code: 3 }, ipv4({ protocol: 17 }, udp()))));
    expect(unreachable).toMatchObject({ icmpType: 3, icmpCode: 3, srcPort: 0, payloadLength: 28 });
  });

  it("reads ICMPv6 over IPv6", () => {
    const p = decode(
      ethernet({ etherType: EtherType.IPV6 }, ipv6({ protocol: 58 }, icmp({ type: 128, id: 99, seq: 1 }))),
    );
    expect(p).toMatchObject({ malformed: 0, protocol: 58, icmpType: 128, icmpId: 99, icmpSeq: 1, l4Offset: 54 });
    const ns = decode(
      ethernet({ etherType: EtherType.IPV6 }, ipv6({ protocol: 58 }, icmp({ type: 135 }, new Array(16)))),
    );
    expect(ns).toMatchObject({ icmpType: 135, payloadLength: 16 });
  });

  it("leaves no identifier of an earlier packet in a cut ICMP header", () => {
    const out = new DecodedPacket();
    const first = ip4(1, icmp({ type: 8, id: 4242, seq: 1 }));
    decodePacket(first, 0, first.length, first.length, LinkType.ETHERNET, 0, out);
    const cut = ip4(1, icmp({ type: 0, id: 1, seq: 1 }));
    decodePacket(cut, 0, 34 + 5, cut.length, LinkType.ETHERNET, 0, out);
    expect(out).toMatchObject({ truncated: true, icmpType: 0, icmpId: 0, icmpSeq: 0 });
  });

  // Known gap (reported): there is no malformed reason for ICMP, so an ICMP message shorter
  // than its 4-byte header that was not cut by the snap length is marked truncated. Flip this
  // to `it` once MALFORMED_REASONS has "icmp_header_short".
  it("calls ICMP shorter than its header on the wire malformed, not truncated", () => {
    const p = decode(ip4(1, [8, 0]));
    expect(p.truncated).toBe(false);
    expect(malformed(p)).toBe("icmp_header_short");
  });

  it("gives other protocols their IP payload", () => {
    const p = decode(ip4(47, [0, 0, 0x08, 0x00, 1, 2, 3]));
    expect(p).toMatchObject({
      malformed: 0,
      protocol: 47,
      l4Offset: 34,
      payloadOffset: 34,
      payloadLength: 7,
      srcPort: 0,
    });
  });
});

describe("decodePacket: other link types", () => {
  const packet4 = ipv4({ src: "10.1.1.1", dst: "10.1.1.2", protocol: 17 }, udp({ srcPort: 1, dstPort: 53 }));
  const packet6 = ipv6({ src: "fe80::a", dst: "fe80::b", protocol: 17 }, udp({ srcPort: 2, dstPort: 53 }));

  it("decodes Linux cooked capture v1 (113) with the sender's MAC", () => {
    const p = decode(
      sll({ address: [0, 0x11, 0x22, 0x33, 0x44, 0x55], protocol: EtherType.IPV4 }, packet4),
      LinkType.LINUX_SLL,
    );
    expect(p).toMatchObject({ malformed: 0, ipVersion: 4, dstMac: -1, etherType: 0x0800, dstPort: 53, ipOffset: 16 });
    expect(formatMac(p.srcMac)).toBe(MAC_A);
    const noMac = decode(
      sll({ address: [1, 2, 3, 4], arphrdType: 0x0200, protocol: EtherType.IPV6 }, packet6),
      LinkType.LINUX_SLL,
    );
    expect(noMac).toMatchObject({ malformed: 0, srcMac: -1, ipVersion: 6, srcPort: 2 });
    expect(malformed(decode(new Uint8Array(15), LinkType.LINUX_SLL))).toBe("link_header_short");
  });

  it("decodes Linux cooked capture v2 (276)", () => {
    const p = decode(
      sll2({ address: [0, 0x11, 0x22, 0x33, 0x44, 0x55], protocol: EtherType.IPV6 }, packet6),
      LinkType.LINUX_SLL2,
    );
    expect(p).toMatchObject({ malformed: 0, ipVersion: 6, ipOffset: 20, etherType: 0x86dd, srcPort: 2 });
    expect(formatMac(p.srcMac)).toBe(MAC_A);
    const arpFrame = decode(sll2({ protocol: EtherType.ARP }, arp({ operation: 1 })), LinkType.LINUX_SLL2);
    expect(arpFrame).toMatchObject({ isArp: true, arpOperation: 1 });
    expect(malformed(decode(new Uint8Array(19), LinkType.LINUX_SLL2))).toBe("link_header_short");
  });

  it.each([LinkType.RAW, LinkType.IPV4, LinkType.IPV6, LinkType.RAW_OPENBSD, LinkType.RAW_14])(
    "decodes raw IP (link type %i) by the version nibble",
    (linkType) => {
      expect(decode(packet4, linkType)).toMatchObject({
        malformed: 0,
        ipVersion: 4,
        ipOffset: 0,
        dstPort: 53,
        srcMac: -1,
      });
      expect(decode(packet6, linkType)).toMatchObject({ malformed: 0, ipVersion: 6, dstPort: 53 });
      expect(malformed(decode(Uint8Array.from([0x50, ...new Array(30).fill(0)]), linkType))).toBe("ip_bad_version");
      expect(malformed(decode(new Uint8Array(0), linkType))).toBe("ipv4_header_short");
    },
  );

  it("decodes BSD loopback (0) in either byte order of the family", () => {
    expect(decode(nullLoopback(2, packet4), LinkType.NULL)).toMatchObject({ malformed: 0, ipVersion: 4, ipOffset: 4 });
    expect(decode(nullLoopback(2, packet4, false), LinkType.NULL)).toMatchObject({ ipVersion: 4 });
    for (const family of [24, 28, 30]) {
      expect(decode(nullLoopback(family, packet6), LinkType.NULL)).toMatchObject({ ipVersion: 6, srcPort: 2 });
    }
    expect(malformed(decode(new Uint8Array(3), LinkType.NULL))).toBe("link_header_short");
  });

  it("decodes PPI (192) around Ethernet and counts the whole frame", () => {
    const inner = ethernet({ src: MAC_A, etherType: EtherType.IPV4 }, packet4);
    const frame = ppi(LinkType.ETHERNET, inner, [2, 0, 4, 0, 0, 0, 0, 0]); // one 8-byte field
    const p = decode(frame, LinkType.PPI);
    expect(p).toMatchObject({
      malformed: 0,
      ipVersion: 4,
      dstPort: 53,
      wireLength: frame.length,
      capturedLength: frame.length,
    });
    expect(p.ipOffset).toBe(16 + 14);
    expect(formatMac(p.srcMac)).toBe(MAC_A);
  });

  it("calls a bad PPI header malformed and leaves inner link types we do not decode alone", () => {
    expect(malformed(decode(new Uint8Array(7), LinkType.PPI))).toBe("link_header_short");
    expect(malformed(decode(Uint8Array.from([0, 0, 7, 0, 1, 0, 0, 0]), LinkType.PPI))).toBe("link_header_short");
    expect(malformed(decode(Uint8Array.from([0, 0, 200, 0, 1, 0, 0, 0]), LinkType.PPI))).toBe("link_header_short");
    expect(malformed(decode(ppi(LinkType.PPI, ppi(LinkType.ETHERNET)), LinkType.PPI))).toBe("link_header_short");
    // 802.11 (105) is what PPI usually wraps: not ours to decode, and not malformed.
    const wifi = decode(ppi(105, new Array(40).fill(0x08)), LinkType.PPI);
    expect(wifi).toMatchObject({ malformed: 0, truncated: false, ipVersion: 0, wireLength: 48, capturedLength: 48 });
  });
});

// ---- properties ----

const LINK_TYPES = [
  LinkType.ETHERNET,
  LinkType.LINUX_SLL,
  LinkType.LINUX_SLL2,
  LinkType.NULL,
  LinkType.PPI,
  LinkType.RAW,
  LinkType.IPV4,
  LinkType.IPV6,
  LinkType.RAW_OPENBSD,
  LinkType.RAW_14,
] as const;

const portArb = fc.integer({ min: 0, max: 65535 });

const transportArb = fc.oneof(
  fc
    .record({
      srcPort: portArb,
      dstPort: portArb,
      flags: fc.integer({ min: 0, max: 255 }),
      options: fc.uint8Array({ maxLength: 12 }),
      payload: fc.uint8Array({ maxLength: 40 }),
    })
    .map((t) => ({ protocol: 6, bytes: tcp(t, t.payload) })),
  fc
    .record({ srcPort: portArb, dstPort: portArb, payload: fc.uint8Array({ maxLength: 40 }) })
    .map((u) => ({ protocol: 17, bytes: udp(u, u.payload) })),
  fc
    .record({ type: fc.integer({ min: 0, max: 255 }), id: portArb, payload: fc.uint8Array({ maxLength: 40 }) })
    .chain((i) =>
      fc.constantFrom({ protocol: 1, bytes: icmp(i, i.payload) }, { protocol: 58, bytes: icmp(i, i.payload) }),
    ),
  fc
    .record({
      // Not TCP, UDP or an IPv6 extension header: random bytes would (rightly) be malformed there.
      protocol: fc
        .integer({ min: 0, max: 255 })
        .filter((n) => ![0, 1, 6, 17, 43, 44, 51, 58, 60, 135, 139].includes(n)),
      payload: fc.uint8Array({ maxLength: 40 }),
    })
    .map((o) => ({ protocol: o.protocol, bytes: o.payload })),
);

const extensionArb = fc.record({
  type: fc.constantFrom(0, 43, 44, 51, 60, 135, 139),
  body: fc.uint8Array({ maxLength: 20 }),
});

const ipArb = fc.oneof(
  fc
    .record({
      transport: transportArb,
      options: fc.uint8Array({ maxLength: 16 }),
      moreFragments: fc.boolean(),
      fragmentOffset: fc.constantFrom(0, 0, 1, 100),
    })
    .map((r) => ({
      etherType: EtherType.IPV4,
      bytes: ipv4(
        {
          protocol: r.transport.protocol,
          options: r.options,
          moreFragments: r.moreFragments,
          fragmentOffset: r.fragmentOffset,
        },
        r.transport.bytes,
      ),
    })),
  fc.record({ transport: transportArb, extensions: fc.array(extensionArb, { maxLength: 10 }) }).map((r) => ({
    etherType: EtherType.IPV6,
    bytes: ipv6({ protocol: r.transport.protocol, extensions: r.extensions }, r.transport.bytes),
  })),
  fc.record({ arp: fc.constant(true) }).map(() => ({ etherType: EtherType.ARP, bytes: arp() })),
);

/** A plausible frame of any link type: valid headers that mutations then damage. */
const frameArb = fc
  .record({
    linkType: fc.constantFrom(...LINK_TYPES),
    ip: ipArb,
    vlans: fc.array(fc.record({ tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100), id: fc.nat(4095) }), { maxLength: 5 }),
  })
  .map(({ linkType, ip, vlans }) => {
    const eth = ethernet({ etherType: ip.etherType, vlans }, ip.bytes);
    switch (linkType) {
      case LinkType.ETHERNET:
        return { linkType, frame: eth, etherType: ip.etherType };
      case LinkType.LINUX_SLL:
        return { linkType, frame: sll({ protocol: ip.etherType }, ip.bytes), etherType: ip.etherType };
      case LinkType.LINUX_SLL2:
        return { linkType, frame: sll2({ protocol: ip.etherType }, ip.bytes), etherType: ip.etherType };
      case LinkType.NULL:
        return {
          linkType,
          frame: nullLoopback(ip.etherType === EtherType.IPV6 ? 30 : 2, ip.bytes),
          etherType: ip.etherType,
        };
      case LinkType.PPI:
        return { linkType, frame: ppi(LinkType.ETHERNET, eth), etherType: ip.etherType };
      default:
        return { linkType, frame: ip.bytes, etherType: ip.etherType };
    }
  });

const mutationsArb = fc.array(fc.record({ position: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
  maxLength: 4,
});

/** A frame as the decoder may meet it: damaged, cut to a snap length, with any wire length. */
const damagedFrameArb = fc
  .record({
    frame: frameArb,
    mutations: mutationsArb,
    cut: fc.option(fc.nat(), { nil: undefined }),
    wireDelta: fc.integer({ min: -40, max: 2000 }),
  })
  .map(({ frame, mutations, cut, wireDelta }) => {
    const bytes = Uint8Array.from(frame.frame);
    for (const m of mutations) if (bytes.length > 0) bytes[m.position % bytes.length] = m.value;
    const captured = cut === undefined ? bytes.length : cut % (bytes.length + 1);
    return {
      linkType: frame.linkType,
      bytes: bytes.subarray(0, captured),
      wireLength: Math.max(0, captured + wireDelta),
    };
  });

const randomFrameArb = fc.record({
  linkType: fc.constantFrom(...LINK_TYPES, 105, 9999),
  bytes: fc.uint8Array({ maxLength: 120 }),
  wireLength: fc.nat(3000),
});

const anyFrameArb = fc.oneof(damagedFrameArb, randomFrameArb);

/** Decodes `bytes` placed at `at` inside a larger buffer filled with `filler`. */
function decodeInside(
  bytes: Uint8Array,
  at: number,
  filler: number,
  linkType: number,
  wireLength: number,
): Record<string, unknown> {
  const buffer = new Uint8Array(at + bytes.length + 64).fill(filler);
  buffer.set(bytes, at);
  const out = new DecodedPacket();
  decodePacket(buffer, at, bytes.length, wireLength, linkType, 5, out);
  return view(out, at);
}

describe("decodePacket: properties", () => {
  it("never throws and never reads outside [offset, offset + capturedLength)", () => {
    fc.assert(
      fc.property(anyFrameArb, fc.nat(64), ({ linkType, bytes, wireLength }, at) => {
        // Any read past the packet sees 0x00 in one run and 0xff in the other: the results would differ.
        const zeros = decodeInside(bytes, at, 0x00, linkType, wireLength);
        const ones = decodeInside(bytes, at, 0xff, linkType, wireLength);
        const other = decodeInside(bytes, at + 3, 0x5a, linkType, wireLength);
        expect(ones).toEqual(zeros);
        expect(other).toEqual(zeros);
      }),
      { numRuns: 3000 },
    );
  });

  it("reads nothing past the capture for every snap length of representative frames", () => {
    const udp4 = ipv4({ protocol: 17, options: [1, 1, 1, 1] }, udp({}, [1, 2, 3]));
    const tcp4 = ipv4({ protocol: 6 }, tcp({ options: [2, 4, 5, 0xb4] }, [1, 2]));
    const icmp4 = ipv4({ protocol: 1 }, icmp({ type: 8, id: 3 }, [1]));
    const extensions = [
      { type: Ipv6Ext.HOP_BY_HOP, body: [1, 0, 0, 0, 0, 0] },
      { type: Ipv6Ext.FRAGMENT, body: ipv6FragmentBody(0, true) },
      { type: Ipv6Ext.AH, body: new Array(14).fill(0xa5) },
      { type: Ipv6Ext.DEST_OPTS, body: new Array(14).fill(1) },
    ];
    const tcp6 = ipv6({ protocol: 6, extensions }, tcp({}, [1]));
    const icmp6 = ipv6({ protocol: 58 }, icmp({ type: 128, id: 3 }));
    const vlan = [{ tpid: EtherType.QINQ, id: 5 }, { id: 6 }];
    const frames: [number, Uint8Array][] = [
      ...[udp4, tcp4, icmp4].map((ip): [number, Uint8Array] => [
        LinkType.ETHERNET,
        ethernet({ etherType: EtherType.IPV4, vlans: vlan }, ip),
      ]),
      ...[tcp6, icmp6].map((ip): [number, Uint8Array] => [
        LinkType.ETHERNET,
        ethernet({ etherType: EtherType.IPV6 }, ip),
      ]),
      [LinkType.ETHERNET, ethernet({ etherType: EtherType.ARP, vlans: vlan }, arp())],
      [LinkType.LINUX_SLL, sll({ protocol: EtherType.IPV4 }, tcp4)],
      [LinkType.LINUX_SLL2, sll2({ protocol: EtherType.IPV6 }, tcp6)],
      [LinkType.NULL, nullLoopback(2, udp4)],
      [LinkType.PPI, ppi(LinkType.ETHERNET, ethernet({ etherType: EtherType.IPV4 }, tcp4), [1, 2, 3, 4])],
      [LinkType.RAW, tcp6],
      [LinkType.IPV4, icmp4],
    ];
    for (const [linkType, frame] of frames) {
      for (let captured = 0; captured <= frame.length; captured++) {
        for (const wireLength of [captured, frame.length]) {
          const bytes = frame.subarray(0, captured);
          expect(decodeInside(bytes, 7, 0xff, linkType, wireLength)).toEqual(
            decodeInside(bytes, 7, 0x00, linkType, wireLength),
          );
        }
      }
    }
  });

  it("keeps every offset it reports inside the captured packet", () => {
    fc.assert(
      fc.property(anyFrameArb, ({ linkType, bytes, wireLength }) => {
        const p = new DecodedPacket();
        decodePacket(bytes, 0, bytes.length, wireLength, linkType, 0, p);
        expect(p.malformed).toBeGreaterThanOrEqual(0);
        expect(p.malformed).toBeLessThan(MALFORMED_REASONS.length);
        if (p.l4Offset >= 0) expect(p.l4Offset).toBeLessThanOrEqual(bytes.length);
        if (p.ipVersion !== 0) expect(p.ipOffset).toBeLessThan(bytes.length);
        expect(p.payloadCapturedLength).toBeGreaterThanOrEqual(0);
        expect(p.payloadCapturedLength).toBeLessThanOrEqual(p.payloadLength);
        if (p.payloadCapturedLength > 0) {
          expect(p.payloadOffset).toBeGreaterThanOrEqual(0);
          expect(p.payloadOffset + p.payloadCapturedLength).toBeLessThanOrEqual(bytes.length);
        }
        if (p.malformed !== 0) expect(p.truncated).toBe(false);
        expect(p.wireLength).toBe(wireLength);
        expect(p.capturedLength).toBe(bytes.length);
      }),
      { numRuns: 3000 },
    );
  });

  it("gives the same result into a reused view as into a fresh one (no field of an earlier packet survives)", () => {
    fc.assert(
      fc.property(anyFrameArb, anyFrameArb, (first, second) => {
        const reused = new DecodedPacket();
        decodePacket(first.bytes, 0, first.bytes.length, first.wireLength, first.linkType, 1, reused);
        decodePacket(second.bytes, 0, second.bytes.length, second.wireLength, second.linkType, 2, reused);
        const fresh = new DecodedPacket();
        decodePacket(second.bytes, 0, second.bytes.length, second.wireLength, second.linkType, 2, fresh);
        expect(view(reused)).toEqual(view(fresh));
      }),
      { numRuns: 3000 },
    );
  });

  it("decodes undamaged frames without calling them malformed or truncated", () => {
    fc.assert(
      fc.property(frameArb, ({ linkType, frame, etherType }) => {
        const ipOnly =
          linkType !== LinkType.ETHERNET &&
          linkType !== LinkType.PPI &&
          linkType !== LinkType.LINUX_SLL &&
          linkType !== LinkType.LINUX_SLL2;
        // Raw-IP link types cannot carry ARP.
        fc.pre(!(ipOnly && etherType === EtherType.ARP));
        const p = decode(frame, linkType);
        // Random extension chains and VLAN stacks can exceed the decoder's bounds on purpose.
        const name = malformed(p);
        expect(["none", "vlan_header_short"]).toContain(name);
        expect(p.truncated).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
