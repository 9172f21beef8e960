/**
 * A DeviceClassifier whose knowledge is data: device-type-rules.json, a versioned list of rules.
 *
 * A rule names a type (and optionally a model and an OS), a weight in (0, 1], and match
 * conditions; it fires when every condition matches at least one value of the device's
 * evidence. A condition's value is one pattern or a list of alternatives (any may match).
 *
 *   regex, case-insensitive:  vendor (IEEE registry organisation), hostname (DHCP option 12,
 *                             mDNS and NetBIOS host names), dhcpVendorClass (option 60),
 *                             mdnsName (instance names), mdnsModel (TXT model=/md=/ty=…),
 *                             ssdpServer, userAgent, netbiosName, ssdpDeviceType (UPnP device
 *                             and service types the device announces, "urn:Belkin:device:
 *                             bridge:1"), httpServer (Server header of its own web server),
 *                             upnpModel (maker and model of its UPnP description)
 *   exact, or prefix with a trailing "*":  dhcpParameterList (option 55, "1,3,6,15"; a prefix
 *                             ends at an item boundary: "1,3,6,*" matches "1,3,6" and
 *                             "1,3,6,12", not "1,3,60"), ja4 ("t13d1516h2_*")
 *   service type, exact:      mdnsService ("_airplay._tcp"; ".local" and case are ignored)
 *   port, exact:              serverPort ("tcp/10000", "udp/48899": a port the device answered
 *                             on as a server; a vendor's documented LAN API port),
 *                             broadcastPort ("udp/6667": a port it broadcasts to, unasked)
 *   domain suffix:            dnsName (names the device looked up), tlsServerName (TLS SNI),
 *                             destination (either: a device on DNS-over-HTTPS, or whose lookup
 *                             the sensor missed, still shows the SNI); "fitbit.com" matches
 *                             "www.fitbit.com", not "notfitbit.com"
 *
 * A rule without a type only contributes its OS (e.g. "udhcp → Linux (BusyBox)").
 *
 * A rule may name rules it `supersedes`: priors that guess at what it knows. When it fires,
 * their votes for a type and a model are dropped (they still show in explain()). Most WeMo
 * devices are plugs, so the Belkin OUI, WeMo's SSDP server string and its cloud each vote
 * plug; a WeMo that announces the UPnP device type of the WeMo Link bridge is a bridge, however
 * many of those priors agree with each other.
 *
 * Every input is attacker-controlled text: values are cut to MAX_VALUE_LENGTH characters and
 * each list to its newest MAX_VALUES_PER_FIELD entries before matching, and regexes that can
 * backtrack exponentially (an unbounded quantifier over a group that itself holds a quantifier
 * or an alternation, or a backreference) are refused when the rules are loaded.
 */
import type { ClassificationInput, DeviceClassification, DeviceClassifier } from "./device-classifier.js";
import { DEVICE_TYPES, type DeviceType, type Inference } from "./device-record.js";

export const REGEX_FIELDS = [
  "vendor",
  "hostname",
  "dhcpVendorClass",
  "mdnsName",
  "mdnsModel",
  "ssdpServer",
  "userAgent",
  "netbiosName",
  "ssdpDeviceType",
  "httpServer",
  "upnpModel",
] as const;
export const PREFIX_FIELDS = ["dhcpParameterList", "ja4"] as const;
export const SERVICE_FIELDS = ["mdnsService"] as const;
export const PORT_FIELDS = ["serverPort", "broadcastPort"] as const;
export const DOMAIN_FIELDS = ["destination", "tlsServerName", "dnsName"] as const;
export const CONDITION_FIELDS = [
  ...REGEX_FIELDS,
  ...PREFIX_FIELDS,
  ...SERVICE_FIELDS,
  ...PORT_FIELDS,
  ...DOMAIN_FIELDS,
] as const;

export type ConditionField = (typeof CONDITION_FIELDS)[number];

export interface DeviceTypeRule {
  id: string;
  /** Absent for rules that only name an OS or a model. */
  type?: DeviceType;
  /** How much firing this rule says, in (0, 1]: 1 is conclusive on its own, 0.2 a weak prior. */
  weight: number;
  match: Partial<Record<ConditionField, string | string[]>>;
  /** May use $0 … $9: groups of the first regex condition of the rule that captured them. */
  model?: string;
  os?: string;
  /** Ids of rules whose type and model votes this rule replaces when it fires (see above). */
  supersedes?: string[];
  /** For reviewers: why the rule holds and where it does not. */
  note?: string;
}

export interface DeviceTypeRuleSet {
  version: string;
  description?: string;
  rules: DeviceTypeRule[];
}

/** A rule that fired for one device, with what it matched; see RuleClassifier.explain. */
export interface FiredRule {
  id: string;
  type: DeviceType | null;
  weight: number;
  /** `fields:id=values`, e.g. "hostname:hostname-dlink-dcs=DCS-930LB". */
  evidence: string;
  /** The fired rule that superseded this one: it fired, but did not vote. */
  supersededBy?: string;
}

/** 256: longer than any real hostname (RFC 1035: 253), user agent head or server string we key on. */
export const MAX_VALUE_LENGTH = 256;
/** The producer bounds its lists; this bounds the work if it did not. */
export const MAX_VALUES_PER_FIELD = 64;
/** Matched text quoted in evidence is cut to this and stripped of control characters. */
const MAX_EVIDENCE_VALUE_LENGTH = 64;

const RULE_KEYS = new Set(["id", "type", "weight", "match", "model", "os", "supersedes", "note"]);
const CLASSIFIABLE_TYPES: readonly string[] = DEVICE_TYPES.filter((t) => t !== "unknown");

type Matcher = (value: string) => { text: string; groups: readonly string[] } | null;

interface CompiledCondition {
  field: ConditionField;
  matchers: Matcher[];
  isRegex: boolean;
}

interface CompiledRule {
  id: string;
  type: DeviceType | null;
  weight: number;
  model: string | null;
  os: string | null;
  conditions: CompiledCondition[];
  supersedes: readonly string[];
  order: number;
}

interface Firing {
  rule: CompiledRule;
  evidence: string;
  /** Capture groups of the first regex condition that captured any, for model templates. */
  groups: readonly string[];
}

type FieldValues = Record<ConditionField, readonly string[]>;

export class RuleClassifier implements DeviceClassifier {
  readonly version: string;
  private readonly rules: readonly CompiledRule[];
  readonly #tcpServerPorts = new Set<number>();

  /** Validates and compiles the rules; throws an Error naming the rule id and field at fault. */
  constructor(ruleSet: DeviceTypeRuleSet) {
    const set: unknown = ruleSet;
    if (!isRecord(set)) throw new Error("Invalid device-type rules: expected an object");
    if (typeof set.version !== "string" || set.version === "") {
      throw new Error('Invalid device-type rules: "version" must be a non-empty string');
    }
    if (!Array.isArray(set.rules)) throw new Error('Invalid device-type rules: "rules" must be an array');
    this.version = set.version;
    const ids = new Set<string>();
    this.rules = set.rules.map((raw: unknown, index: number) => {
      const rule = compileRule(raw, index);
      if (ids.has(rule.id)) throw new Error(`Invalid device-type rule "${rule.id}": duplicate id`);
      ids.add(rule.id);
      return rule;
    });
    for (const raw of set.rules as DeviceTypeRule[]) {
      const ports = raw.match.serverPort;
      for (const port of Array.isArray(ports) ? ports : ports === undefined ? [] : [ports]) {
        const tcp = /^tcp\/(\d+)$/i.exec(port)?.[1];
        if (tcp !== undefined) this.#tcpServerPorts.add(Number(tcp));
      }
    }
    for (const rule of this.rules) {
      for (const id of rule.supersedes) {
        if (!ids.has(id))
          throw new Error(`Invalid device-type rule "${rule.id}": supersedes: unknown rule ${show(id)}`);
      }
    }
  }

  /**
   * The TCP ports some rule reads as a server port ("tcp/554"), ascending: what an active
   * service probe asks each device, so that the rules decide what is worth asking.
   */
  probePorts(): number[] {
    return [...this.#tcpServerPorts].sort((a, b) => a - b);
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  classify(input: ClassificationInput): DeviceClassification {
    const fired = this.fire(input);
    const superseded = supersededRules(fired);
    const voting = superseded.size === 0 ? fired : fired.filter((f) => !superseded.has(f.rule.id));
    const typeScores = new Map<DeviceType, number>();
    for (const f of voting) {
      if (f.rule.type !== null) typeScores.set(f.rule.type, (typeScores.get(f.rule.type) ?? 0) + f.rule.weight);
    }
    if (typeScores.size === 0) {
      return { type: { value: "unknown", confidence: 0, evidence: [] }, model: null, os: this.inferOs(fired) };
    }
    const best = pickBestType(typeScores, voting);
    const supporting = voting.filter((f) => f.rule.type === best).sort(byStrength);
    const type: Inference<DeviceType> = {
      value: best,
      confidence: confidenceOf(typeScores.get(best) ?? 0, sum(typeScores.values())),
      evidence: supporting.map((f) => f.evidence),
    };
    return { type, model: inferModel(supporting, type.confidence), os: this.inferOs(fired) };
  }

  /** Every rule that fired, strongest first: what a reviewer or the evaluation wants to see. */
  explain(input: ClassificationInput): FiredRule[] {
    const fired = this.fire(input).sort(byStrength);
    const supersededBy = new Map<string, string>();
    for (const f of fired) {
      for (const id of f.rule.supersedes) if (!supersededBy.has(id)) supersededBy.set(id, f.rule.id);
    }
    return fired.map((f) => {
      const rule: FiredRule = { id: f.rule.id, type: f.rule.type, weight: f.rule.weight, evidence: f.evidence };
      const by = supersededBy.get(f.rule.id);
      if (by !== undefined) rule.supersededBy = by;
      return rule;
    });
  }

  private fire(input: ClassificationInput): Firing[] {
    const values = fieldValues(input);
    const fired: Firing[] = [];
    for (const rule of this.rules) {
      const firing = fireRule(rule, values);
      if (firing !== null) fired.push(firing);
    }
    return fired;
  }

  private inferOs(fired: readonly Firing[]): Inference | null {
    const scores = new Map<string, number>();
    for (const f of fired) if (f.rule.os !== null) scores.set(f.rule.os, (scores.get(f.rule.os) ?? 0) + f.rule.weight);
    let bestOs: string | null = null;
    let bestScore = 0;
    for (const [os, score] of scores) {
      if (score > bestScore) {
        bestOs = os;
        bestScore = score;
      }
    }
    if (bestOs === null) return null;
    return {
      value: bestOs,
      confidence: confidenceOf(bestScore, sum(scores.values())),
      evidence: fired.filter((f) => f.rule.os === bestOs).map((f) => f.evidence),
    };
  }
}

/** Ids of the rules that fired rules supersede (a superseded rule that fired still supersedes). */
function supersededRules(fired: readonly Firing[]): Set<string> {
  const ids = new Set<string>();
  for (const f of fired) for (const id of f.rule.supersedes) ids.add(id);
  return ids;
}

/**
 * Confidence from the summed weights: (1 − e^−best) × best / total.
 * The first factor grows with the amount of agreeing evidence and saturates (one weight-1 rule
 * gives 0.63, two give 0.86, a lone 0.3 prior 0.26); the second is the share of all fired weight
 * that agrees with the winner, so conflicting evidence lowers it (a 1.0 against a 0.5 gives 0.42).
 * Always in [0, 1].
 */
export function confidenceOf(best: number, total: number): number {
  if (!(best > 0) || !(total > 0)) return 0;
  const value = (1 - Math.exp(-best)) * Math.min(1, best / total);
  return Math.round(value * 1000) / 1000;
}

function pickBestType(scores: Map<DeviceType, number>, fired: readonly Firing[]): DeviceType {
  let best: DeviceType | null = null;
  let bestScore = -1;
  for (const [type, score] of scores) {
    if (best === null || score > bestScore + 1e-9) {
      best = type;
      bestScore = score;
    } else if (Math.abs(score - bestScore) <= 1e-9 && compareSpecificity(type, best, fired) < 0) {
      best = type;
    }
  }
  return best ?? "unknown";
}

/**
 * Ties go to the type whose strongest rule is the most specific: more conditions, then the
 * higher single weight, then the rule listed first in the file (a deterministic last resort).
 */
function compareSpecificity(a: DeviceType, b: DeviceType, fired: readonly Firing[]): number {
  const strongest = (type: DeviceType) => fired.filter((f) => f.rule.type === type).sort(byStrength)[0]?.rule;
  const ra = strongest(a);
  const rb = strongest(b);
  if (ra === undefined || rb === undefined) return 0;
  return byStrengthOfRules(ra, rb);
}

function byStrength(a: Firing, b: Firing): number {
  return byStrengthOfRules(a.rule, b.rule);
}

function byStrengthOfRules(a: CompiledRule, b: CompiledRule): number {
  return b.conditions.length - a.conditions.length || b.weight - a.weight || a.order - b.order;
}

function inferModel(supporting: readonly Firing[], typeConfidence: number): Inference | null {
  const candidates = supporting
    .filter((f) => f.rule.model !== null)
    .map((f) => ({ firing: f, value: expandTemplate(f.rule.model ?? "", f.groups) }))
    .filter((c) => c.value !== "");
  const first = candidates[0];
  if (first === undefined) return null;
  const agreeing = candidates.filter((c) => c.value === first.value);
  const score = sum(agreeing.map((c) => c.firing.rule.weight));
  return {
    value: first.value,
    // A model is never surer than the type it belongs to.
    confidence: Math.min(typeConfidence, confidenceOf(score, score)),
    evidence: agreeing.map((c) => c.firing.evidence),
  };
}

function expandTemplate(template: string, groups: readonly string[]): string {
  return template
    .replace(/\$(\d)/g, (_, digit: string) => groups[Number(digit)] ?? "")
    .replace(/\s+/g, " ")
    .trim();
}

function fireRule(rule: CompiledRule, values: FieldValues): Firing | null {
  const fields: string[] = [];
  const matched: string[] = [];
  let groups: readonly string[] = [];
  for (const condition of rule.conditions) {
    let hit: { text: string; groups: readonly string[] } | null = null;
    for (const value of values[condition.field]) {
      for (const matcher of condition.matchers) {
        hit = matcher(value);
        if (hit !== null) break;
      }
      if (hit !== null) {
        if (condition.isRegex && groups.length === 0) groups = hit.groups;
        matched.push(value);
        break;
      }
    }
    if (hit === null) return null;
    fields.push(condition.field);
  }
  return { rule, groups, evidence: `${fields.join("+")}:${rule.id}=${matched.map(quoteEvidence).join("|")}` };
}

function quoteEvidence(value: string): string {
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return clean.length > MAX_EVIDENCE_VALUE_LENGTH ? `${clean.slice(0, MAX_EVIDENCE_VALUE_LENGTH)}…` : clean;
}

function fieldValues(input: ClassificationInput): FieldValues {
  const fp = input.fingerprint;
  const list = (values: readonly string[] | undefined, normalize: (v: string) => string = (v) => v) =>
    (values ?? []).slice(-MAX_VALUES_PER_FIELD).map((v) => normalize(String(v).slice(0, MAX_VALUE_LENGTH)));
  const one = (value: string | null | undefined) => (value === undefined || value === null ? [] : list([value]));
  return {
    vendor: input.randomizedMac ? [] : one(input.vendor),
    hostname: list(input.hostnames),
    dhcpVendorClass: one(fp.dhcpVendorClass),
    mdnsName: list(fp.mdnsNames),
    mdnsModel: list(fp.mdnsModels),
    ssdpServer: list(fp.ssdpServers),
    userAgent: list(fp.userAgents),
    netbiosName: list(fp.netbiosNames),
    ssdpDeviceType: list(fp.ssdpDeviceTypes),
    httpServer: list(fp.httpServers),
    upnpModel: list(fp.upnpModels),
    serverPort: list(fp.serverPorts, (v) => v.toLowerCase()),
    broadcastPort: list(fp.broadcastPorts, (v) => v.toLowerCase()),
    dhcpParameterList: one(fp.dhcpParameterList).map((v) => v.replace(/\s+/g, "")),
    ja4: list(fp.ja4),
    mdnsService: list(fp.mdnsServices, normalizeService),
    tlsServerName: list(fp.tlsServerNames, normalizeDomain),
    dnsName: list(fp.dnsNames, normalizeDomain),
    destination: [...list(fp.dnsNames, normalizeDomain), ...list(fp.tlsServerNames, normalizeDomain)],
  };
}

function normalizeService(value: string): string {
  return value
    .toLowerCase()
    .replace(/\.$/, "")
    .replace(/\.local$/, "");
}

function normalizeDomain(value: string): string {
  return value.toLowerCase().replace(/\.$/, "");
}

// ---- validation and compilation

function compileRule(raw: unknown, index: number): CompiledRule {
  if (!isRecord(raw)) throw new Error(`Invalid device-type rule #${index}: expected an object`);
  const id = raw.id;
  if (typeof id !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(id)) {
    throw new Error(`Invalid device-type rule #${index}: "id" must be a kebab-case string, got ${show(id)}`);
  }
  const fail: (field: string, why: string) => never = (field, why) => {
    throw new Error(`Invalid device-type rule "${id}": ${field}: ${why}`);
  };
  for (const key of Object.keys(raw)) {
    if (!RULE_KEYS.has(key)) fail(key, `unknown key (valid: ${[...RULE_KEYS].join(", ")})`);
  }
  const type = raw.type;
  if (type !== undefined && (typeof type !== "string" || !CLASSIFIABLE_TYPES.includes(type))) {
    fail("type", `unknown type ${show(type)} (valid: ${CLASSIFIABLE_TYPES.join(", ")})`);
  }
  const weight = raw.weight;
  if (typeof weight !== "number" || !(weight > 0 && weight <= 1))
    fail("weight", `must be in (0, 1], got ${show(weight)}`);
  for (const key of ["model", "os", "note"] as const) {
    const value = raw[key];
    if (value !== undefined && (typeof value !== "string" || value === "")) fail(key, "must be a non-empty string");
  }
  if (type === undefined && raw.model === undefined && raw.os === undefined) {
    fail("type", "a rule needs a type, a model or an os");
  }
  const supersedes = raw.supersedes;
  if (
    supersedes !== undefined &&
    (!Array.isArray(supersedes) ||
      supersedes.length === 0 ||
      supersedes.some((x) => typeof x !== "string" || x === "" || x === id))
  ) {
    fail("supersedes", `must be a non-empty list of other rule ids, got ${show(supersedes)}`);
  }
  const match = raw.match;
  if (!isRecord(match) || Object.keys(match).length === 0)
    fail("match", "must be an object with at least one condition");
  const conditions = Object.entries(match as Record<string, unknown>).map(([field, value]) =>
    compileCondition(field, value, fail),
  );
  return {
    id,
    type: (type as DeviceType | undefined) ?? null,
    weight: weight as number,
    model: (raw.model as string | undefined) ?? null,
    os: (raw.os as string | undefined) ?? null,
    conditions,
    supersedes: (supersedes as string[] | undefined) ?? [],
    order: index,
  };
}

function compileCondition(
  field: string,
  value: unknown,
  fail: (field: string, why: string) => never,
): CompiledCondition {
  if (!(CONDITION_FIELDS as readonly string[]).includes(field)) {
    fail(field, `unknown condition (valid: ${CONDITION_FIELDS.join(", ")})`);
  }
  const patterns = Array.isArray(value) ? value : [value];
  if (patterns.length === 0) fail(field, "empty list of patterns");
  for (const p of patterns) {
    if (typeof p !== "string" || p === "") fail(field, `patterns must be non-empty strings, got ${show(p)}`);
  }
  const strings = patterns as string[];
  const f = field as ConditionField;
  if ((REGEX_FIELDS as readonly string[]).includes(f)) {
    return { field: f, isRegex: true, matchers: strings.map((p) => regexMatcher(p, (why) => fail(field, why))) };
  }
  if ((PREFIX_FIELDS as readonly string[]).includes(f)) {
    return { field: f, isRegex: false, matchers: strings.map((p) => prefixMatcher(f, p, (why) => fail(field, why))) };
  }
  if ((SERVICE_FIELDS as readonly string[]).includes(f)) {
    return {
      field: f,
      isRegex: false,
      matchers: strings.map((p) => {
        const service = normalizeService(p);
        if (!/^_[a-z0-9-]+\._(?:tcp|udp)$/.test(service))
          fail(field, `expected a service type like "_ipp._tcp", got ${show(p)}`);
        return (v: string) => (v === service || v.endsWith(`.${service}`) ? { text: v, groups: [] } : null);
      }),
    };
  }
  if ((PORT_FIELDS as readonly string[]).includes(f)) {
    return {
      field: f,
      isRegex: false,
      matchers: strings.map((p) => {
        const port = p.toLowerCase();
        const number = /^(?:tcp|udp)\/(\d{1,5})$/.exec(port)?.[1];
        if (
          number === undefined ||
          !(Number(number) >= 1 && Number(number) <= 65535) ||
          String(Number(number)) !== number
        )
          fail(field, `expected a protocol and port like "tcp/10000", got ${show(p)}`);
        return (v: string) => (v === port ? { text: v, groups: [] } : null);
      }),
    };
  }
  return {
    field: f,
    isRegex: false,
    matchers: strings.map((p) => {
      const domain = normalizeDomain(p);
      if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain)) {
        fail(field, `expected a domain like "fitbit.com", got ${show(p)}`);
      }
      return (v: string) => (v === domain || v.endsWith(`.${domain}`) ? { text: v, groups: [] } : null);
    }),
  };
}

function prefixMatcher(field: ConditionField, pattern: string, fail: (why: string) => never): Matcher {
  if (pattern.indexOf("*") !== -1 && pattern.indexOf("*") !== pattern.length - 1)
    fail(`"*" is allowed only at the end, got ${show(pattern)}`);
  if (pattern.endsWith("*")) {
    const prefix = pattern.slice(0, -1);
    if (field === "dhcpParameterList" && prefix !== "" && !prefix.endsWith(",")) {
      // "1,3,6*" would also match "1,3,60": a prefix ends at an item boundary.
      fail(`a prefix must end with ",*", got ${show(pattern)}`);
    }
    // "1,3,6,*" matches "1,3,6" itself and any longer list that starts with it.
    const whole = field === "dhcpParameterList" ? prefix.slice(0, -1) : prefix;
    return (v) => (v === whole || v.startsWith(prefix) ? { text: v, groups: [] } : null);
  }
  if (field === "dhcpParameterList" && !/^\d{1,3}(,\d{1,3})*$/.test(pattern)) {
    fail(`expected option numbers like "1,3,6,15", got ${show(pattern)}`);
  }
  return (v) => (v === pattern ? { text: v, groups: [] } : null);
}

function regexMatcher(source: string, fail: (why: string) => never): Matcher {
  let regex: RegExp;
  try {
    regex = new RegExp(source, "i");
  } catch (error) {
    return fail(`invalid regex ${show(source)}: ${(error as Error).message}`);
  }
  const unsafe = backtrackingHazard(source);
  if (unsafe !== null) fail(`regex ${show(source)} can backtrack catastrophically: ${unsafe}`);
  return (v) => {
    const m = regex.exec(v);
    return m === null ? null : { text: m[0], groups: m.map((g) => g ?? "") };
  };
}

/**
 * A conservative check for exponential backtracking: refuses backreferences and any unbounded
 * quantifier (*, +, {n,}) applied to a group that contains a quantifier or an alternation, the
 * shapes of (a+)+, (a|a)* and (\w+\s?)*. Rule authors rewrite such patterns; matching stays
 * polynomial, and inputs are short (MAX_VALUE_LENGTH).
 */
export function backtrackingHazard(source: string): string | null {
  interface Group {
    quantified: boolean;
    alternation: boolean;
  }
  const stack: Group[] = [{ quantified: false, alternation: false }];
  let closed: Group | null = null;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    const top = stack[stack.length - 1]!;
    if (c === "\\") {
      const next = source[i + 1] ?? "";
      if (/[1-9]/.test(next) || next === "k") return "backreference";
      i++;
      closed = null;
      continue;
    }
    if (c === "[") {
      // Skip the class: ']' right after '[' or '[^' is a literal.
      let j = i + 1;
      if (source[j] === "^") j++;
      if (source[j] === "]") j++;
      while (j < source.length && source[j] !== "]") j += source[j] === "\\" ? 2 : 1;
      i = j;
      closed = null;
      continue;
    }
    if (c === "(") {
      stack.push({ quantified: false, alternation: false });
      // Step over "?:", "?=", "?!", "?<=", "?<!" and "?<name>" so their "?" is not read as a quantifier.
      if (source[i + 1] === "?") {
        if (source[i + 2] === "<" && source[i + 3] !== "=" && source[i + 3] !== "!") i = source.indexOf(">", i);
        else i += source[i + 2] === "<" ? 3 : 2;
      }
      closed = null;
      continue;
    }
    if (c === ")") {
      const group = stack.pop();
      if (group === undefined || stack.length === 0) return null; // unbalanced: RegExp already refused it
      closed = group;
      const parent = stack[stack.length - 1]!;
      parent.quantified ||= group.quantified;
      parent.alternation ||= group.alternation;
      continue;
    }
    if (c === "|") {
      top.alternation = true;
      closed = null;
      continue;
    }
    const unbounded = c === "*" || c === "+" || (c === "{" && /^\{\d+,\}/.test(source.slice(i)));
    const bounded = c === "?" || (c === "{" && /^\{\d+(,\d+)?\}/.test(source.slice(i)));
    if (unbounded || bounded) {
      if (unbounded && closed !== null && (closed.quantified || closed.alternation)) {
        return "unbounded quantifier over a group containing a quantifier or an alternation";
      }
      top.quantified = true;
      if (c === "{") i = source.indexOf("}", i);
      if (source[i + 1] === "?") i++; // lazy
      closed = null;
      continue;
    }
    closed = null;
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
