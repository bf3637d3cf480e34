//! Spec §5.10 `GET /api/admin/logs` — "Journal d'audit" (admin+), and §14
//! "Logs": "Filtrer par type, utilisateur, date, niveau. Export CSV."

use super::queries::{self, LogRow};
use crate::error::{Error, Result};
use crate::http::csv::csv_response;
use crate::http::list::{like_contains, query_date, query_u64, Page, Where};
use crate::http::{Ctx, Method, Response};

/// Rows in one CSV export: a year of a busy site's writes is far more, and a
/// bigger file would not fit in the memory of a CGI process anyway; narrower
/// filters get the rest.
const CSV_MAX_ROWS: u64 = 50_000;

/// Spec 5.10 `GET /api/admin/logs`: "Journal d'audit"; §14 "Filtrer par type,
/// utilisateur, date, niveau. Export CSV." Newest first; `?format=csv`
/// downloads the same rows.
pub fn list_logs(ctx: &mut Ctx) -> Result<Response> {
    let filter = log_filter(ctx)?;
    let csv = match ctx.req.query_param("format").as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(Error::invalid(
                "Le paramètre format doit valoir json ou csv.",
            ))
        }
    };
    if csv {
        let rows = queries::export_logs(ctx.conn()?, &filter, CSV_MAX_ROWS)?;
        let name = format!(
            "journal-audit-{}.csv",
            crate::time::now_iso_utc().get(..10).unwrap_or("export")
        );
        let lines: Vec<Vec<String>> = rows.iter().map(csv_line).collect();
        return Ok(csv_response(&name, CSV_HEADER, &lines));
    }
    let page = Page::from_query(ctx.req)?;
    let conn = ctx.conn()?;
    let listed = queries::list_logs(conn, &filter, &page)?;
    Ok(Response::ok(&page.answer(&listed)))
}

/// The WHERE clause of the query string's filters (every value bound).
fn log_filter(ctx: &Ctx) -> Result<Where> {
    let mut w = Where::default();
    if let Some(kind) = ctx.req.query_param("type") {
        w.and("l.type = ?", [kind.trim().into()]);
    }
    if let Some(user_id) = query_u64(ctx.req, "user_id")? {
        w.and("l.user_id = ?", [user_id.into()]);
    }
    if let Some(level) = ctx.req.query_param("niveau") {
        let level = level.trim().to_uppercase();
        if !matches!(level.as_str(), "INFO" | "WARN" | "ERROR") {
            return Err(Error::invalid(
                "Le paramètre niveau doit valoir INFO, WARN ou ERROR.",
            ));
        }
        w.and("l.niveau = ?", [level.into()]);
    }
    if let Some(method) = ctx.req.query_param("methode") {
        let method = Method::parse(&method.trim().to_uppercase()).ok_or_else(|| {
            Error::invalid("Le paramètre methode doit être une méthode HTTP (GET, POST, PATCH…).")
        })?;
        w.and("l.methode = ?", [method.as_str().into()]);
    }
    if let Some(status) = query_u64(ctx.req, "statut_http")? {
        if !(100..=599).contains(&status) {
            return Err(Error::invalid(
                "Le paramètre statut_http doit être un code HTTP (100 à 599).",
            ));
        }
        w.and("l.statut_http = ?", [status.into()]);
    }
    let from = query_date(ctx.req, "from")?;
    let to = query_date(ctx.req, "to")?;
    if let (Some(f), Some(t)) = (&from, &to) {
        // ISO dates compare as text.
        if f > t {
            return Err(Error::invalid(
                "La date de début (from) doit précéder la date de fin (to).",
            ));
        }
    }
    if let Some(from) = from {
        w.and("l.created_at >= CAST(? AS DATE)", [from.into()]);
    }
    if let Some(to) = to {
        // Inclusive: the whole of the `to` day.
        w.and(
            "l.created_at < DATE_ADD(CAST(? AS DATE), INTERVAL 1 DAY)",
            [to.into()],
        );
    }
    if let Some(q) = ctx.req.query_param("q").filter(|q| !q.trim().is_empty()) {
        w.and("l.route LIKE ?", [like_contains(q.trim()).into()]);
    }
    Ok(w)
}

const CSV_HEADER: &[&str] = &[
    "id",
    "date",
    "niveau",
    "type",
    "user_id",
    "email",
    "role",
    "methode",
    "route",
    "statut_http",
    "entite",
    "entite_id",
    "duree_ms",
    "ip",
    "user_agent",
    "details",
];

fn csv_line(r: &LogRow) -> Vec<String> {
    fn opt<T: ToString>(v: Option<T>) -> String {
        v.map(|v| v.to_string()).unwrap_or_default()
    }
    vec![
        r.id.to_string(),
        r.created_at.clone(),
        r.niveau.clone(),
        r.kind.clone(),
        opt(r.user_id),
        opt(r.user_email.as_deref()),
        opt(r.role.as_deref()),
        opt(r.methode.as_deref()),
        opt(r.route.as_deref()),
        opt(r.statut_http),
        opt(r.entite.as_deref()),
        opt(r.entite_id),
        opt(r.duree_ms),
        opt(r.ip.as_deref()),
        opt(r.user_agent.as_deref()),
        opt(r.details.as_deref()),
    ]
}
