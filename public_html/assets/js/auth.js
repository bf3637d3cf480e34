// Sign-in, sign-out and the route guard by role (spec §2.4 auth.js), plus the
// password-reset and sign-in-link calls used by the pages at the site root.

import { api, publicApi, saveSession, session, currentUser, esc } from "./api.js";

/** Where each role works: used to send a user who opened the wrong space to theirs. */
export const HOME_BY_ROLE = {
  sportif: "chrono/",
  operateur_fab: "fab/",
  admin_fab: "admin/",
  super_admin: "admin/",
  admin_chrono: "admin-chrono/",
};

// The shop sign-in (issue 8, item 6, src/api/signin): request a link by e-mail,
// then trade the link's one-time token for the JWT pair. The e-mailed link is
// APP_URL/chrono/?connexion=<token>, handled by `guard` below.
export const SIGNIN_LINK_REQUEST = "/api/auth/lien-connexion";
export const SIGNIN_LINK_CONSUME = "/api/auth/lien-connexion/utiliser";
const LINK_PARAM = "connexion";

export async function login(email, password) {
  const s = await publicApi("POST", "/api/auth/login", { email, password });
  saveSession(s);
  return s.user;
}

export async function logout() {
  const s = session();
  if (s) { try { await api("POST", "/api/auth/logout", { refresh_token: s.refresh_token }); } catch { /* already gone */ } }
  saveSession(null);
}

export function requestSigninLink(email) {
  return publicApi("POST", SIGNIN_LINK_REQUEST, { email });
}

export async function consumeSigninLink(token) {
  const s = await publicApi("POST", SIGNIN_LINK_CONSUME, { token });
  saveSession(s);
  return s.user;
}

export function forgotPassword(email) {
  return publicApi("POST", "/api/auth/forgot-password", { email });
}

export function resetPassword(token, password) {
  return publicApi("POST", "/api/auth/reset-password", { token, password });
}

/** The site root seen from the current page (pages live one folder deep). */
export function siteRoot() {
  return new URL("../../", import.meta.url).href;
}

function loginMarkup(title, withLink) {
  return `<form id="login-form" class="login panel hidden" novalidate>
    <h1>${esc(title)}</h1>
    <label for="email">Adresse e-mail</label>
    <input id="email" name="email" type="email" autocomplete="username" required>
    <label for="password">Mot de passe</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <p class="row"><button type="submit">Se connecter</button>
      <a href="${siteRoot()}mot-de-passe-oublie.html">Mot de passe oublié ?</a></p>
    ${withLink ? `<p class="muted">Client de la boutique ? <a href="${siteRoot()}connexion.html">Recevoir un lien de connexion</a></p>` : ""}
    <p id="login-error" class="error" role="alert"></p>
  </form>`;
}

/**
 * Shows a login form until a user with one of `roles` is signed in, then the
 * `#app` element, and calls `onReady(user)`. The form is created when the page
 * does not carry its own `#login-form`.
 */
export function guard(roles, onReady, { title = "Connexion", signinLink = false } = {}) {
  if (!document.getElementById("login-form")) {
    document.getElementById("app").insertAdjacentHTML("beforebegin", loginMarkup(title, signinLink));
  }
  const form = document.getElementById("login-form");
  const app = document.getElementById("app");
  const show = (user) => {
    const ok = user && roles.includes(user.role);
    form.classList.toggle("hidden", !!ok);
    app.classList.toggle("hidden", !ok);
    document.querySelectorAll("[data-when-logged]").forEach((el) => el.classList.toggle("hidden", !ok));
    if (ok) onReady(user);
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const err = document.getElementById("login-error");
    err.textContent = "";
    if (!form.email.value || !form.password.value) { err.textContent = "Saisissez votre e-mail et votre mot de passe."; return; }
    try {
      const user = await login(form.email.value, form.password.value);
      if (!roles.includes(user.role)) {
        await logout();
        const home = HOME_BY_ROLE[user.role];
        err.innerHTML = `Ce compte n'a pas accès à cet espace.${home ? ` <a href="${siteRoot()}${home}">Aller à votre espace</a>` : ""}`;
        return;
      }
      show(user);
    } catch (e) { err.textContent = e.message; }
  });
  document.querySelectorAll("[data-logout]").forEach((b) => b.addEventListener("click", async () => { await logout(); location.reload(); }));
  const linkToken = new URLSearchParams(location.search).get(LINK_PARAM);
  if (linkToken) signInByLink(linkToken, show); else show(currentUser());
}

/**
 * The landing of the e-mailed link: the token leaves the address bar at once
 * (it must not stay in the history), then is traded for a session.
 */
async function signInByLink(token, show) {
  const url = new URL(location.href);
  url.searchParams.delete(LINK_PARAM);
  history.replaceState(null, "", url);
  const err = document.getElementById("login-error");
  try {
    show(await consumeSigninLink(token));
  } catch (e) {
    show(currentUser());
    err.innerHTML = `${esc(e.message)} <a href="${siteRoot()}connexion.html">Demander un nouveau lien</a>`;
  }
}
