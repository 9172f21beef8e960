/**
 * Acting on the network from the dashboard, in chromium: rename a device, "this was me", mute,
 * notification and cloud settings, and blocking: disabled with the reason without --blocking
 * and on the Free edition, and for real (nftables) inside a network namespace of its own.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, logIn, screenshot, watchProblems } from "./browser.test-util.js";
import { analyzeInto, apiSession, bin, type RunningSensor, serve, sharedData } from "./sensor-process.test-util.js";

const execFileAsync = promisify(execFile);
/** How long the page may take to show what the API says (a loaded machine is slow). */
const SETTLE = { timeout: 15_000 };
const PASSWORD = "actions end-to-end password";
// An ARP poisoning (its attacker, 00:25:b3:bf:91:ee, claims 172.16.0.1) and a Raspberry Pi
// that scans its network.
const CAPTURES = ["chrissanders/arppoison.pcapng", "slips/test7-malicious.pcap"].map((p) => join(sharedData, p));
const ATTACKER_MAC = "00:25:b3:bf:91:ee";
const SCANNER = "dev-b827ebc7e9c9";

interface StoredAlert {
  alert: { id: string; type: string; deviceId: string | null; evidence: Record<string, unknown> };
  acknowledgedAt: number | null;
}
interface Config {
  notifications: { severities: string[]; quietHours: { start: string; end: string } | null };
  cloud: { enabled: boolean };
}

const card = (page: Page, alertId: string) => page.locator(`[data-alert-id="${alertId}"]`);

describe("acting from the dashboard in chromium", () => {
  const scratch = mkdtempSync(join(tmpdir(), "heimdal-actions-"));
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
    await logIn(page, sensor.url, PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sensor?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("renames and labels a device: the name shows on the device list, on its alerts and through the API", async () => {
    const before = await api.get<{ summary: { name: string | null; discoveredName: string | null } }>(
      `/devices/${SCANNER}`,
    );
    await page.goto(`${sensor.url}/devices/${SCANNER}`);
    const form = page.getByRole("form", { name: "Name and label" });
    await form.getByLabel("Name").fill("Lucas' Pi");
    await form.getByLabel("Label").fill("kids");
    await form.getByLabel("Notes").fill("In the living room.\nScans at night?");
    await form.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByTestId("device-title").textContent(), SETTLE).toBe("Lucas' Pi");
    expect(await page.getByTestId("device-label").textContent()).toBe("kids");
    // The discovered name is still shown, as what the device calls itself.
    if (before.summary.discoveredName !== null) {
      expect(await page.getByTestId("hostname").first().textContent()).toBe(before.summary.discoveredName);
    }
    await screenshot(page, "actions-01-device-renamed");

    const after = await api.get<{ summary: { name: string; userName: string; label: string } }>(`/devices/${SCANNER}`);
    expect(after.summary).toMatchObject({ name: "Lucas' Pi", userName: "Lucas' Pi", label: "kids" });

    await page.getByRole("link", { name: "Devices", exact: true }).click();
    await page.getByRole("link", { name: "Lucas' Pi" }).waitFor(SETTLE);
    await page.getByLabel("Search devices").fill("kids");
    await expect.poll(() => page.getByTestId("device-row").count(), SETTLE).toBe(1);
    expect(await page.getByTestId("device-row").getByRole("link").textContent()).toBe("Lucas' Pi");
    await screenshot(page, "actions-02-devices-search-label");

    const scans = await api.get<{ alerts: StoredAlert[] }>(`/alerts?deviceId=${SCANNER}`);
    await page.getByRole("link", { name: "Alerts", exact: true }).click();
    const scanCard = card(page, scans.alerts[0]!.alert.id);
    await expect.poll(() => scanCard.getByRole("link", { name: "Lucas' Pi" }).count(), SETTLE).toBe(1);
  });

  it('"this was me" acknowledges the alert and teaches the device\'s baseline its destination', async () => {
    const alerts = await api.get<{ alerts: StoredAlert[] }>("/alerts?type=arp_spoofing&acknowledged=false");
    const spoof = alerts.alerts[0]!;
    const destination = spoof.alert.evidence.destination as string;
    await page.getByRole("link", { name: "Alerts", exact: true }).click();
    await card(page, spoof.alert.id).getByRole("button", { name: "This was me" }).click();
    await expect
      .poll(
        async () => (await api.get<StoredAlert>(`/alerts/${encodeURIComponent(spoof.alert.id)}`)).acknowledgedAt,
        SETTLE,
      )
      .not.toBeNull();
    const detail = await api.get<{ baseline: { golden: { destinations: string[] }[] } | null }>(
      `/devices/${spoof.alert.deviceId}`,
    );
    expect(detail.baseline?.golden.flatMap((g) => g.destinations)).toContain(destination);
  });

  it("mutes a device–destination pair and shows it in the settings under the device's name", async () => {
    const scans = await api.get<{ alerts: StoredAlert[] }>(`/alerts?deviceId=${SCANNER}&acknowledged=false`);
    const scan = card(page, scans.alerts[0]!.alert.id);
    await page.getByRole("link", { name: "Alerts", exact: true }).click();
    await scan.getByRole("button", { name: "Mute…" }).click();
    await scan.getByLabel("Destination", { exact: true }).fill("203.0.113.9");
    await scan.getByRole("button", { name: "Mute", exact: true }).click();
    await scan.getByText("Muted alerts about 203.0.113.9", { exact: false }).waitFor(SETTLE);
    const mutes = await api.get<{ exclusions: { deviceId: string; destination: string }[] }>("/mutes");
    expect(mutes.exclusions).toContainEqual(expect.objectContaining({ deviceId: SCANNER, destination: "203.0.113.9" }));

    await page.getByRole("link", { name: "Settings", exact: true }).click();
    const row = page.locator(".exclusion", { hasText: "203.0.113.9" });
    await expect.poll(() => row.textContent(), SETTLE).toContain("Lucas' Pi");
  });

  it("changes the notification settings and the cloud switch", async () => {
    const form = page.getByRole("form", { name: "Notifications" });
    await form.getByLabel("medium", { exact: true }).check();
    await form.getByLabel("Quiet hours").check();
    await form.getByLabel("Quiet from").fill("22:30");
    await form.getByLabel("Quiet until").fill("06:45");
    await form.getByRole("button", { name: "Update notifications" }).click();
    await form.getByText("Saved.").waitFor(SETTLE);
    const config = await api.get<Config>("/config");
    expect(config.notifications).toMatchObject({
      severities: ["medium", "high", "critical"],
      quietHours: { start: "22:30", end: "06:45" },
    });

    expect(config.cloud.enabled).toBe(false);
    await page.getByTestId("cloud").getByLabel("Share anonymized metadata with Asgard").check();
    await expect.poll(async () => (await api.get<Config>("/config")).cloud.enabled, SETTLE).toBe(true);
    await screenshot(page, "actions-03-settings");
  });

  it("shows Block disabled with the server's reason when it runs without --blocking", async () => {
    await page.getByRole("link", { name: "Alerts", exact: true }).click();
    const block = page.getByRole("button", { name: "Block…" }).first();
    await block.waitFor(SETTLE);
    expect(await block.isDisabled()).toBe(true);
    expect(await page.getByTestId("block-unavailable").first().textContent()).toContain("without --blocking");
    expect(await page.getByTestId("interception").count()).toBe(0); // the settings card is on its own page
  });

  it("ran without console errors or CSP violations", () => {
    expect(problems).toEqual([]);
  });
});

describe("Block on the Free edition", () => {
  const scratch = mkdtempSync(join(tmpdir(), "heimdal-actions-free-"));
  let sensor: RunningSensor;
  let browser: Browser;

  beforeAll(async () => {
    const db = join(scratch, "sensor.db");
    analyzeInto(db, [CAPTURES[0]!]);
    sensor = await serve(db, PASSWORD, ["--edition", "desktop-free", "--blocking"]);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sensor?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("is shown disabled with the edition's reason, on alerts, devices and in the settings", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);
    await logIn(page, sensor.url, PASSWORD);
    await page.getByRole("link", { name: "Alerts", exact: true }).click();
    const block = page.getByRole("button", { name: "Block…" }).first();
    await expect
      .poll(() => page.getByTestId("block-unavailable").first().textContent(), SETTLE)
      .toContain("desktop-free edition shows devices and alerts but never blocks");
    expect(await block.isDisabled()).toBe(true);
    await screenshot(page, "actions-04-free-edition-block-disabled");
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await expect
      .poll(() => page.getByTestId("blocking-reason").textContent(), SETTLE)
      .toContain("desktop-free edition");
    expect(await page.getByTestId("blocking-state").textContent()).toBe("Off");
    expect(await page.getByTestId("blocks").count()).toBe(0);
    await screenshot(page, "actions-05-free-edition-settings");
    expect(problems).toEqual([]);
  });
});

/** Why the namespace test cannot run here, or undefined. */
function namespaceUnavailable(): string | undefined {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "creating network namespaces needs root";
  for (const tool of ["ip", "nft"]) {
    if (!["/usr/sbin", "/usr/bin", "/sbin"].some((dir) => existsSync(`${dir}/${tool}`))) return `${tool} is missing`;
  }
  return undefined;
}

describe.skipIf(namespaceUnavailable())("blocking from the dashboard, enforced by nftables in a namespace", () => {
  // The lab prefix: the platform tests' sweep removes it if this run is killed.
  const ns = `heimdal-lab-${process.pid}-${randomBytes(3).toString("hex")}-ui`;
  const scratch = mkdtempSync(join(tmpdir(), "heimdal-actions-block-"));
  let server: ChildProcess | undefined;
  let browser: Browser;
  let page: Page;
  let url = "";
  const inNs = async (file: string, args: string[]) =>
    (await execFileAsync("ip", ["netns", "exec", ns, file, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  /** The namespace's heimdal table, "" before the first block creates it. */
  const table = () =>
    inNs("nft", ["list", "table", "inet", "heimdal"]).catch((error: Error) => {
      if (error.message.includes("No such file or directory")) return "";
      throw error;
    });
  /** The API as the page sees it (same origin, its cookie): the namespace's loopback is not ours. */
  const pageGet = <T>(path: string) => page.evaluate<T>(`fetch("/api/v1${path}").then((r) => r.json())`);

  beforeAll(async () => {
    await execFileAsync("ip", ["netns", "add", ns]);
    await inNs("ip", ["link", "set", "lo", "up"]);
    const db = join(scratch, "sensor.db");
    analyzeInto(db, [CAPTURES[0]!]);
    server = spawn(
      "ip",
      [
        "netns",
        "exec",
        ns,
        process.execPath,
        bin,
        "serve",
        "--db",
        db,
        "--port",
        "0",
        "--blocking",
        "--state-dir",
        scratch,
      ],
      { env: { ...process.env, HEIMDAL_ADMIN_PASSWORD: PASSWORD }, stdio: ["ignore", "pipe", "pipe"] },
    );
    url = await new Promise<string>((resolveUrl, reject) => {
      let out = "";
      server!.stdout!.on("data", (chunk) => {
        out += chunk;
        const found = /serving (http:\/\/\S+)/.exec(out)?.[1];
        if (found) resolveUrl(found);
      });
      server!.stderr!.on("data", (chunk) => {
        out += chunk;
      });
      server!.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
    // Chromium joins the namespace too (playwright talks to it over a pipe, not the network).
    const wrapper = join(scratch, "chromium-in-namespace.sh");
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
    chmodSync(wrapper, 0o755);
    browser = await chromium.launch({ executablePath: wrapper, args: ["--no-sandbox", "--disable-gpu"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await logIn(page, url, PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill("SIGKILL");
    await execFileAsync("ip", ["netns", "del", ns]).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("quarantines a device and blocks a destination after a confirmation, lists them in the settings, and unblocks", async () => {
    const devices = await pageGet<{ devices: { id: string; mac: string }[] }>("/devices?limit=1000");
    const attacker = devices.devices.find((d) => d.mac === ATTACKER_MAC)!;
    const alerts = await pageGet<{ alerts: StoredAlert[] }>("/alerts?type=arp_spoofing");
    const spoof = alerts.alerts[0]!;
    const destination = spoof.alert.evidence.destination as string;

    // From the alert: its destination, for every device, for a day.
    await page.getByRole("link", { name: "Alerts", exact: true }).click();
    const alertCard = card(page, spoof.alert.id);
    await alertCard.getByRole("button", { name: "Block…" }).click();
    const form = alertCard.getByRole("form", { name: "Block" });
    await form.getByLabel("A destination, for every device").check();
    expect(await form.getByLabel("Destination", { exact: true }).inputValue()).toBe(destination);
    await form.getByLabel("Block for how long").selectOption({ label: "1 day" });
    await form.getByRole("button", { name: "Continue" }).click();
    const confirm = alertCard.getByRole("alertdialog", { name: "Confirm the block" });
    expect(await confirm.textContent()).toContain(`Stop every device from reaching ${destination}`);
    await screenshot(page, "actions-06-block-confirm");
    expect(await table()).not.toContain(destination); // nothing happens before the confirmation
    await confirm.getByRole("button", { name: "Confirm block" }).click();
    await alertCard.getByText("Blocked: stop every device", { exact: false }).waitFor(SETTLE);
    await expect.poll(table, SETTLE).toContain(destination);

    // From the device's page: quarantine, until lifted.
    await page.goto(`${url}/devices/${encodeURIComponent(attacker.id)}`);
    await page.getByTestId("device-title").waitFor(SETTLE);
    await page.locator(".device-title ~ .actions").getByRole("button", { name: "Block…" }).click();
    const deviceForm = page.getByRole("form", { name: "Block" }).first();
    await deviceForm.getByLabel("This device (quarantine: no traffic at all)").check();
    await deviceForm.getByLabel("Block for how long").selectOption({ label: "until I lift it" });
    await deviceForm.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Confirm block" }).click();
    await expect.poll(table, SETTLE).toContain(ATTACKER_MAC);

    const blocks = await pageGet<{
      blocks: { id: string; target: Record<string, unknown>; expiresAt: number | null }[];
    }>("/blocking");
    expect(blocks.blocks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ target: { kind: "destination", destination }, expiresAt: expect.any(Number) }),
        expect.objectContaining({ target: { kind: "device", deviceId: attacker.id }, expiresAt: null }),
      ]),
    );

    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await expect.poll(() => page.getByTestId("block-row").count(), SETTLE).toBe(2);
    await screenshot(page, "actions-07-settings-active-blocks");
    for (let left = 2; left > 0; left--) {
      await page.getByTestId("block-row").first().getByRole("button", { name: "Unblock" }).click();
      await expect.poll(() => page.getByTestId("block-row").count(), SETTLE).toBe(left - 1);
    }
    const after = await table();
    expect(after).not.toContain(ATTACKER_MAC);
    expect(after).not.toContain(destination);
    expect((await pageGet<{ blocks: unknown[] }>("/blocking")).blocks).toEqual([]);
  });
});
