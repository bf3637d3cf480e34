//! Spec §10.4 — `GET /api/health`: status, database, free disk, age of the
//! last backup and which optional modules are configured. Also serves the
//! OpenAPI document of the route table.

use crate::error::Result;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/health",
        Access::Public,
        show_health,
        "État du service : base de données, disque, dernière sauvegarde, modules",
    )
    .open_in_maintenance(),
    route(
        Method::Get,
        "/api/openapi.json",
        Access::Public,
        show_openapi,
        "Document OpenAPI 3 de toutes les routes",
    )
    .open_in_maintenance(),
];

/// Spec §10.4: "Health check : GET /api/health → DB, disque, backup, modules".
/// 503 when the database does not answer, so monitoring can alert on status.
#[expect(
    clippy::unnecessary_wraps,
    reason = "a route handler: the route table takes `fn(&mut Ctx) -> Result<Response>`"
)]
fn show_health(ctx: &mut Ctx) -> Result<Response> {
    // One round trip proves the database answers and reads the shop's
    // circuit breaker (issue 8), a primary-key read.
    let started = Instant::now();
    let breaker = ctx.conn().and_then(crate::api::prestashop::breaker::state);
    let db_ms = started.elapsed().as_secs_f64() * 1000.0;
    let config = ctx.config;
    let maintenance = config.maintenance_flag().exists();
    let db_ok = breaker.is_ok();
    let prestashop = breaker.unwrap_or(serde_json::Value::Null);
    let status = match (db_ok, maintenance) {
        (false, _) => "error",
        (true, true) => "maintenance",
        (true, false) => "ok",
    };
    let body = json!({
        "status": status,
        "version": env!("CARGO_PKG_VERSION"),
        "database": {
            "ok": db_ok,
            "latency_ms": (db_ms * 100.0).round() / 100.0,
        },
        "disk": {
            "storage_free_bytes": free_bytes(&config.storage_path),
            "storage_writable": is_writable(&config.storage_path),
            "logs_writable": is_writable(&config.log_path),
        },
        "backup": last_backup(&config.backup_path),
        "maintenance": maintenance,
        "prestashop": { "disjoncteur": prestashop },
        "modules": {
            "smtp": !config.smtp.host.is_empty(),
            "prestashop": config.var("PRESTASHOP_URL").is_some()
                && (config.var("PRESTASHOP_WEBSERVICE_KEY").is_some()
                    || config.var("PRESTASHOP_CLIENT_SECRET").is_some()),
            "strava": config.var("STRAVA_CLIENT_ID").is_some()
                && config.var("STRAVA_CLIENT_SECRET").is_some(),
        },
    });
    Ok(Response::json(if db_ok { 200 } else { 503 }, &body))
}

fn free_bytes(path: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(path).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

fn is_writable(path: &Path) -> bool {
    rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_ok()
}

/// The newest backup (`.sql.gz` with its checksum, never a `.part` being
/// written): its name and age in hours.
#[expect(
    clippy::cast_precision_loss,
    reason = "an age in seconds stays far below 2^52, where f64 is exact"
)]
fn last_backup(dir: &Path) -> serde_json::Value {
    match crate::backup::latest(dir) {
        None => json!({ "last": null, "age_hours": null }),
        Some(b) => json!({
            "last": b.fichier,
            "age_hours": (b.age_secondes as f64 / 360.0).round() / 10.0,
            "sha256": b.sha256,
        }),
    }
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "a route handler: the route table takes `fn(&mut Ctx) -> Result<Response>`"
)]
fn show_openapi(_ctx: &mut Ctx) -> Result<Response> {
    Ok(Response::ok(&crate::api::openapi::document())
        .with_header("Cache-Control", "public, max-age=300"))
}
