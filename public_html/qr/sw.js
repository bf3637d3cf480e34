// The QR page's service worker: keeps the page, its assets and each course's
// config (tracking_config included) so a phone with no signal at the start
// line can still open the page and time the climb. Pages and assets: cache
// first, refreshed in the background; the course config: network first,
// cached copy when offline. Nothing else (no other API call) is cached.

const CACHE = "mk-qr-v1";
const SHELL = [
  "./", "./index.html", "./qr.js", "./gps-engine.js", "./timer.js",
  "../assets/css/mk.css", "../assets/css/qr.css",
  "../assets/js/api.js", "../assets/js/ui.js", "../assets/icons/icons.svg", "../assets/js/drum.js", "../assets/js/attempts.js",
  "../assets/icons/favicon.svg",
  "../assets/font/montserrat/montserrat-latin-400-normal.woff2",
  "../assets/font/montserrat/montserrat-latin-700-normal.woff2",
  "../assets/font/montserrat/montserrat-latin-900-normal.woff2",
];

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("mk-qr-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request);
    if (res.ok) cache.put(request, res.clone());
    return res;
  } catch (e) {
    const hit = await cache.match(request);
    if (hit) return hit;
    throw e;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
  const refresh = fetch(request).then((res) => { if (res.ok) cache.put(request, res.clone()); return res; });
  if (hit) { refresh.catch(() => {}); return hit; }
  return refresh;
}

self.addEventListener("fetch", (ev) => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.includes("/api/parcours/slug/")) { ev.respondWith(networkFirst(ev.request)); return; }
  if (url.pathname.includes("/api/")) return;
  ev.respondWith(cacheFirst(ev.request));
});
