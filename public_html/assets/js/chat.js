// The workshop chat popup (wireframe 11.6, spec 5.9): conversations on the
// left, messages on the right, polled every 5 s with `?since=` while the
// popup is open (no WebSocket on shared hosting; `since` is the last message
// id), attachments up to 5 MB.

import { api, apiOptional, download, esc, frDate, currentUser } from "./api.js";
import { icon, showError, toast } from "./ui.js";

const POLL_MS = 5000;
const MAX_ATTACHMENT = 5 * 1024 * 1024;

let popup = null;
let current = null;
let since = null;
let timer = null;

function items(answer) { return (answer && answer.items) || []; }

function personName(p) { return `${p.prenom || ""} ${p.nom || ""}`.trim(); }

// `piece_jointe.url` needs the session's token: fetched by `download`, not linked.
function messageHtml(m) {
  const me = currentUser();
  const mine = me && m.auteur && m.auteur.id === me.id;
  const who = mine ? "Vous" : (m.auteur && personName(m.auteur)) || "—";
  const pj = m.piece_jointe;
  const file = pj ? ` <button type="button" class="ghost small" data-pj="${esc(pj.url)}" data-nom="${esc(pj.nom)}">${icon("paperclip")} ${esc(pj.nom)}</button>` : "";
  return `<p data-message="${m.id}"><strong>${esc(who)}</strong> <span class="hint">${frDate(m.created_at, true)}</span><br>${esc(m.contenu)}${file}</p>`;
}

// `since` is the id of the last message shown (src/api/chat: ids, not dates).
// One poll at a time (the timer, a send and a click may overlap), and an
// answer for a conversation no longer open is dropped.
let inFlight = null;

function poll() {
  inFlight ??= pollOnce().finally(() => { inFlight = null; });
  return inFlight;
}

async function pollOnce() {
  const conv = current;
  if (!conv) return;
  try {
    const answer = await api("GET", `/api/chat/${conv}/messages${since ? `?since=${since}` : ""}`);
    if (conv !== current) return;
    since = answer.dernier_id || since;
    const fresh = items(answer);
    const box = popup.querySelector(".msgs");
    box.insertAdjacentHTML("beforeend", fresh.map(messageHtml).join(""));
    if (fresh.length) box.scrollTop = box.scrollHeight;
    if (answer.suite) await pollOnce();
  } catch (e) { if (e.status) showError(e); }
}

async function openConversation(id) {
  await inFlight;
  current = String(id);
  since = null;
  popup.querySelector(".msgs").innerHTML = "";
  popup.querySelectorAll(".convs button").forEach((b) => b.setAttribute("aria-current", String(b.dataset.conv === current)));
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
  list.innerHTML = convs.map((c) => `<li><button type="button" data-conv="${c.id}">${icon("user")} ${esc(c.titre || c.participants.filter((p) => p.id !== currentUser().id).map(personName).join(", ") || `Conversation ${c.id}`)}
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
    const text = form.contenu.value.trim();
    if (file) {
      const data = new FormData();
      data.append("fichier", file);
      if (text) data.append("contenu", text);
      await api("POST", `/api/chat/${current}/pieces-jointes`, data);
    } else if (text) {
      await api("POST", `/api/chat/${current}/messages`, { contenu: text });
    }
    form.reset();
    await inFlight; // a poll that left before the send would not see it
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
  popup.querySelector(".msgs").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-pj]");
    if (b) download(b.dataset.pj, b.dataset.nom).catch(showError);
  });
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
