//! Spec §5.10, wireframe §11.5 — `GET /api/admin/stats` (admin+).
//!
//! The four live KPIs of the console (medals, validations waiting, timings in
//! progress, validation rate) and the order figures: by status, by course, by
//! period, lead time from the athlete's validation to shipping, throughput
//! per atelier and defect rate. `?start_date=&end_date=` (YYYY-MM-DD) bound
//! the order figures on `date_commande`; the live KPIs are "now".
//!
//! Each figure is one aggregate, index-only where the period is open. At the
//! bench volume (50 000 orders, 100 000 chronos) computing them all costs
//! hundreds of milliseconds on a loaded host, so the answer is kept one
//! minute per period in a file ([`CACHE_SECS`]): the console's repeated
//! loads then cost one file read (p50 in scripts/bench.sh).

use crate::api::admin_limit;
use crate::db::rows::{self, FromRow};
use crate::error::{Error, Result};
use crate::http::list::query_date;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde_json::{json, Value};
use std::path::Path;

/// Routes of this module.
pub const ROUTES: &[Route] = &[admin_limit(route(
    Method::Get,
    "/api/admin/stats",
    Access::Roles(roles::ADMIN_PLUS),
    show_stats,
    "Statistiques : KPIs de la console, commandes par statut, parcours, période, délais, ateliers, défauts",
))];

/// How long an answer is reused (the console's "live" figures are at most
/// this old).
const CACHE_SECS: u64 = 60;
/// Courses listed in `par_parcours` (the busiest first).
const TOP_COURSES: u32 = 20;

/// The `date_commande` bounds, as SQL parameters (NULL = open).
struct Period {
    start: Option<String>,
    end: Option<String>,
}

impl Period {
    /// The SQL condition on `column` and its parameters. Only the bounds
    /// given are written: an open period leaves `TRUE`, so the counts by
    /// status, course or atelier stay index-only scans.
    fn condition(&self, column: &str) -> (String, Vec<String>) {
        let mut sql = vec!["TRUE".to_string()];
        let mut params = Vec::new();
        if let Some(s) = &self.start {
            sql.push(format!("{column} >= ?"));
            params.push(s.clone());
        }
        if let Some(e) = &self.end {
            sql.push(format!("{column} < DATE_ADD(?, INTERVAL 1 DAY)"));
            params.push(e.clone());
        }
        (sql.join(" AND "), params)
    }

    /// The condition on the order date.
    fn orders(&self) -> (String, Vec<String>) {
        self.condition("c.date_commande")
    }

    /// File name of the cached answer for this period.
    fn cache_name(&self) -> String {
        format!(
            "stats-{}-{}.json",
            self.start.as_deref().unwrap_or("debut"),
            self.end.as_deref().unwrap_or("fin")
        )
    }
}

fn show_stats(ctx: &mut Ctx) -> Result<Response> {
    let period = Period {
        start: query_date(ctx.req, "start_date")?,
        end: query_date(ctx.req, "end_date")?,
    };
    if let (Some(s), Some(e)) = (&period.start, &period.end) {
        if s > e {
            return Err(Error::invalid(
                "start_date doit précéder ou égaler end_date.",
            ));
        }
    }
    let cache = ctx
        .config
        .storage_path
        .join("cache")
        .join(period.cache_name());
    if let Some(body) = cached(&cache) {
        return Ok(Response::ok(&body));
    }
    let conn = ctx.conn()?;
    let body = json!({
        "genere_le": crate::time::now_iso_utc(),
        "cache_secondes": CACHE_SECS,
        "periode": { "start_date": period.start, "end_date": period.end },
        "kpis": kpis(conn)?,
        "commandes": {
            "par_statut": by_status(conn, &period)?,
            "par_parcours": by_course(conn, &period)?,
            "par_periode": by_month(conn, &period)?,
        },
        "delai_validation_expedition": lead_time(conn, &period)?,
        "ateliers": by_atelier(conn, &period)?,
        "defauts": defect_rate(conn, &period)?,
    });
    store(&cache, &body);
    Ok(Response::ok(&body))
}

/// The answer of the last minute for this period, if any. Under CGI no
/// process outlives its request, so the cache is a file (`STORAGE_PATH/cache`):
/// a console refreshing every few seconds costs the aggregates once a minute.
fn cached(path: &Path) -> Option<Value> {
    let age = std::fs::metadata(path)
        .ok()?
        .modified()
        .ok()?
        .elapsed()
        .ok()?;
    if age.as_secs() >= CACHE_SECS {
        return None;
    }
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Writes the answer for the next minute (write + rename: readers never see
/// half a file). A failure only costs the next request a recomputation.
fn store(path: &Path, body: &Value) {
    let Some(dir) = path.parent() else { return };
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, body.to_string()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Wireframe 11.5: Médailles, Validat., En live, Taux val.
fn kpis(conn: &mut Conn) -> Result<Value> {
    let (medals,): (u64,) = conn
        .query_first("SELECT COUNT(*) FROM commandes WHERE statut IN ('expedie','livre')")?
        .unwrap_or((0,));
    // Counted on idx_chronos_statut_created alone (no row reads); only the
    // running chronos, few, are read for their start time.
    let by_status: Vec<(String, u64)> =
        conn.query("SELECT statut, COUNT(*) FROM chronos GROUP BY statut")?;
    let count = |s: &str| {
        by_status
            .iter()
            .find(|(k, _)| k == s)
            .map_or(0, |(_, n)| *n)
    };
    let (waiting, valid, rejected) = (
        count("attente_validation"),
        count("valide"),
        count("annule"),
    );
    let (live,): (u64,) = conn
        .query_first(
            "SELECT COUNT(*) FROM chronos WHERE statut = 'en_cours' \
             AND date_debut >= NOW() - INTERVAL 1 DAY",
        )?
        .unwrap_or((0,));
    Ok(json!({
        "medailles": medals,
        "validations_en_attente": waiting,
        "chronos_en_cours": live,
        "taux_validation": percent(valid, valid + rejected),
    }))
}

#[expect(
    clippy::cast_precision_loss,
    reason = "row counts stay far below 2^52, where f64 is exact"
)]
fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

fn by_status(conn: &mut Conn, period: &Period) -> Result<Value> {
    let (clause, params) = period.orders();
    let rows: Vec<(String, u64)> = conn.exec(
        format!("SELECT c.statut, COUNT(*) FROM commandes c WHERE {clause} GROUP BY c.statut"),
        params,
    )?;
    let total: u64 = rows.iter().map(|(_, n)| n).sum();
    let map: serde_json::Map<String, Value> =
        rows.into_iter().map(|(s, n)| (s, json!(n))).collect();
    Ok(json!({ "total": total, "statuts": map }))
}

fn by_course(conn: &mut Conn, period: &Period) -> Result<Value> {
    let (clause, params) = period.orders();
    let rows: Vec<(u64, String, u64)> = conn.exec(
        format!(
            "SELECT p.id, p.nom, t.n FROM \
               (SELECT c.produit_id, COUNT(*) AS n FROM commandes c WHERE {clause} \
                GROUP BY c.produit_id ORDER BY n DESC LIMIT {TOP_COURSES}) t \
             JOIN produits p ON p.id = t.produit_id ORDER BY t.n DESC, p.id"
        ),
        params,
    )?;
    Ok(rows
        .into_iter()
        .map(|(id, nom, n)| json!({ "produit_id": id, "nom": nom, "commandes": n }))
        .collect())
}

/// Grouped on `EXTRACT(YEAR_MONTH ...)`, an integer: half the cost of
/// grouping on a formatted string over the whole table.
fn by_month(conn: &mut Conn, period: &Period) -> Result<Value> {
    let (clause, params) = period.orders();
    let rows: Vec<(u32, u64)> = conn.exec(
        format!(
            "SELECT EXTRACT(YEAR_MONTH FROM c.date_commande) AS mois, COUNT(*) FROM commandes c \
             WHERE {clause} AND c.date_commande IS NOT NULL GROUP BY mois ORDER BY mois"
        ),
        params,
    )?;
    Ok(rows
        .into_iter()
        .map(|(m, n)| json!({ "mois": format!("{:04}-{:02}", m / 100, m % 100), "commandes": n }))
        .collect())
}

/// Hours from the athlete's validation to shipping, over shipped orders.
#[derive(Default, FromRow)]
struct LeadTime {
    commandes: u64,
    moyenne_heures: Option<f64>,
    min_heures: Option<i64>,
    max_heures: Option<i64>,
}

fn lead_time(conn: &mut Conn, period: &Period) -> Result<Value> {
    let (clause, params) = period.orders();
    let t: LeadTime = rows::first(
        conn,
        format!(
            "SELECT COUNT(*) AS commandes, \
               AVG(TIMESTAMPDIFF(MINUTE, c.date_validation_sportif, c.date_expedition)) / 60 \
                 AS moyenne_heures, \
               MIN(TIMESTAMPDIFF(HOUR, c.date_validation_sportif, c.date_expedition)) AS min_heures, \
               MAX(TIMESTAMPDIFF(HOUR, c.date_validation_sportif, c.date_expedition)) AS max_heures \
             FROM commandes c WHERE {clause} \
               AND c.date_expedition IS NOT NULL AND c.date_validation_sportif IS NOT NULL"
        ),
        params,
    )?
    .unwrap_or_default();
    Ok(json!({
        "commandes": t.commandes,
        "moyenne_heures": t.moyenne_heures.map(|h| (h * 10.0).round() / 10.0),
        "min_heures": t.min_heures,
        "max_heures": t.max_heures,
    }))
}

/// Order statuses counted as shipped, and as still in the workshop.
const SHIPPED: [&str; 2] = ["expedie", "livre"];
const IN_WORK: [&str; 4] = [
    "attente_gravure",
    "en_gravure",
    "grave",
    "attente_expedition",
];

/// Per atelier: orders shipped (or delivered) and orders still in work.
/// Counted per (atelier, status) in the order of `idx_commandes_atelier_statut_date`
/// (no temporary table), then summed here.
fn by_atelier(conn: &mut Conn, period: &Period) -> Result<Value> {
    let (clause, params) = period.orders();
    let counts: Vec<(u64, String, u64)> = conn.exec(
        format!(
            "SELECT c.atelier_id, c.statut, COUNT(*) FROM commandes c \
             WHERE {clause} AND c.atelier_id IS NOT NULL GROUP BY c.atelier_id, c.statut"
        ),
        params,
    )?;
    let ateliers: Vec<(u64, String)> = conn.query("SELECT id, nom FROM ateliers ORDER BY nom")?;
    Ok(ateliers
        .into_iter()
        .map(|(id, nom)| {
            let of = |statuses: &[&str]| -> u64 {
                counts
                    .iter()
                    .filter(|(a, s, _)| {
                        *a == id && (statuses.is_empty() || statuses.contains(&s.as_str()))
                    })
                    .map(|(_, _, n)| n)
                    .sum()
            };
            json!({ "atelier_id": id, "nom": nom, "commandes": of(&[]),
                    "expediees": of(&SHIPPED), "en_cours": of(&IN_WORK) })
        })
        .collect())
}

/// Defects reported in the period over the orders engraved in it.
fn defect_rate(conn: &mut Conn, period: &Period) -> Result<Value> {
    let (clause, params) = period.condition("d.created_at");
    let (defects,): (u64,) = conn
        .exec_first(
            format!("SELECT COUNT(*) FROM defauts d WHERE {clause}"),
            params,
        )?
        .unwrap_or((0,));
    let (clause, params) = period.condition("c.date_gravure");
    let (engraved,): (u64,) = conn
        .exec_first(
            format!(
                "SELECT COUNT(*) FROM commandes c WHERE c.date_gravure IS NOT NULL AND {clause}"
            ),
            params,
        )?
        .unwrap_or((0,));
    Ok(json!({
        "defauts": defects,
        "commandes_gravees": engraved,
        "taux_pourcent": percent(defects, engraved),
    }))
}
