// Orders "à répartir" (issue 8, item 4): the orders no dispatch rule placed,
// each assigned to an atelier by the admin (one or many at once).

import { api, esc, frDate, isMissingRoute } from "../assets/js/api.js";
import { dataTable, showError, toast, options } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);
// The shop helper's routes (issue 8); named here so a rename is one line.
export const LIST = "/api/admin/commandes/a-repartir";
export const ASSIGN = "/api/admin/commandes/repartir";

export async function mount() {
  const ateliers = (await api("GET", "/api/ateliers?per_page=100&actif=1")).items;
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
      ["Parcours", (c) => esc(c.produit_nom || (c.parcours && c.parcours.nom) || "")],
      ["Client", (c) => esc(c.client || c.b2b_client_nom || "")],
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
