// Manual entry (spec 2.4 saisie.html, 5.3): the time on a drum roller, the
// date, an optional proof (multipart), and the GPX upload whose time the
// server computes. Both wait for validation (admin_chrono for a manual time).

import { api, esc, hms } from "../assets/js/api.js";
import { bindForm, toast } from "../assets/js/ui.js";
import { drum } from "../assets/js/drum.js";
import { athleteSpace } from "./shell.js";

const $ = (id) => document.getElementById(id);
const time = drum($("saisie-drum"), ["h", "min", "sec"], { id: "saisie", onChange: (s) => { $("saisie-apercu").textContent = hms(s); } });

async function fillCourses() {
  const list = await api("GET", "/api/parcours?per_page=200");
  const items = Array.isArray(list) ? list : list.items || [];
  const opts = items.map((c) => `<option value="${c.id}">${esc(c.nom)}</option>`).join("");
  $("saisie-parcours").innerHTML = opts;
  $("gpx-parcours").innerHTML = opts;
  const wanted = new URLSearchParams(location.search).get("parcours");
  if (wanted) { $("saisie-parcours").value = wanted; $("gpx-parcours").value = wanted; }
}

async function sendManual(v, form) {
  const seconds = time.seconds();
  if (seconds < 1) throw new Error("Indiquez votre temps avec les rouleaux (au moins une seconde).");
  let body = { produit_id: Number(v.produit_id), duree_secondes: seconds, date_realisation: v.date_realisation };
  if (v.preuve) {
    body = new FormData();
    body.append("produit_id", v.produit_id);
    body.append("duree_secondes", String(seconds));
    body.append("date_realisation", v.date_realisation);
    body.append("preuve", v.preuve);
  }
  await api("POST", "/api/chrono/manuel", body);
  form.reset();
  time.set(0);
  $("saisie-apercu").textContent = "00:00:00";
  toast("Temps enregistré : il attend sa validation (tableau de bord).");
}

async function sendGpx(v, form) {
  const body = new FormData();
  body.append("produit_id", v.produit_id);
  body.append("fichier", v.fichier);
  const c = await api("POST", "/api/chrono/gpx", body);
  $("gpx-resultat").textContent = `Temps calculé sur la trace : ${c.temps || hms(c.duree_secondes)}. Validez-le depuis votre tableau de bord.`;
  form.reset();
}

athleteSpace("saisie.html", async () => {
  $("saisie-date").max = new Date().toISOString().slice(0, 10);
  await fillCourses();
});
bindForm($("saisie"), sendManual);
bindForm($("gpx"), sendGpx);
