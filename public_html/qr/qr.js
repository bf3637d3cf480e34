// QR page wiring (spec 6.3, wireframe 11.2): the course from ?p=<slug>, the
// GPS engine every 3 s (states 1–3 drive PARTIR, both bypasses), PARTIR /
// PAUSE / ARRÊTER, the adjustment drum roller, the screen kept awake while
// timing, offline support (service worker + attempts kept on the phone), and
// after validation the shop page when the athlete has no order yet.
//
// The time stored is the time shown: the page's own stopwatch (pauses
// removed, adjustment applied) is what it sends; the server's start/stop only
// anchors the attempt (see attempts.js finishOnServer).

import { api, currentUser, hms, esc } from "../assets/js/api.js";
import { icon } from "../assets/js/ui.js";
import { drum } from "../assets/js/drum.js";
import { keep, flush, finishOnServer } from "../assets/js/attempts.js";
import { evaluate, watchOptions, STATES } from "./gps-engine.js";
import { Timer } from "./timer.js";

const $ = (id) => document.getElementById(id);
const EVALUATE_EVERY_MS = 3000;
const COURSE_KEY = "mk.parcours.";

let course = null;
let position = null;
let gpsFailed = false;
let watchId = null;
let watchState = null;
let chronoId = null;
let ticker = null;
let wakeLock = null;
const timer = new Timer();
const adjustment = drum($("adj"), ["min", "sec"], { id: "adj", onChange: showFinal });

function finalSeconds() {
  return Math.max(1, timer.elapsedSeconds() - adjustment.seconds());
}

function showFinal() {
  $("temps-final").textContent = hms(finalSeconds());
}

function render() {
  $("timer").textContent = hms(timer.elapsedSeconds());
  $("timer").classList.toggle("paused", timer.paused);
}

function startWatch(state) {
  if (!("geolocation" in navigator)) { gpsFailed = true; return; }
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchState = state;
  watchId = navigator.geolocation.watchPosition(
    (p) => {
      const first = position === null;
      gpsFailed = false;
      position = { lat: p.coords.latitude, lng: p.coords.longitude };
      if (first) evaluateNow();
    },
    () => { gpsFailed = true; evaluateNow(); },
    watchOptions(state),
  );
}

function evaluateNow() {
  if (!course || timer.startedAt !== null) return;
  if (!position && !gpsFailed && course.depart_lat != null) return; // still searching
  const result = evaluate(course, gpsFailed ? null : position);
  $("gps").innerHTML = `${icon(result.icon)} ${esc(result.message)}`;
  $("gps").dataset.state = result.state;
  $("partir").disabled = !result.canStart || !course.actif;
  if (result.state !== watchState && result.state !== STATES.BYPASS_NO_GPS && result.state !== STATES.BYPASS_NOT_CONFIGURED) {
    startWatch(result.state);
  }
}

async function keepAwake() {
  try { wakeLock = await navigator.wakeLock?.request("screen"); } catch { wakeLock = null; }
}

async function partir() {
  timer.start();
  ticker = setInterval(render, 250);
  $("partir").disabled = true;
  $("pause").disabled = false;
  $("arreter").disabled = false;
  $("gps").textContent = "C'est parti !";
  keepAwake();
  const user = currentUser();
  if (user && user.role === "sportif") {
    try { chronoId = (await api("POST", "/api/chrono/start", { produit_id: course.id })).id; }
    catch (e) { $("status").textContent = e.status ? `Chrono local (${e.message})` : "Hors ligne : le temps sera envoyé au retour du réseau."; }
  }
}

function pause() {
  timer.togglePause();
  $("pause").textContent = timer.paused ? "REPRENDRE" : "PAUSE";
  render();
}

function arreter() {
  timer.stop();
  clearInterval(ticker);
  render();
  wakeLock?.release?.();
  $("pause").disabled = true;
  $("arreter").disabled = true;
  showFinal();
  $("popup").classList.remove("hidden");
  $("valider").focus();
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

/** After validation: the shop when the athlete has no order on this course. */
async function afterValidation() {
  let hasOrder = true;
  try {
    const mine = await api("GET", "/api/commandes/mes?per_page=200");
    hasOrder = (mine.items || []).some((o) => o.parcours.id === course.id && o.statut !== "annule");
  } catch { /* offline: the dashboard will offer the order */ }
  if (!hasOrder && course.lien_boutique) location.assign(course.lien_boutique);
  else location.assign(hasOrder ? "../chrono/" : `../chrono/?commander=${course.id}`);
}

async function valider() {
  const seconds = finalSeconds();
  $("popup-msg").textContent = "";
  $("valider").disabled = true;
  if (chronoId) {
    const pending = { kind: "stop", chrono_id: chronoId, duree_secondes: seconds };
    try {
      await finishOnServer(chronoId, seconds, pending);
      await afterValidation();
      return;
    } catch (e) {
      if (e.status) { $("popup-msg").textContent = e.message; $("valider").disabled = false; return; }
      keep(pending); // offline: sent when the network is back
      showKept();
      return;
    }
  }
  // Not signed in, or the start never reached the server: the time waits on
  // the phone and becomes a manual entry once an athlete is signed in.
  keep({ kind: "manuel", produit_id: course.id, duree_secondes: seconds, date_realisation: today() });
  if (!currentUser() || !navigator.onLine) { showKept(); if (!currentUser()) location.assign("../chrono/?tentative=1"); return; }
  await flush();
  await afterValidation();
}

function showKept() {
  $("popup").classList.add("hidden");
  $("status").textContent = `Temps gardé sur le téléphone (${hms(finalSeconds())}) : il sera envoyé au retour du réseau.`;
}

async function onOnline() {
  $("net").textContent = "";
  const sent = await flush();
  if (sent) $("status").textContent = "Réseau retrouvé : votre temps a été envoyé.";
}

async function fetchCourse(slug) {
  try {
    const c = await api("GET", `/api/parcours/slug/${encodeURIComponent(slug)}`);
    localStorage.setItem(COURSE_KEY + slug, JSON.stringify(c));
    return c;
  } catch (e) {
    if (e.status) throw e;
    const kept = localStorage.getItem(COURSE_KEY + slug); // offline and no service worker yet
    if (kept) return JSON.parse(kept);
    throw e;
  }
}

async function load() {
  const slug = new URLSearchParams(location.search).get("p");
  if (!slug) { $("nom").textContent = "Parcours inconnu"; return; }
  try {
    course = await fetchCourse(slug);
  } catch (e) {
    $("nom").textContent = e.status === 404 ? "Parcours introuvable" : "Réseau indisponible";
    return;
  }
  document.title = `MyKollector — ${course.nom}`;
  $("nom").textContent = course.nom.toUpperCase();
  const bits = [];
  if (course.altitude) bits.push(`Altitude : ${course.altitude} m`);
  if (course.difficulte) bits.push(course.difficulte);
  $("infos").textContent = bits.join("  |  ");
  if (!course.actif) {
    $("desactive").textContent = course.message_desactivation || "Ce parcours est momentanément désactivé.";
    $("desactive").classList.remove("hidden");
  }
  startWatch(STATES.LOW_POWER_IDLE);
  evaluateNow();
  setInterval(evaluateNow, EVALUATE_EVERY_MS);
}

$("partir").addEventListener("click", partir);
$("pause").addEventListener("click", pause);
$("arreter").addEventListener("click", arreter);
$("valider").addEventListener("click", valider);
$("modifier").addEventListener("click", () => $("adj-min").focus());
window.addEventListener("online", onOnline);
window.addEventListener("offline", () => { $("net").textContent = "Hors ligne : le chrono continue, le temps sera envoyé plus tard."; });
if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js").catch(() => {});
load();
if (navigator.onLine) flush();
