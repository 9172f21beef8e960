import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { screenshotDir } from "./sensor-process.test-util.js";

/** Debian's chromium: playwright-core drives it and never downloads a browser of its own. */
const CHROMIUM = "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: the tests run as root on CI, where chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
}

/**
 * Script errors and CSP violations of a page: a page under test must produce none. Failed
 * loads are left out: the 401 of the session check before login, and the favicon, are expected.
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
      problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

export async function logIn(page: Page, url: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
}
