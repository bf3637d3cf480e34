// Launches Debian's Chromium (never a downloaded browser) for the page tests.
import { chromium } from "playwright-core";

export const BASE = process.env.MK_TEST_BASE_URL;
if (!BASE) throw new Error("MK_TEST_BASE_URL is not set: run the page tests through scripts/test.sh");

export const DEMO_PASSWORD = "demo-mykollector";
export const SHOTS = process.env.MK_TEST_SHOTS_DIR || "";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/**
 * Collects into `into` the Content-Security-Policy violations the page
 * reports: Chromium logs each refused script, style or connection as a
 * console error (issue 13 item 8: the pages satisfy their CSP).
 */
export function watchCsp(page, into = []) {
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) into.push(`CSP: ${m.text()}`);
  });
  return into;
}

/** Logs in through a page's login form. */
export async function loginForm(page, email) {
  await page.fill("#email", email);
  await page.fill("#password", DEMO_PASSWORD);
  await page.click("#login-form button[type=submit]");
}

export async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}
