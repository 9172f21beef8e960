import type { DeviceState } from "../../discovery/device-map.js";
import type { FlowRecord } from "../../flow/flow-record.js";
import { formatIp, formatIpv4, formatIpv6Groups, formatMac, isPrivateIpv4, parseIpv4 } from "../../packet/address.js";
import type { DecodedPacket } from "../../packet/decoded-packet.js";
import type { DnsMessage } from "../../packet/dns.js";
import type { Severity } from "../alert.js";
import type { Detector, DetectorContext, DetectorFactory } from "../detector.js";
import { isJudgedDevice, isRemoteIp } from "./remote-peers.js";

/**
 * Threat intelligence: addresses, IPv4 networks and domains from blocklists (Feodo Tracker,
 * URLhaus, hosts-file blocklists, plain IP lists). The store is pure: loaders take the text
 * of a list (the CLI reads the files) and never throw; malformed lines are counted and
 * reported by line number.
 */

/** Where a match came from: the list's name and the entry as it was listed. */
export interface ThreatEntry {
  list: string;
  entry: string;
}

export interface ThreatListReport {
  list: string;
  /** Entries added (an entry already present counts once). */
  loaded: number;
  /** Lines that were not comments, blank or a usable entry. */
  malformedCount: number;
  /** The first malformed lines (1-based line numbers), at most MALFORMED_REPORTED. */
  malformed: { line: number; text: string; reason: string }[];
}

const MALFORMED_REPORTED = 20;
/** Names hosts files map to themselves, never blocklist entries. */
const HOSTS_NOISE = new Set([
  "localhost",
  "localhost.localdomain",
  "local",
  "broadcasthost",
  "ip6-localhost",
  "ip6-loopback",
  "ip6-localnet",
  "ip6-mcastprefix",
  "ip6-allnodes",
  "ip6-allrouters",
  "ip6-allhosts",
  "0.0.0.0",
]);
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** An IPv6 address as eight 16-bit groups, or undefined; accepts "::" and an IPv4 tail. */
export function parseIpv6(text: string): number[] | undefined {
  if (text.length < 2 || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        groups.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        groups.push(Number.parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = parse(halves[0]!);
  if (!head) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const tail = parse(halves[1]!);
  if (!tail || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** A domain name in canonical form (lowercase, no trailing dot), or undefined when it is not one. */
export function normalizeDomain(text: string): string | undefined {
  let name = text.trim().toLowerCase();
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name.startsWith("*.")) name = name.slice(2);
  if (name.length === 0 || name.length > 253 || !name.includes(".")) return undefined;
  const labels = name.split(".");
  if (!labels.every((l) => LABEL.test(l))) return undefined;
  // All-numeric names are addresses (or garbage), never domains.
  if (/^[0-9.]+$/.test(name)) return undefined;
  return name;
}

type Parsed =
  | { kind: "v4"; value: number }
  | { kind: "cidr"; network: number; prefix: number }
  | { kind: "v6"; value: string }
  | { kind: "domain"; value: string };

/** An indicator as it may appear in a list: IPv4, IPv4/len, IPv6, ip:port, a URL or a domain. */
function parseIndicator(raw: string): Parsed | { error: string } {
  let text = raw.trim();
  if (text.length === 0) return { error: "empty" };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    // A URL: its host (an IPv6 host is bracketed).
    const rest = text.slice(text.indexOf("//") + 2);
    const authority = rest.split(/[/?#]/, 1)[0]!;
    const host = authority.slice(authority.lastIndexOf("@") + 1);
    if (host.startsWith("[")) {
      const end = host.indexOf("]");
      if (end < 0) return { error: "bad URL host" };
      text = host.slice(1, end);
    } else {
      text = host.replace(/:\d*$/, "");
    }
    if (text.length === 0) return { error: "URL without host" };
  }
  const slash = text.indexOf("/");
  if (slash >= 0) {
    const address = parseIpv4(text.slice(0, slash));
    const lengthText = text.slice(slash + 1);
    if (address === undefined) return { error: "only IPv4 networks are supported" };
    if (!/^\d{1,2}$/.test(lengthText) || Number(lengthText) > 32) return { error: "bad prefix length" };
    const prefix = Number(lengthText);
    if (prefix === 32) return { kind: "v4", value: address };
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { kind: "cidr", network: (address & mask) >>> 0, prefix };
  }
  // ip:port (ThreatFox, some Feodo exports).
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  if (v4WithPort) text = v4WithPort[1]!;
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { kind: "v4", value: v4 };
  if (text.includes(":")) {
    const groups = parseIpv6(text.startsWith("[") ? text.replace(/^\[|\](:\d+)?$/g, "") : text);
    if (!groups) return { error: "not an address" };
    if (
      groups[0] === 0 &&
      groups[1] === 0 &&
      groups[2] === 0 &&
      groups[3] === 0 &&
      groups[4] === 0 &&
      groups[5] === 0xffff
    )
      return { kind: "v4", value: ((groups[6]! << 16) | groups[7]!) >>> 0 };
    return { kind: "v6", value: formatIpv6Groups(groups) };
  }
  const domain = normalizeDomain(text);
  if (domain !== undefined) return { kind: "domain", value: domain };
  return { error: /^[0-9.]+$/.test(text) ? "not an address" : "not an address or domain" };
}

/** Splits one CSV line; quoted fields may hold commas and doubled quotes. */
export function splitCsv(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      fields.push(field.trim());
      field = "";
    } else field += c;
  }
  fields.push(field.trim());
  return fields;
}

/** Indicator columns of abuse.ch-style CSVs, best first. */
const INDICATOR_COLUMNS = ["dst_ip", "ip_address", "ioc_value", "ioc", "url", "domain", "host", "hostname", "ip"];

export class ThreatIntelStore {
  private readonly v4 = new Map<number, ThreatEntry>();
  /** IPv4 networks by prefix length; `prefixes` holds the lengths present, longest first. */
  private readonly networks = new Map<number, Map<number, ThreatEntry>>();
  private prefixes: number[] = [];
  private readonly v6 = new Map<string, ThreatEntry>();
  private readonly domains = new Map<string, ThreatEntry>();

  /** Entries of every kind. */
  get size(): number {
    let n = this.v4.size + this.v6.size + this.domains.size;
    for (const m of this.networks.values()) n += m.size;
    return n;
  }

  /** Whether any address (IPv4, network or IPv6) is listed: lets the packet path return at once. */
  get hasAddresses(): boolean {
    return this.v4.size > 0 || this.prefixes.length > 0 || this.v6.size > 0;
  }

  get hasDomains(): boolean {
    return this.domains.size > 0;
  }

  /** Adds one indicator (address, IPv4 network, ip:port, URL or domain); false when it is none. */
  add(indicator: string, list: string): boolean {
    const parsed = parseIndicator(indicator);
    if ("error" in parsed) return false;
    this.insert(parsed, { list, entry: indicator.trim() });
    return true;
  }

  private insert(parsed: Parsed, entry: ThreatEntry): boolean {
    switch (parsed.kind) {
      case "v4":
        if (this.v4.has(parsed.value)) return false;
        this.v4.set(parsed.value, entry);
        return true;
      case "v6":
        if (this.v6.has(parsed.value)) return false;
        this.v6.set(parsed.value, entry);
        return true;
      case "domain":
        if (this.domains.has(parsed.value)) return false;
        this.domains.set(parsed.value, entry);
        return true;
      case "cidr": {
        let byNetwork = this.networks.get(parsed.prefix);
        if (!byNetwork) {
          byNetwork = new Map();
          this.networks.set(parsed.prefix, byNetwork);
          this.prefixes = [...this.networks.keys()].sort((a, b) => b - a);
        }
        if (byNetwork.has(parsed.network)) return false;
        byNetwork.set(parsed.network, entry);
        return true;
      }
    }
  }

  /** The entry listing an IPv4 address (as a 32-bit number), exactly or by network. No allocation. */
  matchIpv4(address: number): ThreatEntry | undefined {
    const exact = this.v4.get(address);
    if (exact !== undefined) return exact;
    for (const prefix of this.prefixes) {
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const hit = this.networks.get(prefix)!.get((address & mask) >>> 0);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** The entry listing an address in text (IPv4, IPv6 or IPv4-mapped IPv6). */
  matchIp(text: string): ThreatEntry | undefined {
    const v4 = parseIpv4(text);
    if (v4 !== undefined) return this.matchIpv4(v4);
    const groups = parseIpv6(text);
    if (!groups) return undefined;
    if (
      groups[0] === 0 &&
      groups[1] === 0 &&
      groups[2] === 0 &&
      groups[3] === 0 &&
      groups[4] === 0 &&
      groups[5] === 0xffff
    )
      return this.matchIpv4(((groups[6]! << 16) | groups[7]!) >>> 0);
    return this.v6.get(formatIpv6Groups(groups));
  }

  /** The entry listing a domain or any parent of it (a listed bad.example covers x.bad.example). */
  matchDomain(name: string): { entry: ThreatEntry; domain: string } | undefined {
    if (this.domains.size === 0) return undefined;
    let domain = name.toLowerCase();
    if (domain.endsWith(".")) domain = domain.slice(0, -1);
    for (;;) {
      const entry = this.domains.get(domain);
      if (entry !== undefined) return { entry, domain };
      const dot = domain.indexOf(".");
      if (dot < 0) return undefined;
      domain = domain.slice(dot + 1);
    }
  }

  /** A plain list: one address, IPv4 network or domain a line; `#` and `;` comments, blank lines. */
  loadIpList(text: string, list: string): ThreatListReport {
    const report = newReport(list);
    forEachLine(text, (line, number) => {
      const content = stripComment(line);
      if (content === "") return;
      // Spamhaus DROP style: "1.2.3.0/24 ; SBL123" (the comment is already gone); also "ip<TAB>note".
      const token = content.split(/\s+/, 1)[0]!;
      this.take(report, token, line, number, list);
    });
    return report;
  }

  /** A hosts file: "0.0.0.0 bad.example" or "127.0.0.1 a.example b.example"; a bare domain a line also works. */
  loadHosts(text: string, list: string): ThreatListReport {
    const report = newReport(list);
    forEachLine(text, (line, number) => {
      const content = stripComment(line);
      if (content === "") return;
      const tokens = content.split(/\s+/);
      const names = tokens.length === 1 ? tokens : tokens.slice(1);
      if (tokens.length > 1 && parseIpv4(tokens[0]!) === undefined && !parseIpv6(tokens[0]!)) {
        malformed(report, number, line, "hosts line without an address");
        return;
      }
      for (const name of names) {
        if (HOSTS_NOISE.has(name.toLowerCase())) continue;
        const domain = normalizeDomain(name);
        if (domain === undefined) {
          malformed(report, number, line, `not a domain: ${name.slice(0, 64)}`);
          return;
        }
        if (this.insert({ kind: "domain", value: domain }, { list, entry: domain })) report.loaded++;
      }
    });
    return report;
  }

  /**
   * An abuse.ch-style CSV (Feodo Tracker, URLhaus, ThreatFox): a `#` comment block whose last
   * line names the columns (or a plain header line), quoted fields. The indicator column is
   * found from the header (dst_ip, ip_address, ioc_value, url, domain, …); without a header,
   * the first field that parses as an indicator is taken.
   */
  loadAbuseChCsv(text: string, list: string): ThreatListReport {
    const report = newReport(list);
    let column = -1;
    let lastComment: string | undefined;
    let sawData = false;
    const headerColumn = (fields: string[]): number => {
      const names = fields.map((f) => f.toLowerCase().replace(/^#\s*/, "").trim());
      for (const wanted of INDICATOR_COLUMNS) {
        const at = names.indexOf(wanted);
        if (at >= 0) return at;
      }
      return -1;
    };
    forEachLine(text, (line, number) => {
      const trimmed = line.trim();
      if (trimmed === "") return;
      if (trimmed.startsWith("#")) {
        if (!sawData) lastComment = trimmed.slice(1);
        return;
      }
      if (!sawData) {
        sawData = true;
        if (lastComment !== undefined) column = headerColumn(splitCsv(lastComment));
        if (column < 0) {
          const own = headerColumn(splitCsv(trimmed));
          if (own >= 0) {
            column = own;
            return; // this line is the header
          }
        }
      }
      const fields = splitCsv(trimmed);
      if (column >= 0) {
        const value = fields[column];
        if (value === undefined || value === "") {
          malformed(report, number, line, `no column ${column + 1}`);
          return;
        }
        this.take(report, value, line, number, list);
        return;
      }
      const usable = fields.find((f) => !("error" in parseIndicator(f)) && !/^\d+$/.test(f));
      if (usable === undefined) malformed(report, number, line, "no indicator in the line");
      else this.take(report, usable, line, number, list);
    });
    return report;
  }

  private take(report: ThreatListReport, token: string, line: string, number: number, list: string): void {
    const parsed = parseIndicator(token);
    if ("error" in parsed) {
      malformed(report, number, line, parsed.error);
      return;
    }
    if (this.insert(parsed, { list, entry: token.trim() })) report.loaded++;
  }
}

function newReport(list: string): ThreatListReport {
  return { list, loaded: 0, malformedCount: 0, malformed: [] };
}

function malformed(report: ThreatListReport, line: number, text: string, reason: string): void {
  report.malformedCount++;
  if (report.malformed.length < MALFORMED_REPORTED) report.malformed.push({ line, text: text.slice(0, 200), reason });
}

function stripComment(line: string): string {
  let end = line.length;
  const hash = line.indexOf("#");
  if (hash >= 0) end = hash;
  const semicolon = line.indexOf(";");
  if (semicolon >= 0 && semicolon < end) end = semicolon;
  return line.slice(0, end).trim();
}

function forEachLine(text: string, visit: (line: string, number: number) => void): void {
  let start = 0;
  let number = 1;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end > start && text[end - 1] === "\r" ? end - 1 : end);
    visit(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line, number);
    start = end + 1;
    number++;
  }
}

/** Bytes of application data a device must send to a listed peer before the match is critical. */
const DATA_BYTES_TCP = 1;
const DATA_BYTES_OTHER = 512;
const TRACKED_LIMIT = 8192;
const RESOLVED_LIMIT = 8192;

interface Contact {
  deviceId: string;
  ip: string;
  entry: ThreatEntry;
  via: string | null;
  firstUs: number;
  payloadUp: number;
  critical: boolean;
  port: string;
}

/**
 * threat_intel_match: a device talks to an address on a threat list (at its first packet),
 * or looks up a listed domain (subdomains included). High; critical once the device has sent
 * application data to the listed peer. Addresses a listed domain resolved to are watched too,
 * so a device that looked up a C2 name and then connected to it escalates.
 */
export function threatIntelDetector(store: ThreatIntelStore): DetectorFactory {
  return (context: DetectorContext): Detector => {
    const contacts = new Map<string, Contact>();
    /** IPv4 addresses listed domains resolved to (this run), with the domain's entry. */
    const resolved = new Map<number, { entry: ThreatEntry; domain: string }>();

    const raise = (state: DeviceState, c: Contact, nowUs: number, severity: Severity) => {
      const what = state.type.value === "unknown" ? "device" : state.type.value.replaceAll("_", "/");
      const destination = context.profiles.destinationOf(c.ip);
      context.raise({
        type: "threat_intel_match",
        severity,
        confidence: severity === "critical" ? 0.9 : 0.8,
        deviceId: state.id,
        mac: formatMac(state.mac),
        time: Math.floor(nowUs / 1000),
        firstEvidence: Math.floor(c.firstUs / 1000),
        key: `${state.id}|${c.ip}`,
        description:
          severity === "critical"
            ? `This ${what} exchanged data with ${destination}, which the threat list "${c.entry.list}" names as malicious.`
            : `This ${what} contacted ${destination}, which the threat list "${c.entry.list}" names as malicious.`,
        normal: "Devices do not contact addresses on threat lists.",
        observed: `${c.port} to ${c.ip}${c.via ? ` (resolved from ${c.via})` : ""}; ${c.payloadUp} bytes of data sent so far.`,
        evidence: {
          list: c.entry.list,
          entry: c.entry.entry,
          address: c.ip,
          destination,
          port: c.port,
          resolvedFrom: c.via,
          bytesSent: c.payloadUp,
        },
      });
    };

    /** Notes traffic from `state` to a listed peer; raises at first sight and when data first flows. */
    const contact = (
      state: DeviceState,
      ipText: string,
      hit: ThreatEntry,
      via: string | null,
      nowUs: number,
      firstUs: number,
      port: string,
      payload: number,
      tcp: boolean,
    ) => {
      const key = `${state.id}|${ipText}`;
      let c = contacts.get(key);
      if (c === undefined) {
        if (contacts.size >= TRACKED_LIMIT) {
          const oldest = contacts.keys().next().value;
          if (oldest !== undefined) contacts.delete(oldest);
        }
        c = { deviceId: state.id, ip: ipText, entry: hit, via, firstUs, payloadUp: 0, critical: false, port };
        contacts.set(key, c);
        c.payloadUp += payload;
        const sent = c.payloadUp >= (tcp ? DATA_BYTES_TCP : DATA_BYTES_OTHER);
        c.critical = sent;
        raise(state, c, nowUs, sent ? "critical" : "high");
        return;
      }
      c.payloadUp += payload;
      if (!c.critical && c.payloadUp >= (tcp ? DATA_BYTES_TCP : DATA_BYTES_OTHER)) {
        c.critical = true;
        raise(state, c, nowUs, "critical");
      }
    };

    const portOf = (protocol: number, port: number) =>
      protocol === 6 ? `tcp/${port}` : protocol === 17 ? `udp/${port}` : `ip-${protocol}`;

    return {
      type: "threat_intel_match",
      onPacket(p: DecodedPacket, _data: Uint8Array, sender: DeviceState | undefined) {
        if (p.ipVersion !== 4 || sender === undefined || sender.role !== "device") return;
        if (!store.hasAddresses && resolved.size === 0) return;
        const dst = p.dstIp4;
        let hit = store.matchIpv4(dst);
        let via: string | null = null;
        if (hit === undefined) {
          const r = resolved.size > 0 ? resolved.get(dst) : undefined;
          if (r === undefined) return;
          hit = r.entry;
          via = r.domain;
        }
        if (isPrivateIpv4(dst) || dst >>> 28 >= 14 || context.isSensor(sender.mac)) return;
        contact(
          sender,
          formatIpv4(dst),
          hit,
          via,
          p.timestampUs,
          p.timestampUs,
          portOf(p.protocol, p.dstPort),
          p.payloadLength,
          p.protocol === 6,
        );
      },
      onFlowEnd(flow: FlowRecord) {
        // IPv6 flows and anything the packet path missed (a store without addresses sees none).
        if (!store.hasAddresses || flow.dstIp.includes(".")) return;
        const hit = store.matchIp(flow.dstIp);
        if (hit === undefined || !isRemoteIp(flow.dstIp)) return;
        const state = flow.srcMac > 0 ? context.devices.get(flow.srcMac) : context.devices.stateForIp(flow.srcIp);
        if (!isJudgedDevice(state) || context.isSensor(state.mac)) return;
        contact(
          state,
          flow.dstIp,
          hit,
          null,
          flow.lastSeenUs,
          flow.firstSeenUs,
          portOf(flow.protocol, flow.dstPort),
          flow.payloadBytesOut,
          flow.protocol === 6,
        );
      },
      onDns(message: DnsMessage, p: DecodedPacket, sender: DeviceState) {
        if (!store.hasDomains) return;
        const question = message.questions[0];
        if (question === undefined) return;
        const match = store.matchDomain(question.name);
        if (match === undefined) return;
        if (message.qr) {
          // The answer: watch where the listed name points.
          for (const answer of message.answers) {
            if (answer.data.kind !== "a") continue;
            const v4 = parseIpv4(answer.data.address);
            if (v4 === undefined || isPrivateIpv4(v4) || v4 === 0) continue;
            if (resolved.size >= RESOLVED_LIMIT) {
              const oldest = resolved.keys().next().value;
              if (oldest !== undefined) resolved.delete(oldest);
            }
            resolved.set(v4, match);
          }
          return;
        }
        if (!isJudgedDevice(sender) || context.isSensor(sender.mac)) return;
        const what = sender.type.value === "unknown" ? "device" : sender.type.value.replaceAll("_", "/");
        const nowMs = Math.floor(p.timestampUs / 1000);
        context.raise({
          type: "threat_intel_match",
          severity: "high",
          confidence: 0.75,
          deviceId: sender.id,
          mac: formatMac(sender.mac),
          time: nowMs,
          firstEvidence: nowMs,
          key: `${sender.id}|dns|${match.domain}`,
          description: `This ${what} looked up ${question.name}, a name the threat list "${match.entry.list}" names as malicious.`,
          normal: "Devices do not look up names on threat lists.",
          observed: `A DNS query for ${question.name} (listed as ${match.entry.entry}).`,
          evidence: {
            list: match.entry.list,
            entry: match.entry.entry,
            query: question.name,
            listedDomain: match.domain,
            queryType: question.type,
            server: p.ipVersion === 4 ? formatIpv4(p.dstIp4) : formatIp(p.dstAddress),
          },
        });
      },
    };
  };
}
