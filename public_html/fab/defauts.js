// Quality defects (spec 5.5): report one against an order or a lot with its
// type, cause and severity; the list with filters; the two catalogues
// (types and causes), which an admin_fab can extend.

import { api, esc, frDate, currentUser } from "../assets/js/api.js";
import { dataTable, dialog, showError, toast, options } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);
let types = [];
let causes = [];
let table;

async function catalogues() {
  [types, causes] = await Promise.all([
    api("GET", "/api/defauts/types?per_page=200").then((r) => r.items),
    api("GET", "/api/defauts/causes?per_page=200").then((r) => r.items),
  ]);
  const li = (x) => `<li>${esc(x.libelle)} <span class="hint">(${esc(x.code)})${x.actif ? "" : " — inactif"}</span></li>`;
  $("types").innerHTML = types.map(li).join("");
  $("causes").innerHTML = causes.map(li).join("");
  const admin = ["admin_fab", "super_admin"].includes(currentUser()?.role);
  if (admin && !document.getElementById("ajout-type")) {
    $("types").insertAdjacentHTML("afterend", '<button type="button" class="ghost small" id="ajout-type">Ajouter un type</button>');
    $("causes").insertAdjacentHTML("afterend", '<button type="button" class="ghost small" id="ajout-cause">Ajouter une cause</button>');
    $("ajout-type").addEventListener("click", () => addEntry("types"));
    $("ajout-cause").addEventListener("click", () => addEntry("causes"));
  }
}

async function addEntry(kind) {
  const v = await dialog(kind === "types" ? "Nouveau type de défaut" : "Nouvelle cause", `
    <label for="d-code">Code (minuscules, chiffres, _)</label><input id="d-code" name="code" required pattern="[a-z][a-z0-9_]{1,49}">
    <label for="d-libelle">Libellé</label><input id="d-libelle" name="libelle" required>`);
  if (!v) return;
  try { await api("POST", `/api/defauts/${kind}`, v); toast("Catalogue mis à jour."); await catalogues(); } catch (e) { showError(e); }
}

async function report() {
  const v = await dialog("Signaler un défaut", `
    <label for="d-commande">N° interne de commande (facultatif)</label><input id="d-commande" name="commande_id" type="number" min="1">
    <label for="d-lot">N° interne de lot (facultatif)</label><input id="d-lot" name="lot_id" type="number" min="1">
    <label for="d-type">Type</label><select id="d-type" name="type_id" required>${options(types.filter((t) => t.actif), (t) => t.id, (t) => t.libelle)}</select>
    <label for="d-cause">Cause</label><select id="d-cause" name="cause_id">${options(causes.filter((c) => c.actif), (c) => c.id, (c) => c.libelle, "Inconnue")}</select>
    <label for="d-gravite">Gravité</label><select id="d-gravite" name="gravite"><option value="mineur">Mineur</option><option value="majeur">Majeur</option><option value="critique">Critique</option></select>
    <label for="d-desc">Description</label><textarea id="d-desc" name="description"></textarea>`, { submit: "Signaler" });
  if (!v) return;
  const body = { type_id: Number(v.type_id), gravite: v.gravite };
  if (v.cause_id) body.cause_id = Number(v.cause_id);
  if (v.commande_id) body.commande_id = v.commande_id;
  if (v.lot_id) body.lot_id = v.lot_id;
  if (v.description) body.description = v.description;
  try { await api("POST", "/api/defauts", body); toast("Défaut signalé."); table.reload(1); } catch (e) { showError(e); }
}

async function setStatus(id, statut) {
  try { await api("PATCH", `/api/defauts/${id}`, { statut }); toast("Défaut mis à jour."); } catch (e) { showError(e); }
}

export async function mount() {
  await catalogues();
  $("defaut-nouveau").addEventListener("click", report);
  $("defauts").addEventListener("change", (ev) => { const s = ev.target.closest("[data-defaut]"); if (s) setStatus(s.dataset.defaut, s.value); });
  table = dataTable($("defauts"), {
    caption: "Défauts qualité",
    filters: $("f-defauts"),
    load: (q) => api("GET", `/api/defauts?${q}`),
    columns: [
      ["Date", (d) => frDate(d.created_at)],
      ["Commande / lot", (d) => esc(d.commande_numero || d.lot_numero || "—")],
      ["Type", (d) => esc(d.type_libelle)],
      ["Cause", (d) => esc(d.cause_libelle || "—")],
      ["Gravité", (d) => `<span class="badge ${d.gravite === "critique" ? "live" : d.gravite === "majeur" ? "warn" : "muted-badge"}">${esc(d.gravite)}</span>`],
      ["Statut", (d) => `<label class="sr-only" for="df-${d.id}">Statut</label><select id="df-${d.id}" data-defaut="${d.id}">${["ouvert", "traite", "clos"].map((s) => `<option value="${s}"${s === d.statut ? " selected" : ""}>${s}</option>`).join("")}</select>`],
    ],
    empty: "Aucun défaut.",
  });
  return table.reload();
}
