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
