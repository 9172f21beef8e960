import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dnsLookup,
  type Frame,
  ip,
  LOCK,
  newPipeline,
  PHONE,
  replay,
  SECOND,
  T0,
  tcpConnection,
} from "./behaviour-harness.test-util.js";
import { ThreatIntelStore, threatIntelDetector } from "./threat-intel.js";

const FEODO = `################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)           #
# Last updated: 2026-11-01 12:00:00 UTC                         #
################################################################
#
# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2026-10-01 10:00:00","185.220.101.9","443","online","2026-11-01","QakBot"
"2026-10-02 11:00:00","203.0.113.77","8080","offline","2026-10-20","Emotet"
"2026-10-03 11:00:00","not-an-ip","8080","offline","2026-10-20","Emotet"
# END 3 entries
`;

const URLHAUS = `################################################################
# abuse.ch URLhaus Database Dump (CSV - recent URLs only)       #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"3000001","2026-11-01 10:00:00","http://malware.bad.example/x.sh","online","2026-11-01","malware_download","elf,mirai","https://urlhaus.abuse.ch/url/3000001/","someone"
"3000002","2026-11-01 10:05:00","https://198.51.100.23:8443/bins/a.arm7","online","2026-11-01","malware_download","mirai","https://urlhaus.abuse.ch/url/3000002/","someone"
"3000003","2026-11-01 10:06:00","http://[2001:db8::bad]/p","online","2026-11-01","malware_download","","https://urlhaus.abuse.ch/url/3000003/","someone"
"3000004","2026-11-01 10:07:00","","online","2026-11-01","malware_download","","",""
`;

const HOSTS = `# A hosts-file blocklist
127.0.0.1 localhost
::1 localhost ip6-localhost
0.0.0.0 tracker.evil.example
127.0.0.1   c2.botnet.example  other.botnet.example # trailing comment
not-an-address some.example
0.0.0.0 bad_label!.example
`;

const PLAIN = `# Spamhaus DROP style
203.0.113.0/24 ; SBL000001
198.18.5.7
2001:db8:1::66
; comment with semicolon

999.1.1.1
10.0.0.0/33
`;

describe("ThreatIntelStore loaders", () => {
  it("loads a Feodo Tracker CSV from its dst_ip column and reports the bad line", () => {
    const store = new ThreatIntelStore();
    const report = store.loadAbuseChCsv(FEODO, "feodo");
    expect(report.loaded).toBe(2);
    expect(report.malformedCount).toBe(1);
    expect(report.malformed[0]!.line).toBe(9);
    expect(store.matchIp("185.220.101.9")).toEqual({ list: "feodo", entry: "185.220.101.9" });
    expect(store.matchIp("2026-10-01 10:00:00")).toBeUndefined();
  });

  it("loads URLhaus URLs as their hosts (domains, IPv4 with port, bracketed IPv6)", () => {
    const store = new ThreatIntelStore();
    const report = store.loadAbuseChCsv(URLHAUS, "urlhaus");
    expect(report.loaded).toBe(3);
    expect(report.malformed.map((m) => m.line)).toEqual([9]);
    expect(store.matchDomain("malware.bad.example")?.entry.list).toBe("urlhaus");
    expect(store.matchDomain("cdn.malware.bad.example")?.domain).toBe("malware.bad.example");
    expect(store.matchDomain("bad.example")).toBeUndefined();
    expect(store.matchIp("198.51.100.23")).toBeDefined();
    expect(store.matchIp("2001:db8:0:0:0:0:0:bad")).toBeDefined();
  });

  it("finds the column from a plain header line too", () => {
    const store = new ThreatIntelStore();
    const report = store.loadAbuseChCsv(
      "ioc_id,ioc_value,ioc_type\n1,1.2.3.4:80,ip:port\n2,evil.example,domain\n",
      "tf",
    );
    expect(report).toMatchObject({ loaded: 2, malformedCount: 0 });
    expect(store.matchIp("1.2.3.4")).toBeDefined();
    expect(store.matchDomain("www.evil.example")).toBeDefined();
  });

  it("loads hosts files, skipping localhost names and counting bad lines", () => {
    const store = new ThreatIntelStore();
    const report = store.loadHosts(HOSTS, "hosts");
    expect(report.loaded).toBe(3);
    expect(report.malformed.map((m) => m.line)).toEqual([6, 7]);
    expect(store.matchDomain("localhost")).toBeUndefined();
    expect(store.matchDomain("x.c2.botnet.example")?.domain).toBe("c2.botnet.example");
    expect(store.matchDomain("tracker.evil.example.")).toBeDefined();
    expect(store.matchDomain("evil.example")).toBeUndefined();
  });

  it("loads plain lists with CIDRs, and a network matches only inside itself", () => {
    const store = new ThreatIntelStore();
    const report = store.loadIpList(PLAIN, "drop");
    expect(report.loaded).toBe(3);
    expect(report.malformed.map((m) => m.line)).toEqual([7, 8]);
    expect(store.matchIp("203.0.113.200")).toMatchObject({ entry: "203.0.113.0/24" });
    expect(store.matchIp("203.0.114.1")).toBeUndefined();
    expect(store.matchIp("203.0.112.255")).toBeUndefined();
    expect(store.matchIp("198.18.5.7")).toBeDefined();
    expect(store.matchIp("198.18.5.8")).toBeUndefined();
    expect(store.matchIp("2001:db8:1:0::66")).toBeDefined();
    expect(store.matchIp("::ffff:198.18.5.7")).toBeDefined();
  });

  it("never throws on random lines, and counts every non-comment line once at most", () => {
    const line = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.ipV4(),
      fc.ipV6(),
      fc.domain(),
      fc.webUrl(),
      fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 40 })).map(([a, n]) => `${a}/${n}`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const text = lines.join("\n");
        const store = new ThreatIntelStore();
        for (const report of [
          store.loadIpList(text, "a"),
          store.loadHosts(text, "b"),
          store.loadAbuseChCsv(`# id,url\n${text}`, "c"),
          store.loadAbuseChCsv(text, "d"),
        ]) {
          expect(report.malformedCount).toBeLessThanOrEqual(lines.length + 1);
          for (const m of report.malformed) expect(m.line).toBeGreaterThanOrEqual(1);
        }
        for (const l of lines) {
          store.matchIp(l);
          store.matchDomain(l);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("listed addresses and domains always match what they list", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.domain(), (address, domain) => {
        const store = new ThreatIntelStore();
        store.loadIpList(address, "l");
        store.loadHosts(`0.0.0.0 ${domain}`, "h");
        expect(store.matchIp(address)).toBeDefined();
        if (domain.includes(".")) expect(store.matchDomain(`sub.${domain}`)).toBeDefined();
      }),
    );
  });
});

const C2 = ip(185, 220, 101, 9);

function run(frames: Frame[], store: ThreatIntelStore, sensitivity = 0.5) {
  const pipeline = newPipeline([threatIntelDetector(store)], { global: sensitivity });
  replay(pipeline, frames);
  return pipeline.finish().alerts.filter((a) => a.type === "threat_intel_match");
}

describe("threat_intel_match", () => {
  const store = new ThreatIntelStore();
  store.loadAbuseChCsv(FEODO, "feodo");
  store.loadHosts(HOSTS, "hosts");

  it("raises critical at once when the lock talks to a Feodo C2, with list and entry", () => {
    const frames: Frame[] = [];
    tcpConnection(frames, T0, LOCK, C2, 443, 600, 400);
    const alerts = run(frames, store);
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a.severity).toBe("critical");
    expect(a.evidence).toMatchObject({
      list: "feodo",
      entry: "185.220.101.9",
      address: "185.220.101.9",
      port: "tcp/443",
    });
    expect(Date.parse(a.firstEvidence)).toBe(Math.floor(T0 / 1000));
    expect(Date.parse(a.time) - Date.parse(a.firstEvidence)).toBeLessThan(1000);
  });

  it("is high when only a SYN went out (nothing sent)", () => {
    const frames: Frame[] = [];
    tcpConnection(frames, T0, LOCK, C2, 443, 0, 0);
    expect(run(frames, store).map((a) => a.severity)).toEqual(["high"]);
  });

  it("does not match a neighbour in a different /24 or the same /24 of an exact entry", () => {
    const frames: Frame[] = [];
    tcpConnection(frames, T0, LOCK, ip(185, 220, 102, 9), 443, 600, 400);
    tcpConnection(frames, T0 + SECOND, LOCK, ip(185, 220, 101, 10), 443, 600, 400);
    expect(run(frames, store)).toEqual([]);
    const drop = new ThreatIntelStore();
    drop.loadIpList("185.220.101.0/24", "drop");
    expect(run(frames, drop).map((a) => a.evidence.address)).toEqual(["185.220.101.10"]);
  });

  it("flags a lookup of a listed domain's subdomain, and escalates a connection to its answer", () => {
    const frames: Frame[] = [];
    dnsLookup(frames, T0, PHONE, "x.c2.botnet.example", ip(93, 184, 216, 50));
    tcpConnection(frames, T0 + 2 * SECOND, PHONE, ip(93, 184, 216, 50), 443, 900, 300);
    const alerts = run(frames, store);
    const dns = alerts.find((a) => a.key.includes("|dns|"));
    expect(dns).toMatchObject({ severity: "high" });
    expect(dns!.evidence).toMatchObject({ list: "hosts", entry: "c2.botnet.example", query: "x.c2.botnet.example" });
    const flow = alerts.find((a) => !a.key.includes("|dns|"));
    expect(flow).toMatchObject({ severity: "critical" });
    expect(flow!.evidence).toMatchObject({ resolvedFrom: "c2.botnet.example" });
  });

  it("stays quiet for ordinary lookups and traffic, and with an empty store", () => {
    const frames: Frame[] = [];
    dnsLookup(frames, T0, PHONE, "botnet.example.org", ip(93, 184, 216, 51));
    tcpConnection(frames, T0 + SECOND, PHONE, ip(93, 184, 216, 51), 443, 900, 300);
    expect(run(frames, store)).toEqual([]);
    const bad: Frame[] = [];
    tcpConnection(bad, T0, LOCK, C2, 443, 600, 400);
    expect(run(bad, new ThreatIntelStore())).toEqual([]);
  });

  it("is the same at any sensitivity and never throws", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 3000 }), (s, up) => {
        const frames: Frame[] = [];
        tcpConnection(frames, T0, LOCK, C2, 443, up, 100);
        expect(run(frames, store, s).length).toBe(1);
      }),
      { numRuns: 20 },
    );
  });
});
