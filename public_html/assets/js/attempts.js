// Attempts timed on the QR page that could not reach the server yet (no
// signal at the start line, or an athlete not signed in). They wait in
// localStorage and are sent when the network is back and an athlete is
// signed in — by the QR page itself or by the dashboard.
//
// Two kinds: "manuel" (never started on the server: sent as a manual entry
// with the time shown) and "stop" (started on the server: stopped, then
// validated with the adjustment that makes the stored time the time shown).

import { api, currentUser } from "./api.js";

const KEY = "mk.tentatives";

export function pending() {
  try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch { return []; }
}

function save(list) { localStorage.setItem(KEY, JSON.stringify(list)); }

export function keep(entry) { save([...pending(), entry]); }

/** The measured (server) seconds of a stopped chrono still waiting for validation. */
async function measuredOf(chronoId) {
  const page = await api("GET", "/api/chrono/history?statut=attente_validation&per_page=200");
  const c = (page.items || []).find((x) => x.id === chronoId);
  if (!c) throw Object.assign(new Error("Chrono introuvable"), { status: 404 });
  return c.duree_secondes - (c.ajustement_sec || 0);
}

/**
 * Stops the server chrono then validates it so that its stored time is
 * exactly `target` seconds, whatever the server measured (pauses, late stop,
 * or a stop sent long after the finish because the phone was offline).
 * Returns the validated chrono.
 */
export async function finishOnServer(chronoId, target, step = {}) {
  if (step.measured == null) {
    try {
      const stopped = await api("POST", "/api/chrono/stop", { chrono_id: chronoId, ajustement_sec: 0 });
      step.measured = stopped.duree_secondes - (stopped.ajustement_sec || 0);
    } catch (e) {
      if (e.code !== "chrono_not_running") throw e;
      step.measured = await measuredOf(chronoId);
    }
  }
  return api("PATCH", `/api/chrono/${chronoId}/valider`, { ajustement_sec: Math.round(target) - step.measured });
}

/** Sends what waits; returns how many were sent. Network errors keep the entry. */
export async function flush() {
  const user = currentUser();
  if (!user || user.role !== "sportif") return 0;
  const left = [];
  let sent = 0;
  for (const t of pending()) {
    try {
      if (t.kind === "stop") await finishOnServer(t.chrono_id, t.duree_secondes, t);
      else await api("POST", "/api/chrono/manuel", { produit_id: t.produit_id, duree_secondes: t.duree_secondes, date_realisation: t.date_realisation });
      sent += 1;
    } catch (e) {
      if (!e.status) left.push(t); // offline again: keep it (with the step reached)
    }
  }
  save(left);
  return sent;
}
