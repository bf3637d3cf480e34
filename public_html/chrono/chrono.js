// Athlete dashboard (wireframe 11.1): medals to validate with the final
// engraving check (MODIFIER, VALIDER ET ENVOYER EN GRAVURE), chronos waiting
// for the athlete's validation (validate, delete), courses bought but not
// done, courses done with rank and VOIR DÉTAIL, stats, best times, and the
// order path (the shop's product page, or POST /api/commandes without a shop).
// Attempts timed on the QR page while offline or signed out are sent first.

import { api, esc } from "../assets/js/api.js";
import { icon, hydrateIcons, toast, showError, confirmDialog, dialog } from "../assets/js/ui.js";
import { flush } from "../assets/js/attempts.js";
import { athleteSpace } from "./shell.js";

const $ = (id) => document.getElementById(id);
let courses = [];

function card(title, lines, action = "") {
  return `<div class="card"><div><strong>${icon("mountain")} ${esc(title)}</strong></div>${lines.map((l) => `<div>${l}</div>`).join("")}${action}</div>`;
}

function renderValidation(items) {
  $("nb-valider").textContent = items.length;
  $("bloc-valider").classList.toggle("hidden", items.length === 0);
  $("a-valider").innerHTML = items.map((o) => `
    <div class="item-row validation" data-id="${o.commande_id}" data-chrono="${o.chrono_id}"
         data-prenom="${esc(o.gravure.prenom)}" data-nom="${esc(o.gravure.nom)}">
      <div><strong>${esc(o.parcours.code)}</strong> · ${esc(o.date)} · ${esc(o.chrono)}<br>
        <span class="muted">Commande ${esc(o.numero)} · Temps : ${esc(o.chrono)}</span><br>
        Nom gravé : <strong class="nom-grave">${esc(`${o.gravure.prenom} ${o.gravure.nom}`.toUpperCase())}</strong>
        · Date : ${esc(o.gravure.date)}</div>
      <span class="spacer"></span>
      <button type="button" class="ghost" data-modifier="${o.commande_id}">${icon("edit")} MODIFIER</button>
      <button type="button" data-valider="${o.commande_id}">VALIDER ET ENVOYER EN GRAVURE</button>
    </div>`).join("");
}

async function modify(row) {
  const v = await dialog("Modifier le nom gravé", `
    <label for="g-prenom">Prénom</label><input id="g-prenom" name="prenom" value="${esc(row.dataset.prenom)}" required maxlength="50">
    <label for="g-nom">Nom</label><input id="g-nom" name="nom" value="${esc(row.dataset.nom)}" required maxlength="50">
    <p class="hint">Le nom de votre profil reste la référence ; ce changement ne vaut que pour cette médaille.</p>`, { submit: "Appliquer" });
  if (!v) return;
  row.dataset.prenom = v.prenom;
  row.dataset.nom = v.nom;
  row.querySelector(".nom-grave").textContent = `${v.prenom} ${v.nom}`.toUpperCase();
}

async function validate(button) {
  const row = button.closest(".validation");
  button.disabled = true;
  try {
    await api("POST", `/api/commandes/${row.dataset.id}/valider-gravure`, {
      nom: row.dataset.nom,
      prenom: row.dataset.prenom,
      chrono_id: Number(row.dataset.chrono),
      confirmation: true,
    });
    $("flash").textContent = "Merci ! Votre médaille part en gravure.";
    await load();
  } catch (e) {
    button.disabled = false;
    showError(e);
  }
}

function renderPending(items) {
  $("nb-attente").textContent = items.length;
  $("bloc-attente").classList.toggle("hidden", items.length === 0);
  $("attente").innerHTML = items.map((c) => `<div class="item-row" data-chrono="${c.id}">
    <div><strong>${esc(c.parcours_nom)}</strong> · ${esc(c.date_realisation || "")} · ${esc(c.temps || "")}
    <span class="badge muted-badge">${esc(c.source)}</span></div><span class="spacer"></span>
    ${c.verification ? `<span class="badge warn">${esc(c.verification)}</span>` : `<button type="button" data-valider-chrono="${c.id}">${icon("check")} VALIDER</button>`}
    <button type="button" class="ghost" data-supprimer-chrono="${c.id}" aria-label="Supprimer le chrono ${esc(c.parcours_nom)} ${esc(c.temps || "")}">${icon("trash")}</button></div>`).join("");
}

async function validateChrono(id) {
  try {
    const c = await api("PATCH", `/api/chrono/${id}/valider`, {});
    const rank = c.classement && c.classement.rang ? ` Rang ${c.classement.rang}/${c.classement.total}.` : "";
    toast(`Chrono validé.${rank}`);
    await load();
  } catch (e) { showError(e); }
}

async function deleteChrono(id) {
  if (!(await confirmDialog("Supprimer ce chrono ? Il ne comptera pas au classement.", "Supprimer"))) return;
  try {
    await api("DELETE", `/api/chrono/${id}`);
    toast("Chrono supprimé.");
    await load();
  } catch (e) { showError(e); }
}

function renderCourses(d) {
  $("nb-non-realises").textContent = d.parcours_achetes_non_realises.length;
  $("non-realises").innerHTML = d.parcours_achetes_non_realises
    .map((b) => card(b.parcours.nom, ["<span class='muted'>Non réalisé</span>"],
      `<a class="btn small" href="saisie.html?parcours=${b.parcours.id}">Saisir temps</a>`))
    .join("") || "<p class='muted'>Aucun.</p>";
  $("realises").innerHTML = d.parcours_realises
    .map((r) => card(r.parcours.nom.toUpperCase(), [`<span class="big">${esc(r.meilleur_temps)}</span>`, r.classement ? `Rang ${esc(r.classement)}` : ""],
      `<a class="btn small" href="historique.html?parcours=${r.parcours.id}">VOIR DÉTAIL</a>`))
    .join("") || "<p class='muted'>Pas encore de col gravi.</p>";
}

function renderStats(d) {
  const s = d.stats;
  $("stats").innerHTML = [[s.exploits, "Exploits"], [s.medailles, "Médailles"], [s.sportifs_actifs, "Sportifs actifs"]]
    .map(([n, l]) => `<div class="card"><div class="big">${esc(n)}</div>${esc(l)}</div>`).join("");
  const m = d.meilleurs_temps;
  if (m) {
    $("titre-meilleurs").innerHTML = `${icon("trophy")} Meilleurs temps ${esc(m.parcours.nom.toUpperCase())}`;
    const podium = m.podium.map((p) => `${p.rang}. ${esc(p.prenom)} ${esc(p.chrono)}`);
    if (m.vous) podium.push(`<strong>${m.vous.rang}. VOUS ${esc(m.vous.chrono)}</strong>`);
    $("meilleurs").innerHTML = podium.join(" &nbsp; ");
  } else {
    $("meilleurs").textContent = "Réalisez votre premier col pour entrer au classement.";
  }
}

function renderOrderPath(orders) {
  const owned = new Set(orders.filter((o) => o.statut !== "annule").map((o) => o.parcours.id));
  $("commander").innerHTML = courses.filter((c) => !owned.has(c.id)).map((c) => card(c.nom, [c.altitude ? `${c.altitude} m` : ""],
    c.lien_boutique
      ? `<a class="btn small" href="${esc(c.lien_boutique)}" rel="noopener">Commander sur la boutique</a>`
      : `<button type="button" class="small" data-commander="${c.id}">Commander</button>`)).join("") || "<p class='muted'>Vous avez déjà commandé toutes les médailles.</p>";
}

async function order(id) {
  try {
    const c = await api("POST", "/api/commandes", { produit_id: Number(id) });
    toast(`Commande ${c.numero || ""} enregistrée.`);
    await load();
  } catch (e) { showError(e); }
}

async function load() {
  const [d, pending, orders] = await Promise.all([
    api("GET", "/api/dashboard"),
    api("GET", "/api/chrono/history?statut=attente_validation&per_page=50"),
    api("GET", "/api/commandes/mes?per_page=200"),
  ]);
  renderValidation(d.a_valider);
  renderPending(pending.items || []);
  renderCourses(d);
  renderStats(d);
  renderOrderPath(orders.items || []);
}

document.addEventListener("click", (ev) => {
  const b = ev.target.closest("button");
  if (!b) return;
  const d = b.dataset;
  if (d.valider) validate(b);
  else if (d.modifier) modify(b.closest(".validation"));
  else if (d.validerChrono) validateChrono(d.validerChrono);
  else if (d.supprimerChrono) deleteChrono(d.supprimerChrono);
  else if (d.commander) order(d.commander);
});

hydrateIcons();
athleteSpace("./", async () => {
  const sent = await flush();
  if (sent) $("flash").textContent = "Votre temps enregistré sur le parcours a été envoyé : validez-le ci-dessous.";
  const list = await api("GET", "/api/parcours?per_page=200");
  courses = Array.isArray(list) ? list : list.items || [];
  await load();
  const wanted = new URLSearchParams(location.search).get("commander");
  if (wanted) document.querySelector(`[data-commander="${CSS.escape(wanted)}"]`)?.focus();
});
