// Workshop space (light mode, wireframe 11.3): per-course counters with PEC
// (take) and TERM (finish), B2B orders with their gold badge and EXP, low-stock
// warnings, the order list with selection (create a lot, ship a batch), one
// shipment and one label per order; the other tabs load their module lazily.

import { api, esc } from "../assets/js/api.js";
import { icon, hydrateIcons, tabs, dialog, toast, showError, options } from "../assets/js/ui.js";
import { space } from "../assets/js/shell.js";

const $ = (id) => document.getElementById(id);
const STATUTS = { attente_gravure: "À graver", en_gravure: "En gravure", grave: "Gravée", attente_expedition: "À expédier", expedie: "Expédiée", livre: "Livrée", sav: "SAV", annule: "Annulée" };
let view = null;

export function flash(text) { $("flash").textContent = text; toast(text); }

function query() {
  const p = new URLSearchParams({ per_page: "100", sort: $("f-tri").value });
  if ($("f-parcours").value) p.set("produit_id", $("f-parcours").value);
  if ($("f-statut").value) p.set("statut", $("f-statut").value);
  return p;
}

async function takeCourse(produitId) {
  const ids = view.commandes.items.filter((c) => c.produit_id === produitId && c.pret_gravure).map((c) => c.id);
  if (!ids.length) { flash("Aucune commande prête à graver pour ce parcours."); return; }
  const r = await api("POST", "/api/fab/gravure/prendre", { commande_ids: ids });
  flash(`${r.prises.length} commande(s) prise(s) en charge, ${r.refusees.length} refusée(s).`);
  await load();
}

async function finishCourse(produitId) {
  const ids = view.commandes.items.filter((c) => c.produit_id === produitId && c.statut === "en_gravure").map((c) => c.id);
  for (const id of ids) await api("PATCH", `/api/fab/gravure/${id}/terminer`, {});
  flash(`${ids.length} gravure(s) terminée(s).`);
  await load();
}

const CARRIER_FIELDS = `<label for="d-transporteur">Transporteur</label>
  <select id="d-transporteur" name="transporteur"><option>Colissimo</option><option>Chronopost</option><option>Mondial Relay</option><option>DHL</option><option>Remise en main propre</option></select>`;

async function ship(id) {
  const v = await dialog("Expédier la commande", `${CARRIER_FIELDS}
    <label for="d-suivi">Numéro de suivi</label><input id="d-suivi" name="numero_suivi" required maxlength="100">`, { submit: "Expédier" });
  if (!v) return;
  try {
    await api("POST", "/api/fab/expedition", { commande_id: id, ...v });
    flash("Commande expédiée, le sportif est prévenu par e-mail.");
    await load();
  } catch (e) { showError(e); }
}

function selected() {
  return [...document.querySelectorAll("#commandes input[type=checkbox]:checked")].map((c) => Number(c.value));
}

async function shipBatch() {
  const ids = selected();
  if (!ids.length) { flash("Cochez les commandes à expédier."); return; }
  const rows = ids.map((id) => view.commandes.items.find((c) => c.id === id));
  const v = await dialog(`Expédier ${ids.length} commande(s)`, `${CARRIER_FIELDS}
    ${rows.map((c) => `<label for="suivi-${c.id}">Suivi ${esc(c.numero)}</label><input id="suivi-${c.id}" name="suivi-${c.id}" required maxlength="100">`).join("")}`, { submit: "Expédier le lot" });
  if (!v) return;
  try {
    const r = await api("POST", "/api/fab/expedition/batch", {
      expeditions: ids.map((id) => ({ commande_id: id, transporteur: v.transporteur, numero_suivi: v[`suivi-${id}`] })),
    });
    const failed = r.resultats.filter((x) => !x.ok).map((x) => `${x.numero || x.commande_id} : ${x.message}`);
    flash(`${r.expediees} commande(s) expédiée(s)${failed.length ? `, ${r.echecs} échec(s) — ${failed.join(" ; ")}` : ""}.`);
    await load();
  } catch (e) { showError(e); }
}

async function createLot() {
  const ids = selected();
  if (!ids.length) { flash("Cochez les commandes validées à mettre dans le lot."); return; }
  const templates = (await api("GET", "/api/templates-gravure?actif=1&per_page=100")).items;
  const v = await dialog(`Créer un lot de ${ids.length} commande(s)`, `<label for="d-template">Template de gravure</label>
    <select id="d-template" name="template_gravure_id" required>${options(templates, (t) => t.id, (t) => `${t.nom} (${t.max_batch} max)`)}</select>`, { submit: "Créer le lot" });
  if (!v) return;
  try {
    const lot = await api("POST", "/api/lots", { template_gravure_id: Number(v.template_gravure_id), commande_ids: ids });
    flash(`Lot ${lot.numero} créé, son DXF est prêt.`);
    await load();
  } catch (e) { showError(e); }
}

async function label(id) {
  try {
    const r = await api("POST", `/api/fab/etiquette/${id}`, {});
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([r.html], { type: "text/html" }));
    a.download = `etiquette-${r.numero}.html`;
    document.body.append(a);
    a.click();
    a.remove();
    flash(`Étiquette ${r.numero} prête à imprimer (fichier téléchargé).`);
  } catch (e) { showError(e); }
}

function render() {
  $("atelier-nom").textContent = view.atelier ? `Atelier ${view.atelier.code}` : "Tous les ateliers";
  $("compteurs").querySelector("tbody").innerHTML = view.parcours.map((p) => `<tr>
    <th scope="row">${esc(p.nom)}</th><td>${esc(p.stock)} ${p.alerte ? icon("warning", "stock bas") : ""}</td><td>${p.a_graver}</td>
    <td>${p.en_gravure}</td><td>${p.a_expedier}</td>
    <td><button type="button" class="small" data-prendre="${p.produit_id}" aria-label="PEC — prendre en charge ${esc(p.nom)}">PEC</button>
      <button type="button" class="ghost small" data-terminer="${p.produit_id}" aria-label="TERM — terminer les gravures ${esc(p.nom)}">TERM</button></td></tr>`).join("");
  $("b2b").innerHTML = view.b2b.map((b) => `<div class="panel item-row"><span class="badge b2b">${icon("medal")} B2B</span>
    ${esc(b.libelle)} · ${esc(b.produit_nom)} · ${esc(b.numero)} · ${esc(STATUTS[b.statut] || b.statut)}<span class="spacer"></span>
    ${["grave", "attente_expedition"].includes(b.statut) ? `<button type="button" class="small" data-expedier="${b.id}">EXP</button>` : ""}</div>`).join("");
  $("alertes").innerHTML = view.alertes.map((a) => `<div class="alert">${icon("warning")} ${esc(a.message)}</div>`).join("");
  $("commandes").innerHTML = view.commandes.items.map((c) => `<tr>
    <td><input type="checkbox" value="${c.id}" aria-label="Sélectionner ${esc(c.numero)}"></td>
    <td>${esc(c.numero)} ${c.is_b2b ? '<span class="badge b2b">B2B</span>' : ""}${c.lot_id ? ' <span class="badge muted-badge">en lot</span>' : ""}</td><td>${esc(c.produit_nom)}</td>
    <td>${esc(c.client || "")}</td><td>${esc(STATUTS[c.statut] || c.statut)}</td>
    <td>${["grave", "attente_expedition"].includes(c.statut) ? `<button type="button" class="small" data-expedier="${c.id}">Expédier</button>` : ""}
      <button type="button" class="ghost small" data-etiquette="${c.id}" aria-label="Étiquette ${esc(c.numero)}">${icon("printer")} Étiquette</button></td></tr>`).join("")
    || '<tr><td colspan="6" class="muted">Aucune commande.</td></tr>';
}

async function load() {
  view = await api("GET", `/api/fab/commandes?${query()}`);
  const current = $("f-parcours").value;
  $("f-parcours").innerHTML = '<option value="">Parcours : tous</option>' +
    view.parcours.map((p) => `<option value="${p.produit_id}">${esc(p.nom)}</option>`).join("");
  $("f-parcours").value = current;
  render();
}

$("p-production").addEventListener("click", (ev) => {
  const b = ev.target.closest("button");
  if (!b) return;
  const d = b.dataset;
  const run = (p) => p.catch((e) => showError(e));
  if (d.prendre) run(takeCourse(Number(d.prendre)));
  else if (d.terminer) run(finishCourse(Number(d.terminer)));
  else if (d.expedier) ship(Number(d.expedier));
  else if (d.etiquette) label(Number(d.etiquette));
});
$("filtres").addEventListener("change", load);
$("creer-lot").addEventListener("click", createLot);
$("expedier-lot").addEventListener("click", shipBatch);

hydrateIcons();
space({ title: "Atelier", roles: ["operateur_fab", "admin_fab", "super_admin"], chat: true }, async () => {
  tabs($("tabs"), {
    "p-production": load,
    "p-lots": async () => (await import("./lots.js")).mount(),
    "p-sav": async () => (await import("./sav.js")).mount(),
    "p-defauts": async () => (await import("./defauts.js")).mount(),
    "p-stock": async () => (await import("./stock.js")).mount(),
  });
});
