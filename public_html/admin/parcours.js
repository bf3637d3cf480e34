// Courses (wireframe 11.4, spec 6.4): the list and the form — identity,
// figures, start and summit, Strava detection, activation, shop link — with
// the folded "Configuration GPS avancée" (pre-filled; "Réinitialiser aux
// valeurs par défaut" asks the server for its defaults), then SAUVEGARDER,
// Sync PrestaShop, the QR code and the export to the configured destinations.

import { api, download, esc } from "../assets/js/api.js";
import { confirmDialog, dataTable, fieldErrors, formValues, showError, toast, icon } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);
// The hints only: the server owns the defaults (a reset asks it for them).
const GPS = [
  ["Réveil GPS", [["wake_distance_m", "Distance réveil GPS", "m", 2000, "Distance à partir de laquelle l'app commence à surveiller l'approche"],
    ["high_accuracy_start_distance_m", "Rayon haute précision départ", "m", 300, "Rayon dans lequel le GPS précis s'active avant le départ"]]],
  ["Tracking segment", [["pulse_high_accuracy_duration_s", "Durée GPS précis", "s", 10, "Durée de chaque pulse GPS précis pendant le segment"],
    ["pulse_low_accuracy_duration_s", "Durée GPS basse conso", "s", 45, "Durée de chaque pause GPS entre les pulses"]]],
  ["Arrivée et cooldown", [["finish_high_accuracy_distance_m", "Rayon haute précision arrivée", "m", 400, "Rayon avant l'arrivée qui déclenche le retour en GPS précis"],
    ["cooldown_distance_m", "Distance cooldown", "m", 150, "Distance post-arrivée avant retour en veille"],
    ["cooldown_time_s", "Durée cooldown", "s", 40, "Durée minimale de la période post-arrivée"]]],
];
const FIELDS = [
  ["nom", "Nom", "text", "required maxlength=200"], ["slug", "Slug", "text", 'pattern="[a-z0-9]+(-[a-z0-9]+)*" maxlength=100'],
  ["code", "Code (3 lettres)", "text", 'pattern="[A-Z]{3}"'], ["categorie", "Catégorie", "select", ""],
  ["altitude", "Altitude (m)", "number", ""], ["distance_km", "Distance (km)", "number", 'step="0.1"'], ["denivele", "Dénivelé (m)", "number", ""],
  ["difficulte", "Difficulté", "text", ""], ["sous_titre", "Sous-titre", "text", ""], ["description", "Description", "textarea", ""],
  ["depart_lat", "Départ latitude", "number", 'step="any" min="-90" max="90"'], ["depart_lng", "Départ longitude", "number", 'step="any" min="-180" max="180"'],
  ["sommet_lat", "Sommet latitude", "number", 'step="any" min="-90" max="90"'], ["sommet_lng", "Sommet longitude", "number", 'step="any" min="-180" max="180"'],
  ["rayon_km", "Rayon détection Strava (km)", "number", 'step="0.1"'], ["strava_keywords", "Mots-clés Strava", "text", ""],
  ["lien_boutique", "Lien boutique", "url", ""], ["message_desactivation", "Message de désactivation", "text", ""],
];
let current = null;
let list;

function field([name, label, type, extra]) {
  const id = `c-${name}`;
  const input = type === "select"
    ? `<select id="${id}" name="${name}"><option value="cyclisme">Cyclisme</option><option value="trail">Trail</option><option value="rando">Randonnée</option></select>`
    : type === "textarea" ? `<textarea id="${id}" name="${name}"></textarea>`
      : `<input id="${id}" name="${name}" type="${type}" ${extra}>`;
  return `<div${type === "textarea" ? ' class="wide"' : ""}><label for="${id}">${esc(label)}</label>${input}</div>`;
}

function gpsFields() {
  return GPS.map(([title, rows]) => `<fieldset><legend>${esc(title)}</legend><div class="grid-form">${rows.map(([name, label, unit, def, tip]) =>
    `<div><label for="g-${name}">${esc(label)} (${unit})</label><input id="g-${name}" name="${name}" data-gps type="number" min="1" step="1" aria-describedby="h-${name}">
      <span id="h-${name}" class="hint">défaut : ${def} — ${esc(tip)}</span></div>`).join("")}</div></fieldset>`).join("");
}

function formHtml() {
  return `<form id="parcours-form" class="panel" novalidate>
    <h2 id="parcours-titre">Nouveau parcours</h2>
    <div class="grid-form">${FIELDS.map(field).join("")}
      <div><label><input type="checkbox" id="c-actif" name="actif" checked> Actif</label></div></div>
    <details id="gps-details"><summary>${icon("wrench")} Configuration GPS avancée</summary>
      ${gpsFields()}
      <p><button type="button" class="ghost" id="gps-reset">Réinitialiser aux valeurs par défaut</button></p></details>
    <p class="form-error error" role="alert"></p>
    <p class="row"><button type="submit">SAUVEGARDER</button>
      <button type="button" class="ghost" id="c-sync">Sync PrestaShop</button>
      <button type="button" class="ghost" id="c-qr">${icon("qr")} Générer QR</button>
      <button type="button" class="ghost" id="c-export">Exporter vers…</button>
      <button type="button" class="ghost" id="c-fermer">Fermer</button></p>
    <p id="c-qr-url" class="hint"></p>
  </form>`;
}

function fill(c) {
  const form = $("parcours-form");
  current = c;
  $("parcours-titre").textContent = c ? `Modifier le parcours — ${c.nom}` : "Nouveau parcours";
  for (const [name] of FIELDS) form.elements[name].value = c && c[name] != null ? c[name] : (name === "categorie" ? "cyclisme" : "");
  form.elements.actif.checked = c ? c.actif : true;
  const cfg = c ? c.tracking_config : null;
  form.querySelectorAll("[data-gps]").forEach((el) => { el.value = cfg ? cfg[el.name] : ""; el.placeholder = el.closest("div").querySelector(".hint").textContent.match(/\d+/)[0]; });
  ["c-sync", "c-qr", "c-export"].forEach((id) => { $(id).disabled = !c; });
  $("c-qr-url").textContent = "";
  form.scrollIntoView({ block: "start" });
}

function body(form) {
  const v = formValues(form);
  const out = {};
  for (const [name, , type] of FIELDS) {
    const value = v[name];
    if (value === "" || value === null) { if (current) out[name] = null; continue; }
    out[name] = type === "number" ? Number(value) : value;
  }
  for (const k of ["nom", "slug", "code", "categorie"]) if (out[k] === null) delete out[k];
  out.actif = v.actif;
  const gps = {};
  form.querySelectorAll("[data-gps]").forEach((el) => { if (el.value !== "") gps[el.name] = Number(el.value); });
  if (Object.keys(gps).length) out.tracking_config = gps;
  return out;
}

async function save(ev) {
  ev.preventDefault();
  const form = ev.target;
  fieldErrors(form, null);
  if (!form.checkValidity()) { form.reportValidity(); return; }
  try {
    const c = current ? await api("PATCH", `/api/parcours/${current.id}`, body(form)) : await api("POST", "/api/parcours", body(form));
    toast("Parcours enregistré.");
    fill(c);
    list.reload();
  } catch (e) { fieldErrors(form, e); }
}

async function resetGps() {
  if (!current) { $("parcours-form").querySelectorAll("[data-gps]").forEach((el) => { el.value = ""; }); toast("Les valeurs par défaut seront appliquées à la création."); return; }
  try {
    fill(await api("PATCH", `/api/parcours/${current.id}`, { tracking_config: null }));
    $("gps-details").open = true;
    toast("Configuration GPS remise aux valeurs par défaut.");
  } catch (e) { showError(e); }
}

async function sync() {
  try {
    const r = await api("POST", `/api/parcours/${current.id}/sync-prestashop`, {});
    toast(`Parcours synchronisé avec la boutique (produit ${r.presta_product_id}).`);
    if (r.lien_boutique) $("parcours-form").lien_boutique.value = r.lien_boutique;
  } catch (e) { showError(e); }
}

// The QR page's address, and the code itself for the start-line sign.
async function qr() {
  try {
    const r = await api("GET", `/api/parcours/${current.id}/qr`);
    const base = `/api/parcours/${current.id}/qr?format=`;
    $("c-qr-url").innerHTML = `Adresse du QR code : <a href="${esc(r.qr_url)}">${esc(r.qr_url)}</a>
      <button type="button" class="ghost small" data-qr="svg">${icon("download")} QR SVG</button>
      <button type="button" class="ghost small" data-qr="png">${icon("download")} QR PNG</button>`;
    $("c-qr-url").onclick = (ev) => {
      const format = ev.target.closest("[data-qr]")?.dataset.qr;
      if (format) download(base + format, `qr-${r.slug}.${format}`).catch(showError);
    };
  } catch (e) { showError(e); }
}

async function exportCourse() {
  if (!(await confirmDialog("Envoyer ce parcours à toutes les destinations d'export actives ?", "Exporter"))) return;
  try {
    const r = await api("POST", `/api/parcours/${current.id}/export`, { destination_ids: "all" });
    toast(`Export : ${r.succes} destination(s) sur ${r.total} ont accepté le parcours.`, r.echecs ? "error" : "ok");
  } catch (e) { showError(e); }
}

export function mount() {
  $("parcours-form-host").innerHTML = formHtml();
  const form = $("parcours-form");
  form.classList.add("hidden");
  form.addEventListener("submit", save);
  $("gps-reset").addEventListener("click", resetGps);
  $("c-sync").addEventListener("click", sync);
  $("c-qr").addEventListener("click", qr);
  $("c-export").addEventListener("click", exportCourse);
  $("c-fermer").addEventListener("click", () => form.classList.add("hidden"));
  $("parcours-nouveau").addEventListener("click", () => { form.classList.remove("hidden"); fill(null); });
  $("parcours-liste").addEventListener("click", async (ev) => {
    const id = ev.target.closest("[data-edit-parcours]")?.dataset.editParcours;
    if (!id) return;
    try { form.classList.remove("hidden"); fill(await api("GET", `/api/parcours/${id}`)); } catch (e) { showError(e); }
  });
  list = dataTable($("parcours-liste"), {
    caption: "Parcours",
    perPage: 50,
    load: (q) => api("GET", `/api/parcours?tous=1&${q}`),
    columns: [
      ["Parcours", (c) => `${esc(c.nom)} <span class="hint">${esc(c.code)}</span>`],
      ["Slug", (c) => esc(c.slug)],
      ["Catégorie", (c) => esc(c.categorie)],
      ["Actif", (c) => (c.actif ? '<span class="badge ok">actif</span>' : '<span class="badge live">fermé</span>')],
      ["Boutique", (c) => (c.shop_synced ? '<span class="badge ok">synchronisé</span>' : "—")],
      ["", (c) => `<button type="button" class="small ghost" data-edit-parcours="${c.id}" aria-label="Modifier ${esc(c.nom)}">Modifier</button>`],
    ],
  });
  return list.reload();
}
