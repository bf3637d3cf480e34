// Strava (spec 5.8, 9; issue 9): connect through OAuth, the activities with
// the courses detected and their score, import one as a chrono, disconnect.

import { api, apiOptional, esc, frDate, hms } from "../assets/js/api.js";
import { dataTable, showError, toast, confirmDialog } from "../assets/js/ui.js";
import { athleteSpace } from "./shell.js";

const $ = (id) => document.getElementById(id);
const MISSING = "La connexion Strava n'est pas encore disponible sur ce serveur.";

// Every course scored for the activity; the ones over the threshold are "detected".
function detected(a) {
  return a.detections.filter((d) => d.detecte)
    .map((d) => `${esc(d.parcours)} <span class="badge ok">${esc(Math.round(d.score * 100))} %</span>`).join("<br>") || "—";
}

async function connect() {
  try {
    const r = await apiOptional("GET", "/api/strava/auth-url");
    if (r === null) { $("strava-etat").textContent = MISSING; return; }
    location.assign(r.url);
  } catch (e) { showError(e); }
}

async function disconnect() {
  if (!(await confirmDialog("Déconnecter Strava ? Vos chronos importés restent.", "Déconnecter"))) return;
  try { await api("DELETE", "/api/strava/disconnect"); toast("Strava déconnecté."); await state(); } catch (e) { showError(e); }
}

async function importActivity(id, table) {
  try {
    const r = await api("POST", `/api/strava/import/${id}`, {});
    const times = r.chronos.map((c) => `${c.parcours} ${c.duree}`).join(", ");
    toast(times ? `Activité importée : ${times}. Validez-la depuis votre tableau de bord.` : "Aucun col de MyKollector reconnu dans cette activité.");
    table.reload();
  } catch (e) { showError(e); }
}

async function state() {
  const me = await api("GET", "/api/auth/me");
  const connected = !!(me.user || me).strava_connected;
  $("strava-etat").textContent = connected ? "Votre compte Strava est connecté." : "Connectez Strava pour retrouver vos cols automatiquement.";
  $("connecter").classList.toggle("hidden", connected);
  $("deconnecter").classList.toggle("hidden", !connected);
  // The OAuth callback sends the browser back here with ?strava=connecte|erreur&message=.
  const back = new URLSearchParams(location.search);
  if (back.get("strava") === "erreur") $("strava-etat").textContent = back.get("message") || "La connexion à Strava a échoué.";
  return connected;
}

athleteSpace("strava.html", async () => {
  await state();
  const table = dataTable($("activites"), {
    caption: "Activités Strava",
    load: async (q) => {
      const r = await apiOptional("GET", `/api/strava/activites?${q}`);
      if (r === null) throw Object.assign(new Error(MISSING), { code: "route_not_found", status: 404 });
      return r;
    },
    columns: [
      ["Activité", (a) => esc(a.nom)],
      ["Date", (a) => frDate(a.date)],
      ["Durée", (a) => hms(a.duree_secondes)],
      ["Cols détectés", detected],
      ["", (a) => (a.importee ? '<span class="badge ok">Importée</span>' : `<button type="button" class="small" data-import="${esc(a.id)}">Importer</button>`)],
    ],
    empty: "Aucune activité récente.",
  });
  table.reload();
  $("activites").addEventListener("click", (ev) => { const id = ev.target.closest("[data-import]")?.dataset.import; if (id) importActivity(id, table); });
});
$("connecter").addEventListener("click", connect);
$("deconnecter").addEventListener("click", disconnect);
