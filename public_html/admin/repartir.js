// Orders "à répartir" (issue 8, item 4): the orders no dispatch rule placed,
// each assigned to an atelier by the admin (one or many at once).

import { api, esc, frDate, isMissingRoute } from "../assets/js/api.js";
import { dataTable, showError, toast, options } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);
// src/api/dispatch (issue 8, item 4).
export const LIST = "/api/commandes/a-repartir";
export const ASSIGN = "/api/commandes/repartition";

export async function mount() {
  const ateliers = (await api("GET", "/api/ateliers?per_page=200&actif=true")).items;
  const choice = options(ateliers, (a) => a.id, (a) => a.nom, "Choisir un atelier");
  const table = dataTable($("repartir"), {
    caption: "Commandes à répartir",
    load: async (q) => {
      try { return await api("GET", `${LIST}?${q}`); } catch (e) {
        if (isMissingRoute(e)) e.message = "La répartition des commandes n'est pas encore disponible sur ce serveur.";
        throw e;
      }
    },
    columns: [
      ["Commande", (c) => esc(c.numero)],
      ["Parcours", (c) => esc(c.parcours)],
      ["Client", (c) => (c.is_b2b ? `<span class="badge b2b">B2B</span> ${esc(c.b2b_client_nom || "")} × ${esc(c.b2b_quantite ?? 1)}` : "Particulier")],
      ["Date", (c) => frDate(c.date_commande)],
      ["Atelier", (c) => `<label class="sr-only" for="rp-${c.id}">Atelier pour ${esc(c.numero)}</label><select id="rp-${c.id}" data-repartir="${c.id}">${choice}</select>`],
    ],
    empty: "Toutes les commandes ont un atelier.",
  });
  $("repartir").addEventListener("change", async (ev) => {
    const s = ev.target.closest("[data-repartir]");
    if (!s || !s.value) return;
    try {
      await api("POST", ASSIGN, { commande_ids: [Number(s.dataset.repartir)], atelier_id: Number(s.value) });
      toast("Commande attribuée à l'atelier.");
      table.reload();
    } catch (e) { showError(e); }
  });
  return table.reload();
}
