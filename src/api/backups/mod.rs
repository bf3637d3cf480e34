//! Spec §5.10, §10.4 — `POST /api/admin/backup`, `GET /api/admin/backups`
//! (`super_admin`): the same [`crate::backup`] code as `mk-admin backup` and
//! the cron. Files stay under `BACKUP_PATH`, outside the web root; the API
//! never serves them, it only lists name, size, date and checksum.

use crate::api::admin_limit;
use crate::backup::{self, Trigger};
use crate::error::Result;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::roles;
use serde_json::json;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    admin_limit(route(
        Method::Post,
        "/api/admin/backup",
        Access::Roles(roles::SUPER_ADMIN),
        create_backup,
        "Sauvegarde manuelle de la base (gzip + SHA-256, 5 conservées)",
    )),
    admin_limit(route(
        Method::Get,
        "/api/admin/backups",
        Access::Roles(roles::SUPER_ADMIN),
        list_backups,
        "Liste des sauvegardes (fichier, taille, date, SHA-256)",
    )),
];

/// Spec 5.10 "Backup manuel". The dump reads one consistent snapshot on the
/// request's connection, outside any request transaction.
fn create_backup(ctx: &mut Ctx) -> Result<Response> {
    let dir = ctx.config.backup_path.clone();
    let (file, counts) = backup::create(ctx.conn()?, &dir, Trigger::Manual)?;
    ctx.audit.entity = Some("backup");
    ctx.audit_details(json!({
        "fichier": file.fichier,
        "taille": file.taille,
        "sha256": file.sha256,
        "tables": counts.tables,
        "lignes": counts.lignes,
    }));
    Ok(Response::created(
        &json!({ "backup": file, "contenu": counts }),
    ))
}

/// Spec 5.10 "Liste backups", newest first.
#[expect(
    clippy::unnecessary_wraps,
    reason = "a route handler: the route table takes `fn(&mut Ctx) -> Result<Response>`"
)]
fn list_backups(ctx: &mut Ctx) -> Result<Response> {
    let items = backup::list(&ctx.config.backup_path);
    Ok(Response::ok(&json!({
        "items": items,
        "total": items.len(),
        "conservees": backup::KEEP,
    })))
}
