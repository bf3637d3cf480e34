//! Spec §5.4 `POST /api/commandes/:id/valider-gravure` and rule 1.1: the
//! athlete's final check of the engraving.

use super::queries::{self, ChronoRow};
use super::status::{order_not_found, Statut};
use super::{detail_response, render::frozen_text};
use crate::api::auth::clean_name;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::{Ctx, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidationBody {
    nom: String,
    prenom: String,
    chrono_id: Option<u64>,
    #[serde(default)]
    confirmation: bool,
}

/// Spec 5.4 `POST /api/commandes/:id/valider-gravure` (sportif): "Validation
/// finale gravure" — rule 1.1: the athlete confirms name, first name, time
/// and date before anything is engraved. Names that differ from the profile
/// update the profile first (it is the source of truth); the engraving text
/// is then frozen and no later profile change alters it. The chrono is the
/// one given, else the one chosen at ordering, else the athlete's best on
/// the course.
pub(super) fn create_validation_gravure(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: ValidationBody = ctx.json()?;
    let user_id = ctx.user_id()?;
    // 1. An explicit confirmation and engravable names.
    if !body.confirmation {
        return Err(Error::invalid(
            "Merci de confirmer les informations de gravure (confirmation: true).",
        ));
    }
    let nom = clean_name(&body.nom, "nom")?;
    let prenom = clean_name(&body.prenom, "prénom")?;
    let tx = ctx.tx()?;
    // 2. The caller's own order (others get a 404), locked.
    let order = queries::lock_own_order(tx, id, user_id)?.ok_or_else(order_not_found)?;
    // 3. Validated once, and only while waiting for engraving.
    if order.validation_sportif {
        return Err(catalog::ALREADY_VALIDATED.msg(format!(
            "La gravure de la commande {} a déjà été validée.",
            order.numero
        )));
    }
    if order.statut != Statut::AttenteGravure.as_str() {
        let label = Statut::parse(&order.statut).map_or("", Statut::label);
        return Err(catalog::ORDER_NOT_AWAITING_ENGRAVING.msg(format!(
            "La commande {} est {label} : sa gravure ne peut plus être validée.",
            order.numero
        )));
    }
    // 4. A validated chrono of the athlete on this course.
    let chronos = queries::validated_chronos(tx, user_id)?;
    let on_course = |c: &&ChronoRow| c.produit_id == order.produit_id;
    let chrono = match body.chrono_id {
        Some(chrono_id) => chronos
            .iter()
            .filter(on_course)
            .find(|c| c.id == chrono_id)
            .ok_or_else(|| {
                Error::invalid("Ce chrono n'est pas un de vos chronos validés sur ce parcours.")
            })?,
        None => order
            .chrono_id
            .and_then(|cid| chronos.iter().filter(on_course).find(|c| c.id == cid))
            .or_else(|| chronos.iter().find(|c| c.produit_id == order.produit_id))
            .ok_or_else(|| catalog::CHRONO_REQUIRED.err())?,
    };
    // 5. The profile is the source of truth: update it first.
    let current = queries::user_names(tx, user_id)?.ok_or_else(Error::forbidden)?;
    let profile_changed = current != (nom.clone(), prenom.clone());
    if profile_changed {
        queries::set_user_names(tx, user_id, &nom, &prenom)?;
    }
    // 6. Freeze the text and record the validation.
    let texte = frozen_text(&nom, &prenom, chrono, &order.numero);
    queries::record_validation(tx, id, user_id, chrono, &texte)?;
    ctx.audit_entity("commande", id);
    ctx.audit_details(json!({
        "validation_sportif": true,
        "chrono_id": chrono.id,
        "profil_modifie": profile_changed,
    }));
    let tx = ctx.tx()?;
    let order = queries::find_order(tx, id)?.ok_or_else(order_not_found)?;
    detail_response(tx, &order)
}
