//! Spec §5.7, §7 (as amended by DECISIONS.md "Where the spec meets
//! reality"), issue 8 — `/api/prestashop/*`, `/api/parcours/{id}/sync-prestashop`.
//!
//! - [`client`]: the Webservice (orders, customers, histories, carriers) and
//!   Admin API (products) client, with a timeout on every call and the
//!   MySQL-backed circuit breaker of [`breaker`];
//! - [`import`]: paid orders in (B2C and B2B), idempotent through a unique
//!   key, with a per-order report;
//! - [`push`]: statuses and tracking numbers out, through an outbox;
//! - [`diagnosis`]: the checks of `test-connexion`;
//! - [`products`]: the course's shop product.
//!
//! The shop's URL and secrets come from `.env` (`PRESTASHOP_URL`,
//! `PRESTASHOP_WEBSERVICE_KEY`, `PRESTASHOP_CLIENT_ID/SECRET`, optional
//! `PRESTASHOP_TOKEN_URL`, `PRESTASHOP_SCOPES`, `PRESTASHOP_TIMEOUT_SECS`), else
//! from the encrypted columns of `prestashop_config`; the state and group ids
//! from `prestashop_config` (or `.env`).

pub mod breaker;
pub mod client;
mod diagnosis;
pub mod import;
mod products;
pub mod push;
pub mod settings;

use crate::config::Config;
use crate::db::rows::{self, FromRow};
use crate::error::{catalog, Result};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::roles;
use import::Kind;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Serialize;
use serde_json::json;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Post,
        "/api/prestashop/sync-commandes",
        Access::Roles(roles::ADMIN_PLUS),
        create_sync_b2c,
        "Import des commandes B2C payées de la boutique (rapport par commande)",
    ),
    route(
        Method::Post,
        "/api/prestashop/sync-commandes-b2b",
        Access::Roles(roles::ADMIN_PLUS),
        create_sync_b2b,
        "Import des commandes B2B payées (groupe Professionnels)",
    ),
    route(
        Method::Post,
        "/api/prestashop/test-connexion",
        Access::Roles(roles::ADMIN_PLUS),
        create_test_connexion,
        "Diagnostic de la connexion : clé, permissions, jeton OAuth2, statuts, groupe",
    ),
    route(
        Method::Get,
        "/api/prestashop/etat",
        Access::Roles(roles::ADMIN_PLUS),
        show_etat,
        "État de l'intégration : disjoncteur, envois en attente, dernières synchronisations",
    ),
    route(
        Method::Get,
        "/api/prestashop/envois",
        Access::Roles(roles::ADMIN_PLUS),
        list_envois,
        "Envois de statut vers la boutique en attente ou en échec",
    ),
    route(
        Method::Post,
        "/api/parcours/{id}/sync-prestashop",
        Access::Roles(roles::ADMIN_PLUS),
        products::create_product_sync,
        "Créer ou mettre à jour la fiche produit du parcours dans la boutique",
    ),
];

/// Runs an import for a route: the report, or the error when the shop could
/// not be read at all. The import manages one transaction per shop order, on
/// the connection outside the request's transaction: the circuit breaker's
/// count of failures must outlive the failed request.
fn sync(ctx: &mut Ctx, kind: Kind) -> Result<Response> {
    let config = ctx.config;
    let report = import::run(config, ctx.autocommit()?, kind)?;
    ctx.audit_details(json!({
        "type": kind, "importees": report.importees, "ignorees": report.ignorees,
        "echecs": report.echecs, "commandes_creees": report.commandes_creees,
    }));
    Ok(Response::ok(&report))
}

/// Spec 5.7 `POST /api/prestashop/sync-commandes`: "Import commandes B2C
/// (statut PS 2)".
fn create_sync_b2c(ctx: &mut Ctx) -> Result<Response> {
    sync(ctx, Kind::B2c)
}

/// Spec 5.7 `POST /api/prestashop/sync-commandes-b2b`: "Import commandes B2B
/// (groupe 4)".
fn create_sync_b2b(ctx: &mut Ctx) -> Result<Response> {
    sync(ctx, Kind::B2b)
}

/// Spec 5.7 `POST /api/prestashop/test-connexion`: one French diagnosis per
/// check; 200 even when checks fail (the diagnosis is the answer).
fn create_test_connexion(ctx: &mut Ctx) -> Result<Response> {
    let config = ctx.config;
    // Outside the transaction: the breaker records what the checks met.
    let body = diagnosis::run(config, ctx.autocommit()?)?;
    Ok(Response::ok(&body))
}

/// `GET /api/prestashop/etat` (admin+).
fn show_etat(ctx: &mut Ctx) -> Result<Response> {
    let config = ctx.config;
    let conn = ctx.conn()?;
    let configured = client::Shop::load(config, conn)?.is_some();
    let counts: Option<(u64, u64)> = conn.query_first(
        "SELECT COUNT(*), COALESCE(SUM(tentatives > 0), 0) FROM prestashop_push WHERE envoye_at IS NULL",
    )?;
    let syncs: Option<(Option<String>, Option<String>)> = conn.query_first(
        r"SELECT DATE_FORMAT(derniere_sync_at, '%Y-%m-%dT%H:%i:%s'), DATE_FORMAT(derniere_sync_b2b_at, '%Y-%m-%dT%H:%i:%s')
          FROM prestashop_config WHERE id = 1",
    )?;
    let (en_attente, en_echec) = counts.unwrap_or((0, 0));
    let (b2c, b2b) = syncs.unwrap_or((None, None));
    Ok(Response::ok(&json!({
        "configuree": configured,
        "disjoncteur": breaker::state(conn)?,
        "envois": { "en_attente": en_attente, "en_echec": en_echec },
        "derniere_sync_at": b2c,
        "derniere_sync_b2b_at": b2b,
    })))
}

/// A push waiting to be sent, as `GET /api/prestashop/envois` lists it.
#[derive(Debug, FromRow, Serialize)]
struct Envoi {
    id: u64,
    commande_id: Option<u64>,
    numero: Option<String>,
    presta_order_id: u64,
    #[serde(rename = "type")]
    #[mysql(rename = "type")]
    kind: String,
    id_order_state: Option<u64>,
    tracking: Option<String>,
    tentatives: u32,
    derniere_erreur: Option<String>,
    prochain_essai_at: String,
}

/// `GET /api/prestashop/envois` (admin+): pushes not sent yet, the failing
/// ones first, with their last error.
fn list_envois(ctx: &mut Ctx) -> Result<Response> {
    let page = crate::http::list::Page::from_query(ctx.req)?;
    let conn = ctx.conn()?;
    let total: Option<u64> =
        conn.query_first("SELECT COUNT(*) FROM prestashop_push WHERE envoye_at IS NULL")?;
    let items: Vec<Envoi> = rows::all(
        conn,
        r"SELECT p.id, p.commande_id, c.numero, p.presta_order_id, p.type, p.id_order_state,
                 p.tracking, p.tentatives, p.derniere_erreur,
                 DATE_FORMAT(p.prochain_essai_at, '%Y-%m-%dT%H:%i:%s') AS prochain_essai_at
          FROM prestashop_push p LEFT JOIN commandes c ON c.id = p.commande_id
          WHERE p.envoye_at IS NULL
          ORDER BY p.tentatives > 0 DESC, p.id LIMIT ? OFFSET ?",
        (page.per_page, page.offset()),
    )?;
    Ok(Response::ok(&page.wrap(items, total.unwrap_or(0))))
}

/// A cron task's outcome for an import: "not configured" is not a failure
/// (a workshop that sells elsewhere), a shop that cannot be read is.
fn cron_import(config: &Config, conn: &mut Conn, kind: Kind) -> Result<String> {
    if client::Shop::load(config, conn)?.is_none() {
        return Ok("boutique non configurée, rien à importer".into());
    }
    import::run(config, conn, kind).map(|r| r.summary())
}

/// Hourly: import the paid B2C orders.
pub fn cron_import_b2c(config: &Config, conn: &mut Conn) -> Result<String> {
    cron_import(config, conn, Kind::B2c)
}

/// Hourly: import the paid B2B orders.
pub fn cron_import_b2b(config: &Config, conn: &mut Conn) -> Result<String> {
    cron_import(config, conn, Kind::B2b)
}

/// Hourly: send the status pushes that are due. Fails (so the cron mail
/// says it) when pushes are failing and the shop is still unreachable.
pub fn cron_push(config: &Config, conn: &mut Conn) -> Result<String> {
    let sent = push::send_due(config, conn)?;
    if sent.echecs > 0 && sent.envoyes == 0 {
        return Err(catalog::PRESTASHOP_PUSH_FAILED.msg(sent.summary()));
    }
    Ok(sent.summary())
}

/// After-commit job of a status change: sends the pushes of `ids` now.
pub fn push_after_commit(ids: Vec<u64>) -> impl FnOnce(&Config, &mut Conn) -> Result<()> {
    move |config, conn| push::send_for_orders(config, conn, &ids)
}
