// History (spec 2.4 historique.html): every chrono of the athlete with its
// status, the detail of one course (my times and the ranking) reached by
// VOIR DÉTAIL, and the orders with their engraving and tracking.

import { api, esc, frDate } from "../assets/js/api.js";
import { dataTable, showError } from "../assets/js/ui.js";
import { athleteSpace } from "./shell.js";

const $ = (id) => document.getElementById(id);
const STATUTS = { valide: ["ok", "Validé"], attente_validation: ["warn", "En attente"], en_cours: ["warn", "En cours"], annule: ["live", "Annulé"] };
const SOURCES = { qr: "QR", manuel: "Saisie", strava: "Strava", gpx: "GPX" };

function statut(s) {
  const [kind, label] = STATUTS[s] || ["muted-badge", s];
  return `<span class="badge ${kind}">${esc(label)}</span>`;
}

async function detail(produitId) {
  $("detail").classList.remove("hidden");
  try {
    const [course, mine, ranking] = await Promise.all([
      api("GET", `/api/parcours/${produitId}`),
      api("GET", `/api/chrono/${produitId}/mes`),
      api("GET", `/api/parcours/${produitId}/classement`),
    ]);
    const times = (Array.isArray(mine) ? mine : mine.items || []).map((c) => `<li>${esc(c.temps)} · ${frDate(c.date_realisation)}</li>`).join("");
    const rows = (ranking.items || ranking.classement || []).slice(0, 10).map((r) => `<li${r.moi ? ' class="gold"' : ""}>${esc(r.rang)}. ${esc(r.nom_affiche || r.prenom)} ${esc(r.temps || r.chrono || "")}</li>`).join("");
    const me = ranking.vous ? `<p><strong>Votre rang : ${esc(ranking.vous.rang)}/${esc(ranking.total ?? ranking.vous.total ?? "")}</strong></p>` : "";
    $("t-detail").textContent = `Détail — ${course.nom}`;
    $("detail-body").innerHTML = `<div class="cards"><div><h3>Mes temps validés</h3><ul>${times || "<li>Aucun</li>"}</ul></div>
      <div><h3>Classement</h3>${me}<ol class="plain">${rows}</ol></div></div>`;
  } catch (e) { showError(e, $("detail-body")); }
}

athleteSpace("historique.html", async () => {
  const produit = new URLSearchParams(location.search).get("parcours");
  if (produit) detail(produit);
  dataTable($("chronos"), {
    caption: "Mes chronos",
    filters: $("f-chronos"),
    load: (q) => api("GET", `/api/chrono/history?${q}`),
    columns: [
      ["Parcours", (c) => `<a href="?parcours=${c.produit_id}">${esc(c.parcours_nom)}</a>`],
      ["Date", (c) => frDate(c.date_realisation)],
      ["Temps", (c) => esc(c.temps || "—")],
      ["Source", (c) => esc(SOURCES[c.source] || c.source)],
      ["Statut", (c) => statut(c.statut) + (c.motif_rejet ? `<br><span class="hint">${esc(c.motif_rejet)}</span>` : "")],
    ],
    empty: "Aucun chrono pour l'instant.",
  }).reload();
  dataTable($("commandes"), {
    caption: "Mes commandes",
    load: (q) => api("GET", `/api/commandes/mes?${q}`),
    columns: [
      ["Commande", (o) => esc(o.numero)],
      ["Parcours", (o) => esc(o.parcours.nom)],
      ["Gravure", (o) => esc(o.gravure ? `${o.gravure.prenom} ${o.gravure.nom} · ${o.gravure.chrono || ""}` : "—")],
      ["Statut", (o) => esc(o.statut.replaceAll("_", " "))],
      ["Suivi", (o) => esc(o.numero_suivi || "—")],
    ],
    empty: "Aucune commande.",
  }).reload();
});
