//! Quality non-conformities (spec §5.5 `/api/fab/defaut(s)`, §5.10
//! `/api/defauts`) and their catalogues of types and causes (seeded by
//! `sql/0002_seed_catalogs.sql`).
//!
//! The `/api/fab/…` and `/api/defauts` routes share these handlers. A defect
//! belongs to the atelier of its order, else of its lot, else of the operator
//! who reports it; an `operateur_fab` only sees and edits its own atelier's.

use super::queries::{self, Catalog, DefautFilters, DefautUpdate, NewDefaut};
use super::{optional_text, patched, query_enum, requested_status, required_text};
use crate::api::commandes::status::order_not_found;
use crate::api::scope;
use crate::db::rows;
use crate::error::catalog;
use crate::error::{Error, Result, ResultExt};
use crate::http::list::{query_date, query_u64, Page};
use crate::http::{Ctx, Response};
use crate::security::jwt::Claims;
use crate::security::Role;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Deserialize;
use serde_json::json;

/// `defauts.gravite` values, mildest first.
const GRAVITES: &[&str] = &["mineur", "majeur", "critique"];
/// `defauts.statut` values.
const STATUTS: &[&str] = &["ouvert", "traite", "clos"];
/// Allowed defect transitions: `clos` is final; a treated defect may be
/// reopened when the fix did not hold.
const TRANSITIONS: &[(&str, &str)] = &[
    ("ouvert", "traite"),
    ("ouvert", "clos"),
    ("traite", "clos"),
    ("traite", "ouvert"),
];
const DESCRIPTION_MAX: usize = 5000;

fn defaut_not_found() -> Error {
    catalog::DEFAUT_NOT_FOUND.err()
}

fn lot_not_found() -> Error {
    catalog::LOT_NOT_FOUND.err()
}

fn parse_gravite(s: &str) -> Result<&'static str> {
    GRAVITES
        .iter()
        .copied()
        .find(|g| *g == s)
        .ok_or_else(|| Error::invalid("Gravité inconnue : mineur, majeur ou critique."))
}

/// A catalogue entry referenced by a defect must exist and be active.
fn check_catalog(conn: &mut Conn, catalog: Catalog, id: u64) -> Result<()> {
    if queries::catalog_entry_active(conn, catalog, id)? {
        Ok(())
    } else {
        Err(Error::invalid(match catalog {
            Catalog::Types => "Ce type de défaut n'existe pas ou n'est plus actif.",
            Catalog::Causes => "Cette cause de défaut n'existe pas ou n'est plus active.",
        }))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateDefautBody {
    commande_id: Option<u64>,
    lot_id: Option<u64>,
    type_id: u64,
    cause_id: Option<u64>,
    gravite: Option<String>,
    description: Option<String>,
}

/// Spec 5.5 `POST /api/fab/defaut`: "Signaler un défaut" (also
/// `POST /api/defauts`, spec 5.10).
pub fn create_defaut(ctx: &mut Ctx) -> Result<Response> {
    let body: CreateDefautBody = ctx.json()?;
    let gravite = parse_gravite(body.gravite.as_deref().unwrap_or("mineur"))?;
    let description = optional_text(body.description.as_deref(), "description", DESCRIPTION_MAX)?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. The order, if any, exists and is the operator's (others: 404).
    let order_atelier = match body.commande_id {
        Some(id) => {
            let atelier = queries::order_atelier(conn, id)?.ok_or_else(order_not_found)?;
            if !scope::may_touch(&claims, atelier) {
                return Err(order_not_found());
            }
            Some(atelier)
        }
        None => None,
    };
    // 2. Same for the lot.
    let lot_atelier = match body.lot_id {
        Some(id) => {
            let atelier = queries::lot_atelier(conn, id)?.ok_or_else(lot_not_found)?;
            if !scope::may_touch(&claims, atelier) {
                return Err(lot_not_found());
            }
            Some(atelier)
        }
        None => None,
    };
    // 3. An order named with a lot must be in it.
    if let (Some(commande_id), Some(lot_id)) = (body.commande_id, body.lot_id) {
        if !queries::order_in_lot(conn, commande_id, lot_id)? {
            return Err(Error::invalid(
                "Cette commande ne fait pas partie de ce lot.",
            ));
        }
    }
    // 4. The catalogue entries exist and are active.
    check_catalog(conn, Catalog::Types, body.type_id)?;
    if let Some(cause_id) = body.cause_id {
        check_catalog(conn, Catalog::Causes, cause_id)?;
    }
    let atelier_id = order_atelier
        .flatten()
        .or(lot_atelier.flatten())
        .or_else(|| operator_atelier(&claims));
    let id = queries::insert_defaut(
        conn,
        &NewDefaut {
            commande_id: body.commande_id,
            lot_id: body.lot_id,
            atelier_id,
            type_id: body.type_id,
            cause_id: body.cause_id,
            gravite,
            description: description.as_deref(),
            signale_par: Some(claims.sub),
        },
    )?;
    crate::api::notifications::events::defect_reported(conn, id, atelier_id, claims.sub)?;
    let defaut = queries::find_defaut(conn, id)?.ok_or_else(defaut_not_found)?;
    ctx.audit_entity("defaut", id);
    ctx.audit_details(json!({
        "commande_id": body.commande_id,
        "lot_id": body.lot_id,
        "type_id": body.type_id,
        "gravite": gravite,
    }));
    Ok(Response::created(&defaut))
}

fn operator_atelier(claims: &Claims) -> Option<u64> {
    (claims.role == Role::OperateurFab)
        .then_some(claims.atelier_id)
        .flatten()
}

/// Spec 5.5 `GET /api/fab/defauts`: "Liste défauts" (also `GET
/// /api/defauts`, spec 5.10). Filters `type_id`, `cause_id`, `gravite`,
/// `statut`, `from`/`to` (report date, inclusive), `produit_id` (course of
/// the order), `atelier_id`, `commande_id`, `lot_id`; newest first,
/// paginated. An `operateur_fab` only sees its atelier.
pub fn list_defauts(ctx: &mut Ctx) -> Result<Response> {
    // 1. The operator's atelier bounds the list.
    let scope = scope::atelier_filter(ctx.claims()?);
    let page = Page::from_query(ctx.req)?;
    let filters = DefautFilters {
        scope,
        atelier: query_u64(ctx.req, "atelier_id")?.or(query_u64(ctx.req, "atelier")?),
        type_id: query_u64(ctx.req, "type_id")?,
        cause_id: query_u64(ctx.req, "cause_id")?,
        gravite: query_enum(ctx, "gravite", GRAVITES)?,
        statut: query_enum(ctx, "statut", STATUTS)?,
        from: query_date(ctx.req, "from")?,
        to: query_date(ctx.req, "to")?,
        produit: query_u64(ctx.req, "produit_id")?.or(query_u64(ctx.req, "produit")?),
        commande_id: query_u64(ctx.req, "commande_id")?,
        lot_id: query_u64(ctx.req, "lot_id")?,
    };
    let listed = queries::list_defauts(ctx.conn()?, &filters, &page)?;
    Ok(Response::ok(&page.answer(&listed)))
}

/// Spec 5.10 `GET /api/defauts/:id`: one defect.
pub fn show_defaut(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let claims = ctx.claims()?.clone();
    // 1. The defect exists and belongs to the operator's atelier.
    let defaut = queries::find_defaut(ctx.conn()?, id)?
        .filter(|d| scope::may_touch(&claims, d.atelier_id))
        .ok_or_else(defaut_not_found)?;
    Ok(Response::ok(&defaut))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateDefautBody {
    statut: Option<String>,
    gravite: Option<String>,
    type_id: Option<u64>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    cause_id: Option<Option<u64>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    description: Option<Option<String>>,
}

/// Spec 5.10 "Gestion défauts" `PATCH /api/defauts/:id`: status (`ouvert` →
/// `traite` → `clos`), severity, type, cause, description.
pub fn update_defaut(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: UpdateDefautBody = ctx.json()?;
    let claims = ctx.claims()?.clone();
    let tx = ctx.tx()?;
    // 1. The defect exists and belongs to the operator's atelier.
    let (from, _atelier) = queries::lock_defaut(tx, id)?
        .filter(|(_, atelier)| scope::may_touch(&claims, *atelier))
        .ok_or_else(defaut_not_found)?;
    // 2. The status change is allowed.
    let statut = requested_status(body.statut.as_deref(), &from, STATUTS, TRANSITIONS, |s| {
        catalog::DEFAUT_TRANSITION_REFUSED.msg(format!(
            "Ce défaut ne peut pas passer de « {from} » à « {s} »."
        ))
    })?;
    // 3. Values are valid.
    let gravite = body.gravite.as_deref().map(parse_gravite).transpose()?;
    if let Some(type_id) = body.type_id {
        check_catalog(tx, Catalog::Types, type_id)?;
    }
    if let Some(Some(cause_id)) = body.cause_id {
        check_catalog(tx, Catalog::Causes, cause_id)?;
    }
    let description = patched(body.description.as_ref(), |d| {
        optional_text(d, "description", DESCRIPTION_MAX)
    })?;
    queries::update_defaut(
        tx,
        id,
        &DefautUpdate {
            statut,
            gravite,
            type_id: body.type_id,
            cause_id: body.cause_id,
            description: description.as_ref().map(|d| d.as_deref()),
        },
    )?;
    let defaut = queries::find_defaut(tx, id)?.ok_or_else(defaut_not_found)?;
    ctx.audit_entity("defaut", id);
    ctx.audit_details(json!({ "from": from, "to": statut, "gravite": gravite }));
    Ok(Response::ok(&defaut))
}

// ---------------------------------------------------------------------------
// Catalogues
// ---------------------------------------------------------------------------

/// Spec 4.6–4.29 `types_defauts`: `GET /api/defauts/types` (catalogue;
/// `?actif=true` for the entries still offered).
pub fn list_types_defauts(ctx: &mut Ctx) -> Result<Response> {
    list_catalog(ctx, Catalog::Types)
}

/// Spec 4.6–4.29 `causes_defauts`: `GET /api/defauts/causes`.
pub fn list_causes_defauts(ctx: &mut Ctx) -> Result<Response> {
    list_catalog(ctx, Catalog::Causes)
}

/// `POST /api/defauts/types` (admin+): a new defect type.
pub fn create_type_defaut(ctx: &mut Ctx) -> Result<Response> {
    create_catalog(ctx, Catalog::Types)
}

/// `POST /api/defauts/causes` (admin+): a new defect cause.
pub fn create_cause_defaut(ctx: &mut Ctx) -> Result<Response> {
    create_catalog(ctx, Catalog::Causes)
}

/// `PATCH /api/defauts/types/:id` (admin+): rename or (de)activate a type.
pub fn update_type_defaut(ctx: &mut Ctx) -> Result<Response> {
    update_catalog(ctx, Catalog::Types)
}

/// `PATCH /api/defauts/causes/:id` (admin+): rename or (de)activate a cause.
pub fn update_cause_defaut(ctx: &mut Ctx) -> Result<Response> {
    update_catalog(ctx, Catalog::Causes)
}

fn list_catalog(ctx: &mut Ctx, catalog: Catalog) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let actif = query_enum(ctx, "actif", &["true", "false"])?.map(|a| a == "true");
    let (items, total) =
        queries::list_catalog(ctx.conn()?, catalog, actif, page.per_page, page.offset())?;
    Ok(Response::ok(&page.wrap(&items, total)))
}

/// Codes are stable identifiers used by the code and reports: lower-case
/// ASCII, digits and `_`, starting with a letter.
fn clean_code(raw: &str) -> Result<String> {
    let code = raw.trim();
    let ok = (2..=50).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(code.to_string())
    } else {
        Err(Error::invalid(
            "Le code doit faire 2 à 50 caractères : minuscules sans accent, chiffres et « _ », en commençant par une lettre.",
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateCatalogBody {
    code: String,
    libelle: String,
    actif: Option<bool>,
}

fn duplicate_code(r: std::result::Result<u64, mysql::Error>, catalog: Catalog) -> Result<u64> {
    match catalog {
        Catalog::Types => r.on_duplicate(
            "uk_types_defauts_code",
            &catalog::CODE_TAKEN,
            "Un type de défaut existe déjà avec ce code.",
        ),
        Catalog::Causes => r.on_duplicate(
            "uk_causes_defauts_code",
            &catalog::CODE_TAKEN,
            "Une cause de défaut existe déjà avec ce code.",
        ),
    }
}

fn create_catalog(ctx: &mut Ctx, catalog: Catalog) -> Result<Response> {
    let body: CreateCatalogBody = ctx.json()?;
    let code = clean_code(&body.code)?;
    let libelle = required_text(&body.libelle, "libellé", 200)?;
    let conn = ctx.conn()?;
    let id = duplicate_code(
        queries::insert_catalog(conn, catalog, &code, &libelle, body.actif.unwrap_or(true)),
        catalog,
    )?;
    let entry = queries::find_catalog(conn, catalog, id)?
        .ok_or_else(|| Error::internal("catalogue entry vanished after insert"))?;
    ctx.audit_entity(catalog.entity(), id);
    ctx.audit_details(json!({ "code": code }));
    Ok(Response::created(&entry))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateCatalogBody {
    code: Option<String>,
    libelle: Option<String>,
    actif: Option<bool>,
}

fn update_catalog(ctx: &mut Ctx, catalog: Catalog) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: UpdateCatalogBody = ctx.json()?;
    let code = body.code.as_deref().map(clean_code).transpose()?;
    let libelle = body
        .libelle
        .as_deref()
        .map(|l| required_text(l, "libellé", 200))
        .transpose()?;
    let conn = ctx.conn()?;
    let not_found = || catalog::CATALOG_ENTRY_NOT_FOUND.err();
    queries::find_catalog(conn, catalog, id)?.ok_or_else(not_found)?;
    duplicate_code(
        queries::update_catalog(
            conn,
            catalog,
            id,
            code.as_deref(),
            libelle.as_deref(),
            body.actif,
        )
        .map(|()| id),
        catalog,
    )?;
    let entry = queries::find_catalog(conn, catalog, id)?.ok_or_else(not_found)?;
    ctx.audit_entity(catalog.entity(), id);
    ctx.audit_details(json!({ "code": code, "libelle": libelle, "actif": body.actif }));
    Ok(Response::ok(&entry))
}

/// Demo: one open defect on the first engraved demo order of atelier A1.
pub(super) fn seed_demo_defaut(conn: &mut Conn) -> Result<()> {
    const DESCRIPTION: &str = "Gravure légèrement décalée vers la droite sur la médaille (démo).";
    let Some(commande_id) = queries::seed_engraved_order(conn)? else {
        return Ok(());
    };
    if rows::any(
        conn,
        "SELECT id FROM defauts WHERE description = ? LIMIT 1",
        (DESCRIPTION,),
    )? {
        return Ok(());
    }
    let type_id: Option<u64> =
        conn.query_first("SELECT id FROM types_defauts WHERE code = 'gravure_decalee'")?;
    let cause_id: Option<u64> =
        conn.query_first("SELECT id FROM causes_defauts WHERE code = 'reglage_laser'")?;
    let (Some(type_id), atelier) = (type_id, queries::order_atelier(conn, commande_id)?) else {
        return Ok(());
    };
    queries::insert_defaut(
        conn,
        &NewDefaut {
            commande_id: Some(commande_id),
            lot_id: None,
            atelier_id: atelier.flatten(),
            type_id,
            cause_id,
            gravite: "mineur",
            description: Some(DESCRIPTION),
            signale_par: None,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(clean_code(" rayure_2 ").unwrap(), "rayure_2");
        assert!(clean_code("Rayure").is_err());
        assert!(clean_code("2x").is_err());
        assert!(clean_code("a").is_err());
        assert!(clean_code("éclat").is_err());
        assert!(clean_code("a-b").is_err());
    }

    #[test]
    fn severities_and_transitions() {
        assert_eq!(parse_gravite("critique").unwrap(), "critique");
        assert!(parse_gravite("grave").is_err());
        for s in STATUTS {
            assert!(!TRANSITIONS.contains(&("clos", s)), "clos is final");
        }
    }
}
