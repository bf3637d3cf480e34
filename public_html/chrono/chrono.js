// Athlete dashboard (wireframe 11.1): medals to validate with the final
// engraving check, courses bought but not done, courses done with rank, stats,
// best times, manual time entry — and attempts timed on the QR page while
// logged out, sent once the athlete logs in.

import { api, guard, esc, loginWithLink, requestLink } from "../assets/js/api.js";

const $ = (id) => document.getElementById(id);
const PENDING_KEY = "mk.tentatives";

function card(title, lines, action = "") {
  return `<div class="card"><div><strong>🏔️ ${esc(title)}</strong></div>${lines.map((l) => `<div>${l}</div>`).join("")}${action}</div>`;
}

function renderValidation(items) {
  $("nb-valider").textContent = items.length;
  $("bloc-valider").classList.toggle("hidden", items.length === 0);
  $("a-valider").innerHTML = items.map((o) => `
    <div class="row validation" data-id="${o.commande_id}">
      <div><strong>${esc(o.parcours.code)}</strong> · ${esc(o.date)} · ${esc(o.chrono)}<br>
        <span class="muted">Commande ${esc(o.numero)} — gravure :</span>
        <input name="prenom" value="${esc(o.gravure.prenom)}" aria-label="Prénom" size="12">
        <input name="nom" value="${esc(o.gravure.nom)}" aria-label="Nom" size="14">
        <span class="muted">· ${esc(o.gravure.date)}</span>
      </div>
      <span class="spacer"></span>
      <button data-valider="${o.commande_id}" data-chrono="${o.chrono_id}">VALIDER ET ENVOYER EN GRAVURE</button>
    </div>`).join("");
}

async function validate(button) {
  const row = button.closest(".validation");
  button.disabled = true;
  try {
    await api("POST", `/api/commandes/${button.dataset.valider}/valider-gravure`, {
      nom: row.querySelector("[name=nom]").value,
      prenom: row.querySelector("[name=prenom]").value,
      chrono_id: Number(button.dataset.chrono),
      confirmation: true,
    });
    $("flash").textContent = "Merci ! Votre médaille part en gravure.";
    await load();
  } catch (e) {
    $("flash").textContent = "";
    button.disabled = false;
    alert(e.message);
  }
}

function render(d) {
  renderValidation(d.a_valider);
  $("nb-non-realises").textContent = d.parcours_achetes_non_realises.length;
  $("non-realises").innerHTML = d.parcours_achetes_non_realises
    .map((b) => card(b.parcours.nom, ["<span class='muted'>Non réalisé</span>"], `<a class="btn" href="../qr/?p=${encodeURIComponent(b.parcours.slug)}">Saisir temps</a>`))
    .join("") || "<p class='muted'>Aucun.</p>";
  $("realises").innerHTML = d.parcours_realises
    .map((r) => card(r.parcours.nom, [`<span class="big">${esc(r.meilleur_temps)}</span>`, r.classement ? `Rang ${esc(r.classement)}` : ""]))
    .join("") || "<p class='muted'>Pas encore de col gravi.</p>";
  const s = d.stats;
  $("stats").innerHTML = [
    [s.exploits, "Exploits"], [s.medailles, "Médailles"], [s.sportifs_actifs, "Sportifs actifs"],
  ].map(([n, l]) => `<div class="card"><div class="big">${esc(n)}</div>${esc(l)}</div>`).join("");
  const m = d.meilleurs_temps;
  if (m) {
    $("titre-meilleurs").textContent = `🏆 Meilleurs temps ${m.parcours.nom.toUpperCase()}`;
    const podium = m.podium.map((p) => `${p.rang}. ${esc(p.prenom)} ${esc(p.chrono)}`);
    if (m.vous) podium.push(`<strong>${m.vous.rang}. VOUS ${esc(m.vous.chrono)}</strong>`);
    $("meilleurs").innerHTML = podium.join(" &nbsp; ");
  } else {
    $("meilleurs").textContent = "Réalisez votre premier col pour entrer au classement.";
  }
}

async function sendPendingAttempts() {
  const pending = JSON.parse(localStorage.getItem(PENDING_KEY) || "[]");
  const left = [];
  for (const t of pending) {
    try { await api("POST", "/api/chrono/manuel", t); } catch (e) { if (!e.status) left.push(t); }
  }
  localStorage.setItem(PENDING_KEY, JSON.stringify(left));
  if (pending.length > left.length) $("flash").textContent = "Votre temps enregistré sur le parcours a été envoyé : validez-le ci-dessous.";
}

async function fillCourses() {
  const courses = await api("GET", "/api/parcours");
  const list = Array.isArray(courses) ? courses : courses.items || [];
  $("saisie-parcours").innerHTML = list.map((c) => `<option value="${c.id}">${esc(c.nom)}</option>`).join("");
  $("saisie-date").max = new Date().toISOString().slice(0, 10);
}

async function manualEntry(ev) {
  ev.preventDefault();
  try {
    await api("POST", "/api/chrono/manuel", {
      produit_id: Number($("saisie-parcours").value),
      duree: $("saisie-duree").value,
      date_realisation: $("saisie-date").value,
    });
    $("saisie-msg").textContent = "Temps enregistré : en attente de vérification.";
    $("saisie-msg").className = "notice";
  } catch (e) {
    $("saisie-msg").textContent = e.message;
    $("saisie-msg").className = "error";
  }
}

async function load() {
  render(await api("GET", "/api/dashboard"));
}

// Sign-in by link (shop customers): the e-mailed link opens this page with
// ?connexion=<token>, exchanged once for a session; the token leaves the URL.
async function signInFromLink() {
  const token = new URLSearchParams(location.search).get("connexion");
  if (!token) return "";
  history.replaceState(null, "", location.pathname);
  try {
    await loginWithLink(token);
    return "";
  } catch (e) {
    return e.message;
  }
}

$("lien-btn").addEventListener("click", async () => {
  const email = $("email").value.trim();
  if (!email) { $("login-error").textContent = "Indiquez votre adresse email."; return; }
  try {
    $("lien-msg").textContent = (await requestLink(email)).message;
    $("login-error").textContent = "";
  } catch (e) {
    $("login-error").textContent = e.message;
  }
});
$("a-valider").addEventListener("click", (ev) => { if (ev.target.dataset.valider) validate(ev.target); });
$("saisie").addEventListener("submit", manualEntry);
signInFromLink().then((linkError) => {
  guard(["sportif"], async (user) => {
    $("who").textContent = `${user.prenom || ""} ${user.nom || ""}`.trim() || user.email;
    await sendPendingAttempts();
    await Promise.all([load(), fillCourses()]);
  });
  if (linkError) $("login-error").textContent = linkError;
});
