import {
  formatIp,
  formatIpv4,
  isGroupMac,
  isLocalUnicast,
  isMappedIpv4,
  isPrivateIpv4,
  parseMac,
} from "../packet/address.js";
import { type DecodedPacket, IpProtocol, TcpFlag } from "../packet/decoded-packet.js";
import { parseDhcp, parseDhcpv6 } from "../packet/dhcp.js";
import { type DnsMessage, type DnsRecord, parseDns } from "../packet/dns.js";
import { parseHttpHead } from "../packet/http-head.js";
import { ja4 } from "../packet/ja4.js";
import { decodeNetbiosName } from "../packet/netbios-name.js";
import { parseTlsClientHello } from "../packet/tls-client-hello.js";
import type { DeviceMap, DeviceState } from "./device-map.js";

const PORT_DNS = 53;
const PORT_DHCP_SERVER = 67;
const PORT_DHCP_CLIENT = 68;
const PORT_NETBIOS_NS = 137;
const PORT_DHCPV6_CLIENT = 546;
const PORT_DHCPV6_SERVER = 547;
const PORT_SSDP = 1900;
const PORT_MDNS = 5353;
const PORT_LLMNR = 5355;
const ND_ROUTER_ADVERTISEMENT = 134;
const ND_NEIGHBOR_SOLICITATION = 135;
const ND_NEIGHBOR_ADVERTISEMENT = 136;
const DNS_PTR = 12;
const DNS_A = 1;
const DNS_AAAA = 28;
const DNS_SRV = 33;
const DNS_TXT = 16;
const DNS_NB = 32;
const SYN_ACK = TcpFlag.SYN | TcpFlag.ACK;
const BROADCAST_MAC = 0xffffffffffff;
/** The protocol code of broadcast ports in servedKeys (0 and 1 are TCP and UDP server ports). */
const BROADCAST_KEY_PROTOCOL = 2;
/** IANA's dynamic range starts here (RFC 6335): a reply from below it comes from a service port. */
const FIRST_DYNAMIC_PORT = 49152;
/** UDP datagrams remembered as possible requests; the set is cleared when full (a reply follows within ms). */
const MAX_PENDING_UDP_REQUESTS = 4096;
/** (MAC, protocol, port) server sightings already recorded, so repeats cost a set lookup, not a string. */
const MAX_SERVED_KEYS = 4096;
/** TXT keys that name a model: device-info/AirPlay model=, Cast md=, IPP ty= and usb_MDL=, D-Link model_number=. */
const MDNS_MODEL_KEYS = new Set(["model", "md", "ty", "usb_mdl", "model_number"]);

/** Who else wants the evidence as it passes (profiles: names looked up, names of addresses). */
export interface EvidenceListener {
  dnsQuery(state: DeviceState, name: string, timeMs: number): void;
  dnsAnswer(ip: string, name: string): void;
  tlsServerName(state: DeviceState, name: string, timeMs: number): void;
  /** Every DNS message on port 53, with its sender (detectors read queries and answers). */
  dnsMessage?(message: DnsMessage, p: DecodedPacket, sender: DeviceState): void;
  /** The LOCATION of a device's SSDP announcement or search response, with its source address. */
  upnpLocation?(state: DeviceState, location: string, sourceIp: string): void;
}

export interface EvidenceObserverStats {
  /** Application messages parsed for evidence, by protocol. */
  parsed: Record<string, number>;
  /** Messages that failed to parse, by protocol and reason ("dns:name_loop"). */
  malformed: Record<string, number>;
}

/**
 * Turns packets into device evidence: presence and addresses from every packet, and names,
 * fingerprints and roles from the protocols that carry them (ARP, DHCP, DHCPv6, ICMPv6 ND,
 * mDNS/DNS-SD, SSDP, NetBIOS, LLMNR, DNS, HTTP requests and responses, TLS client hellos), and
 * the ports a device serves on (TCP SYN+ACK, UDP replies). The common case, a packet of an
 * established flow, costs a map lookup and a few comparisons; parsers run only on the ports
 * and payload shapes that carry identity.
 */
export class EvidenceObserver {
  readonly stats: EvidenceObserverStats = { parsed: {}, malformed: {} };
  /** Keys of recent UDP datagrams sent from a LAN address to a non-public one: requests a reply may answer. */
  private readonly pendingUdpRequests = new Set<number>();
  /** Keys of (MAC, protocol, port) already recorded in serverPorts or broadcastPorts. */
  private readonly servedKeys = new Set<number>();

  constructor(
    private readonly map: DeviceMap,
    private readonly listener?: EvidenceListener,
  ) {}

  /** Takes what the packet tells about its sender; returns the sender's device (undefined for group MACs). */
  observe(p: DecodedPacket, data: Uint8Array): DeviceState | undefined {
    const mac = p.srcMac;
    if (mac <= 0 || isGroupMac(mac)) return undefined;
    const state = this.map.sawPacket(mac, p.timestampUs, p.wireLength);
    if (p.isArp) {
      const ip = p.arpSenderIp;
      // Probes (sender 0.0.0.0) claim nothing; a proxy answering for others has another MAC.
      if (ip !== 0 && p.arpSenderMac === mac && isPrivateIpv4(ip) && state.lastAddressKey !== ip) {
        state.lastAddressKey = ip;
        this.map.addAddress(state, formatIpv4(ip), p.timestampUs);
      }
      return state;
    }
    if (p.ipVersion === 0) return state;
    this.observeSourceAddress(state, p);
    if (p.protocol === IpProtocol.UDP) this.observeUdpExchange(state, p);
    else if (p.protocol === IpProtocol.TCP && (p.tcpFlags & SYN_ACK) === SYN_ACK) this.observeSynAck(state, p);
    if (p.payloadCapturedLength === 0 && p.protocol !== IpProtocol.IPV6_ICMP) return state;
    if (p.protocol === IpProtocol.UDP) this.observeUdp(state, p, data);
    else if (p.protocol === IpProtocol.TCP) this.observeTcp(state, p, data);
    else if (p.protocol === IpProtocol.IPV6_ICMP) this.observeNeighborDiscovery(state, p, data);
    return state;
  }

  private observeSourceAddress(state: DeviceState, p: DecodedPacket): void {
    const words = p.srcAddress;
    const key = (words[3]! ^ words[0]! ^ (words[1]! << 1)) >>> 0;
    if (key === state.lastAddressKey) return;
    if (isLocalUnicast(words)) {
      state.lastAddressKey = key;
      this.map.addAddress(state, formatIp(words), p.timestampUs);
    } else if (isPublicUnicast(words)) {
      this.map.notePublicSource(state);
    }
  }

  /** A SYN+ACK from the device's own LAN address: it accepted a connection on the source port. */
  private observeSynAck(state: DeviceState, p: DecodedPacket): void {
    // A router forwards the internet's SYN+ACKs with its MAC: those come from public addresses.
    if (isLocalUnicast(p.srcAddress)) this.addServerPort(state, p.srcMac, "tcp", p.srcPort);
  }

  /**
   * UDP servers show only by answering: a datagram from a LAN address and a service port
   * (below 49152) to the address and port that sent one to that service port first, of this
   * device or of everyone (broadcast and multicast discovery: Kasa 9999, SSDP M-SEARCH).
   * Requests are remembered by a 30-bit key of (asker address, asker port, service port, target
   * address or 0 for a group).
   */
  private observeUdpExchange(state: DeviceState, p: DecodedPacket): void {
    const sport = p.srcPort;
    const dport = p.dstPort;
    const src = p.srcAddress;
    const dst = p.dstAddress;
    if (sport === 0 || dport === 0 || !isLocalUnicast(src)) return;
    if (p.dstMac === BROADCAST_MAC) this.addBroadcastPort(state, p.srcMac, dport);
    const pending = this.pendingUdpRequests;
    const toLanHost = isLocalUnicast(dst);
    // A reply is never also a request, and a request stays until the set is cleared, so every
    // answer to it (A and AAAA to one DNS port) is a reply: otherwise a second answer would be
    // remembered as a request, and the asker's next query from the same port taken for a reply.
    if (
      sport < FIRST_DYNAMIC_PORT &&
      toLanHost &&
      (pending.has(exchangeKey(dst, dport, sport, addressFold(src))) || pending.has(exchangeKey(dst, dport, sport, 0)))
    ) {
      this.addServerPort(state, p.srcMac, "udp", sport);
      return;
    }
    // Requests come from a client port (1024 and up) or from the service port itself (NTP,
    // NetBIOS); a datagram from a low port to another (DHCP 67 → 68) is a server speaking first.
    if (dport < FIRST_DYNAMIC_PORT && (sport >= 1024 || sport === dport) && (toLanHost || !isPublicUnicast(dst))) {
      if (pending.size >= MAX_PENDING_UDP_REQUESTS) pending.clear();
      pending.add(exchangeKey(src, sport, dport, toLanHost ? addressFold(dst) : 0));
    }
  }

  /** A UDP broadcast from the device's LAN address: a discovery beacon names its platform. */
  private addBroadcastPort(state: DeviceState, mac: number, port: number): void {
    const key = servedKey(mac, BROADCAST_KEY_PROTOCOL, port);
    const seen = this.servedKeys;
    if (seen.has(key)) return;
    if (seen.size >= MAX_SERVED_KEYS) seen.clear();
    seen.add(key);
    this.map.addFingerprintItem(state, "broadcastPorts", `udp/${port}`);
  }

  private addServerPort(state: DeviceState, mac: number, protocol: "tcp" | "udp", port: number): void {
    const key = servedKey(mac, protocol === "tcp" ? 0 : 1, port);
    const served = this.servedKeys;
    if (served.has(key)) return;
    if (served.size >= MAX_SERVED_KEYS) served.clear();
    served.add(key);
    this.map.addFingerprintItem(state, "serverPorts", `${protocol}/${port}`);
  }

  private observeUdp(state: DeviceState, p: DecodedPacket, data: Uint8Array): void {
    const sport = p.srcPort;
    const dport = p.dstPort;
    const at = p.payloadOffset;
    const length = p.payloadCapturedLength;
    if (
      (sport === PORT_DHCP_CLIENT && dport === PORT_DHCP_SERVER) ||
      (sport === PORT_DHCP_SERVER && dport === PORT_DHCP_CLIENT)
    ) {
      this.observeDhcp(state, p, data, at, length);
    } else if (sport === PORT_MDNS || dport === PORT_MDNS) {
      const message = this.dns("mdns", data, at, length);
      if (message?.qr) this.observeMdnsAnswers(state, p, message);
    } else if (sport === PORT_DNS || dport === PORT_DNS) {
      const message = this.dns("dns", data, at, length);
      if (message) {
        this.observeDns(state, p, message);
        this.listener?.dnsMessage?.(message, p, state);
      }
    } else if (sport === PORT_SSDP || dport === PORT_SSDP) {
      this.observeSsdp(state, p, data, at, length);
    } else if (sport === PORT_NETBIOS_NS && dport === PORT_NETBIOS_NS) {
      const message = this.dns("netbios", data, at, length);
      if (message) this.observeNetbios(state, p, message);
    } else if (sport === PORT_LLMNR) {
      const message = this.dns("llmnr", data, at, length);
      if (message?.qr) {
        for (const record of message.answers) {
          if (record.type === DNS_A || record.type === DNS_AAAA)
            this.map.addHostname(state, record.name, "llmnr", p.timestampUs);
        }
      }
    } else if (sport === PORT_DHCPV6_CLIENT && dport === PORT_DHCPV6_SERVER) {
      this.observeDhcpv6(state, p, data, at, length);
    }
  }

  private observeTcp(state: DeviceState, p: DecodedPacket, data: Uint8Array): void {
    const at = p.payloadOffset;
    const length = p.payloadCapturedLength;
    const first = data[at]!;
    // A TLS handshake record (0x16, version 3.x) whose first message is a ClientHello (1), or
    // an SSLv2-compatible ClientHello that old embedded TLS stacks still send.
    if (
      (first === 0x16 && length >= 6 && data[at + 1] === 3 && data[at + 5] === 1) ||
      looksLikeSslv2Hello(data, at, length)
    ) {
      this.count("tls");
      const parsed = parseTlsClientHello(data, at, length);
      if (!parsed.ok) {
        this.fail("tls", parsed.reason);
        return;
      }
      const hello = parsed.value;
      if (hello.serverName) {
        const serverName = hello.serverName.toLowerCase();
        this.map.addFingerprintItem(state, "tlsServerNames", serverName);
        this.listener?.tlsServerName(state, serverName, p.timestampUs / 1000);
      }
      const fingerprint = ja4(hello);
      if (fingerprint) this.map.addFingerprintItem(state, "ja4", fingerprint);
      return;
    }
    // An HTTP response head ("HTTP/") from the device's own LAN address: its web server. A router
    // forwards the internet's responses with its MAC, from public addresses.
    if (first === 0x48 && length >= 12 && looksLikeHttpResponse(data, at)) {
      if (!isLocalUnicast(p.srcAddress)) return;
      this.count("http");
      const parsed = parseHttpHead(data, at, length);
      if (parsed.ok && parsed.value.kind === "response" && parsed.value.server) {
        this.map.addFingerprintItem(state, "httpServers", parsed.value.server);
      } else if (!parsed.ok) this.fail("http", parsed.reason);
      return;
    }
    // An HTTP request head: an upper-case method followed by a space.
    if (length >= 16 && first >= 0x41 && first <= 0x5a && looksLikeHttpRequest(data, at)) {
      this.count("http");
      const parsed = parseHttpHead(data, at, length);
      if (parsed.ok && parsed.value.kind === "request" && parsed.value.userAgent) {
        this.map.addFingerprintItem(state, "userAgents", parsed.value.userAgent);
      } else if (!parsed.ok) this.fail("http", parsed.reason);
    }
  }

  private observeDhcp(state: DeviceState, p: DecodedPacket, data: Uint8Array, at: number, length: number): void {
    this.count("dhcp");
    const parsed = parseDhcp(data, at, length);
    if (!parsed.ok) {
      this.fail("dhcp", parsed.reason);
      return;
    }
    const m = parsed.value;
    const time = p.timestampUs;
    if (m.op === 1) {
      // From the client: its own identity.
      if (m.hostname) this.map.addHostname(state, m.hostname, "dhcp", time);
      if (m.clientFqdn) this.map.addHostname(state, m.clientFqdn.split(".")[0] ?? m.clientFqdn, "dhcp", time);
      if (m.vendorClass) this.map.setFingerprint(state, "dhcpVendorClass", m.vendorClass);
      if (m.parameterRequestListText) this.map.setFingerprint(state, "dhcpParameterList", m.parameterRequestListText);
      if (m.clientId) this.map.setFingerprint(state, "dhcpClientId", m.clientId);
      return;
    }
    // From the server: the router it announces, and what it assigned to the client.
    for (const router of m.routers ?? []) this.map.addGatewayIp(router);
    const clientMac = parseMac(m.chaddr.slice(0, 17));
    const client = clientMac === undefined ? undefined : this.map.get(clientMac);
    if (!client || client === state) return;
    if (m.messageType === 5 && m.yiaddr !== "0.0.0.0") this.map.addAddress(client, m.yiaddr, time);
    if (m.hostname) this.map.addHostname(client, m.hostname, "dhcp_server", time);
  }

  private observeDhcpv6(state: DeviceState, p: DecodedPacket, data: Uint8Array, at: number, length: number): void {
    this.count("dhcpv6");
    const parsed = parseDhcpv6(data, at, length);
    if (!parsed.ok) {
      this.fail("dhcpv6", parsed.reason);
      return;
    }
    const m = parsed.value;
    if (m.clientDuid) this.map.setFingerprint(state, "dhcpv6Duid", m.clientDuid);
    if (m.vendorClassEnterprise !== undefined)
      this.map.setFingerprint(state, "dhcpv6Enterprise", m.vendorClassEnterprise);
    if (m.fqdn) this.map.addHostname(state, m.fqdn.split(".")[0] ?? m.fqdn, "dhcpv6", p.timestampUs);
  }

  private observeMdnsAnswers(state: DeviceState, p: DecodedPacket, message: DnsMessage): void {
    const time = p.timestampUs;
    const visit = (record: DnsRecord) => {
      const data = record.data;
      switch (record.type) {
        case DNS_A:
        case DNS_AAAA:
          if (record.name.endsWith(".local")) this.map.addHostname(state, stripLocal(record.name), "mdns", time);
          break;
        case DNS_PTR:
          if (data.kind !== "name") break;
          if (record.name.endsWith(".arpa")) {
            if (data.name.endsWith(".local")) this.map.addHostname(state, stripLocal(data.name), "mdns", time);
          } else if (record.name === "_services._dns-sd._udp.local") {
            this.map.addFingerprintItem(state, "mdnsServices", stripLocal(data.name));
          } else if (record.name.startsWith("_")) {
            const service = stripLocal(record.name.replace(/^_[^.]*\._sub\./, ""));
            this.map.addFingerprintItem(state, "mdnsServices", service);
            const instance = data.name.endsWith(`.${record.name}`)
              ? data.name.slice(0, -record.name.length - 1)
              : undefined;
            if (instance) this.map.addFingerprintItem(state, "mdnsNames", instance);
          }
          break;
        case DNS_SRV:
          if (data.kind === "srv" && data.target.endsWith(".local"))
            this.map.addHostname(state, stripLocal(data.target), "mdns", time);
          this.addServiceInstance(state, record.name);
          break;
        case DNS_TXT:
          if (data.kind !== "txt") break;
          // A responder may announce only an instance's TXT (Hue: "Philips hue - 2476FF._hap._tcp").
          this.addServiceInstance(state, record.name);
          for (const entry of data.strings) {
            const eq = entry.indexOf("=");
            // The longest key of interest, "model_number", has 12 characters.
            if (eq < 2 || eq > 12 || !MDNS_MODEL_KEYS.has(entry.slice(0, eq).toLowerCase())) continue;
            const value = entry.slice(eq + 1).trim();
            if (value !== "") this.map.addFingerprintItem(state, "mdnsModels", value);
          }
          break;
      }
    };
    for (const record of message.answers) visit(record);
    for (const record of message.additionals) visit(record);
  }

  /** "Instance._service._tcp.local", the owner name of an SRV or TXT record: the service and its instance. */
  private addServiceInstance(state: DeviceState, name: string): void {
    const match = SERVICE_INSTANCE.exec(name);
    if (match === null) return;
    this.map.addFingerprintItem(state, "mdnsServices", match[2]!.toLowerCase());
    this.map.addFingerprintItem(state, "mdnsNames", match[1]!);
  }

  private observeDns(state: DeviceState, p: DecodedPacket, message: DnsMessage): void {
    if (!message.qr) {
      for (const question of message.questions) {
        const name = question.name.toLowerCase();
        if (!name.endsWith(".arpa") && !name.endsWith(".local") && name.includes(".")) {
          this.map.addFingerprintItem(state, "dnsNames", name);
          this.listener?.dnsQuery(state, name, p.timestampUs / 1000);
        }
      }
      return;
    }
    // Addresses in answers are named by the question (CNAME chains included): later
    // connections to them are to that name.
    if (this.listener && message.rcode === 0) {
      const asked = message.questions[0]?.name.toLowerCase();
      if (asked) {
        for (const record of message.answers) {
          if (record.data.kind === "a" || record.data.kind === "aaaa")
            this.listener.dnsAnswer(record.data.address, asked);
        }
      }
    }
    // A PTR answer naming a local address is that device's name (often from the router's DHCP table).
    for (const record of message.answers) {
      if (record.type !== DNS_PTR || record.data.kind !== "name") continue;
      const ip = reverseNameToIpv4(record.name);
      if (ip === undefined) continue;
      const owner = this.map.stateForIp(ip);
      if (owner)
        this.map.addHostname(owner, record.data.name.split(".")[0] ?? record.data.name, "dns_ptr", p.timestampUs);
    }
  }

  private observeNetbios(state: DeviceState, p: DecodedPacket, message: DnsMessage): void {
    // Registrations and refreshes (opcodes 5, 8, 9) announce the sender's own names; a
    // positive response answers with the responder's.
    const ownNames =
      message.opcode === 5 || message.opcode === 8 || message.opcode === 9
        ? message.questions.map((q) => q.name)
        : message.qr && message.rcode === 0
          ? message.answers.filter((r) => r.type === DNS_NB).map((r) => r.name)
          : [];
    for (const encoded of ownNames) {
      const name = decodeNetbiosName(encoded);
      // Suffix 0x00 (workstation) and 0x20 (file server) are the host's name; others are groups or services.
      if (!name || (name.suffix !== 0x00 && name.suffix !== 0x20)) continue;
      this.map.addFingerprintItem(state, "netbiosNames", name.name);
      this.map.addHostname(state, name.name, "netbios", p.timestampUs);
    }
  }

  private observeSsdp(state: DeviceState, p: DecodedPacket, data: Uint8Array, at: number, length: number): void {
    this.count("ssdp");
    const parsed = parseHttpHead(data, at, length);
    if (!parsed.ok) {
      this.fail("ssdp", parsed.reason);
      return;
    }
    const head = parsed.value;
    if (head.server) this.map.addFingerprintItem(state, "ssdpServers", head.server);
    if (head.kind === "request" && head.userAgent) this.map.addFingerprintItem(state, "userAgents", head.userAgent);
    // What the device is: NT of its NOTIFY, ST of its search responses, and USN in both. The ST
    // of an M-SEARCH is what the sender looks for, not what it is.
    if (head.kind === "request" && head.method !== "NOTIFY") return;
    this.addUpnpType(state, head.kind === "response" ? head.st : head.nt);
    this.addUpnpType(state, head.usn);
    // Only a LAN IPv4 source: the description is fetched from that address and no other.
    if (head.location && this.listener?.upnpLocation && p.ipVersion === 4 && isLocalUnicast(p.srcAddress))
      this.listener.upnpLocation(state, head.location, formatIp(p.srcAddress));
  }

  private addUpnpType(state: DeviceState, value: string | undefined): void {
    const type = value === undefined ? undefined : upnpType(value);
    if (type !== undefined) this.map.addFingerprintItem(state, "ssdpDeviceTypes", type);
  }

  private observeNeighborDiscovery(state: DeviceState, p: DecodedPacket, data: Uint8Array): void {
    const type = p.icmpType;
    if (type === ND_ROUTER_ADVERTISEMENT) {
      this.map.addGatewayIp(formatIp(p.srcAddress));
      return;
    }
    if (type !== ND_NEIGHBOR_ADVERTISEMENT && type !== ND_NEIGHBOR_SOLICITATION) return;
    // The target address (bytes 8–23) of an advertisement is the sender's own; a solicitation
    // from :: is duplicate address detection for an address the sender is about to use.
    const at = p.l4Offset;
    if (at < 0 || p.payloadCapturedLength < 16) return;
    const fromUnspecified =
      p.srcAddress[0] === 0 && p.srcAddress[1] === 0 && p.srcAddress[2] === 0 && p.srcAddress[3] === 0;
    if (type === ND_NEIGHBOR_SOLICITATION && !fromUnspecified) return;
    const words = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      const o = at + 8 + i * 4;
      words[i] = ((data[o]! << 24) | (data[o + 1]! << 16) | (data[o + 2]! << 8) | data[o + 3]!) >>> 0;
    }
    if (isLocalUnicast(words)) this.map.addAddress(state, formatIp(words), p.timestampUs);
  }

  private dns(protocol: string, data: Uint8Array, at: number, length: number): DnsMessage | undefined {
    this.count(protocol);
    const parsed = parseDns(data, at, length);
    if (parsed.ok) return parsed.value;
    this.fail(protocol, parsed.reason);
    return undefined;
  }

  private count(protocol: string): void {
    this.stats.parsed[protocol] = (this.stats.parsed[protocol] ?? 0) + 1;
  }

  private fail(protocol: string, reason: string): void {
    const key = `${protocol}:${reason}`;
    this.stats.malformed[key] = (this.stats.malformed[key] ?? 0) + 1;
  }
}

/** An mDNS service instance name: the instance (which may hold dots), then "_service._tcp|_udp.local". */
const SERVICE_INSTANCE = /^([^_].*)\.(_[^.]+\._(?:tcp|udp))\.local$/i;

function stripLocal(name: string): string {
  return name.endsWith(".local") ? name.slice(0, -6) : name;
}

/**
 * The UPnP device type in an NT, ST or USN value: "urn:Belkin:device:bridge:1" from itself or
 * from "uuid:…::urn:Belkin:device:bridge:1"; vendor search targets outside the urn: scheme
 * ("roku:ecp", "hnap:NetworkCamera") as they are. Undefined for values that name no type
 * ("uuid:…" alone, "upnp:rootdevice", "ssdp:all") and for service types: a device announces
 * one NOTIFY per service, a dozen for a WeMo, which would crowd its device type out of the
 * bounded list, and the device type is what says what it is.
 */
export function upnpType(value: string): string | undefined {
  const separator = value.indexOf("::");
  const type = (separator === -1 ? value : value.slice(separator + 2)).trim();
  if (type === "" || /^(?:uuid:|upnp:rootdevice$|ssdp:all$|urn:[^:]*:service:)/i.test(type)) return undefined;
  return type;
}

/** An address as one 32-bit word, never 0 for a unicast address (0 stands for a group). */
function addressFold(words: Uint32Array): number {
  return (words[3]! ^ Math.imul(words[2]! ^ words[1]! ^ words[0]!, 0x9e3779b1)) | 1;
}

/** A 30-bit key (a small integer: no heap number in the set) of an asker, two ports and a target. */
function exchangeKey(asker: Uint32Array, askerPort: number, servicePort: number, target: number): number {
  let h = Math.imul(asker[0]! ^ Math.imul(asker[1]!, 0x9e3779b1) ^ Math.imul(asker[2]!, 0x85ebca6b), 0xc2b2ae35);
  h = Math.imul(h ^ asker[3]! ^ (h >>> 15), 0x27d4eb2f);
  h = Math.imul(h ^ ((askerPort << 16) | servicePort) ^ (h >>> 13), 0x165667b1);
  h = Math.imul(h ^ target ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) & 0x3fffffff;
}

/** A 30-bit key of a 48-bit MAC, a protocol bit and a port. */
function servedKey(mac: number, protocol: number, port: number): number {
  const high = Math.floor(mac / 16777216);
  const low = mac % 16777216;
  let h = Math.imul(high ^ Math.imul(low, 0x9e3779b1), 0x85ebca6b);
  h = Math.imul(h ^ (protocol << 16) ^ port ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

const METHODS = ["GET ", "POST", "HEAD", "PUT ", "DELE", "OPTI", "PATC", "CONN", "NOTI", "M-SE", "SUBS"];

function looksLikeHttpRequest(data: Uint8Array, at: number): boolean {
  const head = String.fromCharCode(data[at]!, data[at + 1]!, data[at + 2]!, data[at + 3]!);
  return METHODS.includes(head);
}

/**
 * RFC 5246 E.2: a 2-byte length with the top bit set and the whole hello inside the segment,
 * message type 1, version 3.x, and (RFC 6101 E.1) a session id of 0, 16 or 32 bytes and a
 * challenge of 16 to 32: tight enough that encrypted bytes in mid-stream never pass for one.
 */
function looksLikeSslv2Hello(data: Uint8Array, at: number, length: number): boolean {
  const first = data[at]!;
  if (first < 0x80 || length < 11 || data[at + 2] !== 1 || data[at + 3] !== 3 || data[at + 4]! > 3) return false;
  const sessionId = data[at + 8]!;
  const challenge = data[at + 10]!;
  return (
    (((first & 0x7f) << 8) | data[at + 1]!) + 2 <= length &&
    data[at + 7] === 0 &&
    (sessionId === 0 || sessionId === 16 || sessionId === 32) &&
    data[at + 9] === 0 &&
    challenge >= 16 &&
    challenge <= 32
  );
}

function looksLikeHttpResponse(data: Uint8Array, at: number): boolean {
  // "HTTP/" (the caller checked the "H").
  return data[at + 1] === 0x54 && data[at + 2] === 0x54 && data[at + 3] === 0x50 && data[at + 4] === 0x2f;
}

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4" when it names a private IPv4 address. */
function reverseNameToIpv4(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (!lower.endsWith(".in-addr.arpa")) return undefined;
  const parts = lower.slice(0, -13).split(".");
  if (parts.length !== 4 || !parts.every((x) => /^\d{1,3}$/.test(x) && Number(x) < 256)) return undefined;
  const ip = parts.reverse().join(".");
  const [a, b, c, d] = parts.map(Number) as [number, number, number, number];
  return isPrivateIpv4(((a << 24) | (b << 16) | (c << 8) | d) >>> 0) ? ip : undefined;
}

/** A global unicast address: not local, multicast, broadcast, loopback or unspecified. */
function isPublicUnicast(words: Uint32Array): boolean {
  if (isMappedIpv4(words)) {
    const v4 = words[3]!;
    const first = v4 >>> 24;
    return first !== 0 && first !== 127 && first < 224 && !isPrivateIpv4(v4);
  }
  const top = words[0]! >>> 16;
  return (top & 0xe000) === 0x2000;
}
