// The pages at the site root that need no session: "mot de passe oublié",
// the reset page the reset e-mail links to (APP_URL/reset-password.html?token=),
// and the shop sign-in by link (request, then the link's landing with ?token=).
// Answers are the same whatever the address: nothing tells whether an account exists.

import { bindForm } from "./ui.js";
import { forgotPassword, resetPassword, requestSigninLink, consumeSigninLink, HOME_BY_ROLE } from "./auth.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");
const SENT = "Si cette adresse est connue, un e-mail vient de partir. Pensez à regarder dans les indésirables.";

if ($("oubli")) {
  bindForm($("oubli"), async (v) => { await forgotPassword(v.email); $("done").textContent = SENT; });
}

if ($("reset")) {
  if (!token) $("done").textContent = "Ce lien est incomplet : redemandez un e-mail depuis « Mot de passe oublié ».";
  bindForm($("reset"), async (v, form) => {
    if (v.password !== v.password2) throw new Error("Les deux mots de passe ne sont pas identiques (password2).");
    await resetPassword(token, v.password);
    form.reset();
    $("done").innerHTML = 'Mot de passe changé. <a href="chrono/">Se connecter</a>';
  });
}

if ($("lien")) {
  if (token) {
    $("done").textContent = "Connexion en cours…";
    consumeSigninLink(token)
      .then((user) => location.replace(HOME_BY_ROLE[user.role] || "chrono/"))
      .catch((e) => {
        $("done").textContent = "";
        $("lien").querySelector(".form-error").textContent =
          e.code === "route_not_found" ? "La connexion par lien n'est pas encore disponible sur ce serveur." : `${e.message} Demandez un nouveau lien ci-dessous.`;
      });
  }
  bindForm($("lien"), async (v) => { await requestSigninLink(v.email); $("done").textContent = SENT; });
}
