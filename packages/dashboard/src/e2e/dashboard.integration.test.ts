import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, logIn, screenshot, watchProblems } from "./browser.test-util.js";
import { analyzeInto, apiSession, type RunningSensor, serve, sharedData } from "./sensor-process.test-util.js";

/** How long the page may take to show what the API says (a loaded CI machine is slow). */
const SETTLE = { timeout: 15_000 };

// A home network from real captures: an ARP poisoning, a Raspberry Pi that starts scanning,
// and smart-home devices setting up (a scale, cameras, a bridge).
const CAPTURES = [
  "chrissanders/arppoison.pcapng",
  "slips/test7-malicious.pcap",
  "iot-sentinel/Aria/Setup-C-1-STA.pcap",
  "iot-sentinel/D-LinkCam/Setup-A-2-STA.pcap",
  "iot-sentinel/EdimaxCam1/Setup-A-3-STA.pcap",
].map((path) => join(sharedData, path));
const PASSWORD = "end-to-end password";

interface DeviceList {
  total: number;
  devices: { id: string; name: string | null }[];
}
interface AlertList {
  total: number;
  alerts: { alert: { id: string; description: string }; acknowledgedAt: number | null }[];
}

describe("the dashboard in chromium", () => {
  const scratch = mkdtempSync(join(tmpdir(), "heimdal-dashboard-"));
  let sensor: RunningSensor;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let api: Awaited<ReturnType<typeof apiSession>>;

  beforeAll(async () => {
    const db = join(scratch, "sensor.db");
    analyzeInto(db, CAPTURES);
    sensor = await serve(db, PASSWORD);
    api = await apiSession(sensor.url, PASSWORD);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = watchProblems(page);
  });

  afterAll(async () => {
    await browser?.close();
    await sensor?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("logs in with the admin password", async () => {
    await page.goto(`${sensor.url}/`);
    await page.getByLabel("Password").waitFor();
    await screenshot(page, "01-login");
    await logIn(page, sensor.url, PASSWORD);
  });

  it("shows the overview with the API's counts", async () => {
    const status = await api.get<{ counts: { devicesOnline: number; unacknowledgedAlerts: number } }>("/status");
    await expect
      .poll(() => page.getByTestId("tile-online").locator(".tile-value").textContent())
      .toBe(String(status.counts.devicesOnline));
    expect(await page.getByTestId("tile-alerts").locator(".tile-value").textContent()).toBe(
      String(status.counts.unacknowledgedAlerts),
    );
    await screenshot(page, "02-overview");
  });

  it("lists every device, and searches", async () => {
    const devices = await api.get<DeviceList>("/devices?limit=1000");
    await page.getByRole("link", { name: "Devices", exact: true }).click();
    await expect.poll(() => page.getByTestId("device-count").textContent(), SETTLE).toBe(`${devices.total} devices`);
    expect(await page.getByTestId("device-row").count()).toBe(devices.total);
    await screenshot(page, "03-devices");

    const edimax = await api.get<DeviceList>("/devices?search=Edimax");
    await page.getByLabel("Search devices").fill("Edimax");
    await expect.poll(() => page.getByTestId("device-row").count(), SETTLE).toBe(edimax.total);
    await page.getByLabel("Search devices").fill("");
    await expect.poll(() => page.getByTestId("device-row").count(), SETTLE).toBe(devices.total);
  });

  it("shows a device's detail: names, type evidence, destinations, alerts", async () => {
    const devices = await api.get<DeviceList>("/devices?search=black-pearl");
    const pi = devices.devices[0]!;
    await page.getByRole("link", { name: "black-pearl" }).click();
    await expect.poll(() => page.getByTestId("device-title").textContent(), SETTLE).toBe(pi.name);
    await page.getByRole("heading", { name: "Top destinations" }).waitFor();
    const alerts = await api.get<AlertList>(`/alerts?deviceId=${pi.id}`);
    expect(await page.getByTestId("alert-card").count()).toBe(alerts.alerts.length);
    await screenshot(page, "04-device-detail");
  });

  it("shows alerts with their sentence, and acknowledges one through the page", async () => {
    const before = await api.get<AlertList>("/alerts?acknowledged=false");
    const first = before.alerts[0]!;
    await page.getByRole("link", { name: "Alerts", exact: true }).click();
    await expect.poll(() => page.getByTestId("alert-total").textContent(), SETTLE).toBe(String(before.total));
    const card = page.locator(`[data-alert-id="${first.alert.id}"]`);
    expect(await card.locator(".alert-sentence").textContent()).toBe(first.alert.description);
    await screenshot(page, "05-alerts");

    await card.getByRole("button", { name: "Acknowledge" }).click();
    // The card says "Acknowledged." and then leaves the list of open alerts when the list
    // refreshes, which the live stream may do at once: wait for the server, not for the text.
    const acknowledgedAt = async () =>
      (await api.get<{ acknowledgedAt: number | null }>(`/alerts/${encodeURIComponent(first.alert.id)}`))
        .acknowledgedAt;
    await expect.poll(acknowledgedAt, { timeout: 15_000 }).not.toBeNull();
    // The list of open alerts shrinks without a reload (the action, then the live stream).
    await expect
      .poll(() => page.getByTestId("alert-total").textContent(), { timeout: 15_000 })
      .toBe(String(before.total - 1));
  });

  it("saves a sensitivity setting", async () => {
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByLabel("Sensitivity").fill("0.7\nport_scan=0.9");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.", { exact: false }).waitFor();
    const config = await api.get<{ sensitivity: { settings: string[] } }>("/config");
    expect(config.sensitivity.settings).toEqual(["0.7", "port_scan=0.9"]);
    await screenshot(page, "06-settings");
  });

  it("fits a phone-sized screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("link", { name: "Devices", exact: true }).click();
    await page.getByTestId("device-row").first().waitFor();
    // A string: this test compiles without DOM types; the expression runs in the page.
    const width = await page.evaluate<number>("document.documentElement.scrollWidth");
    expect(width).toBeLessThanOrEqual(390);
    await screenshot(page, "07-devices-phone");
    await page.getByRole("link", { name: "Overview", exact: true }).click();
    await page.getByTestId("tile-online").waitFor();
    await screenshot(page, "08-overview-phone");
  });

  it("ran without console errors or CSP violations", () => {
    expect(problems).toEqual([]);
  });
});
