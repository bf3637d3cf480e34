// The workshop chat popup (wireframe 11.6, spec 5.9): conversations on the
// left, messages on the right, polled every 5 s with `?since=` while the
// popup is open (no WebSocket on shared hosting), attachments up to 5 MB.

import { api, apiOptional, esc, frDate, currentUser } from "./api.js";
import { icon, showError, toast } from "./ui.js";

const POLL_MS = 5000;
const MAX_ATTACHMENT = 5 * 1024 * 1024;

let popup = null;
let current = null;
let since = null;
let timer = null;

function items(answer) { return Array.isArray(answer) ? answer : (answer && (answer.items || answer.messages)) || []; }

function messageHtml(m) {
  const mine = currentUser() && m.user_id === currentUser().id;
  const who = mine ? "Vous" : m.auteur || m.user_nom || m.email || "—";
  const file = m.piece_jointe_url || m.piece_jointe ? ` <a href="${esc(m.piece_jointe_url || m.piece_jointe)}">${icon("paperclip")} pièce jointe</a>` : "";
  return `<p><strong>${esc(who)}</strong> <span class="hint">${frDate(m.created_at, true)}</span><br>${esc(m.contenu || m.message || "")}${file}</p>`;
}

async function poll() {
  if (!current) return;
  const q = since ? `?since=${encodeURIComponent(since)}` : "";
  try {
    const fresh = items(await api("GET", `/api/chat/${current}/messages${q}`));
    if (!fresh.length) return;
    const box = popup.querySelector(".msgs");
    box.insertAdjacentHTML("beforeend", fresh.map(messageHtml).join(""));
    box.scrollTop = box.scrollHeight;
    since = fresh[fresh.length - 1].created_at || since;
  } catch (e) { if (e.status) showError(e); }
}

async function openConversation(id) {
  current = id;
  since = null;
  popup.querySelector(".msgs").innerHTML = "";
  popup.querySelectorAll(".convs button").forEach((b) => b.setAttribute("aria-current", String(b.dataset.conv === String(id))));
  await poll();
}

async function loadConversations() {
  const answer = await apiOptional("GET", "/api/chat/conversations");
  const list = popup.querySelector(".convs");
  if (answer === null) {
    popup.querySelector(".msgs").innerHTML = '<p class="alert">Le chat n\'est pas encore disponible sur ce serveur.</p>';
    return false;
  }
  const convs = items(answer);
  list.innerHTML = convs.map((c) => `<li><button type="button" data-conv="${c.id}">${icon("user")} ${esc(c.titre || c.nom || `Conversation ${c.id}`)}
    ${c.non_lus ? `<span class="count">${c.non_lus}</span>` : ""}</button></li>`).join("") || '<li class="muted">Aucune conversation.</li>';
  if (convs.length) await openConversation(convs[0].id);
  return true;
}

async function send(ev) {
  ev.preventDefault();
  const form = ev.target;
  if (!current) return;
  const file = form.fichier.files[0];
  if (file && file.size > MAX_ATTACHMENT) { toast("La pièce jointe dépasse 5 Mo.", "error"); return; }
  try {
    if (form.contenu.value.trim()) await api("POST", `/api/chat/${current}/messages`, { contenu: form.contenu.value.trim() });
    if (file) {
      const data = new FormData();
      data.append("fichier", file);
      await api("POST", `/api/chat/${current}/pieces-jointes`, data);
    }
    form.reset();
    await poll();
  } catch (e) { showError(e); }
}

function build() {
  popup = document.createElement("section");
  popup.className = "chat panel hidden";
  popup.setAttribute("aria-label", "Chat");
  popup.innerHTML = `<header><h2>${icon("chat")} Chat</h2><button type="button" class="ghost small" data-close aria-label="Fermer le chat">${icon("x")}</button></header>
    <div class="chat-body"><ul class="convs" aria-label="Conversations"></ul>
    <div class="pane"><div class="msgs" aria-live="polite"></div>
    <form><label class="sr-only" for="chat-text">Message</label><input id="chat-text" name="contenu" type="text" autocomplete="off">
    <label class="icon-btn">${icon("paperclip")}<span class="sr-only">Joindre un fichier</span><input class="sr-only" type="file" name="fichier"></label>
    <button type="submit">Envoyer</button></form></div></div>`;
  document.body.append(popup);
  popup.querySelector("[data-close]").addEventListener("click", close);
  popup.querySelector(".convs").addEventListener("click", (ev) => { const b = ev.target.closest("[data-conv]"); if (b) openConversation(b.dataset.conv); });
  popup.querySelector("form").addEventListener("submit", send);
}

function close() {
  popup.classList.add("hidden");
  clearInterval(timer);
  timer = null;
}

/** Wires the header's chat button to the popup. */
export function mountChat(button) {
  button.addEventListener("click", async () => {
    if (!popup) build();
    if (!popup.classList.contains("hidden")) { close(); return; }
    popup.classList.remove("hidden");
    if (await loadConversations()) timer = setInterval(poll, POLL_MS);
  });
}
