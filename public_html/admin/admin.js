// Admin console (dark, wireframe 11.5): one tab per duty. The logs, users and
// maintenance live here; each other tab loads its own module the first time
// it is opened, so the first load stays small. Tabs marked data-super are for
// the super_admin only.

import { api, download, esc, frDate } from "../assets/js/api.js";
import { hydrateIcons, tabs, dataTable, dialog, showError, toast, options } from "../assets/js/ui.js";
import { space } from "../assets/js/shell.js";

const $ = (id) => document.getElementById(id);
const ROLES = { sportif: "Sportif", operateur_fab: "Opérateur atelier", admin_fab: "Admin fabrication", admin_chrono: "Admin chronos", super_admin: "Super admin" };
let me = null;
let users;
let ateliers = [];
let ateliersReady = null;

/** The ateliers for the user form, fetched once (the form may open before the list is back). */
function loadAteliers() {
  ateliersReady ??= api("GET", "/api/ateliers?per_page=100").then((r) => { ateliers = r.items; }, () => { ateliers = []; });
  return ateliersReady;
}

function loadLogs() {
  const table = dataTable($("logs-table"), {
    caption: "Journal d'audit",
    filters: $("filtres"),
    perPage: 50,
    load: (q) => api("GET", `/api/admin/logs?${q}`),
    columns: [
      ["Heure", (l) => esc(l.created_at.replace("T", " ").slice(0, 19))],
      ["Utilisateur", (l) => esc(l.user_email || "—")],
      ["Route", (l) => `${esc(l.methode)} ${esc(l.route)}`],
      ["HTTP", (l) => esc(l.statut_http)],
      ["Niveau", (l) => `<span class="badge ${l.niveau === "INFO" ? "ok" : l.niveau === "WARN" ? "warn" : "live"}">${esc(l.niveau)}</span>`],
    ],
    empty: "Aucun événement.",
  });
  $("logs-table").querySelector("tbody").id = "logs";
  return table.reload();
}

async function exportCsv() {
  const p = new URLSearchParams([...new FormData($("filtres"))].filter(([, v]) => v));
  p.set("format", "csv");
  try { await download(`/api/admin/logs?${p}`, "journal-audit.csv"); } catch (e) { showError(e); }
}

function userFields(u = {}) {
  const roleChoices = Object.entries(ROLES).filter(([r]) => me.role === "super_admin" || ["sportif", "operateur_fab"].includes(r));
  return `${u.id ? "" : `<label for="u-email">Adresse e-mail</label><input id="u-email" name="email" type="email" required>
    <label for="u-pass">Mot de passe (8 caractères au moins)</label><input id="u-pass" name="password" type="password" minlength="8" required autocomplete="new-password">`}
    <label for="u-prenom">Prénom</label><input id="u-prenom" name="prenom" value="${esc(u.prenom || "")}">
    <label for="u-nom">Nom</label><input id="u-nom" name="nom" value="${esc(u.nom || "")}">
    <label for="u-role">Rôle</label><select id="u-role" name="role">${roleChoices.map(([r, l]) => `<option value="${r}"${r === u.role ? " selected" : ""}>${esc(l)}</option>`).join("")}</select>
    <label for="u-atelier">Atelier (opérateurs)</label><select id="u-atelier" name="atelier_id">${options(ateliers, (a) => a.id, (a) => a.nom, "Aucun")}</select>
    ${u.id ? `<label><input type="checkbox" name="actif"${u.actif ? " checked" : ""}> Compte actif</label>
    <label for="u-newpass">Nouveau mot de passe (facultatif, ferme ses sessions)</label><input id="u-newpass" name="password" type="password" minlength="8" autocomplete="new-password">` : ""}`;
}

function cleanUser(v) {
  const out = { ...v, atelier_id: v.atelier_id ? Number(v.atelier_id) : null };
  for (const k of ["prenom", "nom", "password"]) if (!out[k]) delete out[k];
  return out;
}

async function editUser(id) {
  await loadAteliers();
  const u = id ? await api("GET", `/api/admin/users/${id}`) : {};
  const v = await dialog(id ? `Modifier ${u.email}` : "Créer un utilisateur", userFields(u), {
    onOpen: (d) => { if (u.atelier_id) d.querySelector("#u-atelier").value = String(u.atelier_id); },
  });
  if (!v) return;
  try {
    const body = cleanUser(v);
    if (id) await api("PATCH", `/api/admin/users/${id}`, body);
    else { if (body.atelier_id === null) delete body.atelier_id; await api("POST", "/api/admin/users", body); }
    toast(id ? "Utilisateur modifié." : "Utilisateur créé.");
    users.reload();
  } catch (e) { showError(e); }
}

async function deactivate(id, email) {
  const v = await dialog("Désactiver le compte", `<p>Désactiver ${esc(email)} ? Ses sessions sont fermées, le compte est conservé.</p>`, { submit: "Désactiver" });
  if (!v) return;
  try { await api("DELETE", `/api/admin/users/${id}`); toast("Compte désactivé."); users.reload(); } catch (e) { showError(e); }
}

async function loadUsers() {
  await loadAteliers();
  users = dataTable($("users"), {
    caption: "Utilisateurs",
    filters: $("f-users"),
    perPage: 50,
    load: (q) => api("GET", `/api/admin/users?${q}`),
    columns: [
      ["E-mail", (u) => esc(u.email)],
      ["Nom", (u) => esc(`${u.prenom || ""} ${u.nom || ""}`)],
      ["Rôle", (u) => esc(ROLES[u.role] || u.role)],
      ["Atelier", (u) => esc(u.atelier_nom || "—")],
      ["Actif", (u) => (u.actif ? '<span class="badge ok">actif</span>' : '<span class="badge live">inactif</span>')],
      ["", (u) => `<button type="button" class="small ghost" data-edit-user="${u.id}" aria-label="Modifier ${esc(u.email)}">Modifier</button>
        ${u.actif ? `<button type="button" class="small ghost" data-off-user="${u.id}" data-email="${esc(u.email)}" aria-label="Désactiver ${esc(u.email)}">Désactiver</button>` : ""}`],
    ],
  });
  return users.reload();
}

async function loadMaintenance() {
  const m = await api("GET", "/api/admin/maintenance");
  $("m-toggle").textContent = m.actif ? "Désactiver la maintenance" : "Activer la maintenance";
  $("m-toggle").dataset.actif = m.actif ? "1" : "";
  $("m-state").textContent = m.actif ? `Active depuis ${frDate(m.depuis, true)}` : "Service ouvert";
  $("maintenance-banner").textContent = m.actif ? `Maintenance active : ${m.message || ""}` : "";
  $("maintenance-banner").classList.toggle("hidden", !m.actif);
}

$("export-csv").addEventListener("click", exportCsv);
$("user-nouveau").addEventListener("click", () => editUser(null));
$("users").addEventListener("click", (ev) => {
  const b = ev.target.closest("button");
  if (b?.dataset.editUser) editUser(b.dataset.editUser);
  if (b?.dataset.offUser) deactivate(b.dataset.offUser, b.dataset.email);
});
$("m-toggle").addEventListener("click", async () => {
  try {
    await api("POST", "/api/admin/maintenance", { actif: !$("m-toggle").dataset.actif, message: $("m-message").value || null });
    await loadMaintenance();
  } catch (e) { showError(e); }
});

const lazy = (file, fn = "mount") => async () => (await import(file))[fn]();

hydrateIcons();
space({ title: "Administration", roles: ["admin_fab", "super_admin"] }, async (user) => {
  me = user;
  if (user.role !== "super_admin") document.querySelectorAll("[data-super]").forEach((b) => b.remove());
  else loadMaintenance().catch(() => {});
  tabs($("tabs"), {
    "t-stats": lazy("./stats.js"),
    "t-logs": loadLogs,
    "t-config": lazy("./operations.js", "mountConfig"),
    "t-modules": lazy("./operations.js", "mountModules"),
    "t-users": loadUsers,
    "t-backups": lazy("./operations.js", "mountBackups"),
    "bloc-maintenance": loadMaintenance,
    "t-parcours": lazy("./parcours.js"),
    "t-gravure": lazy("./templates.js", "mountGravure"),
    "t-etiquettes": lazy("./templates.js", "mountEtiquettes"),
    "t-relances": lazy("./operations.js", "mountRelances"),
    "t-destinations": lazy("./destinations.js"),
    "t-repartir": lazy("./repartir.js"),
  });
});
