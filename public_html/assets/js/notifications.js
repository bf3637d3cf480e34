// The bell of every space's header (5.9): unread notifications, marked read
// one by one. The list is fetched on load and every minute — not more: each
// call is a CGI start-up on the host.

import { api, apiOptional, esc, frDate } from "./api.js";
import { dialog, showError } from "./ui.js";
import { siteRoot } from "./auth.js";

const EVERY_MS = 60000;

function list(items) {
  return items.map((n) => `<li class="item-row" data-id="${n.id}"><div><strong>${esc(n.titre)}</strong><br>
    <span>${esc(n.message)}</span><br><span class="hint">${frDate(n.created_at, true)}</span>
    ${n.lien ? ` <a href="${esc(siteRoot() + n.lien.replace(/^\//, ""))}">Ouvrir</a>` : ""}</div>
    <span class="spacer"></span><button type="button" class="ghost small" data-lu="${n.id}">Marquer comme lu</button></li>`).join("");
}

// The list (src/api/notifications) is a page of read and unread rows, the
// unread first, with `non_lues` for the badge.
function unreadOf(answer) {
  if (!answer) return null;
  return answer.items.filter((n) => !n.lu);
}

/** Wires `button` (with a `.count` child) to the notifications. */
export function mountNotifications(button) {
  let items = [];
  let unread = 0;
  let missing = false;
  const count = button.querySelector(".count");
  async function refresh() {
    try {
      const answer = await apiOptional("GET", "/api/notifications");
      missing = answer === null;
      items = unreadOf(answer) || [];
      unread = answer ? answer.non_lues : 0;
    } catch { items = []; unread = 0; }
    count.textContent = unread ? String(unread) : "";
    count.classList.toggle("hidden", !unread);
    // The name read out contains the visible count (WCAG 2.5.3).
    button.querySelector(".unread").textContent = unread ? " non lue(s)" : "";
  }
  button.addEventListener("click", async () => {
    await refresh();
    const body = missing
      ? '<p class="alert">Les notifications ne sont pas encore disponibles sur ce serveur.</p>'
      : items.length ? `<ul class="plain">${list(items)}</ul>` : "<p>Aucune notification non lue.</p>";
    dialog("Notifications", body, {
      submit: "Fermer",
      cancel: "Retour",
      onOpen: (d) => d.addEventListener("click", async (ev) => {
        const id = ev.target.dataset.lu;
        if (!id) return;
        try {
          await api("PATCH", `/api/notifications/${id}/lu`, {});
          ev.target.closest("li").remove();
          await refresh();
        } catch (e) { showError(e); }
      }),
    });
  });
  refresh();
  setInterval(refresh, EVERY_MS);
}
