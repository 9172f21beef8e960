/**
 * Measures device identification on labelled captures: per device, the type, vendor and name
 * derived next to the truth, then type and vendor accuracy per dataset.
 *
 *   npm run eval:devices [-- [--evidence heimdal|tshark] [--json]]
 *
 * Evidence comes through one boundary, `EvidenceSource` (a device's capture files in, per source
 * MAC the classifier's input and, when the source concludes itself, its conclusions):
 * - `evidenceFromHeimdal` (the default) replays the files through Heimdal's own pipeline in this
 *   process, exactly as `heimdal analyze --format json FILE...` does: core's PacketPipeline with
 *   the shipped rules (createDefaultClassifier) and the IEEE registry (OuiVendorLookup), files read
 *   by CaptureFileReader over NodeFileSource. Type, vendor and name are the pipeline's own.
 * - `evidenceFromTshark` is the cross-check: an independent reading of the same evidence with
 *   tshark, classified here with the same rules. `--evidence tshark` prints that evaluation and,
 *   after it, every place where the two readings disagree (`compareEvidence`).
 *
 * In-process rather than spawning the built CLI: no build step, no JSON round trip, and the
 * whole run takes a few seconds; the report it reads is the same `AnalysisReport` object the CLI
 * prints, so `observationsFromReport` also accepts the CLI's JSON.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PacketPipeline } from "../../packages/core/src/analyze/packet-pipeline.js";
import type { AnalysisReport } from "../../packages/core/src/analyze/report.js";
import { createDefaultClassifier } from "../../packages/core/src/discovery/default-classifier.js";
import type { ClassificationInput } from "../../packages/core/src/discovery/device-classifier.js";
import type { DeviceFingerprint, DeviceType } from "../../packages/core/src/discovery/device-record.js";
import type { FiredRule, RuleClassifier } from "../../packages/core/src/discovery/rule-classifier.js";
import { parseMac } from "../../packages/core/src/packet/address.js";
import { CaptureFileReader } from "../../packages/core/src/packet/capture-file-reader.js";
import { ja4 } from "../../packages/core/src/packet/ja4.js";
import { parseTlsClientHello } from "../../packages/core/src/packet/tls-client-hello.js";
import { ouiVendors } from "../../packages/platform/src/data/oui-vendors.js";
import { NodeFileSource } from "../../packages/platform/src/file/node-file-source.js";

const execFileAsync = promisify(execFile);

export const DATA_ROOT = fileURLToPath(new URL("../../../shared/data/", import.meta.url));

export interface LabelledDevice {
  dataset: string;
  /** The identity: the folder (iot-sentinel), the device id (tj-oconnor-iot) or the host name (ndpi). */
  device: string;
  /** Capture files relative to DATA_ROOT, read together as one analysis (`heimdal analyze FILE...`). */
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
 * - HomeMaticPlug: a Homematic IP plug (HmIP-PS) is an 868 MHz radio device taught in to the
 *   Homematic IP access point, the system's only IP device (eQ-3's manuals); the folder's MAC
 *   is eQ-3's and its traffic (ARP and one cloud session on TCP 9292) is the access point's.
 *   Like D-LinkDoorSensor and HueSwitch, what can be seen is the hub: sensor_hub;
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
  HomeMaticPlug: "sensor_hub",
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
  "2c:f4:32": "Espressif Inc.",
  "cc:50:e3": "Espressif Inc.",
  "dc:4f:22": "Espressif Inc.",
  "ec:fa:bc": "Espressif Inc.",
  "38:1f:8d": "Tuya Smart Inc.",
  "68:57:2d": "Tuya Smart Inc.",
  "14:c1:4e": "Google, Inc.",
  "20:df:b9": "Google, Inc.",
  "38:8b:59": "Google, Inc.",
  "7c:2e:bd": "Google, Inc.",
  "a4:77:33": "Google, Inc.",
  "d8:8c:79": "Google, Inc.",
  "e4:f0:42": "Google, Inc.",
  "00:0c:29": "VMware, Inc.",
};

/** The thirteen Tuya-based plugs and bulbs of ndpi/tuya_lp.pcap (the data README), by MAC. */
const TUYA_LP_MACS = [
  "2c:f4:32:14:2b:ea",
  "2c:f4:32:67:d7:a7",
  "38:1f:8d:2f:50:4f",
  "38:1f:8d:44:aa:d0",
  "38:1f:8d:45:1e:b5",
  "68:57:2d:6a:57:e7",
  "68:57:2d:6a:87:5f",
  "cc:50:e3:7c:6f:79",
  "cc:50:e3:7d:88:34",
  "cc:50:e3:7d:8b:f0",
  "cc:50:e3:7d:bd:3f",
  "dc:4f:22:bd:40:a1",
  "ec:fa:bc:af:83:41",
];

/** The eight Google speakers of ndpi/tplink_shp.pcap (the data README), by MAC. */
const TPLINK_SHP_SPEAKER_MACS = [
  "14:c1:4e:8a:dc:ca",
  "20:df:b9:4e:90:97",
  "20:df:b9:b4:ba:b1",
  "38:8b:59:23:16:54",
  "7c:2e:bd:2f:7a:b4",
  "a4:77:33:cf:eb:c1",
  "d8:8c:79:1e:cf:7c",
  "e4:f0:42:5d:dd:3a",
];

/** The devices of the other labelled captures (the data README names them). */
const OTHER_CAPTURE_DEVICES: readonly Omit<LabelledDevice, "vendor">[] = [
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
  ...TUYA_LP_MACS.map((mac) => ({
    dataset: "ndpi",
    device: `tuya ${mac}`,
    files: ["ndpi/tuya_lp.pcap"],
    mac,
    type: "plug_switch_bulb" as const,
  })),
  ...TPLINK_SHP_SPEAKER_MACS.map((mac) => ({
    dataset: "ndpi",
    device: `google speaker ${mac}`,
    files: ["ndpi/tplink_shp.pcap"],
    mac,
    type: "speaker" as const,
  })),
  {
    dataset: "chrissanders",
    device: "ubuntu2",
    files: ["chrissanders/dhcp_nolease_initialization.pcapng"],
    mac: "00:0c:29:59:fd:21",
    type: "computer",
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
  for (const d of OTHER_CAPTURE_DEVICES) devices.push({ ...d, vendor: MANUF[d.mac.slice(0, 8)] ?? null });
  return devices;
}

// ---- the evidence boundary

/** What a source concluded about one device itself: Heimdal's pipeline does, tshark does not. */
export interface DerivedIdentity {
  type: DeviceType;
  confidence: number;
  vendor: string | null;
  name: string | null;
  model: string | null;
  os: string | null;
}

export interface DeviceObservation {
  /** The identity evidence, as the classifier sees it. */
  input: ClassificationInput;
  /** The source's own conclusions; null when the evaluation classifies `input` itself. */
  derived: DerivedIdentity | null;
}

/**
 * Reads one analysis (capture files, in order) and returns per source MAC (lower-case,
 * colon-separated) what it found. The classifier is the one under evaluation.
 */
export type EvidenceSource = (
  files: readonly string[],
  classifier: RuleClassifier,
) => Promise<Map<string, DeviceObservation>>;

export type EvidenceName = "heimdal" | "tshark";

// ---- evidence from Heimdal

/** Replays the files through core's PacketPipeline, as `heimdal analyze FILE...` does. */
export const evidenceFromHeimdal: EvidenceSource = async (files, classifier) => {
  const pipeline = new PacketPipeline({ classifier, vendors: ouiVendors() });
  for (const file of files) {
    const reader = new CaptureFileReader(new NodeFileSource(file), { name: file });
    try {
      reader.open();
      for (let batch = reader.nextBatch(); batch; batch = reader.nextBatch()) pipeline.processBatch(batch);
    } finally {
      reader.close();
    }
    pipeline.addSource(file, reader.problems, reader.stats.skippedUnsupported);
  }
  return observationsFromReport(pipeline.finish());
};

/** The devices of an analysis report (the `heimdal analyze --format json` contract), by every MAC they used. */
export function observationsFromReport(report: AnalysisReport): Map<string, DeviceObservation> {
  const result = new Map<string, DeviceObservation>();
  for (const device of report.devices) {
    const observation: DeviceObservation = {
      input: {
        mac: device.mac,
        vendor: device.vendor,
        randomizedMac: device.randomizedMac,
        hostnames: [...new Set(device.hostnames.map((h) => h.name))],
        fingerprint: device.fingerprint,
      },
      derived: {
        type: device.type as DeviceType,
        confidence: device.typeConfidence,
        vendor: device.vendor,
        name: device.hostname,
        model: device.model,
        os: device.os,
      },
    };
    for (const mac of device.macs) result.set(mac, observation);
  }
  return result;
}

// ---- evidence from tshark

const TSHARK_FIELDS = [
  "eth.src",
  "eth.dst",
  "ip.src",
  "ip.dst",
  "ipv6.src",
  "ipv6.dst",
  "udp.srcport",
  "udp.dstport",
  "tcp.srcport",
  "tcp.flags.syn",
  "tcp.flags.ack",
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
  "http.request.method",
  "http.response",
  "http.unknown_header",
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

const LAN_SOURCE = [
  "ip.src == 10.0.0.0/8",
  "ip.src == 172.16.0.0/12",
  "ip.src == 192.168.0.0/16",
  "ip.src == 169.254.0.0/16",
  "ip.src == 100.64.0.0/10",
  "ipv6.src == fe80::/10",
  "ipv6.src == fc00::/7",
].join(" or ");

const TSHARK_FILTER = [
  "dhcp.type == 1",
  "(mdns and dns.flags.response == 1)",
  "(dns and dns.flags.response == 0 and udp.dstport == 53)",
  "ssdp",
  "(http.request and http.user_agent)",
  "(http.response and tcp)",
  "tls.handshake.type == 1",
  "nbns",
  "browser.server",
  "(tcp.flags.syn == 1 and tcp.flags.ack == 1)",
  `(udp and (${LAN_SOURCE}))`,
].join(" or ");

/** TXT keys that name a model: AirPlay/device-info model=, Cast md=, IPP ty= and usb_MDL=, D-Link model_number=. */
const MDNS_MODEL_KEYS = /^(?:model|md|ty|usb_mdl|model_number)=(.+)$/i;
/** As Heimdal's device map bounds each fingerprint list (fingerprintListLimit), so both keep the same newest values. */
const MAX_LIST = 16;

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

const LIST_FIELDS = [
  "mdnsServices",
  "mdnsNames",
  "mdnsModels",
  "ssdpServers",
  "userAgents",
  "ja4",
  "tlsServerNames",
  "dnsNames",
  "netbiosNames",
  "ssdpDeviceTypes",
  "serverPorts",
  "broadcastPorts",
  "httpServers",
] as const satisfies readonly (keyof DeviceFingerprint)[];

const SCALAR_FIELDS = ["dhcpParameterList", "dhcpVendorClass", "dhcpClientId"] as const;

type ListField = (typeof LIST_FIELDS)[number];

interface DeviceEvidence {
  dhcpHostnames: RecentSet;
  otherHostnames: RecentSet;
  dhcpParameterList?: string;
  dhcpVendorClass?: string;
  dhcpClientId?: string;
  lists: Record<ListField, RecentSet>;
}

function emptyEvidence(): DeviceEvidence {
  const lists = Object.fromEntries(LIST_FIELDS.map((f) => [f, new RecentSet()])) as Record<ListField, RecentSet>;
  return { dhcpHostnames: new RecentSet(), otherHostnames: new RecentSet(), lists };
}

/**
 * Reads a capture's identity evidence with tshark: per source MAC, DHCP options 12, 55, 60 and
 * 61 from client messages; mDNS host names, service types, instance names and TXT models from
 * responses the device sends (never from its queries: asking for _googlecast does not make a
 * phone a Chromecast); SSDP SERVER, USER-AGENT and the UPnP types of NOTIFY NT, response ST and
 * USN; HTTP user agents, and the Server header of HTTP responses from a LAN address; TLS SNI and
 * JA4 (computed with Heimdal's ClientHello parser: this tshark predates JA4); DNS query names;
 * NetBIOS names the device registers or announces; server ports (a SYN+ACK from a LAN address,
 * or a UDP reply from a port below 49152 to a LAN host that sent to that port first). The
 * vendor is the IEEE registry organisation of the OUI. Several files are read one by one and
 * their evidence merged.
 */
export const evidenceFromTshark: EvidenceSource = async (files) => {
  const byMac = new Map<string, DeviceEvidence>();
  for (const file of files) {
    const args = ["-n", "-r", file, "-d", "tcp.port==8883,tls", "-Y", TSHARK_FILTER, "-T", "json"];
    for (const field of TSHARK_FIELDS) args.push("-e", field);
    const { stdout } = await execFileAsync("tshark", args, { maxBuffer: 512 * 1024 * 1024 });
    const frames = JSON.parse(stdout === "" ? "[]" : stdout) as { _source: { layers: Layers } }[];
    // UDP requests of this file awaiting a reply: "asker address|asker port|service port".
    const pending = new Set<string>();
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
      addUdpExchange(evidence, layers, pending);
    }
  }
  const result = new Map<string, DeviceObservation>();
  for (const [mac, evidence] of byMac) result.set(mac, { input: toClassificationInput(mac, evidence), derived: null });
  return result;
};

function addFrameEvidence(e: DeviceEvidence, l: Layers): void {
  const lists = e.lists;
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
    for (const txt of l["dns.txt"] ?? []) lists.mdnsModels.add(MDNS_MODEL_KEYS.exec(txt)?.[1]?.trim());
  }
  if (l["udp.dstport"]?.[0] === "53" && l["dns.flags.response"]?.[0] === "0") {
    for (const raw of l["dns.qry.name"] ?? []) {
      // As Heimdal: names with a dot, not .local or reverse (.arpa) names.
      const name = raw.toLowerCase().replace(/\.$/, "");
      if (name.includes(".") && !name.endsWith(".local") && !name.endsWith(".arpa")) lists.dnsNames.add(name);
    }
  }
  if (udpPorts.includes("1900")) {
    for (const server of l["http.server"] ?? []) lists.ssdpServers.add(server.trim());
    addSsdpTypes(e, l);
  } else if (l["http.response"] !== undefined && l["tcp.srcport"] !== undefined && isLanSource(l)) {
    for (const server of l["http.server"] ?? []) lists.httpServers.add(server.trim());
  }
  for (const agent of l["http.user_agent"] ?? []) lists.userAgents.add(agent.trim());
  if (l["tls.handshake.type"]?.includes("1")) {
    for (const name of l["tls.handshake.extensions_server_name"] ?? []) lists.tlsServerNames.add(name.toLowerCase());
    const payload = l["tcp.payload"]?.[0];
    if (payload !== undefined) {
      const bytes = Buffer.from(payload.replace(/:/g, ""), "hex");
      const hello = parseTlsClientHello(bytes, 0, bytes.length);
      if (hello.ok) lists.ja4.add(ja4(hello.value));
    }
  }
  if (l["tcp.flags.syn"]?.[0] === "1" && l["tcp.flags.ack"]?.[0] === "1" && isLanSource(l)) {
    lists.serverPorts.add(`tcp/${l["tcp.srcport"]?.[0]}`);
  }
  const nbnsOpcode = l["nbns.flags.opcode"]?.[0];
  // Registration (5), refresh (8, 9) and positive responses name the sender; queries name others.
  if (nbnsOpcode === "5" || nbnsOpcode === "8" || nbnsOpcode === "9" || l["nbns.flags.response"]?.[0] === "1") {
    for (const name of l["nbns.name"] ?? []) addNetbiosName(e, name);
  }
  for (const name of l["browser.server"] ?? []) addNetbiosName(e, name);
}

/** NT of a NOTIFY, ST of a search response, and the type part of USN; never an M-SEARCH's ST. */
function addSsdpTypes(e: DeviceEvidence, l: Layers): void {
  const method = l["http.request.method"]?.[0];
  const response = l["http.response"] !== undefined;
  if (!response && method !== "NOTIFY") return;
  const wanted = response ? /^(?:ST|USN)$/i : /^(?:NT|USN)$/i;
  // tshark keeps SSDP's own headers (NT, ST, USN) as "unknown" HTTP headers, "NT: value\r\n".
  for (const line of l["http.unknown_header"] ?? []) {
    const header = /^([A-Za-z0-9-]+):[ \t]*(.*?)\s*$/s.exec(line.replace(/\\r\\n$/, ""));
    if (header === null || !wanted.test(header[1] ?? "")) continue;
    const value = header[2] ?? "";
    const type = (value.includes("::") ? value.slice(value.indexOf("::") + 2) : value).trim();
    if (type !== "" && !/^(?:uuid:|upnp:rootdevice$|ssdp:all$|urn:[^:]*:service:)/i.test(type))
      e.lists.ssdpDeviceTypes.add(type);
  }
}

/** A UDP reply from a LAN address and a port below 49152 to the LAN host and port that sent to it first. */
function addUdpExchange(e: DeviceEvidence, l: Layers, pending: Set<string>): void {
  const sport = Number(l["udp.srcport"]?.[0] ?? 0);
  const dport = Number(l["udp.dstport"]?.[0] ?? 0);
  const src = l["ip.src"]?.[0] ?? l["ipv6.src"]?.[0];
  const dst = l["ip.dst"]?.[0] ?? l["ipv6.dst"]?.[0];
  if (sport === 0 || dport === 0 || src === undefined || dst === undefined || !isLanAddress(src)) return;
  if (l["eth.dst"]?.[0] === "ff:ff:ff:ff:ff:ff") e.lists.broadcastPorts.add(`udp/${dport}`);
  if (sport < 49152 && isLanAddress(dst) && pending.has(`${dst}|${dport}|${sport}`)) {
    e.lists.serverPorts.add(`udp/${sport}`);
    return;
  }
  // Requests come from a client port (1024 and up) or from the service port itself (NTP).
  if (dport < 49152 && (sport >= 1024 || sport === dport) && !isPublicAddress(dst))
    pending.add(`${src}|${sport}|${dport}`);
}

function isLanSource(l: Layers): boolean {
  const src = l["ip.src"]?.[0] ?? l["ipv6.src"]?.[0];
  return src !== undefined && isLanAddress(src);
}

/** Private, shared, link-local IPv4 (not a broadcast .255) and IPv6 link-local or unique-local. */
function isLanAddress(address: string): boolean {
  if (address.includes(":")) return /^f[cd]|^fe[89ab]/i.test(address);
  const [a, b, , d] = address.split(".").map(Number) as [number, number, number, number];
  const lan =
    a === 10 ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b < 128);
  return lan && d !== 255;
}

function isPublicAddress(address: string): boolean {
  if (address.includes(":")) return /^[23]/.test(address);
  const [a] = address.split(".").map(Number) as [number];
  return a !== 0 && a !== 127 && a < 224 && !isLanAddress(address) && !address.endsWith(".255");
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
    // "_services._dns-sd._udp.local" is the service enumeration name, not a service.
    if (type === undefined || (instance === "_services" && type === "_dns-sd._udp")) return;
    if (instance?.endsWith("._sub")) return; // subtype PTR: "_printer._sub._http._tcp"
    e.lists.mdnsServices.add(type);
    if (instance !== undefined && !instance.startsWith("_")) e.lists.mdnsNames.add(instance);
    return;
  }
  const host = name.slice(0, -".local".length);
  if (host !== "" && !host.startsWith("_") && !host.includes(".")) e.otherHostnames.add(host);
}

function addNetbiosName(e: DeviceEvidence, raw: string): void {
  const name = raw.replace(/<[0-9a-f]{2}>.*$/i, "").trim();
  if (name === "" || name.startsWith("*") || name.startsWith("\u0001")) return;
  e.lists.netbiosNames.add(name);
}

function toClassificationInput(mac: string, e: DeviceEvidence): ClassificationInput {
  const randomizedMac = isRandomizedMac(mac);
  const fingerprint = Object.fromEntries(
    LIST_FIELDS.map((f) => [f, e.lists[f].toArray()]),
  ) as unknown as DeviceFingerprint;
  for (const key of SCALAR_FIELDS) {
    const value = e[key];
    if (value !== undefined) fingerprint[key] = value;
  }
  const hostnames = new RecentSet();
  // DHCP names first, newest first: the name the device gives itself; then mDNS and NetBIOS names.
  for (const name of [
    ...e.dhcpHostnames.toArray().reverse(),
    ...e.otherHostnames.toArray(),
    ...fingerprint.netbiosNames,
  ]) {
    hostnames.add(name);
  }
  const macNumber = parseMac(mac);
  return {
    mac,
    vendor: randomizedMac || macNumber === undefined ? null : (ouiVendors().vendorOf(macNumber) ?? null),
    randomizedMac,
    hostnames: hostnames.toArray(),
    fingerprint,
  };
}

// ---- vendors

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
  /** Every rule that fired on the evidence, strongest first (including those for other types). */
  fired: FiredRule[];
  truthVendor: string | null;
  derivedVendor: string | null;
  derivedName: string | null;
  derivedModel: string | null;
  derivedOs: string | null;
  typeCorrect: boolean;
  /** Null when the truth has no registered vendor. */
  vendorCorrect: boolean | null;
  /** The evidence the row was derived from; empty lists when the device was not seen. */
  evidence: ClassificationInput;
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

/** The score over every labelled device together, listed after the datasets'. */
export const ALL_DATASETS = "all labelled devices";

export interface Evaluation {
  evidence: EvidenceName | "custom";
  rulesVersion: string;
  rows: EvaluationRow[];
  scores: DatasetScore[];
}

export interface EvaluateOptions {
  /** "heimdal" (default), "tshark", or a source of one's own. */
  evidence?: EvidenceName | EvidenceSource;
  classifier?: RuleClassifier;
  dataRoot?: string;
  /** Only these datasets (default: all). */
  datasets?: readonly string[];
}

const SOURCES: Readonly<Record<EvidenceName, EvidenceSource>> = {
  heimdal: evidenceFromHeimdal,
  tshark: evidenceFromTshark,
};

export async function evaluate(options: EvaluateOptions = {}): Promise<Evaluation> {
  const evidence = options.evidence ?? "heimdal";
  const source = typeof evidence === "string" ? SOURCES[evidence] : evidence;
  const classifier = options.classifier ?? createDefaultClassifier();
  const dataRoot = options.dataRoot ?? DATA_ROOT;
  const devices = (await labelledDevices(dataRoot)).filter(
    (d) => options.datasets === undefined || options.datasets.includes(d.dataset),
  );
  // Each analysis (a device's files) runs once; devices that share a capture share its analysis.
  // A little parallelism helps tshark, whose start-up dominates small files.
  const analyses = new Map<string, readonly string[]>(devices.map((d) => [analysisKey(d.files), d.files]));
  const observed = new Map<string, Map<string, DeviceObservation>>();
  await runLimited([...analyses], 3, async ([key, files]) => {
    observed.set(
      key,
      await source(
        files.map((f) => path.join(dataRoot, f)),
        classifier,
      ),
    );
  });
  const rows = devices.map((device) => {
    const observation = observed.get(analysisKey(device.files))?.get(device.mac) ?? unseen(device.mac);
    const input = observation.input;
    const derived = observation.derived ?? classifyHere(classifier, input);
    return {
      dataset: device.dataset,
      device: device.device,
      mac: device.mac,
      truthType: device.type,
      derivedType: derived.type,
      confidence: derived.confidence,
      fired: classifier.explain(input),
      truthVendor: device.vendor,
      derivedVendor: derived.vendor,
      derivedName: derived.name,
      derivedModel: derived.model,
      derivedOs: derived.os,
      typeCorrect: derived.type === device.type,
      vendorCorrect:
        device.vendor === null
          ? null
          : derived.vendor !== null && normalizeVendor(derived.vendor) === normalizeVendor(device.vendor),
      evidence: input,
    } satisfies EvaluationRow;
  });
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  const scores = [...datasets, ALL_DATASETS].map((dataset) => {
    const mine = dataset === ALL_DATASETS ? rows : rows.filter((r) => r.dataset === dataset);
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
  return {
    evidence: typeof evidence === "string" ? evidence : "custom",
    rulesVersion: classifier.version,
    rows,
    scores,
  };
}

function analysisKey(files: readonly string[]): string {
  return files.join("\n");
}

/** For sources that only gather evidence: the rules' conclusions, and the first name seen. */
function classifyHere(classifier: RuleClassifier, input: ClassificationInput): DerivedIdentity {
  const result = classifier.classify(input);
  return {
    type: result.type.value,
    confidence: result.type.confidence,
    vendor: input.vendor,
    name: input.hostnames[0] ?? input.fingerprint.mdnsNames[0] ?? null,
    model: result.model?.value ?? null,
    os: result.os?.value ?? null,
  };
}

/** A device that sent nothing the source could attribute: only its MAC is known. */
function unseen(mac: string): DeviceObservation {
  return { input: toClassificationInput(mac, emptyEvidence()), derived: null };
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

// ---- Heimdal against tshark

export interface EvidenceDisagreement {
  dataset: string;
  device: string;
  /** "type", "vendor", "name", "hostnames" or a fingerprint field. */
  field: string;
  /** What only Heimdal has (for a single value: Heimdal's value). */
  heimdal: string[];
  /** What only tshark has (for a single value: tshark's value). */
  tshark: string[];
}

/**
 * Every difference between two evaluations of the same devices, one from each source: the
 * conclusions (type, vendor, name) and the evidence, field by field (list fields as sets).
 */
export function compareEvidence(heimdal: Evaluation, tshark: Evaluation): EvidenceDisagreement[] {
  const out: EvidenceDisagreement[] = [];
  for (const h of heimdal.rows) {
    const t = tshark.rows.find((r) => r.dataset === h.dataset && r.device === h.device);
    if (t === undefined) continue;
    const add = (field: string, onlyHeimdal: string[], onlyTshark: string[]) => {
      if (onlyHeimdal.length > 0 || onlyTshark.length > 0)
        out.push({ dataset: h.dataset, device: h.device, field, heimdal: onlyHeimdal, tshark: onlyTshark });
    };
    const single = (field: string, a: string | null | undefined, b: string | null | undefined) => {
      if ((a ?? null) !== (b ?? null)) add(field, a == null ? [] : [a], b == null ? [] : [b]);
    };
    const sets = (field: string, a: readonly string[], b: readonly string[]) =>
      add(
        field,
        a.filter((x) => !b.includes(x)),
        b.filter((x) => !a.includes(x)),
      );
    single("type", h.derivedType, t.derivedType);
    single("vendor", h.derivedVendor, t.derivedVendor);
    single("name", h.derivedName, t.derivedName);
    sets("hostnames", h.evidence.hostnames, t.evidence.hostnames);
    for (const field of SCALAR_FIELDS) single(field, h.evidence.fingerprint[field], t.evidence.fingerprint[field]);
    for (const field of LIST_FIELDS) sets(field, h.evidence.fingerprint[field], t.evidence.fingerprint[field]);
  }
  return out;
}

export function formatDisagreements(disagreements: readonly EvidenceDisagreement[]): string {
  if (disagreements.length === 0) return "Heimdal's evidence and tshark's agree on every device.";
  const quote = (values: readonly string[]) =>
    values.length === 0 ? "-" : values.map((v) => JSON.stringify(v)).join(", ");
  const lines = ["Where Heimdal's evidence and tshark's disagree (field: only Heimdal | only tshark):"];
  for (const d of disagreements) {
    lines.push(`  ${d.dataset}/${d.device} ${d.field}: ${quote(d.heimdal)} | ${quote(d.tshark)}`);
  }
  return lines.join("\n");
}

// ---- output

/** "→camera" for a rule that voted for another type, " (superseded)" for one that did not vote. */
function firedNote(rule: FiredRule, derived: DeviceType): string {
  if (rule.supersededBy !== undefined) return " (superseded)";
  return rule.type === null || rule.type === derived ? "" : `→${rule.type}`;
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
      r.fired.map((f) => `${f.id}${firedNote(f, r.derivedType)}`).join(", ") || "-",
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => Math.min(40, (l[i] ?? "").length))));
  const cell = (text: string, i: number) =>
    i === header.length - 1 ? text : (text.length > 40 ? `${text.slice(0, 39)}…` : text).padEnd(widths[i] ?? 0);
  const out = lines.map((l) => l.map(cell).join("  ").trimEnd());
  out.push("", `evidence ${evaluation.evidence}, rules ${evaluation.rulesVersion}`);
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
  const args = process.argv.slice(2);
  const at = args.indexOf("--evidence");
  const evidence = at === -1 ? "heimdal" : args[at + 1];
  if (evidence !== "heimdal" && evidence !== "tshark") {
    console.error(`--evidence must be "heimdal" or "tshark", got ${JSON.stringify(evidence ?? "")}`);
    process.exit(2);
  }
  const evaluation = await evaluate({ evidence });
  // The cross-check: tshark's reading next to Heimdal's, and where they differ.
  const disagreements =
    evidence === "tshark" ? compareEvidence(await evaluate({ evidence: "heimdal" }), evaluation) : [];
  if (args.includes("--json")) {
    console.log(JSON.stringify(evidence === "tshark" ? { ...evaluation, disagreements } : evaluation, null, 2));
  } else {
    console.log(formatEvaluation(evaluation));
    if (evidence === "tshark") console.log(`\n${formatDisagreements(disagreements)}`);
  }
}
