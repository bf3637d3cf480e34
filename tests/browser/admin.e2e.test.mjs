// The admin journeys of issue 11 in Chromium: a course's GPS configuration
// edited then reset to the server's defaults, a DXF template uploaded with its
// placeholders shown, a user created, an order assigned to an atelier;
// admin_chrono rejects a proof.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { launch, openAs, sessionOf, apiAs, shot } from "./browser.mjs";

const ADMIN = "admin@mykollector.test";
const FIXTURE = fileURLToPath(new URL("../fixtures/medaille.dxf", import.meta.url));
let browser;
let admin;
before(async () => { browser = await launch(); admin = await sessionOf(ADMIN); });
after(() => browser?.close());

test("admin edits a course's GPS config, then resets it to the defaults", async () => {
  const { context, page, errors } = await openAs(browser, "/admin/#t-parcours", ADMIN);
  const course = await apiAs(admin, "GET", "/api/parcours/slug/col-izoard");
  await page.click(`button[aria-label="Modifier ${course.nom}"]`);
  await page.waitForFunction(() => document.getElementById("c-nom").value !== "");
  assert.equal(await page.getAttribute("#gps-details", "open"), null, "the GPS section starts folded");
  await page.click("#gps-details summary");
  await page.fill("#g-wake_distance_m", "2500");
  await page.fill("#g-high_accuracy_start_distance_m", "120");
  await shot(page, "admin-parcours-form");
  await page.click("#parcours-form button[type=submit]");
  await page.waitForSelector(".toast:has-text('Parcours enregistré')");
  let saved = await apiAs(admin, "GET", `/api/parcours/${course.id}`);
  assert.equal(saved.tracking_config.wake_distance_m, 2500);
  assert.equal(saved.tracking_config.high_accuracy_start_distance_m, 120);

  await page.click("#gps-reset");
  await page.waitForSelector(".toast:has-text('valeurs par défaut')");
  saved = await apiAs(admin, "GET", `/api/parcours/${course.id}`);
  assert.equal(saved.tracking_config.wake_distance_m, 2000);
  assert.equal(saved.tracking_config.high_accuracy_start_distance_m, 300);
  assert.equal(await page.inputValue("#g-wake_distance_m"), "2000", "the form shows the defaults back");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a bad value is shown next to its field, in French", async () => {
  const { context, page } = await openAs(browser, "/admin/#t-parcours", ADMIN);
  const course = await apiAs(admin, "GET", "/api/parcours/slug/col-izoard");
  await page.click(`button[aria-label="Modifier ${course.nom}"]`);
  await page.waitForFunction(() => document.getElementById("c-nom").value !== "");
  await page.click("#gps-details summary");
  await page.fill("#g-wake_distance_m", "100"); // below the start radius: incoherent
  await page.click("#parcours-form button[type=submit]");
  await page.waitForSelector("#parcours-form .error:not(:empty)");
  assert.match(await page.textContent("#parcours-form"), /wake_distance_m|réveil/);
  await context.close();
});

test("admin uploads a DXF template and sees its placeholders", async () => {
  const { context, page, errors } = await openAs(browser, "/admin/#t-gravure", ADMIN);
  await page.fill("#tg-nom", `Test navigateur ${Date.now()}`);
  await page.setInputFiles("#tg-fichier", FIXTURE);
  await page.click("#template-upload button[type=submit]");
  await page.waitForFunction(() => /Placeholders trouvés/.test(document.getElementById("placeholders").textContent));
  assert.match(await page.textContent("#placeholders"), /\{\{NOM\}\}/);
  await shot(page, "admin-gravure");
  assert.deepEqual(errors, []);
  await context.close();
});

test("admin creates an operator account", async () => {
  const { context, page, errors } = await openAs(browser, "/admin/#t-users", ADMIN);
  const email = `op${Date.now()}@mykollector.test`;
  await page.click("#user-nouveau");
  await page.fill("#u-email", email);
  await page.fill("#u-pass", "un-mot-de-passe-long");
  await page.selectOption("#u-role", "operateur_fab");
  await page.selectOption("#u-atelier", { index: 1 });
  await page.click("dialog button[type=submit]");
  await page.waitForSelector(".toast:has-text('Utilisateur créé')");
  const found = await apiAs(admin, "GET", `/api/admin/users?q=${encodeURIComponent(email)}`);
  assert.equal(found.items[0].role, "operateur_fab");
  assert.deepEqual(errors, []);
  await context.close();
});

test("admin assigns an order no rule placed to an atelier", async () => {
  // Two active ateliers and a course without a default one: the athlete's
  // order waits "à répartir" (src/api/dispatch). The extra atelier goes after.
  const extra = await apiAs(admin, "POST", "/api/ateliers", { code: `T${Date.now() % 1e6}`, nom: "Atelier de passage (test)" });
  try {
    const julien = await sessionOf("julien@mykollector.test");
    const course = await apiAs(julien, "GET", "/api/parcours/slug/mont-ventoux");
    const order = await apiAs(julien, "POST", "/api/commandes", { produit_id: course.id });
    assert.equal(order.atelier_id, null, "no rule placed the order");
    const a1 = (await apiAs(admin, "GET", "/api/ateliers?per_page=200&actif=true")).items.find((a) => a.code === "A1");

    const { context, page, errors } = await openAs(browser, "/admin/#t-repartir", ADMIN);
    const select = `select[data-repartir="${order.id}"]`;
    // Oldest first (the workshop's order): after the API suites' orders,
    // the new one is on a later page.
    await page.waitForSelector("#repartir tbody tr");
    while (!(await page.$(select))) {
      const next = page.locator("#repartir [data-next]");
      assert.ok(await next.isEnabled(), "the order is on no page of the list");
      const info = await page.textContent("#repartir");
      await next.click();
      await page.waitForFunction((before) => document.querySelector("#repartir").textContent !== before, info);
    }
    await page.waitForSelector(select);
    assert.match(await page.textContent("#repartir"), new RegExp(order.numero));
    await shot(page, "admin-repartir");
    await page.selectOption(select, String(a1.id));
    await page.waitForSelector(".toast:has-text('Commande attribuée')");
    await page.waitForSelector(select, { state: "detached" });
    const placed = await apiAs(admin, "GET", `/api/commandes/${order.id}`);
    assert.equal(placed.atelier_id, a1.id, "stored on the server");
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await apiAs(admin, "DELETE", `/api/ateliers/${extra.id}`);
  }
});

test("admin_chrono rejects a manual time after looking at its proof", async () => {
  const julien = await sessionOf("julien@mykollector.test");
  const proof = new FormData();
  const course = await apiAs(julien, "GET", "/api/parcours/slug/mont-ventoux");
  proof.append("produit_id", String(course.id));
  proof.append("duree_secondes", String(3600 + Math.floor(Math.random() * 3000)));
  proof.append("date_realisation", "2025-06-01");
  // A 1×1 PNG: the proof is an image, shown on the page.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
  proof.append("preuve", new Blob([png], { type: "image/png" }), "preuve.png");
  const chrono = await apiAs(julien, "POST", "/api/chrono/manuel", proof);

  const { context, page, errors } = await openAs(browser, "/admin-chrono/", "chrono@mykollector.test");
  await page.click(`[data-preuve="${chrono.id}"]`);
  await page.waitForSelector("#preuve img.proof");
  await shot(page, "admin-chrono");
  await page.click(`[data-rejeter="${chrono.id}"]`);
  await page.fill("#motif", "La capture ne montre pas le temps.");
  await page.click("dialog button[type=submit]");
  await page.waitForSelector(".toast:has-text('Chrono rejeté')");
  const history = await apiAs(julien, "GET", "/api/chrono/history?statut=annule&per_page=200");
  const rejected = history.items.find((c) => c.id === chrono.id);
  assert.equal(rejected.motif_rejet, "La capture ne montre pas le temps.");
  assert.deepEqual(errors, []);
  await context.close();
});
