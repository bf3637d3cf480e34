// The three spaces in real Chromium, logged in as the demo accounts that
// `mk-admin seed-demo` creates: the athlete's dashboard and its final
// engraving validation, the workshop view, the admin console.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, loginForm, shot, watchCsp } from "./browser.mjs";

let browser;
before(async () => { browser = await launch(); });
after(() => browser?.close());

async function page(path) {
  const context = await browser.newContext();
  const p = await context.newPage();
  const errors = watchCsp(p);
  p.on("pageerror", (e) => errors.push(e.message));
  await p.goto(`${BASE}${path}`);
  return { context, p, errors };
}

test("athlete dashboard: medals to validate, courses done with rank, then validation", async () => {
  const { context, p, errors } = await page("/chrono/");
  await loginForm(p, "julien@mykollector.test");
  await p.waitForSelector("#app:not(.hidden)");
  await p.waitForFunction(() => document.querySelectorAll("#realises .card").length > 0);
  assert.match(await p.textContent("#realises"), /Rang \d+\/\d+/);
  assert.match(await p.textContent("#stats"), /Exploits/);
  const toValidate = Number(await p.textContent("#nb-valider"));
  assert.ok(toValidate >= 1, "the demo athlete has a medal to validate");
  await shot(p, "chrono-dashboard");
  await p.click("#a-valider button[data-valider]");
  await p.waitForFunction((n) => Number(document.getElementById("nb-valider").textContent) === n - 1, toValidate);
  assert.match(await p.textContent("#flash"), /part en gravure/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("workshop view: counters per course, B2B badge, stock alert", async () => {
  const { context, p, errors } = await page("/fab/");
  await loginForm(p, "operateur@mykollector.test");
  await p.waitForSelector("#compteurs tbody tr");
  assert.match(await p.textContent("#atelier-nom"), /Atelier A1/);
  assert.match(await p.textContent("#b2b"), /B2B/);
  assert.match(await p.textContent("#alertes"), /stock critique/);
  await shot(p, "fab");
  assert.deepEqual(errors, []);
  await context.close();
});

test("admin console: audit log and users; athletes are turned away", async () => {
  const { context, p, errors } = await page("/admin/#t-logs");
  await loginForm(p, "admin@mykollector.test");
  await p.waitForSelector("#logs tr");
  await p.click('[aria-controls="t-users"]');
  await p.waitForSelector("#users tbody tr");
  assert.match(await p.textContent("#users"), /operateur@mykollector.test/);
  await p.click('[aria-controls="bloc-maintenance"]');
  assert.equal(await p.isVisible("#bloc-maintenance"), true);
  await shot(p, "admin");
  assert.deepEqual(errors, []);
  await context.close();

  const other = await page("/admin/");
  await loginForm(other.p, "julien@mykollector.test");
  await other.p.waitForSelector("#login-error:not(:empty)");
  assert.match(await other.p.textContent("#login-error"), /n'a pas accès/);
  await other.context.close();
});
