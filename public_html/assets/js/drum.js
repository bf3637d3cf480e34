// The drum-roller time picker (wireframes 11.1 manual entry and 11.2 popup):
// one wheel per unit, each a labelled <select> (so keyboards and screen
// readers use it as any list) with ▲/▼ buttons and the mouse wheel for thumbs.

import { esc } from "./api.js";

const UNITS = {
  h: { label: "heures", max: 99, suffix: "h" },
  min: { label: "minutes", max: 59, suffix: "min" },
  sec: { label: "secondes", max: 59, suffix: "sec" },
};

/**
 * Builds the drum inside `host` with the given units ("h", "min", "sec");
 * returns `{seconds(), set(seconds)}`; `onChange(seconds)` follows every turn.
 */
export function drum(host, units, { id = "drum", onChange = () => {} } = {}) {
  host.classList.add("drum");
  host.innerHTML = units.map((u) => {
    const { label, max, suffix } = UNITS[u];
    const opts = Array.from({ length: max + 1 }, (_, i) => `<option value="${i}">${String(i).padStart(2, "0")}</option>`).join("");
    return `<div class="drum-col">
      <button type="button" class="small" data-step="-1" data-unit="${u}" aria-label="${esc(label)} : moins un">▲</button>
      <select id="${id}-${u}" data-unit="${u}" aria-label="${esc(label)}">${opts}</select>
      <button type="button" class="small" data-step="1" data-unit="${u}" aria-label="${esc(label)} : plus un">▼</button>
      <span class="hint">${esc(suffix)}</span></div>`;
  }).join("");
  const select = (u) => host.querySelector(`select[data-unit="${u}"]`);
  const seconds = () => units.reduce((s, u) => s + Number(select(u).value) * { h: 3600, min: 60, sec: 1 }[u], 0);
  const turn = (u, step) => {
    const s = select(u);
    const max = UNITS[u].max + 1;
    s.value = String((Number(s.value) + step + max) % max);
    onChange(seconds());
  };
  host.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-step]");
    if (b) turn(b.dataset.unit, Number(b.dataset.step));
  });
  host.addEventListener("change", () => onChange(seconds()));
  host.addEventListener("wheel", (ev) => {
    const s = ev.target.closest("select[data-unit]");
    if (!s) return;
    ev.preventDefault();
    turn(s.dataset.unit, ev.deltaY > 0 ? 1 : -1);
  }, { passive: false });
  function set(total) {
    let rest = Math.max(0, Math.round(total));
    for (const u of units) {
      const unit = { h: 3600, min: 60, sec: 1 }[u];
      const v = Math.min(UNITS[u].max, Math.floor(rest / unit));
      select(u).value = String(v);
      rest -= v * unit;
    }
  }
  return { seconds, set };
}
