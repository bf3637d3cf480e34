// Admin console (wireframe 11.5): audit log with filters and CSV export,
// users, and — for the super admin — maintenance mode.

import { api, guard, esc } from "../assets/js/api.js";

const $ = (id) => document.getElementById(id);

function logQuery() {
  const p = new URLSearchParams();
  for (const [key, id] of [["niveau", "f-niveau"], ["type", "f-type"], ["from", "f-from"], ["to", "f-to"]]) {
    if ($(id).value) p.set(key, $(id).value);
  }
  return p;
}

async function loadLogs() {
  const page = await api("GET", `/api/admin/logs?${logQuery()}&per_page=50`);
  $("logs").innerHTML = page.items.map((l) => `<tr>
    <td>${esc(l.created_at.replace("T", " ").slice(0, 19))}</td><td>${esc(l.user_email || "—")}</td>
    <td>${esc(l.methode)} ${esc(l.route)}</td><td>${esc(l.statut_http)}</td>
    <td><span class="badge ${l.niveau === "INFO" ? "ok" : l.niveau === "WARN" ? "warn" : "live"}">${esc(l.niveau)}</span></td></tr>`).join("");
  $("logs-total").textContent = `${page.total} événement(s)`;
}

async function exportCsv() {
  const p = logQuery();
  p.set("format", "csv");
  const blob = await api("GET", `/api/admin/logs?${p}`);
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "journal-audit.csv";
  a.click();
  URL.revokeObjectURL(a.href);
}

async function loadUsers() {
  const page = await api("GET", "/api/admin/users?per_page=100");
  $("users").innerHTML = page.items.map((u) => `<tr><td>${esc(u.email)}</td>
    <td>${esc(`${u.prenom || ""} ${u.nom || ""}`)}</td><td>${esc(u.role)}</td>
    <td>${esc(u.atelier_nom || u.atelier_id || "—")}</td><td>${u.actif ? "✅" : "❌"}</td></tr>`).join("");
}

async function loadMaintenance() {
  const m = await api("GET", "/api/admin/maintenance");
  $("m-toggle").textContent = m.actif ? "Désactiver la maintenance" : "Activer la maintenance";
  $("m-toggle").dataset.actif = m.actif ? "1" : "";
  $("m-state").textContent = m.actif ? `Active depuis ${m.depuis}` : "Service ouvert";
  $("maintenance-banner").textContent = m.actif ? `🔧 Maintenance active : ${m.message || ""}` : "";
  $("maintenance-banner").classList.toggle("hidden", !m.actif);
}

$("filtres").addEventListener("submit", (ev) => { ev.preventDefault(); loadLogs(); });
$("export-csv").addEventListener("click", exportCsv);
$("m-toggle").addEventListener("click", async () => {
  await api("POST", "/api/admin/maintenance", { actif: !$("m-toggle").dataset.actif, message: $("m-message").value || null });
  await loadMaintenance();
});

guard(["admin_fab", "super_admin"], async (user) => {
  $("who").textContent = user.email;
  const jobs = [loadLogs(), loadUsers()];
  if (user.role === "super_admin") {
    $("bloc-maintenance").classList.remove("hidden");
    jobs.push(loadMaintenance());
  }
  await Promise.all(jobs);
});
