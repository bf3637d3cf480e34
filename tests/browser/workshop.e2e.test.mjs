// The workshop journey of issue 11 in Chromium: an operator creates a lot from
// validated orders, downloads its DXF and CSV, ships a batch with carrier and
// tracking numbers, files a SAV Express, and uses the chat popup and the bell
// — each checked back through the API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { launch, openAs, sessionOf, apiAs, shot } from "./browser.mjs";

const OPERATOR = "operateur@mykollector.test";
let browser;
let operator;
before(async () => {
  browser = await launch();
  operator = await sessionOf(OPERATOR);
  // A lot needs an order the athlete has validated and no lot holds yet:
  // validate one engraving as the demo athlete when none is free.
  const fab = await apiAs(operator, "GET", "/api/fab/commandes?per_page=100");
  if (!fab.commandes.items.some((c) => c.pret_gravure && !c.lot_id)) {
    const julien = await sessionOf("julien@mykollector.test");
    const d = await apiAs(julien, "GET", "/api/dashboard");
    const o = d.a_valider[0];
    await apiAs(julien, "POST", `/api/commandes/${o.commande_id}/valider-gravure`,
      { nom: o.gravure.nom, prenom: o.gravure.prenom, chrono_id: o.chrono_id, confirmation: true });
  }
});
after(() => browser?.close());

test("operator creates a lot, downloads its DXF and CSV", async () => {
  const { context, page, errors } = await openAs(browser, "/fab/", OPERATOR);
  await page.waitForSelector("#commandes tr");
  const fab = await apiAs(operator, "GET", "/api/fab/commandes?per_page=100");
  const free = fab.commandes.items.find((c) => c.pret_gravure && !c.lot_id);
  await page.check(`#commandes input[value="${free.id}"]`);
  await page.click("#creer-lot");
  await page.click("dialog button[type=submit]");
  await page.waitForFunction(() => /Lot LOT-\d{4}-\d{4} créé/.test(document.getElementById("flash").textContent));
  const numero = (await page.textContent("#flash")).match(/LOT-\d{4}-\d{4}/)[0];
  const lots = await apiAs(operator, "GET", "/api/lots?per_page=100");
  const lot = lots.items.find((l) => l.numero === numero);
  assert.ok(lot, "the lot exists on the server");

  await page.click('[aria-controls="p-lots"]');
  await page.click(`button[aria-label="Ouvrir le lot ${numero}"]`);
  await page.waitForSelector(`#lot-detail [data-dl-dxf="${lot.id}"]`);
  const [dxf] = await Promise.all([page.waitForEvent("download"), page.click(`[data-dl-dxf="${lot.id}"]`)]);
  assert.equal(dxf.suggestedFilename(), `${numero}.dxf`);
  const dxfText = await readFile(await dxf.path(), "utf8");
  assert.match(dxfText, /SECTION/);
  assert.match(dxfText, /EOF\s*$/);
  const [csv] = await Promise.all([page.waitForEvent("download"), page.click(`[data-dl-csv="${lot.id}"]`)]);
  const csvText = await readFile(await csv.path(), "utf8");
  assert.ok(csvText.charCodeAt(0) === 0xfeff, "UTF-8 BOM for Excel");
  assert.match(csvText, new RegExp(free.numero));
  await shot(page, "fab-lots");
  assert.deepEqual(errors, []);
  await context.close();
});

test("operator ships a batch with carrier and tracking numbers", async () => {
  const { context, page, errors } = await openAs(browser, "/fab/", OPERATOR);
  await page.waitForSelector("#commandes tr");
  const fab = await apiAs(operator, "GET", "/api/fab/commandes?per_page=100");
  const ready = fab.commandes.items.filter((c) => ["grave", "attente_expedition"].includes(c.statut));
  assert.ok(ready.length >= 2, "the demo has orders ready to ship");
  for (const c of ready) await page.check(`#commandes input[value="${c.id}"]`);
  await page.click("#expedier-lot");
  await page.selectOption("#d-transporteur", "Chronopost");
  for (const c of ready) await page.fill(`#suivi-${c.id}`, `XY${c.id}FR`);
  await shot(page, "fab-batch-dialog");
  await page.click("dialog button[type=submit]");
  await page.waitForFunction((n) => document.getElementById("flash").textContent.includes(`${n} commande(s) expédiée(s)`), ready.length);
  for (const c of ready) {
    const o = await apiAs(operator, "GET", `/api/commandes/${c.id}`);
    const order = o.commande || o;
    assert.equal(order.statut, "expedie");
    assert.equal(order.numero_suivi || order.tracking, `XY${c.id}FR`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("operator files a SAV Express from a search by name", async () => {
  const { context, page, errors } = await openAs(browser, "/fab/#p-sav", OPERATOR);
  await page.fill("#sav-q", "Martin");
  await page.click("#sav-recherche button[type=submit]");
  await page.waitForSelector("#sav-resultats [data-sav]");
  await page.click("#sav-resultats [data-sav] >> nth=0");
  await page.selectOption("#d-motif", "rayure");
  await page.selectOption("#d-geste", "medaille_offerte");
  await page.fill("#d-desc", "Rayure sur la face gravée");
  await page.click("dialog button[type=submit]");
  await page.waitForFunction(() => /Ticket SAV-\d{4}-\d+ créé/.test(document.getElementById("sav-resultats").textContent));
  const ticket = (await page.textContent("#sav-resultats")).match(/SAV-\d{4}-\d+/)[0];
  const list = await apiAs(operator, "GET", "/api/sav?per_page=100");
  const t = list.items.find((x) => x.numero === ticket);
  assert.equal(t.motif, "rayure");
  assert.ok(t.commande_sav_id, "a replacement order is linked");
  await shot(page, "fab-sav");
  assert.deepEqual(errors, []);
  await context.close();
});

test("chat popup: a message received, a reply sent, the bell and its notification", async () => {
  const admin = await sessionOf("admin@mykollector.test");
  const titre = `Lot urgent ${Date.now()}`;
  const conv = await apiAs(admin, "POST", "/api/chat/conversations", { titre, participants: [operator.user.id] });
  await apiAs(admin, "POST", `/api/chat/${conv.id}/messages`, { contenu: "Le lot du Galibier part ce soir ?" });
  const unread = (await apiAs(operator, "GET", "/api/notifications?per_page=100")).non_lues;
  assert.ok(unread >= 1, "the message notified the operator");

  const { context, page, errors } = await openAs(browser, "/fab/", OPERATOR);
  // The bell shows the server's unread count.
  await page.waitForFunction((n) => document.querySelector("#btn-notifs .count").textContent === String(n), unread);

  await page.click("#btn-chat");
  await page.click(`.chat [data-conv="${conv.id}"]`);
  await page.waitForSelector(".chat .msgs :text('Le lot du Galibier part ce soir ?')");
  await page.fill("#chat-text", "Oui, avant 18 h.");
  await page.click(".chat form button[type=submit]");
  await page.waitForSelector(".chat .msgs :text('Oui, avant 18 h.')");
  const thread = await apiAs(admin, "GET", `/api/chat/${conv.id}/messages`);
  assert.ok(thread.items.some((m) => m.contenu === "Oui, avant 18 h." && m.auteur.id === operator.user.id), "the reply is on the server");
  // The popup polls every 5 s: a new message shows up without a reload.
  await apiAs(admin, "POST", `/api/chat/${conv.id}/messages`, { contenu: "Parfait, merci." });
  await page.waitForSelector(".chat .msgs :text('Parfait, merci.')", { timeout: 8000 });
  assert.equal(await page.locator(".chat .msgs :text('Oui, avant 18 h.')").count(), 1, "no message shown twice");
  await shot(page, "fab-chat");
  await page.click(".chat [data-close]");

  // The bell lists the notification; marking it read reaches the server.
  await page.click("#btn-notifs");
  const row = page.locator("dialog li", { hasText: "Nouveau message dans le chat" }).first();
  const id = Number(await row.getAttribute("data-id"));
  await shot(page, "fab-notifications");
  await row.locator("[data-lu]").click();
  await page.waitForFunction((nid) => !document.querySelector(`dialog li[data-id="${nid}"]`), id);
  const after = await apiAs(operator, "GET", "/api/notifications?per_page=100");
  assert.equal(after.items.find((n) => n.id === id).lu, true);
  assert.deepEqual(errors, []);
  await context.close();
});
