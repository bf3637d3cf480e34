// Live statistics (wireframe 11.5, issue 10): the KPI cards and a chart of the
// daily series drawn with uPlot (vendored under assets/vendor/uplot with its
// MIT licence), loaded only when this tab opens; reports listed below.

import { apiOptional, esc } from "../assets/js/api.js";

const $ = (id) => document.getElementById(id);
const LABELS = {
  medailles: "Médailles", validations_en_attente: "Validations en attente", en_live: "En live", taux_validation: "Taux de validation",
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

function kpis(stats) {
  const source = stats.kpis || stats;
  const cards = Object.entries(source).filter(([, v]) => typeof v === "number");
  $("kpis").innerHTML = cards.map(([k, v]) => `<div class="card"><div class="big">${esc(k.startsWith("taux") && v <= 1 ? `${Math.round(v * 100)} %` : v)}</div>${esc(LABELS[k] || k.replaceAll("_", " "))}</div>`).join("");
}

/** The first array of {date, numbers…} in the answer, as uPlot columns. */
function series(stats) {
  const rows = stats.series || stats.par_jour || stats.jours || [];
  if (!rows.length) return null;
  const keys = Object.keys(rows[0]).filter((k) => k !== "date" && typeof rows[0][k] === "number");
  const xs = rows.map((r) => Date.parse(r.date) / 1000);
  return { keys, data: [xs, ...keys.map((k) => rows.map((r) => r[k]))] };
}

const frDay = (t) => new Date(t * 1000).toLocaleDateString("fr-FR", { day: "2-digit", month: "2-digit" });

async function chart(stats) {
  const s = series(stats);
  if (!s) { $("chart").classList.add("hidden"); return; }
  const uPlot = await loadUplot();
  const colors = ["#c8a84b", "#3ecf8e", "#f0b429", "#eb5757"];
  const opts = {
    width: Math.min(720, $("chart").clientWidth || 720),
    height: 240,
    axes: [{ stroke: "#f0ead8", splits: (u) => u.data[0], values: (u, ticks) => ticks.map(frDay) }, { stroke: "#f0ead8" }],
    series: [{ label: "Jour", value: (u, v) => (v == null ? "—" : frDay(v)) }, ...s.keys.map((k, i) => ({ label: LABELS[k] || k, stroke: colors[i % colors.length], width: 2 }))],
  };
  $("chart").setAttribute("aria-label", `Évolution par jour : ${s.keys.map((k) => LABELS[k] || k).join(", ")}`);
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
  const reports = await apiOptional("GET", "/api/rapports");
  if (reports) {
    const items = Array.isArray(reports) ? reports : reports.items || [];
    $("rapports").innerHTML = `<h2>Rapports</h2><ul>${items.map((r) => `<li>${esc(r.nom || r.titre || r.id)}</li>`).join("")}</ul>`;
  }
}
