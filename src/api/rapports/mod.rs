//! Spec §5.10 — `GET /api/rapports`, `POST /api/rapports/export` (admin+).
//!
//! Three reports over a period (`start_date`/`end_date`, YYYY-MM-DD, both
//! optional): production by month and atelier, defects by type and cause,
//! orders by course. The export is a CSV download (UTF-8 with BOM, `;`, the
//! shared `crate::http::csv`), and each run is recorded in
//! `rapports_generation` (type, author, number of rows) in the request's
//! transaction.

use crate::db::rows::{self, FromRow};
use crate::error::{Error, Result};
use crate::http::csv::csv_response;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::roles;
use mysql::prelude::Queryable;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/rapports",
        Access::Roles(roles::ADMIN_PLUS),
        list_rapports,
        "Rapports disponibles et historique des générations",
    ),
    route(
        Method::Post,
        "/api/rapports/export",
        Access::Roles(roles::ADMIN_PLUS),
        export_rapport,
        "Génère un rapport CSV (production, défauts, commandes par parcours) sur une période",
    ),
];

/// One report type: its key, French label, CSV header and query. The query
/// takes the period bounds four times: start, start, end, end.
struct Report {
    key: &'static str,
    label: &'static str,
    header: &'static [&'static str],
    sql: &'static str,
}

const REPORTS: &[Report] = &[
    Report {
        key: "production",
        label: "Production par période et par atelier",
        header: &["mois", "atelier", "commandes_gravees", "commandes_expediees"],
        sql: "SELECT DATE_FORMAT(c.date_gravure, '%Y-%m') AS mois, COALESCE(a.nom, '(sans atelier)'), \
                COUNT(*), SUM(c.statut IN ('expedie','livre')) \
              FROM commandes c LEFT JOIN ateliers a ON a.id = c.atelier_id \
              WHERE c.date_gravure IS NOT NULL \
                AND (? IS NULL OR c.date_gravure >= ?) \
                AND (? IS NULL OR c.date_gravure < DATE_ADD(?, INTERVAL 1 DAY)) \
              GROUP BY mois, a.id, a.nom ORDER BY mois, a.nom",
    },
    Report {
        key: "defauts",
        label: "Défauts par type et par cause",
        header: &["type", "cause", "gravite", "nombre"],
        sql: "SELECT t.libelle, COALESCE(k.libelle, '(non renseignée)'), d.gravite, COUNT(*) \
              FROM defauts d JOIN types_defauts t ON t.id = d.type_id \
              LEFT JOIN causes_defauts k ON k.id = d.cause_id \
              WHERE (? IS NULL OR d.created_at >= ?) \
                AND (? IS NULL OR d.created_at < DATE_ADD(?, INTERVAL 1 DAY)) \
              GROUP BY t.id, t.libelle, k.id, k.libelle, d.gravite \
              ORDER BY COUNT(*) DESC, t.libelle",
    },
    Report {
        key: "commandes_parcours",
        label: "Commandes par parcours",
        header: &["parcours", "commandes", "expediees", "en_cours", "annulees"],
        sql: "SELECT p.nom, COUNT(*), SUM(c.statut IN ('expedie','livre')), \
                SUM(c.statut IN ('attente_gravure','en_gravure','grave','attente_expedition','sav')), \
                SUM(c.statut = 'annule') \
              FROM commandes c JOIN produits p ON p.id = c.produit_id \
              WHERE (? IS NULL OR c.date_commande >= ?) \
                AND (? IS NULL OR c.date_commande < DATE_ADD(?, INTERVAL 1 DAY)) \
              GROUP BY p.id, p.nom ORDER BY COUNT(*) DESC, p.nom",
    },
];

/// One generated report, as the history lists it.
#[derive(FromRow, Serialize)]
struct Generated {
    id: u64,
    #[serde(rename = "type")]
    kind: Option<String>,
    genere_par: Option<String>,
    nb_lignes: u64,
    date: String,
}

fn list_rapports(ctx: &mut Ctx) -> Result<Response> {
    let history: Vec<Generated> = rows::all(
        ctx.conn()?,
        "SELECT g.id, g.type AS kind, u.email AS genere_par, g.nb_lignes, \
                DATE_FORMAT(g.created_at, '%Y-%m-%dT%H:%i:%s') AS date \
         FROM rapports_generation g LEFT JOIN users u ON u.id = g.genere_par \
         ORDER BY g.id DESC LIMIT 50",
        (),
    )?;
    Ok(Response::ok(&json!({
        "types": REPORTS.iter().map(|r| json!({ "type": r.key, "libelle": r.label, "colonnes": r.header })).collect::<Vec<_>>(),
        "historique": history,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportBody {
    #[serde(rename = "type")]
    kind: String,
    start_date: Option<String>,
    end_date: Option<String>,
}

fn date_param(value: Option<String>, name: &str) -> Result<Option<String>> {
    match value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        None => Ok(None),
        Some(v) if crate::time::is_calendar_date(&v) => Ok(Some(v)),
        Some(_) => Err(Error::invalid(format!(
            "{name} doit être une date au format AAAA-MM-JJ."
        ))),
    }
}

fn export_rapport(ctx: &mut Ctx) -> Result<Response> {
    let body: ExportBody = ctx.json()?;
    let report = REPORTS.iter().find(|r| r.key == body.kind).ok_or_else(|| {
        Error::invalid(format!(
            "Type de rapport inconnu : choisissez parmi {}.",
            REPORTS.iter().map(|r| r.key).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let start = date_param(body.start_date, "start_date")?;
    let end = date_param(body.end_date, "end_date")?;
    if matches!((&start, &end), (Some(s), Some(e)) if s > e) {
        return Err(Error::invalid(
            "start_date doit précéder ou égaler end_date.",
        ));
    }
    let user_id = ctx.user_id()?;
    let tx = ctx.tx()?;
    let rows: Vec<mysql::Row> = tx.exec(
        report.sql,
        (
            start.as_deref(),
            start.as_deref(),
            end.as_deref(),
            end.as_deref(),
        ),
    )?;
    let cells: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|v| crate::api::rgpd::text(v).unwrap_or_default())
                .collect()
        })
        .collect();
    tx.exec_drop(
        "INSERT INTO rapports_generation (type, format, genere_par, nb_lignes) VALUES (?, 'csv', ?, ?)",
        (report.key, user_id, cells.len()),
    )?;
    let id = tx.last_insert_id();
    ctx.audit_entity("rapport", id);
    ctx.audit_details(
        json!({ "type": report.key, "start_date": start, "end_date": end, "lignes": cells.len() }),
    );
    let name = format!(
        "rapport-{}-{}.csv",
        report.key,
        &crate::time::now_iso_utc()[..10]
    );
    Ok(csv_response(&name, report.header, &cells))
}
