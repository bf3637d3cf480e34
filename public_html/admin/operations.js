// The operations tabs backed by issue 10 and 8/9 routes: API configuration,
// modules (PrestaShop test and sync, Strava webhook), backups and reminder
// thresholds. Each degrades to a French message while its route is missing.

import { api, apiOptional, esc, frDate } from "../assets/js/api.js";
import { bindForm, icon, showError, toast } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);
const missing = (what) => `<p class="alert">${esc(what)} : pas encore disponible sur ce serveur.</p>`;

// The GET lists every setting (src/api/settings): `valeur` as text, secrets
// only as `defini`. A PATCH sends only what changed: an emptied field is null
// (back to the .env value or the default); a secret left empty is unchanged.
// The whole-number settings are recognised by their values and key endings.
const WHOLE = /(port|_id|_max|_min|per_min|per_hour)$/;

function settingField(item) {
  const id = `cfg-${item.cle.replaceAll(".", "-")}`;
  const origin = { base: "modifié ici", env: "valeur du .env", defaut: "valeur par défaut" }[item.source];
  const input = item.secret
    ? `<input id="${id}" name="${esc(item.cle)}" type="password" autocomplete="off" placeholder="${item.defini ? "défini — laisser vide pour garder" : "non défini"}">`
    : `<input id="${id}" name="${esc(item.cle)}" value="${esc(item.valeur ?? "")}"${WHOLE.test(item.cle) ? ' type="number" step="1"' : ""}>`;
  return `<div><label for="${id}">${esc(item.libelle)}</label>${input}<span class="hint">${esc(item.cle)} · ${esc(origin)}</span></div>`;
}

function changedSettings(items, values) {
  const out = {};
  for (const item of items) {
    const v = values[item.cle];
    if (item.secret) { if (v) out[item.cle] = v; continue; }
    const before = item.valeur ?? "";
    if (String(v ?? "") !== String(before)) out[item.cle] = v === "" ? null : v;
  }
  return out;
}

export async function mountConfig() {
  const cfg = await apiOptional("GET", "/api/admin/config");
  if (cfg === null) { $("config").innerHTML = missing("La configuration de l'API"); return; }
  $("config").innerHTML = `<form id="config-form" class="panel grid-form" novalidate><h2 class="wide">Configuration</h2>
    ${cfg.items.map(settingField).join("")}
    <p class="form-error error wide" role="alert"></p><p class="wide"><button type="submit">Enregistrer</button></p></form>`;
  bindForm($("config-form"), async (v) => {
    const changes = changedSettings(cfg.items, v);
    if (!Object.keys(changes).length) throw new Error("Aucun réglage modifié.");
    cfg.items = (await api("PATCH", "/api/admin/config", changes)).items;
  }, "Configuration enregistrée.");
}

async function run(path, done) {
  try {
    const r = await apiOptional("POST", path, {});
    if (r === null) toast("Ce module n'est pas encore disponible sur ce serveur.", "error"); else toast(done(r));
  } catch (e) { showError(e); }
}

const BREAKER = { ferme: "joignable", ouvert: "en pause après des échecs", essai: "nouvel essai en cours" };

function shopState(etat) {
  if (!etat || !etat.configuree) return "Boutique non configurée.";
  return `Boutique ${BREAKER[etat.disjoncteur.etat] || etat.disjoncteur.etat} · dernier import ${frDate(etat.derniere_sync_at, true)}
    · ${etat.envois.en_attente} statut(s) à renvoyer (${etat.envois.en_echec} en échec)`;
}

const syncDone = (r) => `Import : ${r.importees} importée(s), ${r.ignorees} ignorée(s), ${r.echecs} en échec, ${r.commandes_creees} commande(s) créée(s).`;

export async function mountModules() {
  const [health, etat] = await Promise.all([apiOptional("GET", "/api/health").catch(() => null), apiOptional("GET", "/api/prestashop/etat")]);
  const modules = (health && health.modules) || {};
  $("modules").innerHTML = `<div class="cards">
    <div class="card"><h2>PrestaShop</h2><p id="ps-etat">${esc(shopState(etat))}</p>
      <p class="row"><button type="button" id="ps-test">Tester la connexion</button><button type="button" class="ghost" id="ps-sync">Importer les commandes</button>
      <button type="button" class="ghost" id="ps-sync-b2b">Importer les commandes B2B</button></p><ul id="ps-verifs" class="plain"></ul></div>
    <div class="card"><h2>Strava</h2><p>${modules.strava ? "Application Strava configurée." : "Application Strava non configurée (STRAVA_CLIENT_ID et STRAVA_CLIENT_SECRET)."}</p>
      <p><button type="button" id="strava-webhook">Enregistrer le webhook Strava</button></p></div></div>`;
  $("ps-test").addEventListener("click", () => run("/api/prestashop/test-connexion", (r) => {
    $("ps-verifs").innerHTML = r.verifications.map((c) => `<li>${c.ok ? icon("check", "réussi") : icon("x", "échec")} <strong>${esc(c.nom)}</strong> : ${esc(c.message)}</li>`).join("");
    return r.ok ? "Connexion à la boutique réussie." : "La boutique a refusé une vérification : voir le détail.";
  }));
  $("ps-sync").addEventListener("click", () => run("/api/prestashop/sync-commandes", syncDone));
  $("ps-sync-b2b").addEventListener("click", () => run("/api/prestashop/sync-commandes-b2b", syncDone));
  $("strava-webhook").addEventListener("click", () => run("/api/admin/strava/webhook/register",
    (r) => (r.deja_enregistre ? `Webhook Strava déjà enregistré (${r.id}).` : `Webhook Strava enregistré (${r.id}).`)));
}

export async function mountBackups() {
  const list = await apiOptional("GET", "/api/admin/backups");
  if (list === null) { $("backups").innerHTML = missing("Les sauvegardes"); return; }
  $("backups").innerHTML = `<p><button type="button" id="backup-now">Lancer une sauvegarde</button>
    <span class="hint">Les ${esc(list.conservees)} plus récentes sont conservées.</span></p>
    <ul class="plain panel">${list.items.map((b) => `<li class="item-row">${esc(b.fichier)} · ${frDate(b.date, true)} · ${esc(`${Math.max(1, Math.round(b.taille / 1024))} Ko`)}</li>`).join("") || "<li>Aucune sauvegarde.</li>"}</ul>`;
  $("backup-now").addEventListener("click", async () => {
    try { await api("POST", "/api/admin/backup", {}); toast("Sauvegarde terminée."); await mountBackups(); } catch (e) { showError(e); }
  });
}

// Reminder thresholds (src/api/relances): one type today, the text with
// {{prenom}} {{col}} {{chrono}} {{jours}}; "Vérifier maintenant" runs the cron's check.
function seuilRow(t) {
  return `<li class="item-row"><div><strong>${esc(t.sujet)}</strong> · après ${esc(t.jours)} jour(s)${t.actif ? "" : " (inactif)"}<br>
    <span class="hint">${esc(t.message_template)}</span></div><span class="spacer"></span>
    <button type="button" class="ghost small" data-seuil-actif="${t.id}" data-actif="${t.actif}">${t.actif ? "Désactiver" : "Activer"}</button>
    <button type="button" class="ghost small" data-seuil-suppr="${t.id}">Supprimer</button></li>`;
}

export async function mountRelances() {
  const list = await apiOptional("GET", "/api/relance/seuils");
  if (list === null) { $("relances").innerHTML = missing("Les relances"); return; }
  $("relances").innerHTML = `<div class="panel"><h2>Seuils de relance</h2><ul class="plain">${list.items.map(seuilRow).join("") || "<li>Aucun seuil.</li>"}</ul>
    <p><button type="button" id="relance-verifier">Vérifier maintenant</button></p></div>
    <form id="seuil-form" class="panel grid-form" novalidate><h2 class="wide">Nouveau seuil (chrono en attente de validation)</h2>
    <div><label for="seuil-jours">Jours d'attente</label><input id="seuil-jours" name="jours" type="number" min="1" max="365" required></div>
    <div><label for="seuil-sujet">Sujet</label><input id="seuil-sujet" name="sujet" required maxlength="200"></div>
    <div class="wide"><label for="seuil-texte">Texte</label><textarea id="seuil-texte" name="message_template" required rows="4">Bonjour {{prenom}}, votre chrono de {{chrono}} sur {{col}} attend votre validation depuis {{jours}} jours.</textarea></div>
    <p class="form-error error wide" role="alert"></p><p class="wide"><button type="submit">Ajouter</button></p></form>`;
  bindForm($("seuil-form"), async (v) => {
    await api("POST", "/api/relance/seuils", { type: "chrono_attente_validation", ...v });
    await mountRelances();
  }, "Seuil ajouté.");
  $("relance-verifier").addEventListener("click", async () => {
    try { toast(`${(await api("POST", "/api/relance/verifier", {})).envoyees} relance(s) envoyée(s).`); } catch (e) { showError(e); }
  });
  $("relances").querySelector("ul").addEventListener("click", async (ev) => {
    const b = ev.target.closest("button");
    if (!b) return;
    try {
      if (b.dataset.seuilActif) await api("PATCH", `/api/relance/seuils/${b.dataset.seuilActif}`, { actif: b.dataset.actif !== "true" });
      else if (b.dataset.seuilSuppr) await api("DELETE", `/api/relance/seuils/${b.dataset.seuilSuppr}`);
      await mountRelances();
    } catch (e) { showError(e); }
  });
}
