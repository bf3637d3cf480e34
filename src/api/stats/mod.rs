//! Spec §5.10, wireframe §11.5 — `GET /api/admin/stats` (admin+).
//!
//! The four live KPIs of the console (medals, validations waiting, timings in
//! progress, validation rate) and the order figures: by status, by course, by
//! period, lead time from the athlete's validation to shipping, throughput
//! per atelier and defect rate. `?start_date=&end_date=` (YYYY-MM-DD) bound
//! the order figures on `date_commande`; the live KPIs are "now".
//!
//! Each figure is one aggregate over an index (statut, produit,
//! date_commande, atelier_statut): at the bench volume (50 000 orders) the
//! whole answer stays under the 50 ms p50 budget under CGI (scripts/bench.sh).

use crate::error::{Error, Result};
use crate::http::list::query_date;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde_json::{json, Value};

/// Routes of this module.
pub const ROUTES: &[Route] = &[route(
    Method::Get,
    "/api/admin/stats",
    Access::Roles(roles::ADMIN_PLUS),
    show_stats,
    "Statistiques : KPIs de la console, commandes par statut, parcours, période, délais, ateliers, défauts",
)];

/// Courses listed in `par_parcours` (the busiest first).
const TOP_COURSES: u32 = 20;

/// The `date_commande` bounds, as SQL parameters (NULL = open).
struct Period {
    start: Option<String>,
    end: Option<String>,
}

impl Period {
    fn params(&self) -> (Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
        let (s, e) = (self.start.as_deref(), self.end.as_deref());
        (s, s, e, e)
    }
}

/// `date_commande` within the period (start day included, end day included).
const IN_PERIOD: &str = "(? IS NULL OR c.date_commande >= ?) \
     AND (? IS NULL OR c.date_commande < DATE_ADD(?, INTERVAL 1 DAY))";

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
    let conn = ctx.conn()?;
    let body = json!({
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
    Ok(Response::ok(&body))
}

/// Wireframe 11.5: Médailles, Validat., En live, Taux val.
fn kpis(conn: &mut Conn) -> Result<Value> {
    let (medals,): (u64,) = conn
        .query_first("SELECT COUNT(*) FROM commandes WHERE statut IN ('expedie','livre')")?
        .unwrap_or((0,));
    let (waiting, live, valid, rejected): (u64, u64, u64, u64) = conn
        .query_first(
            "SELECT \
               COALESCE(SUM(statut = 'attente_validation'), 0), \
               COALESCE(SUM(statut = 'en_cours' AND date_debut >= NOW() - INTERVAL 1 DAY), 0), \
               COALESCE(SUM(statut = 'valide'), 0), \
               COALESCE(SUM(statut = 'annule'), 0) \
             FROM chronos",
        )?
        .unwrap_or((0, 0, 0, 0));
    Ok(json!({
        "medailles": medals,
        "validations_en_attente": waiting,
        "chronos_en_cours": live,
        "taux_validation": percent(valid, valid + rejected),
    }))
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

fn by_status(conn: &mut Conn, period: &Period) -> Result<Value> {
    let rows: Vec<(String, u64)> = conn.exec(
        format!("SELECT c.statut, COUNT(*) FROM commandes c WHERE {IN_PERIOD} GROUP BY c.statut"),
        period.params(),
    )?;
    let total: u64 = rows.iter().map(|(_, n)| n).sum();
    let map: serde_json::Map<String, Value> =
        rows.into_iter().map(|(s, n)| (s, json!(n))).collect();
    Ok(json!({ "total": total, "statuts": map }))
}

fn by_course(conn: &mut Conn, period: &Period) -> Result<Value> {
    let rows: Vec<(u64, String, u64)> = conn.exec(
        format!(
            "SELECT p.id, p.nom, t.n FROM \
               (SELECT c.produit_id, COUNT(*) AS n FROM commandes c WHERE {IN_PERIOD} \
                GROUP BY c.produit_id ORDER BY n DESC LIMIT {TOP_COURSES}) t \
             JOIN produits p ON p.id = t.produit_id ORDER BY t.n DESC, p.id"
        ),
        period.params(),
    )?;
    Ok(rows
        .into_iter()
        .map(|(id, nom, n)| json!({ "produit_id": id, "nom": nom, "commandes": n }))
        .collect())
}

fn by_month(conn: &mut Conn, period: &Period) -> Result<Value> {
    let rows: Vec<(String, u64)> = conn.exec(
        format!(
            "SELECT DATE_FORMAT(c.date_commande, '%Y-%m') AS mois, COUNT(*) FROM commandes c \
             WHERE {IN_PERIOD} AND c.date_commande IS NOT NULL GROUP BY mois ORDER BY mois"
        ),
        period.params(),
    )?;
    Ok(rows
        .into_iter()
        .map(|(m, n)| json!({ "mois": m, "commandes": n }))
        .collect())
}

/// Hours from the athlete's validation to shipping, over shipped orders.
fn lead_time(conn: &mut Conn, period: &Period) -> Result<Value> {
    let row: Option<(u64, Option<f64>, Option<i64>, Option<i64>)> = conn.exec_first(
        format!(
            "SELECT COUNT(*), \
               AVG(TIMESTAMPDIFF(MINUTE, c.date_validation_sportif, c.date_expedition)) / 60, \
               MIN(TIMESTAMPDIFF(HOUR, c.date_validation_sportif, c.date_expedition)), \
               MAX(TIMESTAMPDIFF(HOUR, c.date_validation_sportif, c.date_expedition)) \
             FROM commandes c WHERE {IN_PERIOD} \
               AND c.date_expedition IS NOT NULL AND c.date_validation_sportif IS NOT NULL"
        ),
        period.params(),
    )?;
    let (n, avg, min, max) = row.unwrap_or((0, None, None, None));
    Ok(json!({
        "commandes": n,
        "moyenne_heures": avg.map(|h| (h * 10.0).round() / 10.0),
        "min_heures": min,
        "max_heures": max,
    }))
}

/// Per atelier: orders shipped (or delivered) and orders still in work.
fn by_atelier(conn: &mut Conn, period: &Period) -> Result<Value> {
    let rows: Vec<(u64, String, u64, u64, u64)> = conn.exec(
        format!(
            "SELECT a.id, a.nom, COALESCE(t.total, 0), COALESCE(t.expediees, 0), \
               COALESCE(t.en_cours, 0) FROM ateliers a LEFT JOIN \
               (SELECT c.atelier_id, COUNT(*) AS total, \
                  SUM(c.statut IN ('expedie','livre')) AS expediees, \
                  SUM(c.statut IN ('attente_gravure','en_gravure','grave','attente_expedition')) AS en_cours \
                FROM commandes c WHERE {IN_PERIOD} AND c.atelier_id IS NOT NULL \
                GROUP BY c.atelier_id) t ON t.atelier_id = a.id \
             ORDER BY a.nom"
        ),
        period.params(),
    )?;
    Ok(rows
        .into_iter()
        .map(|(id, nom, total, shipped, in_work)| {
            json!({ "atelier_id": id, "nom": nom, "commandes": total,
                    "expediees": shipped, "en_cours": in_work })
        })
        .collect())
}

/// Defects reported in the period over the orders engraved in it.
fn defect_rate(conn: &mut Conn, period: &Period) -> Result<Value> {
    let (s, e) = (period.start.as_deref(), period.end.as_deref());
    let (defects,): (u64,) = conn
        .exec_first(
            "SELECT COUNT(*) FROM defauts d WHERE (? IS NULL OR d.created_at >= ?) \
             AND (? IS NULL OR d.created_at < DATE_ADD(?, INTERVAL 1 DAY))",
            (s, s, e, e),
        )?
        .unwrap_or((0,));
    let (engraved,): (u64,) = conn
        .exec_first(
            "SELECT COUNT(*) FROM commandes c WHERE c.date_gravure IS NOT NULL \
             AND (? IS NULL OR c.date_gravure >= ?) \
             AND (? IS NULL OR c.date_gravure < DATE_ADD(?, INTERVAL 1 DAY))",
            (s, s, e, e),
        )?
        .unwrap_or((0,));
    Ok(json!({
        "defauts": defects,
        "commandes_gravees": engraved,
        "taux_pourcent": percent(defects, engraved),
    }))
}
