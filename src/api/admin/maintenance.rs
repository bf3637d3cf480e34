//! Spec §10.5 — maintenance mode, a `super_admin` right: `GET/POST
//! /api/admin/maintenance`.
//!
//! The switch is a flag file (`Config::maintenance_flag`), not a database
//! row, so the guard that runs on every request checks it with one `stat`
//! and still works when the database is the thing under maintenance. The
//! file holds the message shown to users in the 503.

use crate::error::Result;
use crate::http::guard;
use crate::http::{Ctx, Response};
use crate::text;
use serde::Deserialize;
use serde_json::json;
use std::path::Path;

/// Longest message shown to users (it travels in every 503 body).
const MESSAGE_MAX_CHARS: usize = guard::MAINTENANCE_MESSAGE_MAX_CHARS;

/// Spec 10.5 "`super_admin`: Tout + … + maintenance": the current state.
#[expect(
    clippy::unnecessary_wraps,
    reason = "a route handler: the route table takes `fn(&mut Ctx) -> Result<Response>`"
)]
pub fn show_maintenance(ctx: &mut Ctx) -> Result<Response> {
    Ok(Response::ok(&state(&ctx.config.maintenance_flag())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaintenanceBody {
    actif: bool,
    message: Option<String>,
}

/// Spec 10.5 "`super_admin`: Tout + … + maintenance": switches maintenance
/// mode on (with an optional message for users) or off.
pub fn update_maintenance(ctx: &mut Ctx) -> Result<Response> {
    let body: MaintenanceBody = ctx.json()?;
    let message = text::bounded(
        body.message.as_deref(),
        MESSAGE_MAX_CHARS,
        format!("Le message de maintenance ne doit pas dépasser {MESSAGE_MAX_CHARS} caractères."),
    )?;
    let flag = ctx.config.maintenance_flag();
    if body.actif {
        // Write then rename, so a concurrent request never reads half a
        // message.
        let tmp = flag.with_extension("flag.tmp");
        std::fs::write(&tmp, message.unwrap_or(""))?;
        std::fs::rename(&tmp, &flag)?;
    } else {
        match std::fs::remove_file(&flag) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    ctx.audit_details(json!({ "maintenance": body.actif, "message": message }));
    Ok(Response::ok(&state(&flag)))
}

/// `{actif, message, depuis}` as read back from the flag file.
fn state(flag: &Path) -> serde_json::Value {
    let since = std::fs::metadata(flag)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| crate::time::iso_utc(d.as_secs()));
    json!({
        "actif": since.is_some(),
        "message": guard::maintenance_message(flag),
        "depuis": since,
    })
}
