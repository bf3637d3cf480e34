// SAV Express (spec 10.2): find an order by number, name, e-mail or B2B
// client, then file a ticket with its motif and geste — a replacement order
// is created and linked. Below, the tickets with their status.

import { api, esc, frDate } from "../assets/js/api.js";
import { dataTable, dialog, showError, toast } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);
const MOTIFS = { rayure: "Rayure", erreur_texte: "Erreur de texte", medaille_endommagee: "Médaille endommagée", colis_perdu: "Colis perdu", reclamation: "Réclamation" };
const GESTES = { livraison_offerte: "Livraison offerte", remise_10: "Remise 10 %", medaille_offerte: "Médaille offerte", remboursement: "Remboursement" };
const choice = (map) => Object.entries(map).map(([k, v]) => `<option value="${k}">${esc(v)}</option>`).join("");
let found = [];
let tickets;

async function search(ev) {
  ev.preventDefault();
  try {
    found = (await api("GET", `/api/fab/sav/recherche?q=${encodeURIComponent($("sav-q").value)}`)).items;
    $("sav-resultats").innerHTML = found.length ? `<div class="panel">${found.map((c) => `<div class="item-row">
      <div><strong>${esc(c.numero)}</strong> · ${esc(c.parcours)} · ${esc(c.b2b_client_nom || `${c.sportif_prenom || ""} ${c.sportif_nom || ""}`)}
      · ${esc(c.sportif_email || c.email_client || "")} · ${esc(c.statut)}</div><span class="spacer"></span>
      ${c.sav_possible ? `<button type="button" class="small" data-sav="${c.id}">SAV Express</button>` : '<span class="hint">SAV possible après expédition</span>'}</div>`).join("")}</div>`
      : '<p class="muted">Aucune commande trouvée.</p>';
  } catch (e) { showError(e); }
}

async function express(id) {
  const c = found.find((x) => x.id === id);
  const v = await dialog(`SAV Express — ${c.numero}`, `
    <label for="d-motif">Motif</label><select id="d-motif" name="motif" required>${choice(MOTIFS)}</select>
    <label for="d-geste">Geste commercial</label><select id="d-geste" name="geste" required>${choice(GESTES)}</select>
    ${c.is_b2b ? `<label for="d-qte">Médailles à refaire (1 à ${c.b2b_quantite})</label><input id="d-qte" name="b2b_quantite" type="number" min="1" max="${c.b2b_quantite}" value="${c.b2b_quantite}">` : ""}
    <label for="d-desc">Description</label><textarea id="d-desc" name="description" maxlength="2000"></textarea>`, { submit: "Créer le ticket" });
  if (!v) return;
  try {
    const r = await api("POST", "/api/fab/sav/express", { commande_id: id, ...v, ...(v.b2b_quantite == null ? { b2b_quantite: undefined } : {}) });
    toast(`Ticket ${r.ticket.numero} créé${r.commande_sav ? `, commande de remplacement ${r.commande_sav.numero}` : ""}.`);
    $("sav-resultats").innerHTML = `<p class="notice">Ticket ${esc(r.ticket.numero)} créé${r.commande_sav ? ` — remplacement ${esc(r.commande_sav.numero)}` : ""}.</p>`;
    tickets.reload(1);
  } catch (e) { showError(e); }
}

async function setStatus(id, statut) {
  try { await api("PATCH", `/api/sav/${id}`, { statut }); toast("Ticket mis à jour."); tickets.reload(); } catch (e) { showError(e); }
}

export function mount() {
  $("sav-recherche").addEventListener("submit", search);
  $("p-sav").addEventListener("click", (ev) => { const b = ev.target.closest("[data-sav]"); if (b) express(Number(b.dataset.sav)); });
  $("p-sav").addEventListener("change", (ev) => { const s = ev.target.closest("[data-ticket]"); if (s) setStatus(s.dataset.ticket, s.value); });
  tickets = dataTable($("sav-tickets"), {
    caption: "Tickets SAV",
    load: (q) => api("GET", `/api/sav?${q}`),
    columns: [
      ["Ticket", (t) => esc(t.numero)],
      ["Commande", (t) => esc(t.commande_numero) + (t.commande_sav_numero ? `<br><span class="hint">→ ${esc(t.commande_sav_numero)}</span>` : "")],
      ["Motif", (t) => esc(MOTIFS[t.motif] || t.motif)],
      ["Geste", (t) => esc(GESTES[t.geste] || t.geste || "—")],
      ["Créé le", (t) => frDate(t.created_at)],
      ["Statut", (t) => `<label class="sr-only" for="st-${t.id}">Statut du ticket ${esc(t.numero)}</label><select id="st-${t.id}" data-ticket="${t.id}">${["ouvert", "en_cours", "resolu", "ferme"].map((s) => `<option value="${s}"${s === t.statut ? " selected" : ""}>${s.replace("_", " ")}</option>`).join("")}</select>`],
    ],
    empty: "Aucun ticket.",
  });
  return tickets.reload();
}
