// Stock (spec 5.5): medals per course and atelier with the alert threshold,
// a movement (entry, exit with a reason, counted adjustment, return), and
// the journal of every movement with filters.

import { api, esc, frDate } from "../assets/js/api.js";
import { dataTable, dialog, showError, toast, options } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);
const TYPES = { entree: "Entrée", sortie: "Sortie", ajustement: "Ajustement (nouveau stock compté)", gravure: "Gravure", retour: "Retour" };
let stocks;
let journal;

async function movement() {
  const lines = stocks.items;
  const v = await dialog("Mouvement de stock", `
    <label for="d-ligne">Parcours / atelier</label><select id="d-ligne" name="ligne" required>${options(lines, (s) => `${s.produit_id}:${s.atelier_id}`, (s) => `${s.produit_nom} — ${s.atelier_code} (${s.quantite})`)}</select>
    <label for="d-type">Type</label><select id="d-type" name="type">${["entree", "sortie", "ajustement", "retour"].map((t) => `<option value="${t}">${esc(TYPES[t])}</option>`).join("")}</select>
    <label for="d-qte">Quantité</label><input id="d-qte" name="quantite" type="number" min="0" required>
    <label for="d-motif">Motif (obligatoire pour une sortie ou un ajustement)</label><input id="d-motif" name="motif" maxlength="500">`, { submit: "Enregistrer" });
  if (!v) return;
  const [produit, atelier] = v.ligne.split(":").map(Number);
  try {
    await api("POST", "/api/stocks/mouvements", { produit_id: produit, atelier_id: atelier, type: v.type, quantite: v.quantite, ...(v.motif ? { motif: v.motif } : {}) });
    toast("Mouvement enregistré.");
    await Promise.all([stocks.reload(), journal.reload(1)]);
  } catch (e) { showError(e); }
}

export function mount() {
  $("mouvement-nouveau").addEventListener("click", movement);
  stocks = dataTable($("stocks"), {
    caption: "Stock par parcours",
    perPage: 100,
    load: (q) => api("GET", `/api/stocks?${q}`),
    columns: [
      ["Parcours", (s) => esc(s.produit_nom)],
      ["Atelier", (s) => esc(s.atelier_code)],
      ["Stock", (s) => `${esc(s.quantite)} ${s.alerte ? '<span class="badge warn">stock bas</span>' : ""}`],
      ["Seuil d'alerte", (s) => esc(s.seuil_alerte)],
    ],
  });
  journal = dataTable($("mouvements"), {
    caption: "Journal des mouvements",
    filters: $("f-mouvements"),
    load: (q) => api("GET", `/api/stocks/mouvements?${q}`),
    columns: [
      ["Date", (m) => frDate(m.created_at, true)],
      ["Parcours", (m) => esc(`${m.produit_nom} · ${m.atelier_code}`)],
      ["Type", (m) => esc(TYPES[m.type] || m.type)],
      ["Variation", (m) => esc(m.quantite > 0 ? `+${m.quantite}` : m.quantite)],
      ["Après", (m) => esc(m.quantite_apres)],
      ["Motif", (m) => esc(m.motif || m.commande_numero || "—")],
      ["Par", (m) => esc(m.user_nom || "—")],
    ],
  });
  return Promise.all([stocks.reload(), journal.reload()]);
}
