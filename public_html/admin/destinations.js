// Export destinations (spec 10.1): webhooks that receive a course on export,
// with their authentication (none, bearer, HMAC; the secret is write-only).

import { api, esc } from "../assets/js/api.js";
import { dataTable, dialog, showError, toast } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);

function fields(d = {}) {
  return `<label for="x-nom">Nom</label><input id="x-nom" name="nom" required value="${esc(d.nom || "")}">
    <label for="x-url">URL (http:// ou https://)</label><input id="x-url" name="url" type="url" required value="${esc(d.url || "")}">
    <label for="x-mode">Authentification</label><select id="x-mode" name="mode_auth">${["aucun", "bearer", "hmac"].map((m) => `<option${m === d.mode_auth ? " selected" : ""}>${m}</option>`).join("")}</select>
    <label for="x-secret">Secret (8 caractères au moins${d.secret_defini ? " ; vide = inchangé" : ""})</label><input id="x-secret" name="secret" type="password" autocomplete="off">
    <label><input type="checkbox" name="actif"${d.actif === false ? "" : " checked"}> Active</label>`;
}

export function mount() {
  const table = dataTable($("destinations"), {
    caption: "Destinations d'export",
    load: (q) => api("GET", `/api/admin/export-destinations?${q}`),
    columns: [
      ["Nom", (d) => esc(d.nom)],
      ["URL", (d) => esc(d.url)],
      ["Auth", (d) => esc(d.mode_auth) + (d.secret_defini ? " · secret défini" : "")],
      ["Active", (d) => (d.actif ? '<span class="badge ok">oui</span>' : "non")],
      ["", (d) => `<button type="button" class="small ghost" data-edit-dest="${d.id}" aria-label="Modifier ${esc(d.nom)}">Modifier</button>
        <button type="button" class="small ghost" data-del-dest="${d.id}" aria-label="Supprimer ${esc(d.nom)}">Supprimer</button>`],
    ],
    empty: "Aucune destination.",
  });
  async function edit(id) {
    const d = id ? await api("GET", `/api/admin/export-destinations/${id}`) : {};
    const v = await dialog(id ? "Modifier la destination" : "Nouvelle destination", fields(d.destination || d));
    if (!v) return;
    if (!v.secret) delete v.secret;
    try {
      if (id) await api("PATCH", `/api/admin/export-destinations/${id}`, v); else await api("POST", "/api/admin/export-destinations", v);
      toast("Destination enregistrée.");
      table.reload();
    } catch (e) { showError(e); }
  }
  $("destination-nouvelle").addEventListener("click", () => edit(null));
  $("destinations").addEventListener("click", async (ev) => {
    const b = ev.target.closest("button");
    if (b?.dataset.editDest) edit(b.dataset.editDest);
    if (b?.dataset.delDest && await dialog("Supprimer la destination", "<p>Supprimer cette destination d'export ?</p>", { submit: "Supprimer" })) {
      try { await api("DELETE", `/api/admin/export-destinations/${b.dataset.delDest}`); toast("Destination supprimée."); table.reload(); } catch (e) { showError(e); }
    }
  });
  return table.reload();
}
