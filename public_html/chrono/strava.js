// Strava (spec 5.8, 9; issue 9): connect through OAuth, the activities with
// the courses detected and their score, import one as a chrono, disconnect.

import { api, apiOptional, esc, frDate, hms } from "../assets/js/api.js";
import { dataTable, showError, toast, confirmDialog } from "../assets/js/ui.js";
import { athleteSpace } from "./shell.js";

const $ = (id) => document.getElementById(id);
const MISSING = "La connexion Strava n'est pas encore disponible sur ce serveur.";

function detected(a) {
  const list = a.cols_detectes || a.parcours_detectes || a.detections || [];
  return list.map((d) => `${esc(d.nom || d.parcours_nom || d.parcours)}${d.score != null ? ` <span class="badge ok">${esc(Math.round(d.score * (d.score <= 1 ? 100 : 1)))} %</span>` : ""}`).join("<br>") || "—";
}

async function connect() {
  try {
    const r = await apiOptional("GET", "/api/strava/auth-url");
    if (r === null) { $("strava-etat").textContent = MISSING; return; }
    location.assign(r.url || r.auth_url);
  } catch (e) { showError(e); }
}

async function disconnect() {
  if (!(await confirmDialog("Déconnecter Strava ? Vos chronos importés restent.", "Déconnecter"))) return;
  try { await api("DELETE", "/api/strava/disconnect"); toast("Strava déconnecté."); await state(); } catch (e) { showError(e); }
}

async function importActivity(id, table) {
  try {
    const c = await api("POST", `/api/strava/import/${id}`, {});
    toast(`Activité importée${c && c.temps ? ` : ${c.temps}` : ""}. Validez-la depuis votre tableau de bord.`);
    table.reload();
  } catch (e) { showError(e); }
}

async function state() {
  const me = await api("GET", "/api/auth/me");
  const connected = !!(me.user || me).strava_connected;
  $("strava-etat").textContent = connected ? "Votre compte Strava est connecté." : "Connectez Strava pour retrouver vos cols automatiquement.";
  $("connecter").classList.toggle("hidden", connected);
  $("deconnecter").classList.toggle("hidden", !connected);
  const msg = new URLSearchParams(location.search).get("erreur");
  if (msg) $("strava-etat").textContent = msg;
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
      ["Activité", (a) => esc(a.nom || a.name)],
      ["Date", (a) => frDate(a.date || a.start_date)],
      ["Durée", (a) => esc(a.temps || hms(a.duree_secondes ?? a.elapsed_time ?? 0))],
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
