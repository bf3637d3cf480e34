// Every page of the site in Chromium, as its user sees it: axe-core (WCAG 2.1
// A/AA rules) finds no serious or critical violation, a full-page screenshot is
// kept as a test artefact, no CSP violation or script error, and the JavaScript + CSS of the first load (fonts
// aside) stays under 150 KB — the sizes are printed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { launch, BASE, sessionOf, shot, watchCsp } from "./browser.mjs";

const require = createRequire(import.meta.url);
const BUDGET = 150 * 1024;
const PAGES = [
  ["accueil", "/", null],
  ["connexion-par-lien", "/connexion.html", null],
  ["mot-de-passe-oublie", "/mot-de-passe-oublie.html", null],
  ["reset-password", "/reset-password.html?token=x", null],
  ["qr", "/qr/?p=col-izoard", null],
  ["chrono-login", "/chrono/", null],
  ["chrono-dashboard", "/chrono/", "julien@mykollector.test"],
  ["chrono-historique", "/chrono/historique.html?parcours=1", "julien@mykollector.test"],
  ["chrono-saisie", "/chrono/saisie.html", "julien@mykollector.test"],
  ["chrono-profil", "/chrono/profil.html", "julien@mykollector.test"],
  ["chrono-strava", "/chrono/strava.html", "julien@mykollector.test"],
  ...["p-production", "p-lots", "p-sav", "p-defauts", "p-stock"].map((t) => [`fab-${t.slice(2)}`, `/fab/#${t}`, "operateur@mykollector.test"]),
  ...["t-stats", "t-logs", "t-config", "t-modules", "t-users", "t-backups", "bloc-maintenance", "t-parcours",
    "t-gravure", "t-etiquettes", "t-relances", "t-destinations", "t-repartir"].map((t) => [`admin-${t.replace(/^(t|bloc)-/, "")}`, `/admin/#${t}`, "admin@mykollector.test"]),
  ["admin-chrono", "/admin-chrono/", "chrono@mykollector.test"],
];

let browser;
let axeSource;
const sizes = [];
before(async () => {
  browser = await launch();
  axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
});
after(async () => {
  console.log("\nFirst load, JavaScript + CSS (fonts aside), budget 150 KB:");
  for (const [name, bytes] of sizes) console.log(`  ${name.padEnd(24)} ${(bytes / 1024).toFixed(1).padStart(6)} KB`);
  await browser?.close();
});

/** A first load: fresh context (empty cache), the session put in place before any script runs. */
async function open(path, email) {
  const phone = path.startsWith("/qr") || path.startsWith("/chrono");
  const context = await browser.newContext({ viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 900 } });
  if (email) {
    const session = await sessionOf(email);
    await context.addInitScript((s) => localStorage.setItem("mk.session", s), JSON.stringify(session));
  }
  const page = await context.newPage();
  const csp = watchCsp(page);
  page.on("pageerror", (e) => csp.push(e.message));
  const bodies = [];
  page.on("response", (res) => {
    const type = res.request().resourceType();
    if (type === "script" || type === "stylesheet") bodies.push(res.body().then((b) => b.length, () => 0));
  });
  await page.goto(`${BASE}${path}`, { waitUntil: "networkidle" });
  if (email) await page.waitForSelector("#app:not(.hidden)");
  await page.waitForTimeout(300);
  const bytes = (await Promise.all(bodies)).reduce((a, b) => a + b, 0);
  return { context, page, csp, bytes: () => bytes };
}

for (const [name, path, email] of PAGES) {
  test(`${name}: no serious or critical axe violation, under 150 KB`, async () => {
    const { context, page, csp, bytes } = await open(path, email);
    await page.evaluate(axeSource); // evaluate, not a <script>: the CSP forbids inline scripts
    const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
    const bad = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
    await shot(page, `page-${name}`);
    sizes.push([name, bytes()]);
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`), []);
    assert.ok(bytes() < BUDGET, `${name}: ${bytes()} bytes of JS+CSS`);
    assert.deepEqual(csp, [], "no CSP violation, no script error");
    await context.close();
  });
}
