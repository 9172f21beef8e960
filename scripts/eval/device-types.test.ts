import { beforeAll, describe, expect, it } from "vitest";
import { ALL_DATASETS, compareEvidence, type Evaluation, evaluate, normalizeVendor } from "./device-types.js";

/**
 * The target is 90 % correct types. Over every labelled device of the shared captures
 * we reach it (57 of 62); on iot-sentinel alone (28 of 31 would be 90 %) Heimdal's own evidence
 * and general rules reach 26: the five devices below show nothing that tells their type without
 * a rule keyed on this dataset, in their capture here nor in the other setups of the same
 * devices (../shared/data/bench/iot-sentinel-all-550-merged.pcap gives the same result).
 * The floors guard against regressions; the exact list makes any change, better or worse,
 * visible. When general knowledge fixes a miss, take it off the list and raise the floor.
 */
const IOT_SENTINEL_TYPE_FLOOR = 26;
const ALL_TYPE_FLOOR = 57;

/** Devices we classify wrongly on purpose rather than with a rule that fits only this dataset. */
const KNOWN_MISSES = [
  // ASSMANN OUI, a BusyBox DHCP client and a TFTP request for "/update.sh" to a fixed address,
  // nothing else: no type evidence at all (→ unknown).
  "EdnetCam1",
  "EdnetCam2",
  // A Hi-Flying HF-LPB100 Wi-Fi module's default hostname, the module's SmartConfig broadcast
  // (UDP 48899 → 49999) and a generic IoT cloud (yunext.com): the module is mostly in plugs and
  // LED controllers, which is what we say (→ plug_switch_bulb).
  "EdnetGateway",
  // ESP8266 default hostname (ESP_xxxxxx), Espressif OUI and lwIP's DHCP options, then silence:
  // indistinguishable from any ESP8266 plug (→ plug_switch_bulb). Their LAN API (TCP 2081) is
  // in the rules, but the app never connects in these captures; in SmarterCoffee's other setups
  // (bench merge) only two stray FIN segments from the phone to its TCP 2081 appear, the tail of
  // an app session whose SYN+ACK was never captured.
  "SmarterCoffee",
  "iKettle2",
];

/**
 * Where tshark's reading and Heimdal's differ by design, not by a parsing fault: Heimdal also
 * takes names from the DHCP server's replies (the lock hubs' names in the router's table), and
 * its name is a host name, while the tshark reading falls back to an mDNS instance name.
 */
const KNOWN_DIFFERENCES = [
  "iot-sentinel/HueSwitch name",
  "tj-oconnor-iot/lockly-hub-01 hostnames",
  "tj-oconnor-iot/sifely-hub-01 hostnames",
];

describe("device type evaluation (Heimdal's own discovery)", () => {
  let evaluation: Evaluation;

  beforeAll(async () => {
    evaluation = await evaluate({ evidence: "heimdal" });
  });

  const score = (dataset: string) => {
    const s = evaluation.scores.find((x) => x.dataset === dataset);
    if (s === undefined) throw new Error(`no score for ${dataset}`);
    return s;
  };
  const row = (device: string) => {
    const r = evaluation.rows.find((x) => x.device === device);
    if (r === undefined) throw new Error(`no row for ${device}`);
    return r;
  };

  it("labels every device of the three datasets", () => {
    expect(evaluation.evidence).toBe("heimdal");
    expect(evaluation.scores.map((s) => [s.dataset, s.devices])).toEqual([
      ["iot-sentinel", 31],
      ["tj-oconnor-iot", 5],
      ["ndpi", 25],
      ["chrissanders", 1],
      [ALL_DATASETS, 62],
    ]);
  });

  it(`types at least ${ALL_TYPE_FLOOR} of the 62 labelled devices, the issue's 90 %`, () => {
    const all = score(ALL_DATASETS);
    expect(all.typeCorrect).toBeGreaterThanOrEqual(ALL_TYPE_FLOOR);
    expect(all.typeAccuracy).toBeGreaterThanOrEqual(0.9);
  });

  it(`types at least ${IOT_SENTINEL_TYPE_FLOOR} of the 31 iot-sentinel devices, missing only the known ones`, () => {
    expect(score("iot-sentinel").typeCorrect).toBeGreaterThanOrEqual(IOT_SENTINEL_TYPE_FLOOR);
    const misses = evaluation.rows.filter((r) => r.dataset === "iot-sentinel" && !r.typeCorrect).map((r) => r.device);
    expect(misses.sort()).toEqual([...KNOWN_MISSES].sort());
  });

  it("types every tj-oconnor-iot, ndpi and chrissanders device", () => {
    expect(score("tj-oconnor-iot").typeAccuracy).toBe(1);
    expect(score("ndpi").typeAccuracy).toBe(1);
    expect(score("chrissanders").typeAccuracy).toBe(1);
  });

  it("names the registered vendor of every device", () => {
    for (const s of evaluation.scores) {
      expect(s.vendorDevices, s.dataset).toBe(s.devices);
      expect(s.vendorAccuracy, s.dataset).toBe(1);
    }
  });

  it("derives type, model and name from the evidence a reviewer expects", () => {
    expect(row("D-LinkCam").derivedModel).toBe("D-Link DCS-935L");
    expect(row("D-LinkCam").fired.map((f) => f.evidence)).toContain("mdnsModel:mdns-model-dlink-dcs=DCS-935L");
    expect(row("D-LinkHomeHub").derivedName).toBe("DCH-G020");
    expect(row("Lucas-iPhone").fired.map((f) => f.evidence)).toContain(
      "dhcpParameterList:dhcp-prl-ios=1,121,3,6,15,119,252",
    );
    expect(row("Lucas-iMac").derivedOs).toBe("macOS");
    expect(row("sifely-hub-01").fired.map((f) => f.evidence)).toContain("destination:dns-lock-clouds=plug.sciener.cn");
    // The evidence this change added: what a device serves and announces.
    expect(row("WeMoLink").derivedModel).toBe("Belkin WeMo Link");
    expect(row("WeMoLink").fired.find((f) => f.id === "dns-wemo")?.supersededBy).toBe("ssdp-type-wemo-bridge");
    expect(row("EdimaxPlug1101W").fired.map((f) => f.evidence)).toContain(
      "vendor+serverPort:port-edimax-smartplug=Edimax Technology Co. Ltd.|tcp/10000",
    );
    expect(row("MAXGateway").derivedModel).toBe("eQ-3 MAX! Cube");
  });
});

describe("cross-check: Heimdal's evidence against tshark's", () => {
  let heimdal: Evaluation;
  let tshark: Evaluation;

  beforeAll(async () => {
    [heimdal, tshark] = await Promise.all([evaluate({ evidence: "heimdal" }), evaluate({ evidence: "tshark" })]);
  });

  it("reads the same evidence from every capture, except where Heimdal reads more by design", () => {
    const differences = compareEvidence(heimdal, tshark).map((d) => `${d.dataset}/${d.device} ${d.field}`);
    expect(differences).toEqual(KNOWN_DIFFERENCES);
  });

  it("derives the same type and vendor for every device from either reading", () => {
    expect(tshark.rows.map((r) => [r.device, r.derivedType, r.derivedVendor])).toEqual(
      heimdal.rows.map((r) => [r.device, r.derivedType, r.derivedVendor]),
    );
  });
});

describe("normalizeVendor", () => {
  it.each([
    ["Tp-Link Technologies Co.,Ltd.", "TP-LINK TECHNOLOGIES CO.,LTD."],
    ["Edimax Technology Co. Ltd.", "EDIMAX TECHNOLOGY CO. LTD."],
    ["D-Link International", "D-Link International Pte Ltd"],
    ["eQ-3 Entwicklung GmbH", "eQ-3 Entwicklung GmbH"],
    ["Apple, Inc.", "Apple Inc"],
  ])("treats %j and %j as one vendor", (a, b) => {
    expect(normalizeVendor(a)).toBe(normalizeVendor(b));
  });

  it("keeps different vendors apart", () => {
    expect(normalizeVendor("Texas Instruments")).not.toBe(normalizeVendor("Espressif Inc."));
  });
});
