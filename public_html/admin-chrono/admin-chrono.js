// admin_chrono's page (spec 10.5): the chronos waiting for validation with
// their proof (shown when it is an image, downloadable always), validated or
// rejected with a reason.

import { api, download, esc, frDate } from "../assets/js/api.js";
import { dataTable, dialog, showError, toast } from "../assets/js/ui.js";
import { space } from "../assets/js/shell.js";

const $ = (id) => document.getElementById(id);
const SOURCES = { qr: "QR", manuel: "Saisie manuelle", strava: "Strava", gpx: "GPX" };
let table;

async function showProof(id) {
  try {
    const blob = await api("GET", `/api/admin/chronos/${id}/preuve`);
    const box = $("preuve");
    box.classList.remove("hidden");
    if (blob.type.startsWith("image/")) {
      box.innerHTML = `<h2>Preuve du chrono ${esc(id)}</h2><img alt="Preuve jointe au chrono ${esc(id)}" class="proof">`;
      // A data: URL, not blob: — the pages' CSP allows img-src 'self' data: only.
      box.querySelector("img").src = await new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.onerror = reject;
        reader.readAsDataURL(blob);
      });
    } else {
      box.innerHTML = `<h2>Preuve du chrono ${esc(id)}</h2><p>Document ${esc(blob.type || "joint")} : <button type="button" class="small" data-dl="${esc(id)}">Télécharger</button></p>`;
    }
    box.scrollIntoView({ block: "nearest" });
  } catch (e) { showError(e); }
}

async function decide(id, decision) {
  let body = { decision };
  if (decision === "rejeter") {
    const v = await dialog("Rejeter le chrono", `<label for="motif">Motif (envoyé au sportif)</label>
      <textarea id="motif" name="motif" required maxlength="500"></textarea>`, { submit: "Rejeter" });
    if (!v) return;
    body = { decision, motif: v.motif };
  }
  try {
    await api("PATCH", `/api/admin/chronos/${id}`, body);
    toast(decision === "valider" ? "Chrono validé : il entre au classement." : "Chrono rejeté, le sportif est prévenu.");
    $("preuve").classList.add("hidden");
    table.reload();
  } catch (e) { showError(e); }
}

space({ title: "Validation des chronos", roles: ["admin_chrono", "super_admin"] }, () => {
  table = dataTable($("chronos"), {
    caption: "Chronos en attente",
    load: (q) => api("GET", `/api/admin/chronos/en-attente?${q}`),
    columns: [
      ["Sportif", (c) => esc(c.sportif ? `${c.sportif.prenom || ""} ${c.sportif.nom || ""} (${c.sportif.email})` : "")],
      ["Parcours", (c) => esc(c.parcours_nom)],
      ["Date", (c) => frDate(c.date_realisation)],
      ["Temps", (c) => esc(c.temps)],
      ["Source", (c) => esc(SOURCES[c.source] || c.source)],
      ["Preuve", (c) => (c.preuve ? `<button type="button" class="small ghost" data-preuve="${c.id}">Voir la preuve</button>` : '<span class="hint">aucune</span>')],
      ["", (c) => `<button type="button" class="small" data-valider="${c.id}">Valider</button>
        <button type="button" class="small danger" data-rejeter="${c.id}">Rejeter</button>`],
    ],
    empty: "Aucun chrono en attente.",
  });
  document.addEventListener("click", (ev) => {
    const d = ev.target.closest("button")?.dataset || {};
    if (d.preuve) showProof(d.preuve);
    if (d.valider) decide(d.valider, "valider");
    if (d.rejeter) decide(d.rejeter, "rejeter");
    if (d.dl) download(`/api/admin/chronos/${d.dl}/preuve`, `preuve-chrono-${d.dl}`).catch((e) => showError(e));
  });
  return table.reload();
});
