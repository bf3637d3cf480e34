// The header every space shares (wireframes 11.1, 11.3, 11.5): brand, the
// space's links, the bell, the chat for the workshop, the profile and sign-out;
// then the role guard, which shows the login form until the right user is in.

import { esc } from "./api.js";
import { guard } from "./auth.js";
import { icon } from "./ui.js";
import { mountNotifications } from "./notifications.js";

/**
 * `links`: [href, label, iconName]; `options.chat` adds the chat button;
 * `onReady(user)` runs once signed in.
 */
export function space({ title, roles, links = [], active = "", chat = false, signinLink = false, profile = "" }, onReady) {
  const header = document.getElementById("top");
  header.innerHTML = `<a class="skip" href="#app">Aller au contenu</a>
    <div class="brand">MyKollector<span>®</span> <span class="brand-title">${esc(title)}</span></div>
    <nav aria-label="Navigation principale" data-when-logged class="hidden">
      ${links.map(([href, label, ic]) => `<a class="icon-btn" href="${href}"${href === active ? ' aria-current="page"' : ""}>${icon(ic)} ${esc(label)}</a>`).join("")}
      <button type="button" class="icon-btn" id="btn-notifs">${icon("bell")}<span class="sr-only">Notifications</span> <span class="count hidden"></span><span class="sr-only unread"></span></button>
      ${chat ? `<button type="button" class="icon-btn" id="btn-chat">${icon("chat")} <span>Chat</span></button>` : ""}
      ${profile ? `<a class="icon-btn" href="${profile}"${profile === active ? ' aria-current="page"' : ""}>${icon("user")} <span id="who">Profil</span></a>` : '<span id="who" class="muted"></span>'}
      <button type="button" class="icon-btn" data-logout>${icon("logout")} Déconnexion</button>
    </nav>`;
  guard(roles, async (user) => {
    document.getElementById("who").textContent = `${user.prenom || ""} ${user.nom || ""}`.trim() || user.email;
    mountNotifications(document.getElementById("btn-notifs"));
    if (chat) (await import("./chat.js")).mountChat(document.getElementById("btn-chat"));
    await onReady(user);
  }, { title, signinLink });
}
