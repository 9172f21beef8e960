import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDefaultClassifier } from "./default-classifier.js";
import type { ClassificationInput } from "./device-classifier.js";
import { emptyFingerprint } from "./device-map.js";
import { DEVICE_TYPES, type DeviceFingerprint, type DeviceType } from "./device-record.js";
import rulesJson from "./device-type-rules.json" with { type: "json" };
import {
  backtrackingHazard,
  confidenceOf,
  type DeviceTypeRule,
  type DeviceTypeRuleSet,
  MAX_VALUE_LENGTH,
  REGEX_FIELDS,
  RuleClassifier,
} from "./rule-classifier.js";

const classifier = createDefaultClassifier();

function device(
  evidence: Partial<DeviceFingerprint> & { vendor?: string | null; hostnames?: string[]; randomizedMac?: boolean } = {},
): ClassificationInput {
  const { vendor = null, hostnames = [], randomizedMac = false, ...fingerprint } = evidence;
  return {
    mac: "02:00:00:00:00:01",
    vendor,
    randomizedMac,
    hostnames,
    fingerprint: { ...emptyFingerprint(), ...fingerprint },
  };
}

function typeOf(input: ClassificationInput): DeviceType {
  return classifier.classify(input).type.value;
}

function ruleSet(...rules: DeviceTypeRule[]): DeviceTypeRuleSet {
  return { version: "test", rules };
}

function rule(overrides: Partial<DeviceTypeRule> & Record<string, unknown> = {}): DeviceTypeRule {
  return { id: "r", type: "camera", weight: 0.5, match: { hostname: "cam" }, ...overrides } as DeviceTypeRule;
}

describe("RuleClassifier validation", () => {
  it("loads the default rules, with several rules for every type", () => {
    expect(classifier.version).toBe(rulesJson.version);
    const perType = new Map<string, number>();
    for (const r of rulesJson.rules as DeviceTypeRule[])
      if (r.type) perType.set(r.type, (perType.get(r.type) ?? 0) + 1);
    for (const type of DEVICE_TYPES) {
      if (type !== "unknown") expect(perType.get(type) ?? 0, type).toBeGreaterThanOrEqual(5);
    }
  });

  it.each([
    [{ type: "toaster" }, /rule "r": type: unknown type "toaster" \(valid: phone, tablet/],
    [{ type: "unknown" }, /rule "r": type: unknown type "unknown"/],
    [{ match: { hostname: "(unclosed" } }, /rule "r": hostname: invalid regex "\(unclosed"/],
    [{ match: { colour: "red" } }, /rule "r": colour: unknown condition \(valid: vendor, hostname/],
    [{ colour: "red" }, /rule "r": colour: unknown key/],
    [{ weight: 0 }, /rule "r": weight: must be in \(0, 1\], got 0/],
    [{ weight: 1.5 }, /rule "r": weight: must be in \(0, 1\]/],
    [{ weight: "1" }, /rule "r": weight: must be in \(0, 1\], got "1"/],
    [{ match: {} }, /rule "r": match: must be an object with at least one condition/],
    [{ match: { hostname: [] } }, /rule "r": hostname: empty list of patterns/],
    [{ match: { hostname: 3 } }, /rule "r": hostname: patterns must be non-empty strings, got 3/],
    [{ match: { hostname: "^(a+)+$" } }, /rule "r": hostname: regex "\^\(a\+\)\+\$" can backtrack catastrophically/],
    [{ match: { userAgent: "(\\w+\\s?)*x" } }, /rule "r": userAgent: .*can backtrack catastrophically/],
    [{ match: { hostname: "(a)\\1" } }, /rule "r": hostname: .*backreference/],
    [{ match: { dhcpParameterList: "1,3,6*" } }, /rule "r": dhcpParameterList: a prefix must end with ",\*"/],
    [{ match: { dhcpParameterList: "1;3;6" } }, /rule "r": dhcpParameterList: expected option numbers/],
    [{ match: { ja4: "t13*d*" } }, /rule "r": ja4: "\*" is allowed only at the end/],
    [{ match: { mdnsService: "airplay" } }, /rule "r": mdnsService: expected a service type like "_ipp._tcp"/],
    [{ match: { dnsName: "*.fitbit.com" } }, /rule "r": dnsName: expected a domain like "fitbit.com"/],
    [{ match: { destination: "fitbit" } }, /rule "r": destination: expected a domain like "fitbit.com"/],
    [{ match: { serverPort: "10000" } }, /rule "r": serverPort: expected a protocol and port like "tcp\/10000"/],
    [{ match: { serverPort: "tcp/70000" } }, /rule "r": serverPort: expected a protocol and port/],
    [{ match: { serverPort: "sctp/80" } }, /rule "r": serverPort: expected a protocol and port/],
    [{ match: { serverPort: "udp/0" } }, /rule "r": serverPort: expected a protocol and port/],
    [{ supersedes: "other" }, /rule "r": supersedes: must be a non-empty list of other rule ids/],
    [{ supersedes: ["r"] }, /rule "r": supersedes: must be a non-empty list of other rule ids/],
    [{ supersedes: ["nowhere"] }, /rule "r": supersedes: unknown rule "nowhere"/],
    [{ type: undefined }, /rule "r": type: a rule needs a type, a model or an os/],
    [{ model: "" }, /rule "r": model: must be a non-empty string/],
  ])("refuses %j", (overrides, message) => {
    expect(() => new RuleClassifier(ruleSet(rule(overrides as Partial<DeviceTypeRule>)))).toThrow(message);
  });

  it("refuses malformed sets and ids", () => {
    expect(() => new RuleClassifier(null as unknown as DeviceTypeRuleSet)).toThrow(/expected an object/);
    expect(() => new RuleClassifier({ rules: [] } as unknown as DeviceTypeRuleSet)).toThrow(/"version"/);
    expect(() => new RuleClassifier({ version: "1" } as unknown as DeviceTypeRuleSet)).toThrow(
      /"rules" must be an array/,
    );
    expect(() => new RuleClassifier(ruleSet(rule({ id: "Bad Id" })))).toThrow(/rule #0: "id" must be a kebab-case/);
    expect(() => new RuleClassifier(ruleSet(rule(), rule()))).toThrow(/rule "r": duplicate id/);
  });

  it("tells nested quantifiers from safe groups", () => {
    for (const safe of [
      "^(DCS-\\d+[A-Z]*)",
      "(?:^|[^a-z])(?:ip|net)?cam(?:era)?(?:[^a-z]|$)",
      "galaxy(?![-_ ]?(?:tab|watch))",
      "\\bAndroid [\\d.]+;.{0,80}\\bMobile\\b",
      "(?<name>ab)+",
      "[(+*]+x",
      "(?:ab){2,5}",
    ]) {
      expect(backtrackingHazard(safe), safe).toBeNull();
    }
    for (const unsafe of [
      "(a+)+",
      "(a*)*b",
      "(a|b)*c",
      "(?:x\\d+)+",
      "(a|aa){2,}",
      "((ab)+)+",
      "(a)\\1",
      "(?<n>a)\\k<n>",
    ]) {
      expect(backtrackingHazard(unsafe), unsafe).not.toBeNull();
    }
  });
});

describe("RuleClassifier rule families", () => {
  it.each<[DeviceType, ClassificationInput]>([
    ["phone", device({ hostnames: ["Lucas-iPhone"], vendor: "Apple, Inc." })],
    ["phone", device({ dhcpVendorClass: "android-dhcp-13", dhcpParameterList: "1,3,6,15,26,28,51,58,59,43,114" })],
    ["phone", device({ hostnames: ["android-1c1335ec95a27318"], dhcpVendorClass: "dhcpcd-5.5.6" })],
    ["phone", device({ hostnames: ["Galaxy-S23"] })],
    [
      "phone",
      device({ userAgents: ["Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36"] }),
    ],
    ["tablet", device({ hostnames: ["Annas-iPad"], vendor: "Apple, Inc." })],
    ["tablet", device({ hostnames: ["Galaxy-Tab-S9"] })],
    ["computer", device({ dhcpVendorClass: "MSFT 5.0", hostnames: ["DESKTOP-4F2K9QZ"] })],
    ["computer", device({ userAgents: ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"] })],
    [
      "computer",
      device({ vendor: "Apple, Inc.", mdnsServices: ["_companion-link._tcp"], mdnsModels: ["MacBookPro18,3"] }),
    ],
    ["computer", device({ hostnames: ["raspberrypi"], vendor: "Raspberry Pi Trading Ltd" })],
    ["tv", device({ mdnsServices: ["_googlecast._tcp"], mdnsModels: ["Chromecast"] })],
    ["tv", device({ ssdpServers: ["Roku/9.4.0 UPnP/1.0 Roku/9.4.0"] })],
    [
      "tv",
      device({
        vendor: "Apple, Inc.",
        mdnsServices: ["_airplay._tcp", "_companion-link._tcp"],
        mdnsModels: ["AppleTV11,1"],
      }),
    ],
    ["tv", device({ mdnsNames: ["[TV] Samsung Q60 Series (55)"], mdnsServices: ["_airplay._tcp"] })],
    ["speaker", device({ mdnsServices: ["_googlecast._tcp"], mdnsModels: ["Google Nest Mini"] })],
    ["speaker", device({ vendor: "Sonos, Inc.", mdnsServices: ["_sonos._tcp", "_spotify-connect._tcp"] })],
    [
      "speaker",
      device({
        vendor: "Apple, Inc.",
        mdnsServices: ["_airplay._tcp", "_raop._tcp"],
        mdnsModels: ["AudioAccessory5,1"],
      }),
    ],
    ["camera", device({ hostnames: ["DCS-930LB"], vendor: "D-Link International" })],
    ["camera", device({ hostnames: ["IPCAM-4312"] })],
    ["camera", device({ vendor: "Texas Instruments", dnsNames: ["vs-cam.u011.immedia-semi.com"] })],
    ["camera", device({ vendor: "Hangzhou Hikvision Digital Technology Co.,Ltd.", mdnsServices: ["_rtsp._tcp"] })],
    ["doorbell_lock", device({ hostnames: ["Schlage"], dnsNames: ["api.allegionengage.com"] })],
    ["doorbell_lock", device({ vendor: "Espressif Inc.", hostnames: ["ESP-EB59C4"], dnsNames: ["plug.sciener.cn"] })],
    ["doorbell_lock", device({ vendor: "Ring LLC", hostnames: ["RingDoorbell-9a"] })],
    ["plug_switch_bulb", device({ hostnames: ["HS100(EU)"], vendor: "TP-LINK TECHNOLOGIES CO.,LTD." })],
    ["plug_switch_bulb", device({ hostnames: ["DSP-W215"], vendor: "D-Link International" })],
    [
      "plug_switch_bulb",
      device({ vendor: "Belkin International Inc.", ssdpServers: ["Unspecified, UPnP/1.0, Unspecified"] }),
    ],
    ["plug_switch_bulb", device({ hostnames: ["tasmota-3F2A1B-0123"], vendor: "Espressif Inc." })],
    ["sensor_hub", device({ vendor: "Philips Lighting BV", ssdpServers: ["Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0"] })],
    ["sensor_hub", device({ hostnames: ["DCH-S150"], mdnsModels: ["DCH-S150"] })],
    ["sensor_hub", device({ vendor: "eQ-3 Entwicklung GmbH", hostnames: ["KEQ0817541"] })],
    ["sensor_hub", device({ hostnames: ["homeassistant"], mdnsServices: ["_home-assistant._tcp"] })],
    ["printer", device({ mdnsServices: ["_ipp._tcp", "_uscan._tcp"], mdnsModels: ["HP LaserJet MFP M234sdw"] })],
    ["printer", device({ hostnames: ["BRW105BAD2F6C11"], vendor: "Brother Industries, LTD." })],
    ["game_console", device({ vendor: "Sony Interactive Entertainment Inc." })],
    ["game_console", device({ userAgents: ["Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) Edge/44"] })],
    ["game_console", device({ vendor: "Nintendo Co.,Ltd", dnsNames: ["conntest.nintendowifi.net"] })],
    ["nas", device({ vendor: "Synology Incorporated", hostnames: ["DiskStation"], mdnsServices: ["_smb._tcp"] })],
    ["nas", device({ mdnsServices: ["_adisk._tcp", "_qdiscover._tcp"] })],
    ["router", device({ mdnsServices: ["_airport._tcp"], vendor: "Apple, Inc." })],
    ["router", device({ hostnames: ["OpenWrt"] })],
    ["router", device({ vendor: "Ubiquiti Inc", ssdpServers: ["Linux/4.4 UPnP/1.1 MiniUPnPd/2.2.1"] })],
    ["wearable_scale", device({ hostnames: ["GainSpanca9152"], dnsNames: ["www.fitbit.com"] })],
    ["wearable_scale", device({ vendor: "Withings", dhcpVendorClass: "Withings00" })],
    ["appliance", device({ hostnames: ["Roomba-3165"], vendor: "iRobot Corporation" })],
    [
      "appliance",
      device({
        hostnames: ["BOSCH-DISHWASHER-0123"],
        dnsNames: ["prod.reu.rest.homeconnectegw.com", "api.home-connect.com"],
      }),
    ],
    ["appliance", device({ hostnames: ["iKettle-2"] })],
    // What a device serves and announces: UPnP device types, server ports, web server headers.
    [
      "sensor_hub",
      device({
        vendor: "Belkin International Inc.",
        ssdpServers: ["Unspecified, UPnP/1.0, Unspecified"],
        dnsNames: ["api.xbcs.net"],
        ssdpDeviceTypes: ["urn:Belkin:device:bridge:1"],
      }),
    ],
    [
      "plug_switch_bulb",
      device({ vendor: "Belkin International Inc.", ssdpDeviceTypes: ["urn:Belkin:device:insight:1"] }),
    ],
    ["plug_switch_bulb", device({ vendor: "Edimax Technology Co. Ltd.", serverPorts: ["tcp/10000", "tcp/80"] })],
    ["plug_switch_bulb", device({ serverPorts: ["udp/9999"] })],
    ["sensor_hub", device({ vendor: "eQ-3 Entwicklung GmbH", serverPorts: ["tcp/62910"] })],
    ["appliance", device({ vendor: "Espressif Inc.", hostnames: ["ESP_06D902"], serverPorts: ["tcp/2081"] })],
    ["tv", device({ ssdpDeviceTypes: ["roku:ecp"] })],
    ["speaker", device({ ssdpDeviceTypes: ["urn:schemas-upnp-org:device:ZonePlayer:1"] })],
    ["camera", device({ vendor: "D-Link International", ssdpDeviceTypes: ["urn:schemas-upnp-org:device:DCS-935L:1"] })],
    ["camera", device({ httpServers: ["Hikvision-Webs"] })],
    ["printer", device({ httpServers: ["HP HTTP Server; HP OfficeJet Pro 9010 series - 3UK83B; Serial Number: X"] })],
    ["router", device({ ssdpDeviceTypes: ["urn:schemas-upnp-org:device:InternetGatewayDevice:1"] })],
  ])("%s (case %#)", (expected, input) => {
    expect(typeOf(input)).toBe(expected);
  });

  it("says unknown, with confidence 0, without evidence", () => {
    const result = classifier.classify(device());
    expect(result).toEqual({ type: { value: "unknown", confidence: 0, evidence: [] }, model: null, os: null });
  });

  it("reports the rule and the matched value, a model and an OS", () => {
    const result = classifier.classify(
      device({ hostnames: ["DCS-930LB"], vendor: "D-Link International", dhcpVendorClass: "udhcp 1.12.1" }),
    );
    expect(result.type.evidence[0]).toBe("hostname:hostname-dlink-dcs=DCS-930LB");
    expect(result.model?.value).toBe("D-Link DCS-930LB");
    expect(result.os?.value).toBe("Linux (BusyBox)");
    expect(result.os?.evidence).toEqual(["dhcpVendorClass:os-udhcp=udhcp 1.12.1"]);
  });

  it("gives a weak prior a low confidence and lets any specific evidence outweigh it", () => {
    const prior = classifier.classify(device({ vendor: "Espressif Inc." }));
    expect(prior.type.value).toBe("plug_switch_bulb");
    expect(prior.type.confidence).toBeLessThan(0.3);
    expect(typeOf(device({ vendor: "Espressif Inc.", hostnames: ["PGH200"] }))).toBe("doorbell_lock");
  });

  it("keeps a phone that uses a speaker's app a phone", () => {
    const phone = device({
      hostnames: ["android-1c1335ec95a27318"],
      dhcpVendorClass: "dhcpcd-5.5.6",
      dnsNames: ["avs-alexa-na.amazon.com", "www.fitbit.com", "nflxvideo.net"],
    });
    expect(typeOf(phone)).toBe("phone");
    const fired = classifier.explain(phone).map((f) => f.id);
    expect(fired).toContain("dns-alexa-voice");
  });

  it("ignores the vendor of a randomized MAC", () => {
    expect(typeOf(device({ vendor: "Sony Interactive Entertainment Inc.", randomizedMac: true }))).toBe("unknown");
  });

  it("matches domains on label boundaries and service types without .local or case", () => {
    expect(typeOf(device({ dnsNames: ["notfitbit.com"] }))).toBe("unknown");
    expect(typeOf(device({ dnsNames: ["FITBIT.COM."] }))).toBe("wearable_scale");
    expect(typeOf(device({ tlsServerNames: ["api.fitbit.com"] }))).toBe("wearable_scale"); // destination: DNS or SNI
    expect(typeOf(device({ mdnsServices: ["_IPP._TCP.local."] }))).toBe("printer");
  });
});

describe("RuleClassifier matching and scoring", () => {
  const custom = (...rules: DeviceTypeRule[]) => new RuleClassifier(ruleSet(...rules));

  it("matches a DHCP parameter list exactly or by whole-item prefix", () => {
    const c = custom(rule({ id: "p", type: "phone", match: { dhcpParameterList: "1,3,6,*" } }));
    const prl = (dhcpParameterList: string) => c.classify(device({ dhcpParameterList })).type.value;
    expect(prl("1,3,6")).toBe("phone");
    expect(prl("1,3,6,15")).toBe("phone");
    expect(prl("1, 3, 6, 15")).toBe("phone");
    expect(prl("1,3,60")).toBe("unknown");
    expect(prl("3,6")).toBe("unknown");
  });

  it("matches JA4 exactly or by prefix", () => {
    const c = custom(
      rule({ id: "exact", type: "tv", match: { ja4: "t13d1516h2_8daaf6152771_e5627efa2ab1" } }),
      rule({ id: "prefix", type: "phone", match: { ja4: "t12d0505*" } }),
    );
    expect(c.classify(device({ ja4: ["t13d1516h2_8daaf6152771_e5627efa2ab1"] })).type.value).toBe("tv");
    expect(c.classify(device({ ja4: ["t12d0505h1_aaaaaaaaaaaa_bbbbbbbbbbbb"] })).type.value).toBe("phone");
    expect(c.classify(device({ ja4: ["t13d1516h2_8daaf6152771_e5627efa2ab2"] })).type.value).toBe("unknown");
  });

  it("fires a rule only when all its conditions hold, each on any value of its field", () => {
    const c = custom(rule({ id: "both", type: "nas", match: { vendor: "^Acme", mdnsService: "_smb._tcp" } }));
    expect(c.classify(device({ vendor: "Acme Ltd" })).type.value).toBe("unknown");
    const both = c.classify(device({ vendor: "Acme Ltd", mdnsServices: ["_http._tcp", "_smb._tcp"] }));
    expect(both.type).toEqual({
      value: "nas",
      confidence: 0.393,
      evidence: ["vendor+mdnsService:both=Acme Ltd|_smb._tcp"],
    });
  });

  it("sums weights per type and resolves ties by the most specific rule", () => {
    const c = custom(
      rule({ id: "a", type: "tv", weight: 0.5, match: { hostname: "box" } }),
      rule({ id: "b", type: "speaker", weight: 0.5, match: { hostname: "box", vendor: "Acme" } }),
      rule({ id: "c", type: "tv", weight: 0.3, match: { dnsName: "tv.example" } }),
    );
    expect(c.classify(device({ hostnames: ["box"], vendor: "Acme" })).type.value).toBe("speaker");
    const summed = c.classify(device({ hostnames: ["box"], vendor: "Acme", dnsNames: ["tv.example"] }));
    expect(summed.type.value).toBe("tv");
    expect(summed.type.evidence).toEqual(["hostname:a=box", "dnsName:c=tv.example"]);
    expect(summed.type.confidence).toBe(confidenceOf(0.8, 1.3));
  });

  it("drops the votes of the rules a fired rule supersedes, and shows who superseded them", () => {
    const c = custom(
      rule({ id: "prior-a", type: "plug_switch_bulb", weight: 0.9, match: { vendor: "^Acme" }, model: "Acme plug" }),
      rule({ id: "prior-b", type: "plug_switch_bulb", weight: 0.9, match: { hostname: "^acme" }, os: "AcmeOS" }),
      rule({
        id: "bridge",
        type: "sensor_hub",
        weight: 0.5,
        match: { ssdpDeviceType: "^urn:Acme:device:bridge:" },
        model: "Acme bridge",
        supersedes: ["prior-a", "prior-b"],
      }),
    );
    const plug = device({ vendor: "Acme", hostnames: ["acme-1"] });
    expect(c.classify(plug).type.value).toBe("plug_switch_bulb");
    const bridge = { ...plug, fingerprint: { ...plug.fingerprint, ssdpDeviceTypes: ["urn:Acme:device:bridge:1"] } };
    const result = c.classify(bridge);
    expect(result.type).toEqual({
      value: "sensor_hub",
      confidence: confidenceOf(0.5, 0.5),
      evidence: ["ssdpDeviceType:bridge=urn:Acme:device:bridge:1"],
    });
    expect(result.model?.value).toBe("Acme bridge");
    // The OS is not what the rule knows better: a superseded rule still names it.
    expect(result.os?.value).toBe("AcmeOS");
    expect(c.explain(bridge).map((f) => [f.id, f.supersededBy])).toEqual([
      ["prior-a", "bridge"],
      ["prior-b", "bridge"],
      ["bridge", undefined],
    ]);
  });

  it("matches server ports exactly, without case", () => {
    const c = custom(rule({ id: "kasa", type: "plug_switch_bulb", match: { serverPort: ["tcp/9999", "UDP/9999"] } }));
    expect(c.classify(device({ serverPorts: ["UDP/9999"] })).type.value).toBe("plug_switch_bulb");
    expect(c.classify(device({ serverPorts: ["tcp/99999", "udp/999", "tcp/9998"] })).type.value).toBe("unknown");
  });

  it("lists the TCP server ports its rules read, once each and ascending, for the service probe", () => {
    const c = custom(
      rule({ id: "kasa", type: "plug_switch_bulb", match: { serverPort: ["tcp/9999", "UDP/9999"] } }),
      rule({ id: "rtsp", type: "camera", match: { serverPort: "TCP/554" } }),
      rule({ id: "edimax", type: "plug_switch_bulb", match: { vendor: "^Edimax", serverPort: "tcp/9999" } }),
      rule({ id: "lifx", type: "plug_switch_bulb", match: { serverPort: "udp/56700" } }),
    );
    expect(c.probePorts()).toEqual([554, 9999]);
    // The shipped rules: RTSP, JetDirect and the vendors' LAN APIs among them, nothing over UDP.
    expect(classifier.probePorts()).toEqual(expect.arrayContaining([554, 1400, 8060, 9100, 9999, 62910]));
    expect(classifier.probePorts()).not.toContain(56700);
  });

  it("reads what a service probe finds: a quiet camera, printer or iPhone, an iPad by its name", () => {
    const typeOf = (evidence: Parameters<typeof device>[0]) => classifier.classify(device(evidence)).type.value;
    expect(typeOf({ serverPorts: ["tcp/554"] })).toBe("camera");
    expect(typeOf({ serverPorts: ["tcp/9100", "tcp/631"] })).toBe("printer");
    const iphone = classifier.classify(device({ serverPorts: ["tcp/62078"] }));
    expect([iphone.type.value, iphone.os?.value]).toEqual(["phone", "iOS"]);
    expect(typeOf({ serverPorts: ["tcp/62078"], hostnames: ["Annas-iPad"] })).toBe("tablet");
    expect(typeOf({ serverPorts: ["tcp/34567"] })).toBe("camera");
    expect(typeOf({ serverPorts: ["tcp/37777"] })).toBe("camera");
    expect(typeOf({ serverPorts: ["tcp/6466", "tcp/6467"] })).toBe("tv");
    expect(typeOf({ serverPorts: ["tcp/8123", "tcp/1883"] })).toBe("sensor_hub");
    expect(typeOf({ serverPorts: ["tcp/7547"] })).toBe("router");
    const windows = classifier.classify(device({ serverPorts: ["tcp/3389"] }));
    expect([windows.type.value, windows.os?.value]).toEqual(["computer", "Windows"]);
    // A Cast speaker answers on 8009 too: its mDNS model says speaker, and wins.
    expect(typeOf({ serverPorts: ["tcp/8009"], mdnsModels: ["Google Home Mini"] })).toBe("speaker");
  });

  it("reads the maker and model of a UPnP description", () => {
    const of = (model: string) => classifier.classify(device({ upnpModels: [model] }));
    expect([of("Sonos, Inc. Sonos One").type.value, of("Sonos, Inc. Sonos One").model?.value]).toEqual([
      "speaker",
      "Sonos One",
    ]);
    expect(of("Google Inc. Google Home").type.value).toBe("speaker");
    expect(of("Samsung Electronics Samsung TV").type.value).toBe("tv");
    expect(of("HP HP OfficeJet Pro 9010").type.value).toBe("printer");
    expect(of("Synology DS918+").type.value).toBe("nas");
    expect(of("AVM FRITZ!Box 7590").type.value).toBe("router");
    expect(of("Acme Widget 3000").type.value).toBe("unknown");
  });

  it("reads a platform's discovery broadcast: a Tuya device of an unknown vendor is a plug, not a searcher", () => {
    const tuya = classifier.classify(device({ broadcastPorts: ["udp/6667"] }));
    expect([tuya.type.value, tuya.model?.value]).toEqual(["plug_switch_bulb", "Tuya"]);
    // A speaker broadcasting the Kasa search is not a Kasa plug: only an answer on 9999 says that.
    expect(classifier.classify(device({ broadcastPorts: ["udp/9999"] })).type.value).toBe("unknown");
  });

  it("computes confidence as (1 - e^-best) x best/total", () => {
    expect(confidenceOf(1, 1)).toBe(0.632);
    expect(confidenceOf(2, 2)).toBe(0.865);
    expect(confidenceOf(1, 1.5)).toBe(0.421);
    expect(confidenceOf(0, 0)).toBe(0);
    expect(confidenceOf(50, 50)).toBe(1);
  });

  it("fills model templates from the capture groups of the first regex condition", () => {
    const c = custom(
      rule({ id: "m", type: "camera", match: { vendor: "^(Acme)", hostname: "^(CAM-\\d+)" }, model: "$1 $2" }),
    );
    expect(c.classify(device({ vendor: "Acme", hostnames: ["CAM-42-garden"] })).model?.value).toBe("Acme");
    const whole = custom(rule({ id: "w", type: "tv", match: { mdnsModel: "^Chromecast.{0,10}" }, model: "$0" }));
    expect(whole.classify(device({ mdnsModels: ["Chromecast Ultra"] })).model?.value).toBe("Chromecast Ultra");
  });

  it("lets type-less rules name an OS without voting for a type", () => {
    const c = custom({ id: "os", weight: 0.5, match: { dhcpVendorClass: "^udhcp" }, os: "Linux" });
    const result = c.classify(device({ dhcpVendorClass: "udhcp 1.22.1" }));
    expect(result.type.value).toBe("unknown");
    expect(result.os).toEqual({ value: "Linux", confidence: 0.393, evidence: ["dhcpVendorClass:os=udhcp 1.22.1"] });
  });

  it("matches only the first 256 characters of a value and the newest 64 values of a list", () => {
    const c = custom(rule({ id: "tail", type: "tv", match: { hostname: "tv$" } }));
    expect(c.classify(device({ hostnames: [`${"x".repeat(MAX_VALUE_LENGTH - 2)}tv`] })).type.value).toBe("tv");
    expect(c.classify(device({ hostnames: [`${"x".repeat(MAX_VALUE_LENGTH)}tv`] })).type.value).toBe("unknown");
    const old = ["tv", ...Array.from({ length: 64 }, (_, i) => `name-${i}`)];
    expect(c.classify(device({ hostnames: old })).type.value).toBe("unknown");
  });

  it("quotes matched values without control characters and cut to 64 characters", () => {
    const c = custom(rule({ id: "q", match: { userAgent: "cam" } }));
    const [evidence] = c.classify(device({ userAgents: [`cam\u0000\u001b[31m${"y".repeat(100)}`] })).type.evidence;
    expect(evidence).toBe(`userAgent:q=cam??[31m${"y".repeat(55)}…`);
  });
});

describe("RuleClassifier robustness", () => {
  it("never throws and always answers a valid type with confidences in [0, 1] (arbitrary text everywhere)", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: "binary", maxLength: 300 }),
      fc.constantFrom(
        "iPhone",
        "_googlecast._tcp",
        "fitbit.com",
        "DCS-930LB",
        "1,3,6,15",
        "Apple, Inc.",
        "Espressif Inc.",
      ),
    );
    const list = fc.array(text, { maxLength: 8 });
    const arbitraryInput = fc.record({
      mac: fc.string(),
      vendor: fc.option(text, { nil: null }),
      randomizedMac: fc.boolean(),
      hostnames: list,
      fingerprint: fc.record(
        {
          dhcpParameterList: text,
          dhcpVendorClass: text,
          dhcpClientId: text,
          dhcpv6Duid: text,
          dhcpv6Enterprise: fc.integer(),
          mdnsServices: list,
          mdnsNames: list,
          mdnsModels: list,
          ssdpServers: list,
          userAgents: list,
          ja4: list,
          tlsServerNames: list,
          dnsNames: list,
          netbiosNames: list,
          ssdpDeviceTypes: list,
          serverPorts: list,
          httpServers: list,
        },
        {
          requiredKeys: [
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
            "httpServers",
          ],
        },
      ),
    });
    fc.assert(
      fc.property(arbitraryInput, (input) => {
        const result = classifier.classify(input as ClassificationInput);
        expect(DEVICE_TYPES).toContain(result.type.value);
        for (const inference of [result.type, result.model, result.os]) {
          if (inference === null) continue;
          expect(inference.confidence).toBeGreaterThanOrEqual(0);
          expect(inference.confidence).toBeLessThanOrEqual(1);
          expect(Array.isArray(inference.evidence)).toBe(true);
        }
        if (result.type.value === "unknown") expect(result.type.confidence).toBe(0);
        else expect(result.type.evidence.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it("matches every default regex against adversarial 256-character text quickly", () => {
    const adversarial = [
      "a".repeat(MAX_VALUE_LENGTH),
      "-".repeat(MAX_VALUE_LENGTH),
      "1".repeat(MAX_VALUE_LENGTH),
      "a-".repeat(MAX_VALUE_LENGTH / 2),
      "Android 1.".repeat(MAX_VALUE_LENGTH / 10),
      "cam".repeat(MAX_VALUE_LENGTH / 3),
      "x ".repeat(MAX_VALUE_LENGTH / 2),
    ];
    const started = performance.now();
    for (const r of rulesJson.rules as DeviceTypeRule[]) {
      for (const [field, value] of Object.entries(r.match)) {
        if (!(REGEX_FIELDS as readonly string[]).includes(field)) continue;
        for (const source of Array.isArray(value) ? value : [value]) {
          const regex = new RegExp(source, "i");
          for (const text of adversarial) regex.test(text);
        }
      }
    }
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("classifies hundreds of devices quickly", () => {
    const devices = Array.from({ length: 500 }, (_, i) =>
      device({
        vendor: i % 2 === 0 ? "Espressif Inc." : "Apple, Inc.",
        hostnames: [`device-${i}`, `Johns-iPhone-${i}`],
        dhcpParameterList: "1,121,3,6,15,119,252",
        dhcpVendorClass: "udhcp 1.22.1",
        mdnsServices: ["_companion-link._tcp", "_airplay._tcp", "_http._tcp"],
        mdnsNames: [`Device ${i}`],
        ssdpServers: ["Linux/3.14.0 UPnP/1.0 Server/1.0"],
        userAgents: ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"],
        dnsNames: Array.from({ length: 32 }, (_, j) => `host${j}.example${i}.com`),
      }),
    );
    const started = performance.now();
    for (const d of devices) classifier.classify(d);
    // Measured about 40 ms on the 2-core CI machine; the bound leaves room for a slow run.
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
