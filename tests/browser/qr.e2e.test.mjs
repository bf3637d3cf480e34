// The QR page in real Chromium: GPS states by distance to the start of the
// demo course (Col de l'Izoard from Briançon), the bypass when GPS is refused,
// and a timed attempt kept on the phone for an anonymous athlete.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, shot } from "./browser.mjs";

let browser;
let course;
before(async () => {
  browser = await launch();
  const res = await fetch(`${BASE}/api/parcours/slug/col-izoard`);
  assert.equal(res.status, 200, "demo course col-izoard is seeded");
  course = await res.json();
});
after(() => browser?.close());

const north = (m) => ({ latitude: course.depart_lat + m / 111195, longitude: course.depart_lng });

async function openAt(position) {
  const context = await browser.newContext(
    position ? { geolocation: position, permissions: ["geolocation"] } : { permissions: [] },
  );
  const page = await context.newPage();
  await page.goto(`${BASE}/qr/?p=col-izoard`);
  await page.waitForFunction(() => document.getElementById("gps").dataset.state !== "");
  return { context, page };
}

test("far from the start: low power, PARTIR greyed", async () => {
  const { context, page } = await openAt(north(5000));
  assert.equal(await page.getAttribute("#gps", "data-state"), "LOW_POWER_IDLE");
  assert.match(await page.textContent("#gps"), /À 5\.0 km du départ/);
  assert.equal(await page.isDisabled("#partir"), true);
  assert.match(await page.textContent("#nom"), /IZOARD/);
  await shot(page, "qr-far");
  await context.close();
});

test("approaching, then at the start: PARTIR turns on", async () => {
  const { context, page } = await openAt(north(1200));
  assert.equal(await page.getAttribute("#gps", "data-state"), "PRE_WAKE");
  assert.equal(await page.isDisabled("#partir"), true);
  await context.setGeolocation(north(120));
  await page.waitForFunction(() => document.getElementById("gps").dataset.state === "HIGH_ACCURACY_PRE_START", null, { timeout: 10000 });
  assert.match(await page.textContent("#gps"), /Vous êtes au départ/);
  assert.equal(await page.isDisabled("#partir"), false);
  await shot(page, "qr-at-start");
  await context.close();
});

test("GPS refused: the athlete can start anyway", async () => {
  const { context, page } = await openAt(null);
  assert.equal(await page.getAttribute("#gps", "data-state"), "BYPASS_NO_GPS");
  assert.equal(await page.isDisabled("#partir"), false);
  await context.close();
});

test("an anonymous attempt is timed, adjusted and kept for the dashboard", async () => {
  const { context, page } = await openAt(north(50));
  await page.click("#partir");
  await page.waitForTimeout(1200);
  assert.notEqual(await page.textContent("#timer"), "00:00:00");
  await page.click("#arreter");
  assert.equal(await page.isVisible("#popup"), true);
  await page.click("#valider");
  await page.waitForURL(/\/chrono\/\?tentative=1/);
  const pending = await page.evaluate(() => JSON.parse(localStorage.getItem("mk.tentatives")));
  assert.equal(pending.length, 1);
  assert.equal(pending[0].produit_id, course.id);
  assert.ok(pending[0].duree_secondes >= 1);
  await context.close();
});

// --- Signed-in athlete: pause, offline, and the stored time -----------------
import { sessionOf, apiAs, loginForm } from "./browser.mjs";

/** A course with a start point where the athlete has no running chrono. */
async function freeCourse(julien, { withStart = true } = {}) {
  const running = await apiAs(julien, "GET", "/api/chrono/history?statut=en_cours&per_page=200");
  const busy = new Set(running.items.map((c) => c.produit_id));
  const list = await apiAs(julien, "GET", "/api/parcours?per_page=200");
  return list.items.find((c) => !busy.has(c.id) && (withStart ? c.depart_lat != null : true));
}

async function signedInAt(slugCourse, position) {
  const context = await browser.newContext(position ? { geolocation: position, permissions: ["geolocation"] } : { permissions: [] });
  const page = await context.newPage();
  await page.goto(`${BASE}/chrono/`);
  await loginForm(page, "julien@mykollector.test");
  await page.waitForSelector("#app:not(.hidden)");
  await page.goto(`${BASE}/qr/?p=${slugCourse}`);
  await page.waitForFunction(() => document.getElementById("gps").dataset.state !== "");
  return { context, page };
}

const seconds = (t) => t.split(":").map(Number).reduce((a, b) => a * 60 + b, 0);

test("walk in from 3 km, time a climb with a pause, lose the network: the stored time is the one shown", async () => {
  const julien = await sessionOf("julien@mykollector.test");
  const c = await freeCourse(julien);
  const at = (m) => ({ latitude: c.depart_lat + m / 111195, longitude: c.depart_lng });
  const { context, page } = await signedInAt(c.slug, at(3000));
  assert.equal(await page.getAttribute("#gps", "data-state"), "LOW_POWER_IDLE");
  assert.equal(await page.isDisabled("#partir"), true);
  await context.setGeolocation(at(1500));
  await page.waitForFunction(() => document.getElementById("gps").dataset.state === "PRE_WAKE", null, { timeout: 10000 });
  assert.equal(await page.isDisabled("#partir"), true);
  await context.setGeolocation(at(80));
  await page.waitForFunction(() => document.getElementById("gps").dataset.state === "HIGH_ACCURACY_PRE_START", null, { timeout: 10000 });
  assert.equal(await page.isDisabled("#partir"), false);

  await page.click("#partir");
  await page.waitForFunction(() => document.getElementById("timer").textContent >= "00:00:02", null, { timeout: 10000 });
  await page.click("#pause");
  const frozen = await page.textContent("#timer");
  await page.waitForTimeout(3500);
  assert.equal(await page.textContent("#timer"), frozen, "PAUSE stops the time, not only the display");
  await page.click("#pause");
  await page.waitForTimeout(1200);
  await context.setOffline(true);
  await page.click("#arreter");
  const shown = await page.textContent("#temps-final");
  await shot(page, "qr-popup");
  await page.click("#valider");
  await page.waitForFunction(() => /gardé sur le téléphone/.test(document.getElementById("status").textContent));
  await context.setOffline(false);
  await page.waitForFunction(() => /Réseau retrouvé/.test(document.getElementById("status").textContent), null, { timeout: 15000 });

  const history = await apiAs(julien, "GET", "/api/chrono/history?statut=valide&per_page=200");
  const stored = history.items.filter((x) => x.produit_id === c.id && x.source === "qr").sort((a, b) => b.id - a.id)[0];
  assert.equal(stored.duree_secondes, seconds(shown), `stored ${stored.temps}, shown ${shown}`);
  assert.ok(stored.ajustement_sec <= -3, "the pause (and the offline wait) is taken off the server's span");
  await context.close();
});

test("validated without an order: the athlete is sent to the course's shop page", async () => {
  const julien = await sessionOf("julien@mykollector.test");
  const orders = await apiAs(julien, "GET", "/api/commandes/mes?per_page=200");
  const owned = new Set(orders.items.map((o) => o.parcours.id));
  const running = await apiAs(julien, "GET", "/api/chrono/history?statut=en_cours&per_page=200");
  const busy = new Set(running.items.map((x) => x.produit_id));
  const list = await apiAs(julien, "GET", "/api/parcours?per_page=200");
  const c = list.items.find((x) => !owned.has(x.id) && !busy.has(x.id) && x.lien_boutique);
  const { context, page } = await signedInAt(c.slug, null);
  // The shop is another host: answered here so nothing leaves the machine.
  await context.route(`${new URL(c.lien_boutique).origin}/**`, (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<title>Boutique</title>" }));
  await page.click("#partir");
  await page.waitForTimeout(1300);
  await page.click("#arreter");
  await page.click("#valider");
  await page.waitForURL(c.lien_boutique, { timeout: 10000 });
  await context.close();
});

test("the service worker keeps the page and the course for a start without signal", async () => {
  const context = await browser.newContext({ permissions: [] });
  const page = await context.newPage();
  await page.goto(`${BASE}/qr/?p=col-izoard`);
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready) && navigator.serviceWorker.controller !== null || (await caches.keys()).length > 0, null, { timeout: 10000 });
  await page.reload(); // now controlled by the worker, which caches the course config
  await page.waitForFunction(() => document.getElementById("gps").dataset.state !== "");
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => document.getElementById("gps").dataset.state !== "", null, { timeout: 10000 });
  assert.match(await page.textContent("#nom"), /IZOARD/);
  assert.equal(await page.isDisabled("#partir"), false, "GPS refused: bypass, the climb can be timed offline");
  await context.close();
});
