// The small set of UI helpers every page shares: icons, toasts, dialogs,
// forms with the API's errors next to their field, paginated tables with
// filters, tabs, and the message shown when a module is not installed.

import { esc, isMissingRoute } from "./api.js";

const SPRITE = new URL("../icons/icons.svg", import.meta.url).href;

/** An icon from the shipped SVG sprite (decorative: the text beside it speaks). */
export function icon(name, label = "") {
  const a11y = label ? `role="img" aria-label="${esc(label)}"` : 'aria-hidden="true"';
  return `<svg class="ic" ${a11y} focusable="false"><use href="${SPRITE}#${name}"></use></svg>`;
}

/** Replaces every `<i data-icon="name">` of the page with its SVG. */
export function hydrateIcons(root = document) {
  root.querySelectorAll("i[data-icon]").forEach((el) => { el.outerHTML = icon(el.dataset.icon, el.dataset.label || ""); });
}

function toastHost() {
  let host = document.getElementById("toasts");
  if (!host) {
    host = document.createElement("div");
    host.id = "toasts";
    host.className = "toasts";
    host.setAttribute("role", "status");
    host.setAttribute("aria-live", "polite");
    document.body.append(host);
  }
  return host;
}

/** A short message in the corner; errors stay longer. */
export function toast(message, kind = "ok") {
  const el = document.createElement("div");
  el.className = `toast ${kind}`;
  el.textContent = message;
  toastHost().append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 4000);
}

/** Shows an API error: a toast, or the page's French message for a module not installed. */
export function showError(e, where = null) {
  const message = isMissingRoute(e) ? "Ce service n'est pas encore disponible sur ce serveur." : e.message;
  if (where) { where.innerHTML = `<p class="alert">${esc(message)}</p>`; return; }
  toast(message, "error");
}

/**
 * Opens a modal dialog holding `html` (usually form fields) and resolves with
 * the form's values on submit, or null when cancelled.
 */
export function dialog(title, html, { submit = "Enregistrer", cancel = "Annuler", onOpen } = {}) {
  const d = document.createElement("dialog");
  d.className = "panel";
  d.setAttribute("aria-labelledby", "dlg-title");
  d.innerHTML = `<form method="dialog" novalidate><h2 id="dlg-title">${esc(title)}</h2>${html}
    <p class="form-error error" role="alert"></p>
    <div class="row end"><button type="button" class="ghost" value="cancel">${esc(cancel)}</button>
    <button type="submit">${esc(submit)}</button></div></form>`;
  document.body.append(d);
  const form = d.querySelector("form");
  return new Promise((resolve) => {
    let result = null;
    d.querySelector("button[value=cancel]").addEventListener("click", () => d.close());
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!form.checkValidity()) { form.reportValidity(); return; }
      result = formValues(form);
      d.close();
    });
    d.addEventListener("close", () => { d.remove(); resolve(result); });
    d.showModal();
    if (onOpen) onOpen(d);
  });
}

/** Asks for a confirmation; resolves true or false. */
export async function confirmDialog(text, submit = "Confirmer") {
  return (await dialog("Confirmation", `<p>${esc(text)}</p>`, { submit })) !== null;
}

/**
 * The form's values as an object: numbers for `type=number` (empty → null),
 * booleans for checkboxes, files kept as File, the rest trimmed strings.
 */
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "number") out[el.name] = el.value === "" ? null : Number(el.value);
    else if (el.type === "file") out[el.name] = el.files[0] || null;
    else if (el.type === "radio") { if (el.checked) out[el.name] = el.value; }
    else out[el.name] = el.value.trim();
  }
  return out;
}

/** Clears then shows an API error: next to the field the message names, else under the form. */
export function fieldErrors(form, e) {
  form.querySelectorAll(".field-error").forEach((el) => el.remove());
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  const general = form.querySelector(".form-error");
  if (general) general.textContent = "";
  if (!e) return;
  const message = isMissingRoute(e) ? "Ce service n'est pas encore disponible sur ce serveur." : e.message;
  const named = [...form.elements].find((el) => el.name && new RegExp(`\\b${el.name}\\b`).test(e.message || ""));
  if (named) {
    const p = document.createElement("span");
    p.className = "field-error error";
    p.id = `${named.id || named.name}-err`;
    p.textContent = message;
    named.setAttribute("aria-invalid", "true");
    named.setAttribute("aria-describedby", p.id);
    named.after(p);
    named.focus();
  } else if (general) general.textContent = message;
  else toast(message, "error");
}

/** Wires a form: `handler(values)` runs on submit with the button disabled; errors go to their field. */
export function bindForm(form, handler, success = "") {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    fieldErrors(form, null);
    if (!form.checkValidity()) { form.reportValidity(); return; }
    const button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    try {
      await handler(formValues(form), form);
      if (success) toast(success);
    } catch (e) {
      fieldErrors(form, e);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

/**
 * A paginated table. `load(query)` returns `{items, total, total_exact,
 * has_more, page, per_page}`
 * (or an array); `columns` are `[label, row => html]`; a `filters` form
 * reloads page 1 on change. Returns `{reload, items}`.
 */
export function dataTable(host, { columns, load, filters = null, perPage = 20, empty = "Aucun élément.", caption = "" }) {
  let page = 1;
  let items = [];
  host.innerHTML = `<div class="table-wrap" tabindex="0" role="region" aria-label="${esc(caption || "Tableau")}"><table>${caption ? `<caption class="sr-only">${esc(caption)}</caption>` : ""}
    <thead><tr>${columns.map(([label]) => `<th scope="col">${esc(label)}</th>`).join("")}</tr></thead><tbody></tbody></table></div>
    <nav class="pager row" aria-label="Pagination"><button type="button" class="ghost" data-prev>Précédent</button>
    <span class="pager-info muted"></span><button type="button" class="ghost" data-next>Suivant</button></nav>`;
  const body = host.querySelector("tbody");
  const info = host.querySelector(".pager-info");
  async function reload(to = page) {
    page = Math.max(1, to);
    const query = new URLSearchParams(filters ? Object.entries(formValues(filters)).filter(([, v]) => v !== "" && v !== null && v !== false) : []);
    query.set("page", page);
    query.set("per_page", perPage);
    let answer;
    try { answer = await load(query); } catch (e) { body.innerHTML = ""; showError(e, info); return; }
    const list = Array.isArray(answer) ? answer : answer.items || [];
    const total = Array.isArray(answer) ? list.length : answer.total ?? list.length;
    // A long list counts up to a cap: its total is then "at least".
    const exact = Array.isArray(answer) || answer.total_exact !== false;
    const more = Array.isArray(answer) ? false : answer.has_more ?? page * perPage < total;
    items = list;
    body.innerHTML = list.length
      ? list.map((row) => `<tr>${columns.map(([, cell]) => `<td>${cell(row)}</td>`).join("")}</tr>`).join("")
      : `<tr><td colspan="${columns.length}" class="muted">${esc(empty)}</td></tr>`;
    const pages = Math.max(1, Math.ceil(total / perPage));
    info.textContent = exact
      ? `Page ${page} / ${pages} · ${total} élément(s)`
      : `Page ${page} / plus de ${pages} · plus de ${total} éléments`;
    host.querySelector("[data-prev]").disabled = page <= 1;
    host.querySelector("[data-next]").disabled = !more;
  }
  host.querySelector("[data-prev]").addEventListener("click", () => reload(page - 1));
  host.querySelector("[data-next]").addEventListener("click", () => reload(page + 1));
  if (filters) {
    filters.addEventListener("change", () => reload(1));
    filters.addEventListener("submit", (ev) => { ev.preventDefault(); reload(1); });
  }
  return { reload, get items() { return items; } };
}

/**
 * Accessible tabs: buttons `[role=tab][aria-controls=panel-id]` inside
 * `nav`; `loaders[id]` runs the first time its panel is shown.
 */
export function tabs(nav, loaders = {}) {
  const buttons = [...nav.querySelectorAll("[role=tab]")];
  const loaded = new Set();
  function select(button, focus = false) {
    for (const b of buttons) {
      const on = b === button;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      document.getElementById(b.getAttribute("aria-controls")).classList.toggle("hidden", !on);
    }
    if (focus) button.focus();
    const id = button.getAttribute("aria-controls");
    history.replaceState(null, "", `#${id}`);
    if (!loaded.has(id) && loaders[id]) { loaded.add(id); Promise.resolve(loaders[id]()).catch((e) => showError(e)); }
  }
  nav.addEventListener("click", (ev) => { const b = ev.target.closest("[role=tab]"); if (b) select(b); });
  nav.addEventListener("keydown", (ev) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0 || !["ArrowRight", "ArrowLeft", "Home", "End"].includes(ev.key)) return;
    ev.preventDefault();
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1 }[ev.key];
    select(buttons[(next + buttons.length) % buttons.length], true);
  });
  const wanted = buttons.find((b) => `#${b.getAttribute("aria-controls")}` === location.hash) || buttons[0];
  select(wanted);
  return { select: (id) => select(buttons.find((b) => b.getAttribute("aria-controls") === id)) };
}

/** `<option>`s from a list. */
export function options(list, value, label, placeholder = "") {
  return (placeholder ? `<option value="">${esc(placeholder)}</option>` : "") +
    list.map((x) => `<option value="${esc(value(x))}">${esc(label(x))}</option>`).join("");
}
