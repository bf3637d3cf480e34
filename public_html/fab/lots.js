// Lots (spec 5.6): the list, one lot's orders, its status, the CSV and DXF
// downloads, and regenerating the DXF before engraving.

import { api, download, esc, frDate } from "../assets/js/api.js";
import { dataTable, showError, toast, dialog } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);
const NEXT = { cree: ["en_gravure", "annule"], en_gravure: ["grave", "annule"], grave: ["termine"] };
const LABELS = { cree: "Créé", en_gravure: "En gravure", grave: "Gravé", termine: "Terminé", annule: "Annulé" };
let table;

async function show(id) {
  try {
    const lot = await api("GET", `/api/lots/${id}`);
    const next = NEXT[lot.statut] || [];
    $("lot-detail").innerHTML = `<div class="panel"><h2>Lot ${esc(lot.numero)} · ${esc(LABELS[lot.statut] || lot.statut)}</h2>
      <p class="row"><button type="button" data-dl-dxf="${lot.id}" data-numero="${esc(lot.numero)}">Télécharger le DXF</button>
      <button type="button" class="ghost" data-dl-csv="${lot.id}" data-numero="${esc(lot.numero)}">Télécharger le CSV</button>
      ${lot.statut === "cree" ? `<button type="button" class="ghost" data-regenerer="${lot.id}">Régénérer le DXF</button>` : ""}
      ${next.map((s) => `<button type="button" class="${s === "annule" ? "danger" : "ghost"}" data-statut="${s}" data-lot="${lot.id}">Passer à « ${esc(LABELS[s])} »</button>`).join("")}</p>
      <p class="hint">Agent local : ${esc(lot.agent_statut || "—")}</p>
      <ul>${(lot.commandes || []).map((c) => `<li>${esc(c.numero)} · ${esc(c.gravure_texte ? Object.values(c.gravure_texte).join(" ") : c.parcours || "")}</li>`).join("")}</ul></div>`;
  } catch (e) { showError(e); }
}

async function act(b) {
  const d = b.dataset;
  try {
    if (d.dlDxf) { await download(`/api/lots/${d.dlDxf}/dxf`, `${d.numero}.dxf`); toast("DXF téléchargé."); }
    else if (d.dlCsv) { await download(`/api/lots/${d.dlCsv}/csv`, `${d.numero}.csv`); toast("CSV téléchargé."); }
    else if (d.regenerer) { await api("POST", `/api/lots/${d.regenerer}/regenerer`, {}); toast("DXF régénéré."); await show(d.regenerer); }
    else if (d.statut) {
      const v = await dialog(`Passer le lot à « ${LABELS[d.statut]} »`, '<label for="d-commentaire">Commentaire (facultatif)</label><input id="d-commentaire" name="commentaire" maxlength="500">', { submit: "Confirmer" });
      if (!v) return;
      await api("PATCH", `/api/lots/${d.lot}/statut`, { statut: d.statut, ...(v.commentaire ? { commentaire: v.commentaire } : {}) });
      toast("Statut du lot changé.");
      await table.reload();
      await show(d.lot);
    } else if (d.voir) await show(d.voir);
  } catch (e) { showError(e); }
}

export function mount() {
  table = dataTable($("lots"), {
    caption: "Lots",
    filters: $("f-lots"),
    load: (q) => api("GET", `/api/lots?${q}`),
    columns: [
      ["Lot", (l) => esc(l.numero)],
      ["Template", (l) => esc(l.template_nom || l.template_gravure_id)],
      ["Commandes", (l) => esc(l.nb_commandes)],
      ["Statut", (l) => esc(LABELS[l.statut] || l.statut)],
      ["Créé le", (l) => frDate(l.created_at, true)],
      ["", (l) => `<button type="button" class="small" data-voir="${l.id}" aria-label="Ouvrir le lot ${esc(l.numero)}">Ouvrir</button>`],
    ],
    empty: "Aucun lot : cochez des commandes validées dans Production pour en créer un.",
  });
  $("p-lots").addEventListener("click", (ev) => { const b = ev.target.closest("button[data-voir],button[data-dl-dxf],button[data-dl-csv],button[data-regenerer],button[data-statut]"); if (b) act(b); });
  return table.reload();
}
