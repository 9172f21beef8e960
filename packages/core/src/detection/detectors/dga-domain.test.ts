import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Frame, lookup, randomBytes, runDetectors, T0 } from "./detector-harness.test-util.js";
import { DGA_NAME_THRESHOLD, dgaBurstCount, dgaDomainDetector, dgaNameScore, dgaNameThreshold } from "./dga-domain.js";

const CSV = join(import.meta.dirname, "../../../../../../shared/data/dga/dga_domains_sample.csv");

const randomLabel = (seed: number, n: number) =>
  [...randomBytes(seed, n)].map((b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");

describe("dga_domain name score", () => {
  // The model was derived from English words only (dga-ngram-model.ts); the threshold was
  // chosen on the even rows of the real names; rates here are for the odd rows (held out).
  it.skipIf(!existsSync(CSV))("separates generated names from real ones on the labelled sample", () => {
    const rows = readFileSync(CSV, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split(","));
    const real = rows.filter((r) => r[0] === "legit");
    const heldOut = real.filter((_, i) => i % 2 === 1);
    const flagged = heldOut.filter((r) => dgaNameScore(r[2]!) >= DGA_NAME_THRESHOLD).length;
    const families = new Map<string, [number, number]>();
    let hits = 0;
    let total = 0;
    for (const [label, family, name] of rows) {
      if (label !== "dga") continue;
      const hit = dgaNameScore(name!) >= DGA_NAME_THRESHOLD;
      const f = families.get(family!) ?? [0, 0];
      f[0] += hit ? 1 : 0;
      f[1]++;
      families.set(family!, f);
      hits += hit ? 1 : 0;
      total++;
    }
    const recall = hits / total;
    const fpr = flagged / heldOut.length;
    const table = [...families]
      .sort((a, b) => b[1][0] / b[1][1] - a[1][0] / a[1][1])
      .map(
        ([family, [h, n]]) =>
          `${family.padEnd(13)} ${String(h).padStart(4)}/${String(n).padEnd(4)} ${((100 * h) / n).toFixed(0)} %`,
      );
    console.log(
      `DGA name score ≥ ${DGA_NAME_THRESHOLD}: recall ${(100 * recall).toFixed(1)} % (${hits}/${total}), real names flagged ${(100 * fpr).toFixed(2)} % (${flagged}/${heldOut.length} held out)\n${table.join("\n")}`,
    );
    // Honest floors (targets were 80 % at 0.5 %; see the report for why word-like families are out of reach).
    expect(recall).toBeGreaterThanOrEqual(0.45);
    expect(fpr).toBeLessThanOrEqual(0.006);
    expect(families.get("cryptolocker")![0] / families.get("cryptolocker")![1]).toBeGreaterThanOrEqual(0.7);
  });

  it("never throws and stays finite on arbitrary names", () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (name) => Number.isFinite(dgaNameScore(name))));
  });

  it("has thresholds that fall as sensitivity rises", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return dgaNameThreshold(hi) <= dgaNameThreshold(lo) && dgaBurstCount(hi) <= dgaBurstCount(lo);
      }),
    );
  });
});

describe("dga_domain detector", () => {
  it("alerts on a burst of random names that fail, within two minutes", () => {
    const frames: Frame[] = [];
    for (let i = 0; i < 30; i++) frames.push(...lookup(T0 + i * 2_000_000, `${randomLabel(i + 1, 14)}.com`, 1, 3));
    const alerts = runDetectors(frames, [dgaDomainDetector()]);
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    const alert = alerts[0]!;
    expect(alert).toMatchObject({ type: "dga_domain", key: "f8:bc:12:00:00:01" });
    expect(alert.time - alert.firstEvidence).toBeLessThanOrEqual(120_000);
  });

  it("stays quiet on a device browsing 40 fresh sites, some with odd names, that resolve", () => {
    const sites = Array.from({ length: 40 }, (_, i) =>
      i % 4 === 0 ? `${randomLabel(i + 100, 12)}.com` : `site${i}shop.com`,
    );
    const frames = sites.flatMap((name, i) => lookup(T0 + i * 1_000_000, name));
    expect(runDetectors(frames, [dgaDomainDetector()])).toEqual([]);
  });

  it("stays quiet on typos: a few readable names that fail", () => {
    const frames = ["gooogle.com", "faceboook.com", "amazn.com", "wikipeda.org", "yuotube.com"].flatMap((n, i) =>
      lookup(T0 + i * 1_000_000, n, 1, 3),
    );
    expect(runDetectors(frames, [dgaDomainDetector()])).toEqual([]);
  });
});
