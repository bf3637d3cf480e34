// QR page wiring (spec §6.3, wireframe 11.2): course from ?p=<slug>, GPS engine
// every 3 s, PARTIR / PAUSE / ARRÊTER, the adjustment popup, screen kept awake
// while timing, and attempts kept on the phone when the network is gone.

import { api, currentUser, hms } from "../assets/js/api.js";
import { evaluate, watchOptions, STATES } from "./gps-engine.js";

const $ = (id) => document.getElementById(id);
const PENDING_KEY = "mk.tentatives";
const EVALUATE_EVERY_MS = 3000;

let course = null;
let position = null;
let gpsFailed = false;
let watchId = null;
let watchState = null;
let chronoId = null;
let startedAt = null;
let pausedMs = 0;
let pauseStart = null;
let ticker = null;
let wakeLock = null;

function elapsedSeconds() {
  if (!startedAt) return 0;
  const now = pauseStart ?? performance.now();
  return (now - startedAt - pausedMs) / 1000;
}

function render() {
  $("timer").textContent = hms(elapsedSeconds());
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
  if (!course || startedAt) return;
  const result = evaluate(course, gpsFailed ? null : position);
  if (!position && !gpsFailed && course.depart_lat != null) return; // still searching
  $("gps").textContent = result.message;
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
  startedAt = performance.now();
  pausedMs = 0;
  pauseStart = null;
  ticker = setInterval(render, 250);
  $("partir").disabled = true;
  $("pause").disabled = false;
  $("arreter").disabled = false;
  $("gps").textContent = "⏱️ C'est parti !";
  keepAwake();
  const user = currentUser();
  if (user && user.role === "sportif") {
    try { chronoId = (await api("POST", "/api/chrono/start", { produit_id: course.id })).id; }
    catch (e) { $("status").textContent = `Chrono local (${e.message})`; }
  }
}

function pause() {
  if (pauseStart === null) { pauseStart = performance.now(); $("pause").textContent = "REPRENDRE"; }
  else { pausedMs += performance.now() - pauseStart; pauseStart = null; $("pause").textContent = "PAUSE"; }
}

function arreter() {
  if (pauseStart === null) pauseStart = performance.now();
  clearInterval(ticker);
  render();
  wakeLock?.release?.();
  $("temps-final").textContent = hms(elapsedSeconds());
  $("popup").classList.remove("hidden");
}

function adjustment() {
  const min = Math.max(0, Math.min(59, parseInt($("adj-min").value, 10) || 0));
  const sec = Math.max(0, Math.min(59, parseInt($("adj-sec").value, 10) || 0));
  return -(min * 60 + sec);
}

function keepForLater(seconds) {
  const pending = JSON.parse(localStorage.getItem(PENDING_KEY) || "[]");
  pending.push({ produit_id: course.id, duree_secondes: Math.round(seconds), date_realisation: new Date().toISOString().slice(0, 10) });
  localStorage.setItem(PENDING_KEY, JSON.stringify(pending));
}

async function valider() {
  const seconds = Math.max(1, elapsedSeconds() + adjustment());
  $("popup-msg").textContent = "";
  if (chronoId) {
    try {
      await api("POST", "/api/chrono/stop", { chrono_id: chronoId, ajustement_sec: Math.round(adjustment()) });
      await api("PATCH", `/api/chrono/${chronoId}/valider`, {});
      location.href = "../chrono/";
      return;
    } catch (e) {
      if (e.status) { $("popup-msg").textContent = e.message; return; }
    }
  }
  // Not logged in, or no network: the attempt waits on the phone and is sent
  // as a manual entry from the athlete's dashboard.
  keepForLater(seconds);
  location.href = "../chrono/?tentative=1";
}

async function load() {
  const slug = new URLSearchParams(location.search).get("p");
  if (!slug) { $("nom").textContent = "Parcours inconnu"; return; }
  try {
    course = await api("GET", `/api/parcours/slug/${encodeURIComponent(slug)}`);
  } catch (e) {
    $("nom").textContent = e.status === 404 ? "Parcours introuvable" : "Réseau indisponible";
    return;
  }
  document.title = `MyKollector — ${course.nom}`;
  $("nom").textContent = `🏔️ ${course.nom.toUpperCase()}`;
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
load();
