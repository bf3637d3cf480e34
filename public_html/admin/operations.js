// The operations tabs backed by issue 10 and 8/9 routes: API configuration,
// modules (PrestaShop test and sync, Strava webhook), backups and reminder
// thresholds. Each degrades to a French message while its route is missing.

import { api, apiOptional, esc, frDate } from "../assets/js/api.js";
import { bindForm, showError, toast } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);
const missing = (what) => `<p class="alert">${esc(what)} : pas encore disponible sur ce serveur.</p>`;

export async function mountConfig() {
  const cfg = await apiOptional("GET", "/api/admin/config");
  if (cfg === null) { $("config").innerHTML = missing("La configuration de l'API"); return; }
  const entries = Object.entries(cfg.items ? Object.fromEntries(cfg.items.map((i) => [i.cle, i.valeur])) : cfg)
    .filter(([, v]) => v === null || ["string", "number", "boolean"].includes(typeof v));
  $("config").innerHTML = `<form id="config-form" class="panel grid-form" novalidate><h2 class="wide">Configuration</h2>
    ${entries.map(([k, v]) => `<div><label for="cfg-${esc(k)}">${esc(k)}</label>${typeof v === "boolean"
      ? `<input id="cfg-${esc(k)}" name="${esc(k)}" type="checkbox"${v ? " checked" : ""}>`
      : `<input id="cfg-${esc(k)}" name="${esc(k)}" value="${esc(v ?? "")}"${/secret|key|token|password/i.test(k) ? ' type="password" autocomplete="off"' : ""}>`}</div>`).join("")}
    <p class="form-error error wide" role="alert"></p><p class="wide"><button type="submit">Enregistrer</button></p></form>`;
  bindForm($("config-form"), (v) => api("PATCH", "/api/admin/config", v), "Configuration enregistrée.");
}

async function run(path, done) {
  try {
    const r = await apiOptional("POST", path, {});
    if (r === null) toast("Ce module n'est pas encore disponible sur ce serveur.", "error"); else toast(done(r));
  } catch (e) { showError(e); }
}

export async function mountModules() {
  const health = await apiOptional("GET", "/api/health");
  const modules = (health && health.modules) || {};
  $("modules").innerHTML = `<div class="cards">
    <div class="card"><h2>PrestaShop</h2><p>${esc(modules.prestashop ? JSON.stringify(modules.prestashop) : "État inconnu")}</p>
      <p class="row"><button type="button" id="ps-test">Tester la connexion</button><button type="button" class="ghost" id="ps-sync">Importer les commandes</button></p></div>
    <div class="card"><h2>Strava</h2><p>${esc(modules.strava ? JSON.stringify(modules.strava) : "État inconnu")}</p>
      <p><button type="button" id="strava-webhook">Enregistrer le webhook Strava</button></p></div></div>`;
  $("ps-test").addEventListener("click", () => run("/api/prestashop/test-connexion", (r) => r.message || "Connexion à la boutique réussie."));
  $("ps-sync").addEventListener("click", () => run("/api/prestashop/sync-commandes", (r) => `Import : ${r.importees ?? r.imported ?? 0} commande(s) importée(s).`));
  $("strava-webhook").addEventListener("click", () => run("/api/admin/strava/webhook/register", () => "Webhook Strava enregistré."));
}

export async function mountBackups() {
  const list = await apiOptional("GET", "/api/admin/backups");
  if (list === null) { $("backups").innerHTML = missing("Les sauvegardes"); return; }
  const items = Array.isArray(list) ? list : list.items || [];
  $("backups").innerHTML = `<p><button type="button" id="backup-now">Lancer une sauvegarde</button></p>
    <ul class="plain panel">${items.map((b) => `<li class="item-row">${esc(b.nom || b.fichier || b.id)} · ${frDate(b.created_at || b.date, true)} · ${esc(b.taille_octets ? `${Math.round(b.taille_octets / 1024)} Ko` : "")}</li>`).join("") || "<li>Aucune sauvegarde.</li>"}</ul>`;
  $("backup-now").addEventListener("click", async () => {
    try { await api("POST", "/api/admin/backup", {}); toast("Sauvegarde terminée."); await mountBackups(); } catch (e) { showError(e); }
  });
}

export async function mountRelances() {
  const list = await apiOptional("GET", "/api/relance/seuils");
  if (list === null) { $("relances").innerHTML = missing("Les relances"); return; }
  const items = Array.isArray(list) ? list : list.items || [];
  $("relances").innerHTML = `<div class="panel"><h2>Seuils de relance</h2><ul>${items.map((s) => `<li>${esc(s.nom || s.type || s.id)} : ${esc(s.jours ?? s.delai_jours ?? "")} jour(s) ${s.actif === false ? "(inactif)" : ""}</li>`).join("") || "<li>Aucun seuil.</li>"}</ul></div>`;
}
