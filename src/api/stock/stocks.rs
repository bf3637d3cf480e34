//! Spec §4.28 — `/api/stocks`: stock lines, movements and alerts.

use super::queries::{self, Movement, Where};
use super::{query_bool, scope_atelier};
use crate::error::{Error, Result};
use crate::http::list::{query_u64, Page};
use crate::http::{Ctx, Response};
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
    Error::not_found("stock_not_found", "Ligne de stock introuvable.")
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
    let scope = scope_atelier(conn, &claims, atelier_id)?;
    let mut filter = Where::new();
    filter
        .bind_opt("s.atelier_id = ?", scope)
        .bind_opt("s.produit_id = ?", produit_id);
    match alerte {
        Some(true) => filter.fixed("s.quantite <= s.seuil_alerte"),
        Some(false) => filter.fixed("s.quantite > s.seuil_alerte"),
        None => &mut filter,
    };
    let (items, total) = queries::list_stocks(conn, &filter, &page)?;
    Ok(Response::ok(&page.wrap(items, total)))
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
    let scope = scope_atelier(conn, &claims, atelier_id)?;
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
    let du = query_date(ctx, "du")?;
    let au = query_date(ctx, "au")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. An operator is confined to its atelier.
    let scope = scope_atelier(conn, &claims, atelier_id)?;
    let mut filter = Where::new();
    filter
        .bind_opt("s.atelier_id = ?", scope)
        .bind_opt("s.produit_id = ?", produit_id)
        .bind_opt("m.stock_id = ?", stock_id)
        .bind_opt("m.commande_id = ?", commande_id)
        .bind_opt("m.type = ?", kind)
        .bind_opt("m.created_at >= ?", du)
        .bind_opt("m.created_at < ? + INTERVAL 1 DAY", au);
    let (items, total) = queries::list_movements(conn, &filter, &page)?;
    Ok(Response::ok(&page.wrap(items, total)))
}

/// A `YYYY-MM-DD` query parameter.
fn query_date(ctx: &Ctx, name: &str) -> Result<Option<String>> {
    let Some(v) = ctx.req.query_param(name) else {
        return Ok(None);
    };
    let parts: Vec<u32> = v
        .split('-')
        .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        .filter_map(|p| p.parse().ok())
        .collect();
    match parts.as_slice() {
        [y, m, d]
            if v.len() == 10 && *y >= 2000 && (1..=12).contains(m) && (1..=31).contains(d) =>
        {
            Ok(Some(v))
        }
        _ => Err(Error::invalid(format!(
            "Le paramètre « {name} » doit être une date AAAA-MM-JJ."
        ))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MovementBody {
    produit_id: u64,
    atelier_id: u64,
    #[serde(rename = "type")]
    kind: String,
    quantite: i64,
    #[serde(default)]
    motif: Option<String>,
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
    if !MANUAL_TYPES.contains(&kind) {
        return Err(Error::invalid(
            "Type de mouvement invalide : entree, sortie, ajustement ou retour (la consommation par gravure est automatique).",
        ));
    }
    let min = if kind == "ajustement" { 0 } else { 1 };
    if !(min..=MAX_QUANTITE).contains(&body.quantite) {
        return Err(Error::invalid(if kind == "ajustement" {
            format!("Pour un ajustement, la quantité est le nouveau stock compté : entre 0 et {MAX_QUANTITE}.")
        } else {
            format!("La quantité doit être un nombre entier entre 1 et {MAX_QUANTITE}.")
        }));
    }
    let motif = body
        .motif
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    if motif.is_some_and(|m| m.chars().count() > 500) {
        return Err(Error::invalid(
            "Le motif ne peut pas dépasser 500 caractères.",
        ));
    }
    if motif.is_none() && matches!(kind, "sortie" | "ajustement") {
        return Err(Error::invalid(
            "Le motif est obligatoire pour une sortie ou un ajustement de stock.",
        ));
    }
    let claims = ctx.claims()?.clone();
    let tx = ctx.tx()?;
    // 2. An operator moves the stock of its own atelier only.
    scope_atelier(tx, &claims, Some(body.atelier_id))?;
    if !queries::produit_exists(tx, body.produit_id)? {
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
        return Err(Error::conflict(
            "stock_insufficient",
            format!(
                "Stock insuffisant : {} médaille(s) en stock, sortie de {} refusée.",
                level.max(0),
                body.quantite
            ),
        ));
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
