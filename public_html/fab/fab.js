// Workshop view (wireframe 11.3): per-course counters with the take / finish
// buttons, B2B orders with their gold badge, low-stock alerts, and the order
// list with shipping.

import { api, guard, esc } from "../assets/js/api.js";

const $ = (id) => document.getElementById(id);
let view = null;

function query() {
  const p = new URLSearchParams({ per_page: "100", sort: $("f-tri").value });
  if ($("f-parcours").value) p.set("produit_id", $("f-parcours").value);
  if ($("f-statut").value) p.set("statut", $("f-statut").value);
  return p;
}

function flash(text) { $("flash").textContent = text; }

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

async function ship(id) {
  const numero = prompt("Numéro de suivi :");
  if (!numero) return;
  try {
    await api("POST", "/api/fab/expedition", { commande_id: id, transporteur: "Colissimo", numero_suivi: numero });
    flash("Commande expédiée, le sportif est prévenu par email.");
    await load();
  } catch (e) { flash(e.message); }
}

function render() {
  $("atelier-nom").textContent = view.atelier ? `Atelier ${view.atelier.code}` : "Tous les ateliers";
  $("compteurs").querySelector("tbody").innerHTML = view.parcours.map((p) => `<tr>
    <td>${esc(p.nom)}</td><td>${esc(p.stock)} ${p.alerte ? "⚠️" : ""}</td><td>${p.a_graver}</td>
    <td>${p.en_gravure}</td><td>${p.a_expedier}</td>
    <td><button data-prendre="${p.produit_id}">PEC</button> <button class="ghost" data-terminer="${p.produit_id}">TERM</button></td></tr>`).join("");
  $("b2b").innerHTML = view.b2b.map((b) => `<div class="panel row"><span class="badge b2b">B2B🏅</span> ${esc(b.libelle)} · ${esc(b.produit_nom)} · ${esc(b.numero)}</div>`).join("");
  $("alertes").innerHTML = view.alertes.map((a) => `<div class="alert">⚠️ ${esc(a.message)}</div>`).join("");
  $("commandes").innerHTML = view.commandes.items.map((c) => `<tr>
    <td>${esc(c.numero)} ${c.is_b2b ? '<span class="badge b2b">B2B</span>' : ""}</td><td>${esc(c.produit_nom)}</td>
    <td>${esc(c.client || "")}</td><td>${esc(c.statut)}</td>
    <td>${["grave", "attente_expedition"].includes(c.statut) ? `<button data-expedier="${c.id}">Expédier</button>` : ""}</td></tr>`).join("");
}

async function load() {
  view = await api("GET", `/api/fab/commandes?${query()}`);
  const current = $("f-parcours").value;
  $("f-parcours").innerHTML = '<option value="">Parcours : tous</option>' +
    view.parcours.map((p) => `<option value="${p.produit_id}">${esc(p.nom)}</option>`).join("");
  $("f-parcours").value = current;
  render();
}

document.addEventListener("click", (ev) => {
  const d = ev.target.dataset;
  if (d.prendre) takeCourse(Number(d.prendre));
  if (d.terminer) finishCourse(Number(d.terminer));
  if (d.expedier) ship(Number(d.expedier));
});
$("filtres").addEventListener("change", load);

guard(["operateur_fab", "admin_fab", "super_admin"], async (user) => {
  $("who").textContent = user.email;
  await load();
});
