import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { textBytes } from "../../simulate/frame-builder.js";
import { type Frame, lookup, randomBytes, runDetectors, T0 } from "./detector-harness.test-util.js";
import { dnsTunnelingDetector, subdomainWeight, tunnelThreshold } from "./dns-tunneling.js";

const base32 = (seed: number, n: number) =>
  [...randomBytes(seed, n)].map((b) => "abcdefghijklmnopqrstuvwxyz234567"[b & 31]).join("");

function tunnel(count: number, domain = "exfil-example.com", type = 16): Frame[] {
  return Array.from({ length: count }, (_, i) =>
    lookup(T0 + i * 500_000, `${base32(i + 1, 40)}.${domain}`, type),
  ).flat();
}

describe("dns_tunneling", () => {
  it("alerts on encoded TXT lookups within a few names and explains itself", () => {
    const alerts = runDetectors(tunnel(20), [dnsTunnelingDetector()]);
    expect(alerts).toHaveLength(1);
    const alert = alerts[0]!;
    expect(alert).toMatchObject({ type: "dns_tunneling", key: "f8:bc:12:00:00:01|exfil-example.com" });
    expect(alert.evidence.destination).toBe("exfil-example.com");
    expect(alert.evidence.uniqueNames as number).toBeLessThanOrEqual(10);
    expect(alert.firstEvidence).toBe(T0 / 1000);
    expect(alert.time - alert.firstEvidence).toBeLessThan(60_000);
  });

  it("stays quiet on antivirus hash lookups, DNS blocklists, CDN hashes and PTR bursts", () => {
    const frames: Frame[] = [];
    for (let i = 0; i < 60; i++) {
      const t = T0 + i * 1_000_000;
      frames.push(...lookup(t, `${base32(i + 7, 32)}.4.sophosxl.net`));
      frames.push(...lookup(t + 1000, `${base32(i + 9, 20)}.e5.sk`));
      frames.push(...lookup(t + 2000, `${i}.${i + 1}.168.192.zen.spamhaus.org`));
      frames.push(...lookup(t + 3000, `e${1000 + i}.a.akamaiedge.net`));
      frames.push(...lookup(t + 4000, `${i}.1.168.192.in-addr.arpa`, 12));
      frames.push(...lookup(t + 5000, `printer-${i}.local`, 16));
    }
    expect(runDetectors(frames, [dnsTunnelingDetector()])).toEqual([]);
  });

  it("stays quiet on ordinary browsing: many sites, a few readable names each", () => {
    const sites = ["news.example", "shop.example", "mail.example", "video.example"];
    const frames = sites.flatMap((site, s) =>
      ["www", "static", "img", "api", "cdn-eu-west-1", "login"].flatMap((h, i) =>
        lookup(T0 + (s * 10 + i) * 100_000, `${h}.${site.replace(".example", "")}.com`),
      ),
    );
    expect(runDetectors(frames, [dnsTunnelingDetector()])).toEqual([]);
  });

  it("counts large high-entropy TXT answers as evidence", () => {
    const frames = Array.from({ length: 12 }, (_, i) =>
      lookup(T0 + i * 400_000, `${base32(i + 3, 24)}.c2-example.net`, 16, 0, [
        {
          type: 16,
          data: new Uint8Array([
            200,
            ...textBytes(
              Buffer.from(randomBytes(i + 50, 150))
                .toString("base64")
                .slice(0, 200),
            ),
          ]),
        },
      ]),
    ).flat();
    const alerts = runDetectors(frames, [dnsTunnelingDetector()]);
    expect(alerts[0]?.evidence.largeHighEntropyTxtAnswers as number).toBeGreaterThan(0);
  });

  it("thresholds fall as sensitivity rises, and never throw on random names", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return tunnelThreshold(hi) <= tunnelThreshold(lo);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.boolean(), (name, tunnelType) => {
        const w = subdomainWeight(name, tunnelType);
        return Number.isFinite(w) && w >= 0 && w <= 2.5;
      }),
    );
  });

  it("alerts at a higher sensitivity whenever it alerts at a lower one", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 14 }), fc.double({ min: 0, max: 1, noNaN: true }), (count, s) => {
        const frames = tunnel(count);
        const low = runDetectors(frames, [dnsTunnelingDetector()], s).length;
        const high = runDetectors(frames, [dnsTunnelingDetector()], Math.min(1, s + 0.3)).length;
        return high >= low;
      }),
      { numRuns: 25 },
    );
  });
});
