import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, logIn, screenshot, watchProblems } from "./browser.test-util.js";
import { PAYLOADS, writeHostileCapture } from "./hostile-capture.test-util.js";
import { analyzeInto, apiSession, type RunningSensor, serve } from "./sensor-process.test-util.js";

const PASSWORD = "cross-site scripting test";

// Device-sent text is attacker-controlled: every page must show it as text and run none of it.
describe("device-sent markup in the dashboard", () => {
  const scratch = mkdtempSync(join(tmpdir(), "heimdal-xss-"));
  let sensor: RunningSensor;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let deviceIds: string[];

  beforeAll(async () => {
    const capture = join(scratch, "hostile.pcap");
    writeHostileCapture(capture);
    const db = join(scratch, "sensor.db");
    analyzeInto(db, [capture]);
    sensor = await serve(db, PASSWORD);
    const api = await apiSession(sensor.url, PASSWORD);
    deviceIds = (await api.get<{ devices: { id: string }[] }>("/devices")).devices.map((d) => d.id);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = watchProblems(page);
    await logIn(page, sensor.url, PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await sensor?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const xssFlag = () => page.evaluate<unknown>("window.__xss");
  const bodyText = async () => (await page.locator("main").textContent()) ?? "";

  it("the analysis kept the payloads (so the pages are really exposed to them)", () => {
    expect(deviceIds.length).toBeGreaterThanOrEqual(2);
  });

  it("shows the payloads as text on the devices page and runs nothing", async () => {
    await page.goto(`${sensor.url}/devices`);
    await page.getByTestId("device-row").first().waitFor();
    const text = await bodyText();
    expect(text).toContain(PAYLOADS.dhcpHostname);
    expect(text).toContain(PAYLOADS.mdnsName);
    expect(await xssFlag()).toBeUndefined();
    await screenshot(page, "xss-devices");
  });

  it("shows them as text on each device's page, with the SSDP server", async () => {
    for (const id of deviceIds) {
      await page.goto(`${sensor.url}/devices/${encodeURIComponent(id)}`);
      await page.getByTestId("device-title").waitFor();
      expect(await xssFlag()).toBeUndefined();
    }
    expect(await bodyText()).toContain(PAYLOADS.ssdpServer);
    await screenshot(page, "xss-device-detail");
  });

  it("shows them as text in the overview, alerts and settings", async () => {
    for (const path of ["/", "/alerts", "/settings", "/map"]) {
      await page.goto(`${sensor.url}${path}`);
      await page.locator("main h1").waitFor();
      await page.locator(".state-loading").waitFor({ state: "detached" });
      expect(await xssFlag()).toBeUndefined();
    }
    await page.goto(`${sensor.url}/alerts`);
    await page.getByTestId("alert-card").first().waitFor();
    const text = await bodyText();
    expect(text).toContain(PAYLOADS.dhcpHostname);
    await screenshot(page, "xss-alerts");
  });

  it("draws them as SVG text on the network map", async () => {
    await page.goto(`${sensor.url}/map`);
    await page.getByTestId("map-device").first().waitFor();
    const text = await bodyText();
    expect(text).toContain(PAYLOADS.dhcpHostname);
    expect(text).toContain(PAYLOADS.mdnsName);
    expect(await xssFlag()).toBeUndefined();
    await screenshot(page, "xss-map");
  });

  it("no page created an element from the payloads, and nothing broke the CSP", async () => {
    expect(await page.locator("img[src=x], svg[onload], main script").count()).toBe(0);
    expect(await xssFlag()).toBeUndefined();
    expect(problems).toEqual([]);
  });
});
