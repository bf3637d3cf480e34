// MyKollector front-ends: the API client shared by every page (spec §2.4 api.js).
// Tokens live in localStorage; an expired access token is renewed once with the
// refresh token (rotation) and the call retried once; when that fails the
// session is dropped and the page's guard shows its login form again.

const BASE = window.MK_API_BASE || "";
const KEY = "mk.session";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || (status ? `Erreur ${status}` : "Réseau indisponible : réessayez dans un instant."));
    this.status = status;
    this.code = body && body.code;
  }
}

export function session() {
  try { return JSON.parse(localStorage.getItem(KEY)) || null; } catch { return null; }
}

export function saveSession(s) {
  if (s) localStorage.setItem(KEY, JSON.stringify(s)); else localStorage.removeItem(KEY);
}

export function currentUser() {
  const s = session();
  return s ? s.user : null;
}

async function raw(method, path, body, token) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body: payload });
  } catch {
    throw new ApiError(0, null); // offline: status 0 tells callers to keep the work for later
  }
  const type = res.headers.get("Content-Type") || "";
  let data = null;
  if (res.status !== 204) data = type.includes("application/json") ? await res.json() : await res.blob();
  if (!res.ok) throw new ApiError(res.status, data instanceof Blob ? null : data);
  return data;
}

let refreshing = null;

async function refresh() {
  const s = session();
  if (!s || !s.refresh_token) return false;
  // Two calls failing together share one refresh: the token rotates once.
  refreshing ??= raw("POST", "/api/auth/refresh", { refresh_token: s.refresh_token })
    .then((fresh) => { saveSession({ ...s, ...fresh }); return true; })
    .catch((e) => { if (e.status) saveSession(null); return false; })
    .finally(() => { refreshing = null; });
  return refreshing;
}

/** Calls the API with the current session; renews the token once on 401, then retries once. */
export async function api(method, path, body) {
  const s = session();
  try {
    return await raw(method, path, body, s && s.token);
  } catch (e) {
    if (e.status === 401 && s && (await refresh())) return raw(method, path, body, session().token);
    throw e;
  }
}

/** Calls without any token (public routes: login, reset, sign-in link). */
export function publicApi(method, path, body) {
  return raw(method, path, body, null);
}

/** True when the server has no such route yet (a module not installed). */
export function isMissingRoute(e) {
  return e && (e.code === "route_not_found" || e.status === 405 || (e.status === 404 && !e.code));
}

/** Like `api`, but a route this server does not have yet answers null. */
export async function apiOptional(method, path, body) {
  try {
    return await api(method, path, body);
  } catch (e) {
    if (isMissingRoute(e)) return null;
    throw e;
  }
}

/** Downloads an authenticated file (CSV, DXF, export) under `filename` (POST with `body` for a generated report). */
export async function download(path, filename, body) {
  const data = await api(body === undefined ? "GET" : "POST", path, body);
  const blob = data instanceof Blob ? data : new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  return blob;
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

/** "2026-07-14T10:32:15" → "14/07/2026 10:32". */
export function frDate(iso, withTime = false) {
  if (!iso) return "—";
  const [d, t = ""] = String(iso).replace(" ", "T").split("T");
  const [y, m, day] = d.split("-");
  return `${day}/${m}/${y}${withTime && t ? ` ${t.slice(0, 5)}` : ""}`;
}
