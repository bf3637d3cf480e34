//! `/api/admin/chronos/*`: the `admin_chrono` queue (DECISIONS.md: `admin_chrono`
//! "may only validate or reject chronos by hand"; the super admin may too).

use super::{chrono_not_found, classement, ensure_pending, queries, upload};
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::Page;
use crate::http::{Ctx, Response};
use crate::text;
use serde::Deserialize;
use serde_json::json;

/// Sources a queue can be filtered on.
const SOURCES: &[&str] = &["qr", "manuel", "strava", "gpx"];

/// Spec 10.5 `admin_chrono` "Validation manuelle des chronos": the chronos
/// awaiting validation, oldest first, with the athlete's identity
/// (`?source=`, `?produit_id=` to filter).
pub fn list_pending_chronos(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let source = match ctx.req.query_param("source") {
        None => None,
        Some(s) => Some(
            *SOURCES
                .iter()
                .find(|k| **k == s)
                .ok_or_else(|| Error::invalid("source doit valoir qr, manuel, strava ou gpx."))?,
        ),
    };
    let produit_id = ctx
        .req
        .query_param("produit_id")
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| Error::invalid("produit_id doit être un identifiant numérique."))
        })
        .transpose()?;
    let listed = queries::pending(ctx.conn()?, source, produit_id, &page)?;
    Ok(Response::ok(
        &page.answer(&listed.map_ref(queries::PendingChrono::view)),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    decision: String,
    motif: Option<String>,
}

/// Spec 10.5 `admin_chrono`: validates a pending chrono, or rejects a pending
/// or validated one (statut `annule`, `motif_rejet`, `valide_par`); the
/// athlete's ranking is updated either way.
pub fn update_chrono_decision(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: DecisionBody = ctx.json()?;
    let admin_id = ctx.user_id()?;
    let motif = text::bounded(
        body.motif.as_deref(),
        500,
        "Le motif ne peut pas dépasser 500 caractères.",
    )?
    .map(str::to_string);
    let tx = ctx.tx()?;
    let locked = queries::lock_chrono(tx, id)?.ok_or_else(chrono_not_found)?;
    let to = match body.decision.as_str() {
        "valider" => {
            ensure_pending(locked.statut)?;
            let duree = locked.duree_secondes.unwrap_or(0);
            if duree < 1 {
                return Err(Error::invalid(
                    "Ce chrono n'a pas de durée : il ne peut pas être validé.",
                ));
            }
            queries::validate(tx, id, duree, locked.ajustement_sec, admin_id)?;
            classement::record_validation(tx, locked.produit_id, locked.user_id, id, duree)?;
            "valide"
        }
        "rejeter" => {
            if !matches!(locked.statut, "attente_validation" | "valide") {
                return Err(
                    catalog::CHRONO_NOT_PENDING.msg(if locked.statut == "en_cours" {
                        "Ce chrono est encore en cours : il ne peut pas être rejeté."
                    } else {
                        "Ce chrono est déjà annulé."
                    }),
                );
            }
            queries::reject(tx, id, admin_id, motif.as_deref())?;
            if locked.statut == "valide" {
                classement::record_annulment(tx, locked.produit_id, locked.user_id)?;
            }
            "annule"
        }
        _ => {
            return Err(Error::invalid(
                "decision doit valoir « valider » ou « rejeter ».",
            ))
        }
    };
    crate::api::notifications::events::chrono_decided(tx, locked.user_id, id, to)?;
    let chrono = super::reload(tx, id)?;
    ctx.audit_entity("chrono", id);
    ctx.audit_details(json!({
        "action": body.decision,
        "from": locked.statut,
        "to": to,
        "motif": motif,
        "user_id": locked.user_id,
    }));
    Ok(Response::ok(&chrono.view()))
}

/// The proof attached to a chrono (manual entry or GPX track), so the
/// validator can judge it. Files never live under the web root.
pub fn show_chrono_preuve(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let path = queries::proof_path(ctx.conn()?, id)?.ok_or_else(chrono_not_found)?;
    let missing = || catalog::PREUVE_NOT_FOUND.err();
    let relative = path.ok_or_else(missing)?;
    let file = upload::resolve(&ctx.config.storage_path, &relative).ok_or_else(missing)?;
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    let ext = relative.rsplit_once('.').map_or("bin", |(_, e)| e);
    Ok(Response::file(
        upload::content_type(&relative),
        &format!("preuve-chrono-{id}.{ext}"),
        bytes,
    ))
}
