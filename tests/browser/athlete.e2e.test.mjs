// The athlete journeys of issue 11 in Chromium: sign-in by link, a chrono
// waiting for validation validated from the dashboard, a time entered by hand
// on the drum roller with a proof, the profile (engraving names) and the RGPD
// export, the password pages — each result read back through the API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BASE, launch, openAs, sessionOf, apiAs, shot, shopCustomer, waitMail } from "./browser.mjs";

const ATHLETE = "julien@mykollector.test";
let browser;
let julien;
let proofFile;
before(async () => {
  browser = await launch();
  julien = await sessionOf(ATHLETE);
  proofFile = join(await mkdtemp(join(tmpdir(), "mk-")), "preuve.png");
  await writeFile(proofFile, Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64"));
});
after(() => browser?.close());

test("sign-in by link: the e-mailed link opens the athlete's dashboard, once", async () => {
  const email = `coureuse${Date.now()}@client.test`;
  await shopCustomer(email, "Camille", "Rochas");
  const { context, page, errors } = await openAs(browser, "/connexion.html");
  await page.fill("#email", email);
  await page.click("#lien button[type=submit]");
  await page.waitForSelector("#done:not(:empty)");
  assert.match(await page.textContent("#done"), /Si cette adresse est connue/);
  await shot(page, "connexion-lien");

  const mail = await waitMail(email);
  const link = mail.match(/(https?:\/\/[^\s"<>]+)\/chrono\/\?connexion=([0-9a-f]{64})/);
  assert.ok(link, `the mail holds the sign-in link: ${mail.slice(0, 2000)}`);
  assert.equal(link[1], BASE, "the link points at this site (APP_URL)");
  await page.goto(link[0]);
  await page.waitForSelector("#app:not(.hidden)");
  assert.equal(await page.textContent("#who"), "Camille Rochas", "signed in as the shop customer");
  assert.doesNotMatch(page.url(), /connexion=/, "the token left the address bar");
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("mk.session")));
  assert.equal(stored.user.email, email);
  assert.equal(stored.user.role, "sportif");
  assert.deepEqual(errors, []);
  await context.close();

  // Used once: a second visit of the same link is refused, in French.
  const again = await openAs(browser, `/chrono/?connexion=${link[2]}`);
  await again.page.waitForSelector("#login-error:not(:empty)");
  assert.match(await again.page.textContent("#login-error"), /invalide, a expiré ou a déjà servi/);
  assert.ok(await again.page.isHidden("#app"));
  await again.context.close();
});

test("sign-in by link: an address the shop does not know gets the same answer", async () => {
  const email = `inconnu${Date.now()}@ailleurs.test`;
  const { context, page, errors } = await openAs(browser, "/connexion.html");
  await page.fill("#email", email);
  await page.click("#lien button[type=submit]");
  await page.waitForSelector("#done:not(:empty)");
  assert.match(await page.textContent("#done"), /Si cette adresse est connue/);
  const mail = await waitMail(email);
  assert.doesNotMatch(mail, /connexion=/, "no link for a stranger");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a chrono waiting for validation is validated from the dashboard", async () => {
  const course = await apiAs(julien, "GET", "/api/parcours/slug/col-du-galibier");
  // A time taken on the QR page (a manual one waits for an admin instead).
  await apiAs(julien, "POST", "/api/chrono/stop", { produit_id: course.id }).catch(() => null);
  await apiAs(julien, "POST", "/api/chrono/start", { produit_id: course.id });
  await new Promise((r) => setTimeout(r, 2100)); // at least a second is measured
  const entry = await apiAs(julien, "POST", "/api/chrono/stop", { produit_id: course.id });
  const manual = await apiAs(julien, "POST", "/api/chrono/manuel",
    { produit_id: course.id, duree_secondes: 7000 + Math.floor(Math.random() * 2000), date_realisation: "2025-07-01" });
  const { context, page, errors } = await openAs(browser, "/chrono/", ATHLETE);
  await page.waitForSelector(`[data-valider-chrono="${entry.id}"]`);
  const manualRow = page.locator(`[data-chrono="${manual.id}"]`);
  assert.match(await manualRow.textContent(), /en attente de vérification/);
  assert.equal(await manualRow.locator("[data-valider-chrono]").count(), 0, "an admin checks a manual time");
  await shot(page, "chrono-attente");
  await page.click(`[data-valider-chrono="${entry.id}"]`);
  await page.waitForSelector(".toast:has-text('Chrono validé')");
  const history = await apiAs(julien, "GET", "/api/chrono/history?statut=valide&per_page=200");
  assert.ok(history.items.some((c) => c.id === entry.id), "validated on the server");
  await page.waitForSelector(`[data-valider-chrono="${entry.id}"]`, { state: "detached" });
  assert.deepEqual(errors, []);
  await context.close();
});

test("manual entry: drum roller time, date and proof", async () => {
  const { context, page, errors } = await openAs(browser, "/chrono/saisie.html", ATHLETE);
  await page.waitForSelector("#saisie-parcours option", { state: "attached" });
  const course = await apiAs(julien, "GET", "/api/parcours/slug/mont-ventoux");
  await page.selectOption("#saisie-parcours", String(course.id));
  await page.selectOption("#saisie-h", "1");
  await page.selectOption("#saisie-min", "23");
  await page.click('#saisie-drum button[aria-label="secondes : plus un"]');
  await page.selectOption("#saisie-sec", "45");
  assert.equal(await page.textContent("#saisie-apercu"), "01:23:45");
  await page.fill("#saisie-date", "2025-06-15");
  await page.setInputFiles("#saisie-preuve", proofFile);
  await shot(page, "chrono-saisie");
  await page.click("#saisie button[type=submit]");
  await page.waitForSelector(".toast:has-text('Temps enregistré')");
  const pending = await apiAs(julien, "GET", "/api/chrono/history?statut=attente_validation&per_page=200");
  const mine = pending.items.find((c) => c.produit_id === course.id && c.duree_secondes === 5025 && c.date_realisation === "2025-06-15");
  assert.ok(mine, "the time reached the server as entered");
  assert.equal(mine.preuve, true, "with its proof");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a field error from the API is shown next to its field", async () => {
  const { context, page } = await openAs(browser, "/chrono/saisie.html", ATHLETE);
  await page.waitForSelector("#saisie-parcours option", { state: "attached" });
  await page.selectOption("#saisie-min", "5");
  await page.fill("#saisie-date", "2025-06-15");
  await page.evaluate(() => { document.getElementById("saisie-date").max = ""; document.getElementById("saisie-date").value = "2099-01-01"; });
  await page.click("#saisie button[type=submit]");
  await page.waitForSelector("#saisie .error:not(:empty)");
  assert.match(await page.textContent("#saisie"), /futur|date/i);
  await context.close();
});

test("profile: the engraving names, then the RGPD export", async () => {
  const { context, page, errors } = await openAs(browser, "/chrono/profil.html", ATHLETE);
  await page.waitForFunction(() => document.getElementById("p-email").value !== "");
  await page.fill("#p-prenom", "Julien");
  await page.fill("#p-nom", "Martin");
  await page.click("#profil button[type=submit]");
  await page.waitForSelector(".toast:has-text('Profil enregistré')");
  const me = await apiAs(julien, "GET", "/api/auth/me");
  assert.equal((me.user || me).nom, "Martin");
  const download = page.waitForEvent("download");
  await page.click("#export");
  const file = await download;
  const zip = await readFile(await file.path());
  assert.equal(zip.subarray(0, 4).toString("latin1"), "PK\x03\x04", "a ZIP archive");
  // Names in a ZIP are stored uncompressed: each dataset is there.
  for (const name of ["profil.json", "chronos.csv", "commandes.json", "LISEZMOI.txt"]) {
    assert.ok(zip.includes(Buffer.from(name)), `${name} in the export`);
  }
  await page.waitForSelector("#rgpd-msg:has-text('Export téléchargé')");
  await shot(page, "chrono-profil");
  assert.deepEqual(errors, []);
  await context.close();
});

test("history, and the password pages answer in French", async () => {
  const { context, page, errors } = await openAs(browser, "/chrono/historique.html?parcours=1", ATHLETE);
  await page.waitForSelector("#chronos tbody tr");
  await page.waitForSelector("#detail-body h3");
  await shot(page, "chrono-historique");
  await page.goto(page.url().replace(/chrono\/.*/, "mot-de-passe-oublie.html"));
  await page.fill("#email", ATHLETE);
  await page.click("#oubli button[type=submit]");
  await page.waitForSelector("#done:not(:empty)");
  assert.match(await page.textContent("#done"), /Si cette adresse est connue/);
  await page.goto(page.url().replace(/mot-de-passe-oublie\.html.*/, "reset-password.html?token=faux"));
  await page.fill("#password", "nouveau-mot-de-passe");
  await page.fill("#password2", "nouveau-mot-de-passe");
  await page.click("#reset button[type=submit]");
  await page.waitForSelector("#reset .error:not(:empty)");
  assert.doesNotMatch(await page.textContent("#reset .error"), /Error|undefined/);
  assert.deepEqual(errors, []);
  await context.close();
});
