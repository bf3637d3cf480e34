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

/** A JWT pair for a demo account, straight from the API (test set-up only). */
export async function sessionOf(email) {
  const res = await fetch(`${BASE}/api/auth/login`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  if (!res.ok) throw new Error(`login ${email}: ${res.status}`);
  return res.json();
}

/** Calls the API as `session` (set-up and read-back of what the pages stored). */
export async function apiAs(session, method, path, body) {
  const headers = { Authorization: `Bearer ${session.token}` };
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  const res = await fetch(`${BASE}${path}`, { method, headers, body: payload });
  const data = (res.headers.get("Content-Type") || "").includes("json") ? await res.json() : await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

/** A new context + page signed in through `path`'s login form (or anonymous). */
export async function openAs(browser, path, email, contextOptions = {}) {
  const context = await browser.newContext({ acceptDownloads: true, ...contextOptions });
  const page = await context.newPage();
  const errors = watchCsp(page);
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${BASE}${path}`);
  if (email) {
    await loginForm(page, email);
    await page.waitForSelector("#app:not(.hidden)");
  }
  return { context, page, errors };
}

/**
 * The text of the newest mail the fake SMTP server received for `to`
 * (MK_TEST_MAIL_DIR, one .eml per message), quoted-printable undone; waits
 * up to 10 s for it.
 */
export async function waitMail(to) {
  const dir = process.env.MK_TEST_MAIL_DIR;
  if (!dir) throw new Error("MK_TEST_MAIL_DIR is not set: run the page tests through scripts/test.sh");
  const { readdir, readFile } = await import("node:fs/promises");
  for (let i = 0; i < 200; i++) {
    const names = (await readdir(dir)).filter((n) => n.endsWith(".eml")).sort().reverse();
    for (const name of names) {
      const raw = await readFile(`${dir}/${name}`, "utf8");
      const rcpt = raw.split(/\r?\n/).find((l) => l.startsWith("X-Fake-SMTP-Rcpt-To:")) || "";
      if (rcpt.includes(`<${to}>`)) return unfoldQuotedPrintable(raw);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no mail to ${to} within 10 s`);
}

function unfoldQuotedPrintable(raw) {
  const bytes = Buffer.from(raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1");
  return bytes.toString("utf8");
}

/** A customer of the fake PrestaShop (scripts/fake_prestashop.py control API). */
export async function shopCustomer(email, firstname, lastname) {
  const shop = process.env.MK_SHOP_URL;
  if (!shop) throw new Error("MK_SHOP_URL is not set: run the page tests through scripts/test.sh");
  const res = await fetch(`${shop}/_control/customer`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, firstname, lastname, company: "", group: 3 }),
  });
  if (!res.ok) throw new Error(`fake shop customer: ${res.status}`);
  return (await res.json()).id;
}
