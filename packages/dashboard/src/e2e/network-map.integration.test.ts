import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatBytes } from "../app/format.js";
import { launchChromium, logIn, screenshot, watchProblems } from "./browser.test-util.js";
import { analyzeInto, apiSession, type RunningSensor, root, serve, sharedData } from "./sensor-process.test-util.js";

/** How long the page may take to show what the API says (a loaded CI machine is slow). */
const SETTLE = { timeout: 20_000 };
const PASSWORD = "network map password";
const WINDOW_MS = 60 * 60_000;
// Five real devices over a week (a camera and four lock hubs talking to their clouds).
const REAL_WEEK = join(sharedData, "bench/tj-oconnor-5dev-7day-merged.pcap");

interface DeviceList {
  total: number;
  devices: { id: string; role: string; name: string | null }[];
}
interface TrafficNow {
  asOf: number | null;
  network: { bytes: number };
}
interface FlowList {
  flows: { destination: string; bytesUp: number; bytesDown: number }[];
}

function simulate(out: string, devices: number, hours: number, seed: number): void {
  execFileSync(
    process.execPath,
    [
      join(root, "packages/cli/bin/heimdal.js"),
      "simulate",
      "--out",
      out,
      "--devices",
      String(devices),
      "--hours",
      String(hours),
      "--seed",
      String(seed),
    ],
    { stdio: ["ignore", "ignore", "inherit"], timeout: 120_000 },
  );
}

/** What the map must show, from the API alone: devices but the one gateway at the centre, the window's top destinations. */
async function expected(api: Awaited<ReturnType<typeof apiSession>>) {
  const devices = await api.get<DeviceList>("/devices?limit=1000");
  const now = await api.get<TrafficNow>("/traffic/now?minutes=60");
  const flows = await api.get<FlowList>(`/flows?from=${(now.asOf ?? 0) - WINDOW_MS}&limit=1000`);
  const bytes = new Map<string, number>();
  for (const f of flows.flows) bytes.set(f.destination, (bytes.get(f.destination) ?? 0) + f.bytesUp + f.bytesDown);
  const top = [...bytes.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 12)
    .map(([name]) => name);
  const centre = devices.devices.some((d) => d.role === "gateway") ? 1 : 0;
  return { deviceCount: devices.devices.length - centre, devices, now, top };
}

const mapDestinations = (page: Page) =>
  page.getByTestId("map-destination").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-destination")));

describe("traffic now and the network map in chromium", () => {
  const scratch = mkdtempSync(join(tmpdir(), "heimdal-map-"));
  const realDb = join(scratch, "real.db");
  const simDb = join(scratch, "sim100.db");
  const later = join(scratch, "later.pcap");
  let real: RunningSensor;
  let sim: RunningSensor;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    analyzeInto(realDb, [REAL_WEEK]);
    const sim100 = join(scratch, "sim100.pcap");
    simulate(sim100, 100, 0.25, 7);
    analyzeInto(simDb, [sim100]);
    // A later stretch of another network, analyzed into the real one while the map is open.
    simulate(later, 6, 0.1, 3);
    [real, sim] = await Promise.all([serve(realDb, PASSWORD), serve(simDb, PASSWORD)]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = watchProblems(page);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await real?.stop();
    await sim?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("shows the last hour's traffic beside the usual on the overview, as the API says", async () => {
    const api = await apiSession(real.url, PASSWORD);
    const { now } = await expected(api);
    expect(now.asOf).not.toBeNull();
    await logIn(page, real.url, PASSWORD);
    await expect
      .poll(() => page.getByTestId("traffic-now-bytes").textContent(), SETTLE)
      .toBe(formatBytes(now.network.bytes));
    await screenshot(page, "map-01-overview-traffic-now");
  });

  it("draws the real network: the gateway, every device, and the API's top destinations by name", async () => {
    const api = await apiSession(real.url, PASSWORD);
    const truth = await expected(api);
    expect(truth.top.length).toBeGreaterThan(0);
    await page.getByRole("link", { name: "Map", exact: true }).click();
    await expect
      .poll(() => page.getByTestId("map-device-count").textContent(), SETTLE)
      .toBe(`${truth.deviceCount} devices`);
    // A small network starts with its groups open: one row per device.
    expect(await page.getByTestId("map-device").count()).toBe(truth.deviceCount);
    expect(await mapDestinations(page)).toEqual(truth.top);
    await page.getByTestId("map-gateway").waitFor();
    await screenshot(page, "map-02-real-network");
  });

  it("updates without a reload when more traffic is stored", async () => {
    await page.evaluate("window.__sameDocument = true");
    const before = await page.getByTestId("map-device-count").textContent();
    analyzeInto(realDb, [later]);
    const api = await apiSession(real.url, PASSWORD);
    const truth = await expected(api);
    expect(`${truth.deviceCount} devices`).not.toBe(before);
    await expect
      .poll(() => page.getByTestId("map-device-count").textContent(), SETTLE)
      .toBe(`${truth.deviceCount} devices`);
    await expect.poll(() => mapDestinations(page), SETTLE).toEqual(truth.top);
    expect(await page.evaluate("window.__sameDocument")).toBe(true);
  });

  it("keeps 100 devices readable: groups closed, search opens and highlights, a click opens the device", async () => {
    const api = await apiSession(sim.url, PASSWORD);
    const truth = await expected(api);
    expect(truth.deviceCount).toBeGreaterThanOrEqual(100);
    await logIn(page, sim.url, PASSWORD);
    await page.goto(`${sim.url}/map`);
    await expect
      .poll(() => page.getByTestId("map-device-count").textContent(), SETTLE)
      .toBe(`${truth.deviceCount} devices`);
    expect(await page.getByTestId("map-device").count()).toBe(0);
    expect(await page.getByTestId("map-group").count()).toBeGreaterThan(1);
    expect(await mapDestinations(page)).toEqual(truth.top);
    await screenshot(page, "map-03-100-devices");

    const target = truth.devices.devices.find((d) => d.role !== "gateway" && d.name !== null)!;
    await page.getByLabel("Find a device on the map").fill(target.name!);
    const hit = page.locator(`[data-testid="map-device"].match[data-device-id="${target.id}"]`);
    await hit.waitFor(SETTLE);
    await screenshot(page, "map-04-search");
    await hit.click();
    await expect.poll(() => page.getByTestId("device-title").textContent(), SETTLE).toBe(target.name);
  });

  it("fits a phone", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    const phoneProblems = watchProblems(phone);
    await logIn(phone, sim.url, PASSWORD);
    await phone.goto(`${sim.url}/map`);
    await phone.getByTestId("map-group").first().waitFor(SETTLE);
    await phone.getByTestId("map-group").first().click();
    await phone.getByTestId("map-device").first().waitFor(SETTLE);
    const width = await phone.evaluate<number>("document.documentElement.scrollWidth");
    expect(width).toBeLessThanOrEqual(390);
    // Every section, the map's included, fits the bottom bar.
    const lastTab = await phone.getByRole("link", { name: "Settings", exact: true }).boundingBox();
    expect(lastTab!.x + lastTab!.width).toBeLessThanOrEqual(390);
    await screenshot(phone, "map-05-phone");
    await phone.close();
    expect(phoneProblems).toEqual([]);
  });

  it("ran no script error and broke no CSP rule", () => {
    expect(problems).toEqual([]);
  });
});
