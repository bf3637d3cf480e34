//! Spec §4.28 — `/api/stocks`: stock lines, movements and alerts.

use super::queries::{self, Movement};
use super::query_bool;
use crate::api::scope;
use crate::db::rows;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::query_date;
use crate::http::list::{query_u64, Page};
use crate::http::{Ctx, Response};
use crate::text;
use serde::Deserialize;
use serde_json::json;

/// Movement types a user may record; `gravure` is written only by the
/// status machine when an order is engraved.
const MANUAL_TYPES: &[&str] = &["entree", "sortie", "ajustement", "retour"];
/// Every value of `stock_mouvements.type`, for the journal filter.
const ALL_TYPES: &[&str] = &["entree", "sortie", "ajustement", "gravure", "retour"];
/// Upper bound of one movement: well above any real delivery, low enough to
/// catch a typo that would wreck the counts.
const MAX_QUANTITE: i64 = 100_000;

fn stock_not_found() -> Error {
    catalog::STOCK_NOT_FOUND.err()
}

/// Spec 4.28 `stocks`: "Stock médailles par produit/atelier". Filters
/// `atelier_id`, `produit_id`, `alerte=true|false`; an operator sees its own
/// atelier only.
pub fn list_stocks(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let atelier_id = query_u64(ctx.req, "atelier_id")?;
    let produit_id = query_u64(ctx.req, "produit_id")?;
    let alerte = query_bool(ctx, "alerte")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. An operator is confined to its atelier.
    let mut filter = scope::confined(conn, &claims, "s.atelier_id = ?", atelier_id)?;
    filter.bind_opt("s.produit_id = ?", produit_id);
    match alerte {
        Some(true) => filter.fixed("s.quantite <= s.seuil_alerte"),
        Some(false) => filter.fixed("s.quantite > s.seuil_alerte"),
        None => &mut filter,
    };
    let listed = queries::list_stocks(conn, &filter, &page)?;
    Ok(Response::ok(&page.answer(&listed)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeuilBody {
    seuil_alerte: i64,
}

/// Spec 4.28 `stocks`: "seuil d'alerte" — an admin sets a line's threshold.
pub fn update_stock(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: SeuilBody = ctx.json()?;
    if !(0..=MAX_QUANTITE).contains(&body.seuil_alerte) {
        return Err(Error::invalid(format!(
            "Le seuil d'alerte doit être compris entre 0 et {MAX_QUANTITE}."
        )));
    }
    let conn = ctx.conn()?;
    queries::stock_atelier(conn, id)?.ok_or_else(stock_not_found)?;
    queries::set_seuil(conn, id, body.seuil_alerte)?;
    ctx.audit_entity("stock", id);
    ctx.audit_details(json!({ "seuil_alerte": body.seuil_alerte }));
    let stock = queries::find_stock(ctx.conn()?, id)?.ok_or_else(stock_not_found)?;
    Ok(Response::ok(&stock))
}

/// Wireframe 11.3: "⚠️ Ventoux — stock critique (11 ≤ seuil 10)" — the lines
/// at or under their threshold, most critical first.
pub fn list_alertes(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let atelier_id = query_u64(ctx.req, "atelier_id")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. An operator is confined to its atelier.
    let scope = scope::resolve_atelier(conn, &claims, atelier_id)?;
    let all = queries::alerts(conn, scope)?;
    let total = all.len() as u64;
    let items: Vec<_> = all
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.per_page).unwrap_or(usize::MAX))
        .collect();
    Ok(Response::ok(&page.wrap(items, total)))
}

/// Spec 4.28: the movement journal (who, when, why), newest first. Filters
/// `atelier_id`, `produit_id`, `stock_id`, `type`, `commande_id`, `du`/`au`
/// (dates `YYYY-MM-DD`, inclusive).
pub fn list_mouvements(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let atelier_id = query_u64(ctx.req, "atelier_id")?;
    let produit_id = query_u64(ctx.req, "produit_id")?;
    let stock_id = query_u64(ctx.req, "stock_id")?;
    let commande_id = query_u64(ctx.req, "commande_id")?;
    let kind = ctx.req.query_param("type");
    if let Some(k) = &kind {
        if !ALL_TYPES.contains(&k.as_str()) {
            return Err(Error::invalid(
                "Type de mouvement inconnu (entree, sortie, ajustement, gravure ou retour).",
            ));
        }
    }
    let du = query_date(ctx.req, "du")?;
    let au = query_date(ctx.req, "au")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. An operator is confined to its atelier.
    let mut filter = scope::confined(conn, &claims, "m.atelier_id = ?", atelier_id)?;
    filter
        .bind_opt("s.produit_id = ?", produit_id)
        .bind_opt("m.stock_id = ?", stock_id)
        .bind_opt("m.commande_id = ?", commande_id)
        .bind_opt("m.type = ?", kind)
        .bind_opt("m.created_at >= ?", du)
        .bind_opt("m.created_at < ? + INTERVAL 1 DAY", au);
    let listed = queries::list_movements(conn, &filter, produit_id.is_some(), &page)?;
    Ok(Response::ok(&page.answer(&listed)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MovementBody {
    produit_id: u64,
    atelier_id: u64,
    #[serde(rename = "type")]
    kind: String,
    quantite: i64,
    motif: Option<String>,
}

/// Checks a manual movement: a known type, a quantity in range (the new
/// count for an `ajustement`), a motif of at most 500 characters, required
/// for `sortie` and `ajustement`; returns the trimmed motif.
fn check_movement<'a>(
    kind: &str,
    quantite: i64,
    motif: Option<&'a str>,
) -> Result<Option<&'a str>> {
    if !MANUAL_TYPES.contains(&kind) {
        return Err(Error::invalid(
            "Type de mouvement invalide : entree, sortie, ajustement ou retour (la consommation par gravure est automatique).",
        ));
    }
    let min = i64::from(kind != "ajustement");
    if !(min..=MAX_QUANTITE).contains(&quantite) {
        return Err(Error::invalid(if kind == "ajustement" {
            format!("Pour un ajustement, la quantité est le nouveau stock compté : entre 0 et {MAX_QUANTITE}.")
        } else {
            format!("La quantité doit être un nombre entier entre 1 et {MAX_QUANTITE}.")
        }));
    }
    let motif = text::bounded(motif, 500, "Le motif ne peut pas dépasser 500 caractères.")?;
    if motif.is_none() && matches!(kind, "sortie" | "ajustement") {
        return Err(Error::invalid(
            "Le motif est obligatoire pour une sortie ou un ajustement de stock.",
        ));
    }
    Ok(motif)
}

/// Spec 4.28 / issue: "mouvements (entrée, sortie, ajustement, retour — qui,
/// quand, pourquoi)".
///
/// `quantite` is a positive count for `entree`, `sortie` and `retour`; for
/// `ajustement` it is the NEW level found by counting the shelf (an
/// inventory), and the journal records the signed difference. `motif` is
/// required for `sortie` and `ajustement`. A `sortie` larger than the stock
/// is refused (409 `stock_insufficient`).
pub fn create_mouvement(ctx: &mut Ctx) -> Result<Response> {
    let body: MovementBody = ctx.json()?;
    // 1. The values.
    let kind = body.kind.trim();
    let motif = check_movement(kind, body.quantite, body.motif.as_deref())?;
    let claims = ctx.claims()?.clone();
    let tx = ctx.tx()?;
    // 2. An operator moves the stock of its own atelier only.
    scope::resolve_atelier(tx, &claims, Some(body.atelier_id))?;
    if !rows::exists(tx, "produits", body.produit_id)? {
        return Err(Error::invalid("Ce parcours n'existe pas."));
    }
    // 3. The line, locked: concurrent movements apply one after the other.
    if kind != "sortie" {
        queries::ensure_stock_line(tx, body.produit_id, body.atelier_id)?;
    }
    let (stock_id, level) =
        queries::lock_stock_line(tx, body.produit_id, body.atelier_id)?.unwrap_or((0, 0));
    let (delta, after) = match kind {
        "sortie" => (-body.quantite, level - body.quantite),
        "ajustement" => (body.quantite - level, body.quantite),
        _ => (body.quantite, level + body.quantite),
    };
    if after < 0 {
        return Err(catalog::STOCK_INSUFFICIENT.msg(format!(
            "Stock insuffisant : {} médaille(s) en stock, sortie de {} refusée.",
            level.max(0),
            body.quantite
        )));
    }
    // 4. Level and journal together.
    queries::set_quantite(tx, stock_id, after)?;
    crate::api::notifications::events::stock_level_changed(tx, stock_id, level, after)?;
    let movement_id = queries::insert_movement(
        tx,
        &Movement {
            stock_id,
            kind,
            delta,
            after,
            motif,
            commande_id: None,
            user_id: Some(claims.sub),
        },
    )?;
    ctx.audit_entity("stock", stock_id);
    ctx.audit_details(json!({
        "type": kind, "quantite": delta, "quantite_avant": level, "quantite_apres": after, "motif": motif,
    }));
    let tx = ctx.tx()?;
    let mouvement = queries::find_movement(tx, movement_id)?.ok_or_else(stock_not_found)?;
    let stock = queries::find_stock(tx, stock_id)?.ok_or_else(stock_not_found)?;
    Ok(Response::created(
        &json!({ "mouvement": mouvement, "stock": stock }),
    ))
}
