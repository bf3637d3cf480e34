// Live statistics (wireframe 11.5, issue 10): the KPI cards and a chart of the
// daily series drawn with uPlot (vendored under assets/vendor/uplot with its
// MIT licence), loaded only when this tab opens; reports listed below.

import { apiOptional, download, esc } from "../assets/js/api.js";
import { icon, showError } from "../assets/js/ui.js";

const $ = (id) => document.getElementById(id);
const LABELS = {
  medailles: "Médailles", validations_en_attente: "Validations en attente", chronos_en_cours: "En live", taux_validation: "Taux de validation",
  commandes: "Commandes", chronos: "Chronos", sportifs: "Sportifs", sav_ouverts: "SAV ouverts", lots: "Lots",
};
const VENDOR = new URL("../assets/vendor/uplot/", import.meta.url).href;

function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = `${VENDOR}uPlot.min.css`;
  document.head.append(css);
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = `${VENDOR}uPlot.iife.min.js`;
    s.onload = () => resolve(window.uPlot);
    s.onerror = reject;
    document.head.append(s);
  });
}

// `taux_validation` is already a percentage (null without any decision yet).
function kpis(stats) {
  const cards = Object.entries(stats.kpis);
  $("kpis").innerHTML = cards.map(([k, v]) => `<div class="card"><div class="big">${esc(v == null ? "—" : k.startsWith("taux") ? `${v} %` : v)}</div>${esc(LABELS[k] || k.replaceAll("_", " "))}</div>`).join("");
}

/** Orders per month (`commandes.par_periode`, "YYYY-MM") as uPlot columns. */
function series(stats) {
  const rows = stats.commandes.par_periode;
  if (!rows.length) return null;
  const xs = rows.map((r) => Date.parse(`${r.mois}-01`) / 1000);
  return { keys: ["commandes"], data: [xs, rows.map((r) => r.commandes)] };
}

const frDay = (t) => new Date(t * 1000).toLocaleDateString("fr-FR", { month: "2-digit", year: "numeric" });

async function chart(stats) {
  const s = series(stats);
  if (!s) { $("chart").classList.add("hidden"); return; }
  const uPlot = await loadUplot();
  const colors = ["#c8a84b", "#3ecf8e", "#f0b429", "#eb5757"];
  const opts = {
    width: Math.min(720, $("chart").clientWidth || 720),
    height: 240,
    axes: [{ stroke: "#f0ead8", splits: (u) => u.data[0], values: (u, ticks) => ticks.map(frDay) }, { stroke: "#f0ead8" }],
    series: [{ label: "Mois", value: (u, v) => (v == null ? "—" : frDay(v)) }, ...s.keys.map((k, i) => ({ label: LABELS[k] || k, stroke: colors[i % colors.length], width: 2 }))],
  };
  $("chart").setAttribute("aria-label", `Évolution par mois : ${s.keys.map((k) => LABELS[k] || k).join(", ")}`);
  new uPlot(opts, s.data, $("chart"));
}

export async function mount() {
  const stats = await apiOptional("GET", "/api/admin/stats");
  if (stats === null) {
    $("kpis").innerHTML = '<p class="alert">Les statistiques ne sont pas encore disponibles sur ce serveur.</p>';
    $("chart").classList.add("hidden");
    return;
  }
  kpis(stats);
  await chart(stats);
  reports(await apiOptional("GET", "/api/rapports"));
}

// Each report type is a CSV generated on demand (POST /api/rapports/export).
function reports(answer) {
  if (!answer) return;
  $("rapports").innerHTML = `<h2>Rapports</h2><ul class="plain">${answer.types.map((r) => `<li><button type="button" class="ghost small" data-rapport="${esc(r.type)}">${icon("download")} ${esc(r.libelle)}</button></li>`).join("")}</ul>`;
  $("rapports").onclick = (ev) => {
    const kind = ev.target.closest("[data-rapport]")?.dataset.rapport;
    if (kind) download("/api/rapports/export", `rapport-${kind}.csv`, { type: kind }).catch(showError);
  };
}
