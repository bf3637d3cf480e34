// Profile (spec 2.4 profil.html): names (the engraving's source of truth),
// password, and the RGPD export and erasure (issue 10) with a confirmation.

import { api, download, saveSession, session } from "../assets/js/api.js";
import { bindForm, dialog, showError, toast } from "../assets/js/ui.js";
import { logout } from "../assets/js/auth.js";
import { athleteSpace } from "./shell.js";

const $ = (id) => document.getElementById(id);

async function fill() {
  const me = await api("GET", "/api/auth/me");
  const user = me.user || me;
  $("p-prenom").value = user.prenom || "";
  $("p-nom").value = user.nom || "";
  $("p-email").value = user.email;
}

async function saveNames(v) {
  const answer = await api("PATCH", "/api/user/profil", { prenom: v.prenom, nom: v.nom });
  const s = session();
  if (s) saveSession({ ...s, user: { ...s.user, ...(answer.user || answer) } });
}

async function exportData() {
  try {
    await download("/api/user/export", "mes-donnees-mykollector.zip");
    $("rgpd-msg").textContent = "Export téléchargé.";
  } catch (e) { showError(e); }
}

async function erase() {
  const v = await dialog("Supprimer mon compte", `
    <p>Vos chronos, votre profil et vos accès seront effacés. Les commandes déjà payées restent dans la comptabilité, sans votre nom.</p>
    <label for="confirm-text">Tapez SUPPRIMER pour confirmer</label>
    <input id="confirm-text" name="confirmation" required pattern="SUPPRIMER" autocomplete="off">`, { submit: "Supprimer définitivement" });
  if (!v) return;
  try {
    const done = await api("DELETE", "/api/user/data");
    await logout();
    toast(done.message);
    setTimeout(() => location.assign("../"), 1500);
  } catch (e) { showError(e); }
}

athleteSpace("profil.html", fill);
bindForm($("profil"), saveNames, "Profil enregistré.");
bindForm($("mdp"), async (v, form) => { await api("PATCH", "/api/user/profil", v); form.reset(); }, "Mot de passe changé.");
$("export").addEventListener("click", exportData);
$("effacer").addEventListener("click", erase);
