// Engraving templates (spec 8.1): upload a DXF and see the placeholders the
// server found in it ({{NOM}}, {{PRENOM}}, {{CHRONO}}, {{DATE}}, {{NUMERO}}),
// the list with download and deletion; and the HTML label templates.

import { api, download, esc } from "../assets/js/api.js";
import { bindForm, dataTable, dialog, showError, toast } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);

async function upload(v, form) {
  const data = new FormData();
  for (const [k, val] of Object.entries(v)) if (val !== null && val !== "") data.append(k, val);
  const t = await api("POST", "/api/templates-gravure", data);
  const warn = (t.avertissements || []).join(" ; ");
  $("placeholders").textContent = `Template « ${t.nom} » déposé. Placeholders trouvés : ${(t.placeholders || []).map((p) => `{{${p}}}`).join(", ") || "aucun"}${warn ? `. Avertissements : ${warn}` : ""}`;
  form.reset();
}

export function mountGravure() {
  bindForm($("template-upload"), async (v, form) => { await upload(v, form); table.reload(); });
  const table = dataTable($("templates"), {
    caption: "Templates de gravure",
    load: (q) => api("GET", `/api/templates-gravure?${q}`),
    columns: [
      ["Nom", (t) => esc(t.nom)],
      ["Placeholders", (t) => esc((t.placeholders || []).map((p) => `{{${p}}}`).join(" "))],
      ["Format", (t) => esc(`${t.largeur_mm}×${t.hauteur_mm} mm, ${t.colonnes} col., ${t.max_batch} max`)],
      ["Actif", (t) => (t.actif ? '<span class="badge ok">actif</span>' : "—")],
      ["", (t) => `<button type="button" class="small ghost" data-dl-template="${t.id}" data-nom="${esc(t.fichier_nom_original || "template.dxf")}">Télécharger</button>
        <button type="button" class="small ghost" data-del-template="${t.id}" aria-label="Supprimer ${esc(t.nom)}">Supprimer</button>`],
    ],
  });
  $("templates").addEventListener("click", async (ev) => {
    const b = ev.target.closest("button");
    try {
      if (b?.dataset.dlTemplate) await download(`/api/templates-gravure/${b.dataset.dlTemplate}/fichier`, b.dataset.nom);
      if (b?.dataset.delTemplate && await dialog("Supprimer le template", "<p>Un template déjà utilisé par un lot ne peut pas être supprimé.</p>", { submit: "Supprimer" })) {
        await api("DELETE", `/api/templates-gravure/${b.dataset.delTemplate}`);
        toast("Template supprimé.");
        table.reload();
      }
    } catch (e) { showError(e); }
  });
  return table.reload();
}

function labelFields(t = {}) {
  return `<label for="e-nom">Nom</label><input id="e-nom" name="nom" required value="${esc(t.nom || "")}">
    <label for="e-transporteur">Transporteur</label><input id="e-transporteur" name="transporteur" value="${esc(t.transporteur || "")}">
    <label for="e-larg">Largeur (mm)</label><input id="e-larg" name="largeur_mm" type="number" step="0.1" value="${esc(t.largeur_mm ?? 100)}">
    <label for="e-haut">Hauteur (mm)</label><input id="e-haut" name="hauteur_mm" type="number" step="0.1" value="${esc(t.hauteur_mm ?? 150)}">
    <label for="e-html">HTML ({{prenom}} {{nom}} {{adresse}} {{transporteur}} {{numero_suivi}} {{numero}} {{parcours}})</label>
    <textarea id="e-html" name="html" required rows="8">${esc(t.html || "")}</textarea>`;
}

export function mountEtiquettes() {
  const table = dataTable($("etiquettes"), {
    caption: "Templates d'étiquettes",
    load: (q) => api("GET", `/api/templates-etiquettes?${q}`),
    columns: [
      ["Nom", (t) => esc(t.nom)],
      ["Transporteur", (t) => esc(t.transporteur || "—")],
      ["Format", (t) => esc(`${t.largeur_mm}×${t.hauteur_mm} mm`)],
      ["", (t) => `<button type="button" class="small ghost" data-edit-etiquette="${t.id}" aria-label="Modifier ${esc(t.nom)}">Modifier</button>`],
    ],
  });
  async function edit(id) {
    const t = id ? await api("GET", `/api/templates-etiquettes/${id}`) : {};
    const v = await dialog(id ? "Modifier le template" : "Nouveau template d'étiquette", labelFields(t));
    if (!v) return;
    try {
      if (id) await api("PATCH", `/api/templates-etiquettes/${id}`, v); else await api("POST", "/api/templates-etiquettes", v);
      toast("Template d'étiquette enregistré.");
      table.reload();
    } catch (e) { showError(e); }
  }
  $("etiquette-nouvelle").addEventListener("click", () => edit(null));
  $("etiquettes").addEventListener("click", (ev) => { const id = ev.target.closest("[data-edit-etiquette]")?.dataset.editEtiquette; if (id) edit(id); });
  return table.reload();
}
