/**
 * Measures device classification on labelled captures: per device, the type, vendor and name we
 * derive next to the truth, then type and vendor accuracy per dataset.
 *
 *   npx vite-node scripts/eval/device-types.ts [-- --json]
 *
 * Evidence comes through one boundary, `EvidenceSource` (a capture file in, ClassificationInput
 * per source MAC out). Today that is `evidenceFromTshark`, which reads the identity evidence with
 * tshark into exactly the DeviceFingerprint shape; Heimdal's own discovery plugs in beside it as
 * `evidenceFromHeimdal(file)`, and `evaluate(source)` compares the two on the same truth.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createDefaultClassifier } from "../../packages/core/src/discovery/default-classifier.js";
import type { ClassificationInput } from "../../packages/core/src/discovery/device-classifier.js";
import type { DeviceFingerprint, DeviceType } from "../../packages/core/src/discovery/device-record.js";
import type { FiredRule, RuleClassifier } from "../../packages/core/src/discovery/rule-classifier.js";
import { ja4 } from "../../packages/core/src/packet/ja4.js";
import { parseTlsClientHello } from "../../packages/core/src/packet/tls-client-hello.js";

const execFileAsync = promisify(execFile);

export const DATA_ROOT = fileURLToPath(new URL("../../../shared/data/", import.meta.url));

/** Identity evidence per source MAC (lower-case, colon-separated) seen in one capture. */
export type EvidenceSource = (file: string) => Promise<Map<string, ClassificationInput>>;

export interface LabelledDevice {
  dataset: string;
  /** The identity: the folder (iot-sentinel), the device id (tj-oconnor-iot) or the host name (ndpi). */
  device: string;
  /** Capture files relative to DATA_ROOT; evidence from all of them is merged. */
  files: string[];
  mac: string;
  type: DeviceType;
  /** The IEEE registry organisation as Wireshark's manuf names it; null when unregistered. */
  vendor: string | null;
}

/**
 * Truth for iot-sentinel, by folder. Where a folder's type is a judgement call:
 * - the D-Link siren (DCH-S220), door and water sensors are mydlink Home sensors: sensor_hub;
 * - D-LinkDoorSensor and HueSwitch are radio sub-devices: their traffic is their hub's (same
 *   MAC), so what can be seen is the hub: sensor_hub, like the hubs themselves;
 * - WeMoLink is Belkin's bridge for Zigbee bulbs: sensor_hub, like the Hue bridge and Lightify;
 * - EdnetGateway (ednet.living) is a 433/868 MHz gateway for ednet plugs: sensor_hub;
 * - iKettle2 and SmarterCoffee (Smarter) are kitchen appliances: appliance;
 * - Aria (Fitbit) and Withings are Wi-Fi scales: wearable_scale.
 */
export const IOT_SENTINEL_TYPES: Readonly<Record<string, DeviceType>> = {
  Aria: "wearable_scale",
  "D-LinkCam": "camera",
  "D-LinkDayCam": "camera",
  "D-LinkDoorSensor": "sensor_hub",
  "D-LinkHomeHub": "sensor_hub",
  "D-LinkSensor": "sensor_hub",
  "D-LinkSiren": "sensor_hub",
  "D-LinkSwitch": "plug_switch_bulb",
  "D-LinkWaterSensor": "sensor_hub",
  EdimaxCam1: "camera",
  EdimaxCam2: "camera",
  EdimaxPlug1101W: "plug_switch_bulb",
  EdimaxPlug2101W: "plug_switch_bulb",
  EdnetCam1: "camera",
  EdnetCam2: "camera",
  EdnetGateway: "sensor_hub",
  HomeMaticPlug: "plug_switch_bulb",
  HueBridge: "sensor_hub",
  HueSwitch: "sensor_hub",
  Lightify: "sensor_hub",
  MAXGateway: "sensor_hub",
  SmarterCoffee: "appliance",
  "TP-LinkPlugHS100": "plug_switch_bulb",
  "TP-LinkPlugHS110": "plug_switch_bulb",
  WeMoInsightSwitch: "plug_switch_bulb",
  WeMoInsightSwitch2: "plug_switch_bulb",
  WeMoLink: "sensor_hub",
  WeMoSwitch: "plug_switch_bulb",
  WeMoSwitch2: "plug_switch_bulb",
  Withings: "wearable_scale",
  iKettle2: "appliance",
};

/** Truth for tj-oconnor-iot, by device id: a Blink camera and four smart-lock hubs. */
export const TJ_OCONNOR_TYPES: Readonly<Record<string, DeviceType>> = {
  "blink-cam-01": "camera",
  "lockly-hub-01": "doorbell_lock",
  "schlage-lock-01": "doorbell_lock",
  "sifely-hub-01": "doorbell_lock",
  "ultraloq-hub-01": "doorbell_lock",
};

/** Registry organisations (Wireshark's manuf) for the OUIs of the devices outside iot-sentinel. */
const MANUF: Readonly<Record<string, string>> = {
  "f4:b8:5e": "Texas Instruments",
  "78:db:2f": "Texas Instruments",
  "24:6f:28": "Espressif Inc.",
  "f4:cf:a2": "Espressif Inc.",
  "a4:cf:12": "Espressif Inc.",
  "c4:61:8b": "Apple, Inc.",
  "d8:30:62": "Apple, Inc.",
  "4c:6a:f6": "HMD Global Oy",
  "78:f8:82": "LG Electronics (Mobile Communications)",
};

const NDPI_DEVICES: readonly Omit<LabelledDevice, "vendor">[] = [
  { dataset: "ndpi", device: "Lucas-iPhone", files: ["ndpi/iphone.pcap"], mac: "c4:61:8b:35:82:a9", type: "phone" },
  { dataset: "ndpi", device: "Lucas-iMac", files: ["ndpi/iphone.pcap"], mac: "d8:30:62:56:00:1c", type: "computer" },
  {
    dataset: "ndpi",
    device: "android (android.pcap)",
    files: ["ndpi/android.pcap"],
    mac: "4c:6a:f6:9f:f6:27",
    type: "phone",
  },
  {
    dataset: "ndpi",
    device: "android (alexa-app.pcapng)",
    files: ["ndpi/alexa-app.pcapng"],
    mac: "78:f8:82:d3:fb:c2",
    type: "phone",
  },
];

/** Every labelled device of the shared captures. */
export async function labelledDevices(dataRoot = DATA_ROOT): Promise<LabelledDevice[]> {
  const devices: LabelledDevice[] = [];
  for (const row of await readTsv(path.join(dataRoot, "iot-sentinel/devices.tsv"))) {
    const folder = row.device_dir ?? "";
    const type = IOT_SENTINEL_TYPES[folder];
    if (type === undefined) throw new Error(`iot-sentinel: no truth type for folder "${folder}"`);
    const captures = (await readdir(path.join(dataRoot, "iot-sentinel", folder)))
      .filter((f) => /^Setup-.*\.pcap$/.test(f))
      .sort();
    devices.push({
      dataset: "iot-sentinel",
      device: folder,
      files: captures.map((f) => `iot-sentinel/${folder}/${f}`),
      mac: normalizeMac(row.device_mac ?? ""),
      type,
      vendor: row.oui_vendor || null,
    });
  }
  for (const row of await readTsv(path.join(dataRoot, "tj-oconnor-iot/devices.tsv"))) {
    const id = row.device_id ?? "";
    const type = TJ_OCONNOR_TYPES[id];
    if (type === undefined) throw new Error(`tj-oconnor-iot: no truth type for device "${id}"`);
    const mac = normalizeMac(row.device_mac ?? "");
    devices.push({
      dataset: "tj-oconnor-iot",
      device: id,
      files: [`tj-oconnor-iot/${row.file}`],
      mac,
      type,
      vendor: MANUF[mac.slice(0, 8)] ?? null,
    });
  }
  for (const d of NDPI_DEVICES) devices.push({ ...d, vendor: MANUF[d.mac.slice(0, 8)] ?? null });
  return devices;
}

// ---- evidence from tshark

const TSHARK_FIELDS = [
  "eth.src",
  "udp.srcport",
  "udp.dstport",
  "dhcp.type",
  "dhcp.option.hostname",
  "dhcp.option.vendor_class_id",
  "dhcp.option.request_list_item",
  "dhcp.option.type",
  "dhcp.option.value",
  "dns.flags.response",
  "dns.qry.name",
  "dns.resp.name",
  "dns.ptr.domain_name",
  "dns.txt",
  "http.user_agent",
  "http.server",
  "tls.handshake.type",
  "tls.handshake.extensions_server_name",
  "tcp.payload",
  "nbns.flags.opcode",
  "nbns.flags.response",
  "nbns.name",
  "browser.server",
] as const;

type Layers = Partial<Record<(typeof TSHARK_FIELDS)[number], string[]>>;

const TSHARK_FILTER = [
  "dhcp.type == 1",
  "(mdns and dns.flags.response == 1)",
  "(dns and dns.flags.response == 0 and udp.dstport == 53)",
  "(ssdp and (http.server or http.user_agent))",
  "(http.request and http.user_agent)",
  "tls.handshake.type == 1",
  "nbns",
  "browser.server",
].join(" or ");

/** TXT keys that name a model: AirPlay/device-info model=, Cast md=, IPP ty= and usb_MDL=, D-Link model_number=. */
const MDNS_MODEL_KEYS = /^(?:model|md|ty|usb_mdl|model_number)=(.+)$/i;
const MAX_LIST = 64;

/** A bounded list of distinct values, newest last (a repeat moves to the end). */
class RecentSet {
  private readonly values = new Set<string>();
  add(value: string | undefined): void {
    if (value === undefined || value === "") return;
    this.values.delete(value);
    this.values.add(value);
    if (this.values.size > MAX_LIST) this.values.delete(this.values.values().next().value as string);
  }
  toArray(): string[] {
    return [...this.values];
  }
}

interface DeviceEvidence {
  dhcpHostnames: RecentSet;
  otherHostnames: RecentSet;
  dhcpParameterList?: string;
  dhcpVendorClass?: string;
  dhcpClientId?: string;
  mdnsServices: RecentSet;
  mdnsNames: RecentSet;
  mdnsModels: RecentSet;
  ssdpServers: RecentSet;
  userAgents: RecentSet;
  ja4: RecentSet;
  tlsServerNames: RecentSet;
  dnsNames: RecentSet;
  netbiosNames: RecentSet;
}

function emptyEvidence(): DeviceEvidence {
  return {
    dhcpHostnames: new RecentSet(),
    otherHostnames: new RecentSet(),
    mdnsServices: new RecentSet(),
    mdnsNames: new RecentSet(),
    mdnsModels: new RecentSet(),
    ssdpServers: new RecentSet(),
    userAgents: new RecentSet(),
    ja4: new RecentSet(),
    tlsServerNames: new RecentSet(),
    dnsNames: new RecentSet(),
    netbiosNames: new RecentSet(),
  };
}

/**
 * Reads a capture's identity evidence with tshark: per source MAC, DHCP options 12, 55, 60 and
 * 61 from client messages; mDNS host names, service types, instance names and TXT models from
 * responses the device sends (never from its queries: asking for _googlecast does not make a
 * phone a Chromecast); SSDP SERVER and USER-AGENT; HTTP user agents; TLS SNI and JA4 (computed
 * with Heimdal's ClientHello parser: this tshark predates JA4); DNS query names; NetBIOS names
 * the device registers or announces. The vendor is the IEEE registry organisation of the OUI.
 */
export const evidenceFromTshark: EvidenceSource = async (file) => {
  const args = ["-n", "-r", file, "-d", "tcp.port==8883,tls", "-Y", TSHARK_FILTER, "-T", "json"];
  for (const field of TSHARK_FIELDS) args.push("-e", field);
  const { stdout } = await execFileAsync("tshark", args, { maxBuffer: 512 * 1024 * 1024 });
  const frames = JSON.parse(stdout === "" ? "[]" : stdout) as { _source: { layers: Layers } }[];
  const byMac = new Map<string, DeviceEvidence>();
  for (const frame of frames) {
    const layers = frame._source.layers;
    const mac = layers["eth.src"]?.[0];
    if (mac === undefined) continue;
    let evidence = byMac.get(mac);
    if (evidence === undefined) {
      evidence = emptyEvidence();
      byMac.set(mac, evidence);
    }
    addFrameEvidence(evidence, layers);
  }
  const table = await ouiTable();
  const result = new Map<string, ClassificationInput>();
  for (const [mac, evidence] of byMac) result.set(mac, toClassificationInput(mac, evidence, table));
  return result;
};

function addFrameEvidence(e: DeviceEvidence, l: Layers): void {
  const udpPorts = [l["udp.srcport"]?.[0], l["udp.dstport"]?.[0]];
  if (l["dhcp.type"]?.[0] === "1") {
    e.dhcpHostnames.add(l["dhcp.option.hostname"]?.[0]);
    const vendorClass = l["dhcp.option.vendor_class_id"]?.[0];
    if (vendorClass !== undefined) e.dhcpVendorClass = vendorClass;
    const prl = l["dhcp.option.request_list_item"];
    if (prl !== undefined && prl.length > 0) e.dhcpParameterList = prl.join(",");
    const clientId = dhcpOptionValue(l, "61");
    if (clientId !== undefined) e.dhcpClientId = clientId;
  }
  if (udpPorts.includes("5353") && l["dns.flags.response"]?.[0] === "1") {
    for (const name of [...(l["dns.resp.name"] ?? []), ...(l["dns.ptr.domain_name"] ?? [])]) addMdnsName(e, name);
    for (const txt of l["dns.txt"] ?? []) e.mdnsModels.add(MDNS_MODEL_KEYS.exec(txt)?.[1]?.trim());
  }
  if (l["udp.dstport"]?.[0] === "53" && l["dns.flags.response"]?.[0] === "0") {
    for (const name of l["dns.qry.name"] ?? []) e.dnsNames.add(name.toLowerCase().replace(/\.$/, ""));
  }
  if (udpPorts.includes("1900")) {
    for (const server of l["http.server"] ?? []) e.ssdpServers.add(server.trim());
  }
  for (const agent of l["http.user_agent"] ?? []) e.userAgents.add(agent.trim());
  if (l["tls.handshake.type"]?.includes("1")) {
    for (const name of l["tls.handshake.extensions_server_name"] ?? []) e.tlsServerNames.add(name.toLowerCase());
    const payload = l["tcp.payload"]?.[0];
    if (payload !== undefined) {
      const bytes = Buffer.from(payload.replace(/:/g, ""), "hex");
      const hello = parseTlsClientHello(bytes, 0, bytes.length);
      if (hello.ok) e.ja4.add(ja4(hello.value));
    }
  }
  const nbnsOpcode = l["nbns.flags.opcode"]?.[0];
  // Registration (5), refresh (8, 9) and positive responses name the sender; queries name others.
  if (nbnsOpcode === "5" || nbnsOpcode === "8" || nbnsOpcode === "9" || l["nbns.flags.response"]?.[0] === "1") {
    for (const name of l["nbns.name"] ?? []) addNetbiosName(e, name);
  }
  for (const name of l["browser.server"] ?? []) addNetbiosName(e, name);
}

function dhcpOptionValue(l: Layers, option: string): string | undefined {
  // Options without a value (Pad 0, End 255) have a type but no value: pair the rest in order.
  const types = (l["dhcp.option.type"] ?? []).filter((t) => t !== "0" && t !== "255");
  const values = l["dhcp.option.value"] ?? [];
  if (types.length !== values.length) return undefined;
  const index = types.indexOf(option);
  return index === -1 ? undefined : values[index];
}

const MDNS_SERVICE = /^(?:(.+)\.)?(_[^.]+\._(?:tcp|udp))\.local$/i;

function addMdnsName(e: DeviceEvidence, raw: string): void {
  const name = raw.replace(/\.$/, "");
  if (/\.(?:in-addr|ip6)\.arpa$/i.test(name) || !/\.local$/i.test(name)) return;
  const service = MDNS_SERVICE.exec(name);
  if (service !== null) {
    const type = service[2]?.toLowerCase();
    const instance = service[1];
    if (type === undefined || type === "_services._dns-sd._udp") return;
    if (instance?.endsWith("._sub")) return; // subtype PTR: "_printer._sub._http._tcp"
    e.mdnsServices.add(type);
    if (instance !== undefined && !instance.startsWith("_")) e.mdnsNames.add(instance.trim());
    return;
  }
  const host = name.slice(0, -".local".length);
  if (host !== "" && !host.startsWith("_") && !host.includes(".")) e.otherHostnames.add(host);
}

function addNetbiosName(e: DeviceEvidence, raw: string): void {
  const name = raw.replace(/<[0-9a-f]{2}>.*$/i, "").trim();
  if (name === "" || name.startsWith("*") || name.startsWith("\u0001")) return;
  e.netbiosNames.add(name);
}

function toClassificationInput(mac: string, e: DeviceEvidence, table: Map<string, string>): ClassificationInput {
  const randomizedMac = isRandomizedMac(mac);
  const fingerprint: DeviceFingerprint = {
    mdnsServices: e.mdnsServices.toArray(),
    mdnsNames: e.mdnsNames.toArray(),
    mdnsModels: e.mdnsModels.toArray(),
    ssdpServers: e.ssdpServers.toArray(),
    userAgents: e.userAgents.toArray(),
    ja4: e.ja4.toArray(),
    tlsServerNames: e.tlsServerNames.toArray(),
    dnsNames: e.dnsNames.toArray(),
    netbiosNames: e.netbiosNames.toArray(),
  };
  if (e.dhcpParameterList !== undefined) fingerprint.dhcpParameterList = e.dhcpParameterList;
  if (e.dhcpVendorClass !== undefined) fingerprint.dhcpVendorClass = e.dhcpVendorClass;
  if (e.dhcpClientId !== undefined) fingerprint.dhcpClientId = e.dhcpClientId;
  const hostnames = new RecentSet();
  // DHCP names first, newest first: the name the device gives itself; then mDNS and NetBIOS names.
  for (const name of [
    ...e.dhcpHostnames.toArray().reverse(),
    ...e.otherHostnames.toArray(),
    ...fingerprint.netbiosNames,
  ]) {
    hostnames.add(name);
  }
  return {
    mac,
    vendor: randomizedMac ? null : (table.get(ouiKey(mac)) ?? null),
    randomizedMac,
    hostnames: hostnames.toArray(),
    fingerprint,
  };
}

function mergeInputs(a: ClassificationInput, b: ClassificationInput): ClassificationInput {
  const union = (x: readonly string[], y: readonly string[]) => {
    const set = new RecentSet();
    for (const v of [...x, ...y]) set.add(v);
    return set.toArray();
  };
  const fa = a.fingerprint;
  const fb = b.fingerprint;
  const fingerprint: DeviceFingerprint = {
    mdnsServices: union(fa.mdnsServices, fb.mdnsServices),
    mdnsNames: union(fa.mdnsNames, fb.mdnsNames),
    mdnsModels: union(fa.mdnsModels, fb.mdnsModels),
    ssdpServers: union(fa.ssdpServers, fb.ssdpServers),
    userAgents: union(fa.userAgents, fb.userAgents),
    ja4: union(fa.ja4, fb.ja4),
    tlsServerNames: union(fa.tlsServerNames, fb.tlsServerNames),
    dnsNames: union(fa.dnsNames, fb.dnsNames),
    netbiosNames: union(fa.netbiosNames, fb.netbiosNames),
  };
  for (const key of ["dhcpParameterList", "dhcpVendorClass", "dhcpClientId"] as const) {
    const value = fb[key] ?? fa[key];
    if (value !== undefined) fingerprint[key] = value;
  }
  return { ...b, hostnames: union(a.hostnames, b.hostnames), fingerprint };
}

// ---- vendors

let ouiCache: Promise<Map<string, string>> | undefined;

/** oui-data's index.json: 6 hex digits → "Organisation\naddress…"; the first line is the name. */
export function ouiTable(): Promise<Map<string, string>> {
  ouiCache ??= (async () => {
    const file = createRequire(import.meta.url).resolve("oui-data");
    const raw = JSON.parse(await readFile(file, "utf8")) as Record<string, string>;
    const table = new Map<string, string>();
    for (const [oui, text] of Object.entries(raw)) table.set(oui.toUpperCase(), text.split("\n")[0]?.trim() ?? "");
    return table;
  })();
  return ouiCache;
}

function ouiKey(mac: string): string {
  return mac
    .replace(/[^0-9a-f]/gi, "")
    .slice(0, 6)
    .toUpperCase();
}

function isRandomizedMac(mac: string): boolean {
  // The locally administered bit (IEEE 802, bit 1 of the first octet): "private" addresses.
  return (Number.parseInt(mac.slice(0, 2), 16) & 0x02) !== 0;
}

const COMPANY_SUFFIXES = new Set([
  "inc",
  "incorporated",
  "co",
  "corp",
  "corporation",
  "company",
  "ltd",
  "limited",
  "llc",
  "gmbh",
  "ag",
  "kg",
  "bv",
  "nv",
  "oy",
  "ab",
  "as",
  "sa",
  "srl",
  "spa",
  "plc",
  "pte",
  "pty",
  "international",
  "technologies",
  "technology",
]);

/** Vendor names compared without case, punctuation and company-form words ("Co.,Ltd", "GmbH", "Technologies"). */
export function normalizeVendor(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter((word) => word !== "" && !COMPANY_SUFFIXES.has(word))
    .join(" ");
}

// ---- evaluation

export interface EvaluationRow {
  dataset: string;
  device: string;
  mac: string;
  truthType: DeviceType;
  derivedType: DeviceType;
  confidence: number;
  /** Every rule that fired, strongest first (including those for other types). */
  fired: FiredRule[];
  truthVendor: string | null;
  derivedVendor: string | null;
  derivedName: string | null;
  derivedModel: string | null;
  derivedOs: string | null;
  typeCorrect: boolean;
  /** Null when the truth has no registered vendor. */
  vendorCorrect: boolean | null;
}

export interface DatasetScore {
  dataset: string;
  devices: number;
  typeCorrect: number;
  typeAccuracy: number;
  vendorDevices: number;
  vendorCorrect: number;
  vendorAccuracy: number;
}

export interface Evaluation {
  rulesVersion: string;
  rows: EvaluationRow[];
  scores: DatasetScore[];
}

export interface EvaluateOptions {
  source?: EvidenceSource;
  classifier?: RuleClassifier;
  dataRoot?: string;
  /** Only these datasets (default: all). */
  datasets?: readonly string[];
}

export async function evaluate(options: EvaluateOptions = {}): Promise<Evaluation> {
  const source = options.source ?? evidenceFromTshark;
  const classifier = options.classifier ?? createDefaultClassifier();
  const dataRoot = options.dataRoot ?? DATA_ROOT;
  const devices = (await labelledDevices(dataRoot)).filter(
    (d) => options.datasets === undefined || options.datasets.includes(d.dataset),
  );
  // Each capture is read once, with a little parallelism: tshark start-up dominates small files.
  const files = [...new Set(devices.flatMap((d) => d.files))];
  const evidence = new Map<string, Map<string, ClassificationInput>>();
  await runLimited(files, 3, async (file) => {
    evidence.set(file, await source(path.join(dataRoot, file)));
  });
  const table = await ouiTable();
  const rows = devices.map((device) => {
    let input: ClassificationInput | undefined;
    for (const file of device.files) {
      const found = evidence.get(file)?.get(device.mac);
      if (found !== undefined) input = input === undefined ? found : mergeInputs(input, found);
    }
    input ??= emptyInput(device.mac, table);
    const result = classifier.classify(input);
    const derivedVendor = input.vendor;
    return {
      dataset: device.dataset,
      device: device.device,
      mac: device.mac,
      truthType: device.type,
      derivedType: result.type.value,
      confidence: result.type.confidence,
      fired: classifier.explain(input),
      truthVendor: device.vendor,
      derivedVendor,
      derivedName: input.hostnames[0] ?? input.fingerprint.mdnsNames[0] ?? null,
      derivedModel: result.model?.value ?? null,
      derivedOs: result.os?.value ?? null,
      typeCorrect: result.type.value === device.type,
      vendorCorrect:
        device.vendor === null
          ? null
          : derivedVendor !== null && normalizeVendor(derivedVendor) === normalizeVendor(device.vendor),
    } satisfies EvaluationRow;
  });
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  const scores = datasets.map((dataset) => {
    const mine = rows.filter((r) => r.dataset === dataset);
    const withVendor = mine.filter((r) => r.vendorCorrect !== null);
    const typeCorrect = mine.filter((r) => r.typeCorrect).length;
    const vendorCorrect = withVendor.filter((r) => r.vendorCorrect === true).length;
    return {
      dataset,
      devices: mine.length,
      typeCorrect,
      typeAccuracy: mine.length === 0 ? 0 : typeCorrect / mine.length,
      vendorDevices: withVendor.length,
      vendorCorrect,
      vendorAccuracy: withVendor.length === 0 ? 1 : vendorCorrect / withVendor.length,
    };
  });
  return { rulesVersion: classifier.version, rows, scores };
}

function emptyInput(mac: string, table: Map<string, string>): ClassificationInput {
  return toClassificationInput(mac, emptyEvidence(), table);
}

async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function formatEvaluation(evaluation: Evaluation): string {
  const header = [
    "device",
    "truth",
    "derived (confidence)",
    "ok",
    "truth vendor",
    "derived vendor",
    "name",
    "rules fired",
  ];
  const lines: string[][] = [header];
  for (const r of evaluation.rows) {
    lines.push([
      `${r.dataset}/${r.device}`,
      r.truthType,
      `${r.derivedType} (${r.confidence.toFixed(2)})`,
      r.typeCorrect ? "✓" : "✗",
      r.truthVendor ?? "-",
      `${r.derivedVendor ?? "-"}${r.vendorCorrect === false ? " ✗" : ""}`,
      r.derivedName ?? "-",
      r.fired.map((f) => `${f.id}${f.type === null || f.type === r.derivedType ? "" : `→${f.type}`}`).join(", ") || "-",
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => Math.min(40, (l[i] ?? "").length))));
  const cell = (text: string, i: number) =>
    i === header.length - 1 ? text : (text.length > 40 ? `${text.slice(0, 39)}…` : text).padEnd(widths[i] ?? 0);
  const out = lines.map((l) => l.map(cell).join("  ").trimEnd());
  out.push("", `rules ${evaluation.rulesVersion}`);
  for (const s of evaluation.scores) {
    out.push(
      `${s.dataset}: type ${s.typeCorrect}/${s.devices} (${(s.typeAccuracy * 100).toFixed(1)}%), ` +
        `vendor ${s.vendorCorrect}/${s.vendorDevices} (${(s.vendorAccuracy * 100).toFixed(1)}%) where the OUI is registered`,
    );
  }
  return out.join("\n");
}

async function readTsv(file: string): Promise<Record<string, string>[]> {
  const [head, ...rows] = (await readFile(file, "utf8")).split("\n").filter((line) => line.trim() !== "");
  const columns = (head ?? "").split("\t");
  return rows.map((row) => {
    const cells = row.split("\t");
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ""]));
  });
}

function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ":");
}

// Run directly, not when the test imports it. vite-node drops the script from process.argv
// (it leaves its own bin), node and tsx keep it.
const isMain =
  process.env.VITEST === undefined &&
  process.argv
    .slice(1, 3)
    .some((arg) => path.resolve(arg) === fileURLToPath(import.meta.url) || path.basename(arg) === "vite-node");
if (isMain) {
  const evaluation = await evaluate();
  console.log(process.argv.includes("--json") ? JSON.stringify(evaluation, null, 2) : formatEvaluation(evaluation));
}
