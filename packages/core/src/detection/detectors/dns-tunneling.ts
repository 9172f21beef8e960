import type { DeviceState } from "../../discovery/device-map.js";
import { formatIpv4, formatMac } from "../../packet/address.js";
import type { DecodedPacket } from "../../packet/decoded-packet.js";
import type { DnsMessage } from "../../packet/dns.js";
import { type DomainParser, lastTwoLabels } from "../../profile/domain-parser.js";
import type { Severity } from "../alert.js";
import type { Detector, DetectorContext, DetectorFactory } from "../detector.js";
import { hasPlausibleTld, isLocalName, normalizeName, shannonEntropy } from "./dns-text.js";

/**
 * Services whose protocol is to encode data in names under one domain: antivirus hash
 * reputation (Sophos, ESET), DNS blocklists (reversed addresses), and cloud/CDN edges whose
 * host names are hashes. Each would look like a tunnel by construction; everything else is
 * judged on the general signals. Keep it short: this is a list of designs, not of vendors met.
 */
export const DNS_ENCODING_SERVICES: readonly string[] = [
  "sophosxl.net", // Sophos Live Protection: file hashes as labels
  "e5.sk", // ESET LiveGrid
  "spamhaus.org",
  "surbl.org",
  "spamcop.net",
  "sorbs.net",
  "barracudacentral.org",
  "uribl.com",
  "akamaiedge.net",
  "akadns.net",
  "amazonaws.com",
  "rackcdn.com",
  "mozgcp.net",
];

/** Query types a tunnel prefers because the answer carries more bytes (RFC 1035 / 6895 private range). */
const TUNNEL_TYPES = new Map<number, string>([
  [5, "CNAME"],
  [10, "NULL"],
  [15, "MX"],
  [16, "TXT"],
  [255, "ANY"],
]);

/** Unique names are remembered this long per device and domain. */
const WINDOW_US = 300e6;
const MAX_NAMES = 256;
const MAX_STATES = 8192;
/** A domain the device has used on earlier days needs this much more evidence. */
const KNOWN_DOMAIN_FACTOR = 3;
/** Names whose domain is kept: a home looks up the same few hundred names all day. */
const MAX_NAME_DOMAINS = 4096;
/** Marks a name without a real TLD: grouped by the resolver it was sent to. */
const DIRECT = "\u0000direct";

/** The record type as evidence names it (TXT, NULL … or the number). */
function typeNameOf(type: number): string {
  return TUNNEL_TYPES.get(type) ?? (type >= 65280 ? "PRIVATE" : `${type}`);
}
const COMMON_TYPE_NAMES = Array.from({ length: 256 }, (_, type) => typeNameOf(type));

export interface DnsTunnelingOptions {
  /** eTLD+1 of a name; inject the Public Suffix List one (defaults to the last two labels). */
  domains?: DomainParser;
  /** Domains never judged (defaults to DNS_ENCODING_SERVICES). */
  exempt?: readonly string[];
}

interface NameSample {
  timeUs: number;
  name: string;
  /** Bits the subdomain carries: length × character entropy. */
  bits: number;
  entropy: number;
  longestLabel: number;
  weight: number;
}

interface DomainState {
  deviceId: string;
  mac: string;
  domain: string;
  names: Map<string, NameSample>;
  queries: number;
  types: Map<string, number>;
  largeTxt: number;
  txtEntropy: number;
  raisedUs: number;
}

/** Evidence one unique subdomain adds: about 1 for a 20-character base32 label, 2 for long hex chunks. */
export function subdomainWeight(subdomain: string, tunnelType: boolean): NameSample["weight"] {
  const letters = subdomain.replaceAll(".", "");
  if (letters.length < 8) return 0;
  const entropy = shannonEntropy(letters);
  // Hostnames like "mail" or "images-eu" stay low; encoded chunks carry ≥ 3 bits per character.
  if (entropy < 3) return 0;
  return Math.min(2, (letters.length * entropy) / 80) + (tunnelType ? 0.5 : 0);
}

/** Weighted unique names that make an alert: 14 at sensitivity 0, 8 at 0.5, 2 at 1. */
export function tunnelThreshold(sensitivity: number): number {
  return 14 - 12 * sensitivity;
}

/**
 * dns_tunneling: per device and registrable domain, streaming. Each unique subdomain adds
 * evidence in proportion to the information it carries (length × entropy), with a bonus for
 * record types tunnels prefer; large high-entropy TXT answers and the query rate are reported
 * with it. A domain the device's baseline already knows needs three times the evidence.
 */
export function dnsTunnelingDetector(options: DnsTunnelingOptions = {}): DetectorFactory {
  const domains = options.domains ?? lastTwoLabels;
  const exempt = new Set(options.exempt ?? DNS_ENCODING_SERVICES);
  return (context: DetectorContext): Detector => {
    const states = new Map<string, DomainState>();
    let lastPruneUs = Number.NEGATIVE_INFINITY;
    /** Normalized name → its domain (or DIRECT, or none): names repeat, parsing them is the cost. */
    const nameDomains = new Map<string, string | undefined>();

    const domainOf = (name: string, p: DecodedPacket): string | undefined => {
      let domain = nameDomains.get(name);
      if (domain === undefined && !nameDomains.has(name)) {
        domain = undefinedOrDomain(name);
        if (nameDomains.size >= MAX_NAME_DOMAINS) nameDomains.clear();
        nameDomains.set(name, domain);
      }
      // Direct-mode tunnels (dnscat2 without a domain) send names with no real TLD: group by resolver.
      return domain === DIRECT ? `direct to ${formatIpv4(p.dstIp4)}` : domain;
    };

    const undefinedOrDomain = (name: string): string | undefined => {
      if (isLocalName(name)) return undefined;
      if (!hasPlausibleTld(name)) return DIRECT;
      const domain = domains.registrableDomain(name);
      if (domain === undefined || exempt.has(domain)) return undefined;
      return domain;
    };

    /** The last state asked for: a device's lookups come in runs under one domain. Reset when states go. */
    let last: DomainState | undefined;
    const stateFor = (device: DeviceState, domain: string): DomainState => {
      if (last !== undefined && last.deviceId === device.id && last.domain === domain) return last;
      const key = `${device.id}|${domain}`;
      let state = states.get(key);
      if (!state) {
        if (states.size >= MAX_STATES) states.clear();
        state = {
          deviceId: device.id,
          mac: formatMac(device.mac),
          domain,
          names: new Map(),
          queries: 0,
          types: new Map(),
          largeTxt: 0,
          txtEntropy: 0,
          raisedUs: Number.NEGATIVE_INFINITY,
        };
        states.set(key, state);
      }
      last = state;
      return state;
    };

    const evaluate = (state: DomainState, nowUs: number) => {
      let score = 0;
      let encoded = 0;
      for (const sample of state.names.values()) {
        score += sample.weight;
        if (sample.weight > 0) encoded++;
      }
      if (encoded < 3) return;
      const sensitivity = context.sensitivity("dns_tunneling", state.deviceId);
      const known = context.profiles.baseline(state.deviceId)?.knowsDestination(state.domain, nowUs / 1000) ?? false;
      const threshold = tunnelThreshold(sensitivity) * (known ? KNOWN_DOMAIN_FACTOR : 1);
      if (score < threshold) return;
      // One alert per device and domain per window; the sink folds repeats.
      if (nowUs - state.raisedUs < WINDOW_US) return;
      state.raisedUs = nowUs;
      const samples = [...state.names.values()];
      const first = samples.reduce((a, b) => (b.timeUs < a.timeUs ? b : a));
      const meanEntropy = samples.reduce((s, x) => s + x.entropy, 0) / samples.length;
      const meanLength = samples.reduce((s, x) => s + x.bits / Math.max(x.entropy, 1e-9), 0) / samples.length;
      const strong = score >= 2 * threshold || state.largeTxt > 0 || samples.some((x) => x.longestLabel >= 48);
      const severity: Severity = strong ? "high" : "medium";
      const types = Object.fromEntries(state.types);
      const spanS = Math.max(1, (nowUs - first.timeUs) / 1e6);
      context.raise({
        type: "dns_tunneling",
        severity,
        confidence: Math.min(0.95, 0.5 + score / (4 * threshold)),
        deviceId: state.deviceId,
        mac: state.mac,
        time: Math.floor(nowUs / 1000),
        firstEvidence: Math.floor(first.timeUs / 1000),
        key: `${state.mac}|${state.domain}`,
        description: `This device sent ${state.names.size} different encoded-looking names under ${state.domain}, which is how programs hide data inside DNS lookups.`,
        normal: known
          ? `The device has looked up ${state.domain} on earlier days, but not with encoded names like these.`
          : `The device had not used ${state.domain} before; ordinary sites need a handful of distinct names per domain.`,
        observed: `${state.names.size} unique names (${encoded} encoded) in ${Math.round(spanS)} s, mean entropy ${meanEntropy.toFixed(2)} bits/char, ${state.queries} queries.`,
        evidence: {
          destination: state.domain,
          uniqueNames: state.names.size,
          encodedNames: encoded,
          score: round2(score),
          threshold: round2(threshold),
          meanEntropy: round2(meanEntropy),
          meanSubdomainLength: Math.round(meanLength),
          longestLabel: Math.max(...samples.map((x) => x.longestLabel)),
          queries: state.queries,
          queriesPerMinute: round2((state.queries * 60) / spanS),
          recordTypes: types,
          largeHighEntropyTxtAnswers: state.largeTxt,
          sampleNames: samples.slice(0, 5).map((x) => x.name),
          firstQuery: first.name,
          knownDomain: known,
        },
      });
    };

    return {
      type: "dns_tunneling",
      onDns(message: DnsMessage, p: DecodedPacket, sender: DeviceState): void {
        const question = message.questions[0];
        if (!question) return;
        const name = normalizeName(question.name);
        if (!message.qr) {
          if (sender.role === "sensor" || context.isSensor(sender.mac)) return;
          const domain = domainOf(name, p);
          if (domain === undefined) return;
          const state = stateFor(sender, domain);
          state.queries++;
          const typeName = COMMON_TYPE_NAMES[question.type] ?? typeNameOf(question.type);
          state.types.set(typeName, (state.types.get(typeName) ?? 0) + 1);
          if (state.names.has(name) || state.names.size >= MAX_NAMES) return;
          const subdomain = domain.startsWith("direct to ")
            ? name
            : name.slice(0, Math.max(0, name.length - domain.length - 1));
          const tunnelType = TUNNEL_TYPES.has(question.type) || question.type >= 65280;
          const letters = subdomain.replaceAll(".", "");
          const entropy = shannonEntropy(letters);
          state.names.set(name, {
            timeUs: p.timestampUs,
            name,
            bits: letters.length * entropy,
            entropy,
            longestLabel: Math.max(0, ...subdomain.split(".").map((l) => l.length)),
            weight: subdomainWeight(subdomain, tunnelType),
          });
          evaluate(state, p.timestampUs);
          return;
        }
        // A response: the querying device is its destination. Large high-entropy TXT answers
        // (Slips: ≥ 5 bits/char) strengthen a domain that already shows encoded names.
        const device = context.devices.get(p.dstMac);
        if (!device) return;
        let txt = "";
        for (const answer of message.answers) if (answer.data.kind === "txt") txt += answer.data.strings.join("");
        if (txt.length < 100) return;
        const domain = domainOf(name, p);
        if (domain === undefined || domain.startsWith("direct to ")) return;
        const state = states.get(`${device.id}|${domain}`);
        if (!state) return;
        const entropy = shannonEntropy(txt);
        if (entropy >= 5) {
          state.largeTxt++;
          state.txtEntropy = Math.max(state.txtEntropy, entropy);
        }
      },
      tick(nowUs: number): void {
        if (nowUs - lastPruneUs < 10e6) return;
        lastPruneUs = nowUs;
        for (const [key, state] of states) {
          for (const [name, sample] of state.names) if (nowUs - sample.timeUs > WINDOW_US) state.names.delete(name);
          if (state.names.size === 0 && nowUs - state.raisedUs > WINDOW_US) {
            states.delete(key);
            if (state === last) last = undefined;
          }
        }
      },
    };
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
