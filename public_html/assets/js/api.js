// MyKollector front-ends: the API client shared by every page (spec §2.4 api.js + auth.js).
// Tokens live in localStorage; an expired access token is renewed once with the
// refresh token (rotation), and the page falls back to its login form when that fails.

const BASE = window.MK_API_BASE || "";
const KEY = "mk.session";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `Erreur ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

export function session() {
  try { return JSON.parse(localStorage.getItem(KEY)) || null; } catch { return null; }
}

function saveSession(s) {
  if (s) localStorage.setItem(KEY, JSON.stringify(s)); else localStorage.removeItem(KEY);
}

async function raw(method, path, body, token) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  const res = await fetch(BASE + path, { method, headers, body: payload });
  const type = res.headers.get("Content-Type") || "";
  const data = type.includes("application/json") ? await res.json() : await res.blob();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

async function refresh() {
  const s = session();
  if (!s || !s.refresh_token) return false;
  try {
    const fresh = await raw("POST", "/api/auth/refresh", { refresh_token: s.refresh_token });
    saveSession(fresh);
    return true;
  } catch {
    saveSession(null);
    return false;
  }
}

/** Calls the API with the current session; renews the token once on 401. */
export async function api(method, path, body) {
  const s = session();
  try {
    return await raw(method, path, body, s && s.token);
  } catch (e) {
    if (e.status === 401 && s && (await refresh())) return raw(method, path, body, session().token);
    throw e;
  }
}

export async function login(email, password) {
  const s = await raw("POST", "/api/auth/login", { email, password });
  saveSession(s);
  return s.user;
}

/** Exchanges a one-time sign-in link's token for a session (issue 8). */
export async function loginWithLink(token) {
  const s = await raw("POST", "/api/auth/lien-connexion/utiliser", { token });
  saveSession(s);
  return s.user;
}

/** Asks for a sign-in link; the answer is the same whoever asks. */
export async function requestLink(email) {
  return raw("POST", "/api/auth/lien-connexion", { email });
}

export async function logout() {
  const s = session();
  if (s) { try { await api("POST", "/api/auth/logout", { refresh_token: s.refresh_token }); } catch { /* already gone */ } }
  saveSession(null);
}

export function currentUser() {
  const s = session();
  return s ? s.user : null;
}

/** Escapes text for safe insertion into HTML built from API data. */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

/** Seconds → HH:MM:SS. */
export function hms(total) {
  const s = Math.max(0, Math.round(total));
  const p = (n) => String(n).padStart(2, "0");
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

/**
 * Wires a login form (#login-form with #email, #password, #login-error) shown
 * until a user with one of `roles` is logged in; calls `onReady(user)` then.
 */
export function guard(roles, onReady) {
  const form = document.getElementById("login-form");
  const app = document.getElementById("app");
  const show = (user) => {
    const ok = user && roles.includes(user.role);
    form.classList.toggle("hidden", !!ok);
    app.classList.toggle("hidden", !ok);
    if (ok) onReady(user);
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const err = document.getElementById("login-error");
    err.textContent = "";
    try {
      const user = await login(form.email.value, form.password.value);
      if (!roles.includes(user.role)) { err.textContent = "Ce compte n'a pas accès à cet espace."; await logout(); return; }
      show(user);
    } catch (e) { err.textContent = e.message; }
  });
  document.querySelectorAll("[data-logout]").forEach((b) => b.addEventListener("click", async () => { await logout(); location.reload(); }));
  show(currentUser());
}
