import type { DeviceState } from "../../discovery/device-map.js";
import { formatMac } from "../../packet/address.js";
import type { DecodedPacket } from "../../packet/decoded-packet.js";
import type { DnsMessage } from "../../packet/dns.js";
import { type DomainParser, lastTwoLabels } from "../../profile/domain-parser.js";
import type { Detector, DetectorContext, DetectorFactory } from "../detector.js";
import { BIGRAM_SURPRISAL, NGRAM_ALPHABET, NGRAM_DIGITS, TRIGRAM_SURPRISAL } from "./dga-ngram-model.js";
import { hasPlausibleTld, isLocalName, normalizeName } from "./dns-text.js";

const N = NGRAM_ALPHABET.length;
const decode = (table: string) => Float32Array.from(table, (c) => NGRAM_DIGITS.indexOf(c) / 4);
const BIGRAM = decode(BIGRAM_SURPRISAL);
const TRIGRAM = decode(TRIGRAM_SURPRISAL);
const START = 0;
const END = N - 1;
const VOWELS = /[aeiouy]/g;
const CONSONANT_RUNS = /[^aeiouy]+/g;

/**
 * Bits per character that an English-like name is allowed before it counts as random: a
 * uniform random letter costs log2(26) ≈ 4.7 bits under a uniform model and 6–9 bits under
 * the English model, English words about 2–3.
 */
const ALLOWED_BITS_PER_TRANSITION = 4;
/**
 * Score at which a name counts as generated (sensitivity 0.5): just above the 99.5th percentile
 * of the even rows of the real names in data/dga (the odd rows are held out for the test).
 */
export const DGA_NAME_THRESHOLD = 13.7;

/** Second-level labels under which people register names (co.uk, com.br, gob.ar …). */
const SECOND_LEVEL = new Set(["com", "net", "org", "co", "gov", "edu", "ac", "gob", "or", "ne", "go", "nic", "mil"]);

/**
 * Labels a name was registered with: the name without its public suffix. With a parser the
 * suffix is what follows the registrable domain's first label; without one, the TLD and a
 * common second-level label.
 */
export function registeredLabels(name: string, domains?: DomainParser): string[] {
  const labels = normalizeName(name).split(".");
  const registrable = domains?.registrableDomain(name);
  if (registrable !== undefined) {
    const suffixLabels = registrable.split(".").length - 1;
    return labels.slice(0, labels.length - suffixLabels);
  }
  labels.pop();
  if (labels.length > 1 && SECOND_LEVEL.has(labels[labels.length - 1]!)) labels.pop();
  return labels;
}

/**
 * Lexical score of one label: its surprisal under the English character trigram model in
 * excess of 4 bits per transition (so long random strings score high and short ones cannot),
 * plus small terms for digits mixed with letters, long consonant runs, very long labels and
 * few vowels. Near 0 or below for words, well above 10 for random strings of 10+ letters.
 */
export function dgaLabelScore(label: string): number {
  const lower = label.toLowerCase();
  if (lower.length === 0) return 0;
  let surprisal = 0;
  let transitions = 0;
  for (const part of lower.split(/[^a-z]+/)) {
    if (part.length === 0) continue;
    let a = START;
    let b = START;
    for (let i = 0; i <= part.length; i++) {
      const c = i === part.length ? END : part.charCodeAt(i) - 96;
      surprisal += i === 0 ? BIGRAM[START * N + c]! : TRIGRAM[(a * N + b) * N + c]!;
      transitions++;
      a = b;
      b = c;
    }
  }
  let score = (surprisal - transitions * ALLOWED_BITS_PER_TRANSITION) / 4;
  let digits = 0;
  for (let i = 0; i < lower.length; i++) if (lower.charCodeAt(i) >= 48 && lower.charCodeAt(i) <= 57) digits++;
  const letters = lower.replace(/[^a-z]/g, "");
  if (digits > 0 && letters.length > 0) score += Math.min(1, (4 * digits) / lower.length);
  const longestRun = Math.max(0, ...(letters.match(CONSONANT_RUNS) ?? []).map((r) => r.length));
  if (longestRun >= 4) score += 0.3 * (longestRun - 3);
  if (lower.length >= 12) score += 0.3;
  if (letters.length > 0 && (letters.match(VOWELS)?.length ?? 0) / letters.length < 0.2) score += 1;
  return score;
}

/** Score of a whole name: its most random registered label. */
export function dgaNameScore(name: string, domains?: DomainParser): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const label of registeredLabels(name, domains)) best = Math.max(best, dgaLabelScore(label));
  return Number.isFinite(best) ? best : 0;
}

/** Name threshold by sensitivity: 16.7 at 0, 13.7 at 0.5, 10.7 at 1. */
export function dgaNameThreshold(sensitivity: number): number {
  return DGA_NAME_THRESHOLD + 6 * (0.5 - sensitivity);
}

/** Distinct generated-looking, failing domains within the window that make an alert: 12 at 0, 8 at 0.5, 4 at 1. */
export function dgaBurstCount(sensitivity: number): number {
  return Math.round(12 - 8 * sensitivity);
}

/** DETECTION.md: a DGA burst within 2 minutes. */
const WINDOW_US = 120e6;
/** Share of the window's generated-looking domains that must fail (NXDOMAIN). */
const FAILING_SHARE = 0.6;
const NXDOMAIN = 3;
const MAX_DEVICES = 4096;
const MAX_LOOKUPS = 512;
/** Names whose verdict is kept: a home resolves the same few hundred names all day. */
const MAX_VERDICTS = 4096;

/** What a name alone decides: its registrable domain (none: never judged) and its score. */
interface NameVerdict {
  domain: string | undefined;
  score: number;
}

export interface DgaDomainOptions {
  domains?: DomainParser;
}

interface Lookup {
  timeUs: number;
  name: string;
  domain: string;
  score: number;
  failed: boolean;
}

interface DeviceWindow {
  lookups: Lookup[];
  /** All answered lookups in the window (for "normal"). */
  answered: number;
  failed: number;
  raisedUs: number;
}

/**
 * dga_domain: a device resolving many distinct generated-looking registrable domains that
 * mostly fail, within two minutes. Names are scored lexically against an English character
 * trigram model; the device-level burst and the NXDOMAIN share keep ordinary browsing quiet
 * (fresh real sites resolve, and few real names score high).
 */
export function dgaDomainDetector(options: DgaDomainOptions = {}): DetectorFactory {
  const domains = options.domains ?? lastTwoLabels;
  return (context: DetectorContext): Detector => {
    const windows = new Map<string, DeviceWindow>();
    // Scoring a name is most of this detector's work, and the same names come back all day.
    const verdicts = new Map<string, NameVerdict>();
    const verdictOf = (rawName: string): NameVerdict => {
      let verdict = verdicts.get(rawName);
      if (verdict === undefined) {
        const name = normalizeName(rawName);
        const domain = isLocalName(name) || !hasPlausibleTld(name) ? undefined : domains.registrableDomain(name);
        verdict = { domain, score: domain === undefined ? 0 : dgaNameScore(name, domains) };
        if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
        verdicts.set(rawName, verdict);
      }
      return verdict;
    };
    return {
      type: "dga_domain",
      onDns(message: DnsMessage, p: DecodedPacket, _sender: DeviceState): void {
        if (!message.qr) return;
        const question = message.questions[0];
        if (!question || (question.type !== 1 && question.type !== 28 && question.type !== 15)) return;
        const device = context.devices.get(p.dstMac);
        if (!device || device.role === "sensor" || context.isSensor(device.mac)) return;
        const { domain, score } = verdictOf(question.name);
        if (domain === undefined) return;
        let window = windows.get(device.id);
        if (!window) {
          if (windows.size >= MAX_DEVICES) windows.clear();
          window = { lookups: [], answered: 0, failed: 0, raisedUs: Number.NEGATIVE_INFINITY };
          windows.set(device.id, window);
        }
        const nowUs = p.timestampUs;
        const failed = message.rcode === NXDOMAIN;
        window.answered++;
        if (failed) window.failed++;
        const sensitivity = context.sensitivity("dga_domain", device.id);
        if (score < dgaNameThreshold(sensitivity)) return;
        if (context.profiles.baseline(device.id)?.knowsDestination(domain, nowUs / 1000)) return;
        const lookups = window.lookups;
        while (lookups.length > 0 && nowUs - lookups[0]!.timeUs > WINDOW_US) lookups.shift();
        if (lookups.some((l) => l.domain === domain) || lookups.length >= MAX_LOOKUPS) return;
        lookups.push({ timeUs: nowUs, name: normalizeName(question.name), domain, score, failed });
        const failing = lookups.filter((l) => l.failed).length;
        if (lookups.length < dgaBurstCount(sensitivity) || failing < FAILING_SHARE * lookups.length) return;
        if (nowUs - window.raisedUs < WINDOW_US) return;
        window.raisedUs = nowUs;
        const first = lookups[0]!;
        const mac = formatMac(device.mac);
        context.raise({
          type: "dga_domain",
          severity: lookups.length >= 2 * dgaBurstCount(sensitivity) ? "high" : "medium",
          confidence: Math.min(0.95, 0.4 + (0.5 * failing) / lookups.length + lookups.length / 100),
          deviceId: device.id,
          mac,
          time: Math.floor(nowUs / 1000),
          firstEvidence: Math.floor(first.timeUs / 1000),
          key: mac,
          description: `This device tried ${lookups.length} random-looking web addresses in a short time and most did not exist, which is how some malware searches for its control server.`,
          normal: `Ordinary devices look up real names that resolve; this device had ${window.answered - window.failed} of ${window.answered} lookups succeed so far.`,
          observed: `${lookups.length} distinct generated-looking domains in ${Math.round((nowUs - first.timeUs) / 1e6)} s, ${failing} of them NXDOMAIN.`,
          evidence: {
            destination: first.domain,
            domains: lookups.length,
            failing,
            sampleNames: lookups.slice(0, 8).map((l) => l.name),
            scores: lookups.slice(0, 8).map((l) => Math.round(l.score * 100) / 100),
            nameThreshold: dgaNameThreshold(sensitivity),
            firstQuery: first.name,
          },
        });
      },
      tick(nowUs: number): void {
        // Ticks come every second of packet time: an empty map is not walked.
        if (windows.size === 0) return;
        for (const [id, window] of windows) {
          const last = window.lookups[window.lookups.length - 1];
          if ((!last || nowUs - last.timeUs > WINDOW_US) && nowUs - window.raisedUs > WINDOW_US) windows.delete(id);
        }
      },
    };
  };
}
