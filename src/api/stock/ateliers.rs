//! Spec §4.6 — `/api/ateliers`: CRUD of the production sites ("gestion
//! ateliers" is an `admin_fab` right, 10.5).

use super::queries::{self, AtelierValues};
use super::query_bool;
use crate::api::scope;
use crate::error::{Error, Result};
use crate::http::list::Page;
use crate::http::{Ctx, Response};
use mysql::Conn;
use serde::Deserialize;
use serde_json::json;

/// Spec 4.6 `ateliers`: "Sites de production (code, nom, couleur UI)".
/// Operators see only their own atelier; `?actif=true|false` filters.
pub fn list_ateliers(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let actif = query_bool(ctx, "actif")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. An operator only lists its own atelier.
    let mut filter = scope::confined(conn, &claims, "a.id = ?", None)?;
    filter.bind_opt("a.actif = ?", actif);
    let listed = queries::list_ateliers(conn, &filter, &page)?;
    Ok(Response::ok(&page.answer(&listed)))
}

/// Spec 4.6 `ateliers`: one production site.
pub fn show_atelier(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. An operator only sees its own atelier.
    scope::resolve_atelier(conn, &claims, Some(id))?;
    let atelier = queries::find_atelier(conn, id)?.ok_or_else(scope::atelier_not_found)?;
    Ok(Response::ok(&atelier))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    code: String,
    nom: String,
    couleur: Option<String>,
    responsable_id: Option<u64>,
    adresse: Option<String>,
    actif: Option<bool>,
}

/// Spec 10.5 `admin_fab`: "gestion ateliers" — creates an atelier (code
/// unique, 409 `atelier_code_taken`).
pub fn create_atelier(ctx: &mut Ctx) -> Result<Response> {
    let body: CreateBody = ctx.json()?;
    let conn = ctx.conn()?;
    let values = AtelierValues {
        code: valid_code(&body.code)?,
        nom: valid_nom(&body.nom)?,
        couleur: match &body.couleur {
            Some(c) => valid_couleur(c)?,
            None => "#c8a84b".into(),
        },
        responsable_id: valid_responsable(conn, body.responsable_id)?,
        adresse: valid_adresse(body.adresse.as_deref())?,
        actif: body.actif.unwrap_or(true),
    };
    let id = queries::insert_atelier(conn, &values)?;
    ctx.audit_entity("atelier", id);
    ctx.audit_details(json!({ "code": values.code, "nom": values.nom }));
    let atelier = queries::find_atelier(ctx.conn()?, id)?.ok_or_else(scope::atelier_not_found)?;
    Ok(Response::created(&atelier))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    code: Option<String>,
    nom: Option<String>,
    couleur: Option<String>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    responsable_id: Option<Option<u64>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    adresse: Option<Option<String>>,
    actif: Option<bool>,
}

/// Spec 10.5 `admin_fab`: "gestion ateliers" — changes an atelier (only the
/// fields sent; `null` clears the responsible or the address).
pub fn update_atelier(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: UpdateBody = ctx.json()?;
    let tx = ctx.tx()?;
    // 1. The atelier exists.
    let mut v = queries::lock_atelier(tx, id)?.ok_or_else(scope::atelier_not_found)?;
    // 2. Apply and validate what was sent.
    let before = v.clone();
    if let Some(code) = &body.code {
        v.code = valid_code(code)?;
    }
    if let Some(nom) = &body.nom {
        v.nom = valid_nom(nom)?;
    }
    if let Some(couleur) = &body.couleur {
        v.couleur = valid_couleur(couleur)?;
    }
    if let Some(responsable) = body.responsable_id {
        v.responsable_id = valid_responsable(tx, responsable)?;
    }
    if let Some(adresse) = &body.adresse {
        v.adresse = valid_adresse(adresse.as_deref())?;
    }
    if let Some(actif) = body.actif {
        v.actif = actif;
    }
    queries::update_atelier(tx, id, &v)?;
    ctx.audit_entity("atelier", id);
    ctx.audit_details(json!({
        "avant": { "code": before.code, "nom": before.nom, "couleur": before.couleur,
                   "responsable_id": before.responsable_id, "actif": before.actif },
        "apres": { "code": v.code, "nom": v.nom, "couleur": v.couleur,
                   "responsable_id": v.responsable_id, "actif": v.actif },
    }));
    let atelier = queries::find_atelier(ctx.tx()?, id)?.ok_or_else(scope::atelier_not_found)?;
    Ok(Response::ok(&atelier))
}

/// Spec 10.5 `admin_fab`: "gestion ateliers" — deletes an atelier nobody
/// refers to; one with users, orders, lots, stock or history is deactivated
/// instead, so that history keeps its meaning.
pub fn delete_atelier(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let tx = ctx.tx()?;
    // 1. The atelier exists (locked: no movement or user may attach meanwhile
    //    without waiting for us).
    queries::lock_atelier(tx, id)?.ok_or_else(scope::atelier_not_found)?;
    // 2. Referenced → deactivated, else deleted.
    let referenced = queries::atelier_is_referenced(tx, id)?;
    if referenced {
        queries::deactivate_atelier(tx, id)?;
    } else {
        queries::delete_atelier(tx, id)?;
    }
    ctx.audit_entity("atelier", id);
    ctx.audit_details(json!({ "supprime": !referenced, "desactive": referenced }));
    Ok(Response::ok(&json!({
        "id": id,
        "supprime": !referenced,
        "desactive": referenced,
        "message": if referenced {
            "L'atelier est utilisé (utilisateurs, commandes, stock…) : il a été désactivé."
        } else {
            "L'atelier a été supprimé."
        },
    })))
}

fn valid_code(code: &str) -> Result<String> {
    let code = code.trim().to_uppercase();
    let ok = (1..=20).contains(&code.chars().count())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(code)
    } else {
        Err(Error::invalid(
            "Le code de l'atelier doit faire 1 à 20 caractères : lettres, chiffres, « - » ou « _ ».",
        ))
    }
}

fn valid_nom(nom: &str) -> Result<String> {
    let nom = nom.trim();
    if (1..=100).contains(&nom.chars().count()) && !nom.chars().any(char::is_control) {
        Ok(nom.to_string())
    } else {
        Err(Error::invalid(
            "Le nom de l'atelier est obligatoire (100 caractères au plus).",
        ))
    }
}

fn valid_couleur(couleur: &str) -> Result<String> {
    let c = couleur.trim();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok {
        Ok(c.to_lowercase())
    } else {
        Err(Error::invalid(
            "La couleur doit être au format #rrggbb (par exemple #c8a84b).",
        ))
    }
}

fn valid_adresse(adresse: Option<&str>) -> Result<Option<String>> {
    match adresse.map(str::trim).filter(|a| !a.is_empty()) {
        None => Ok(None),
        Some(a) if a.chars().count() <= 1000 => Ok(Some(a.to_string())),
        Some(_) => Err(Error::invalid(
            "L'adresse de l'atelier ne peut pas dépasser 1000 caractères.",
        )),
    }
}

fn valid_responsable(conn: &mut Conn, id: Option<u64>) -> Result<Option<u64>> {
    match id {
        None => Ok(None),
        Some(id) if queries::is_workshop_staff(conn, id)? => Ok(Some(id)),
        Some(_) => Err(Error::invalid(
            "Le responsable doit être un utilisateur de l'atelier (opérateur ou administrateur).",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalised_and_checked() {
        assert_eq!(valid_code(" a1 ").unwrap(), "A1");
        assert_eq!(valid_code("LYON-2").unwrap(), "LYON-2");
        assert!(valid_code("").is_err());
        assert!(valid_code("A 1").is_err());
        assert!(valid_code(&"X".repeat(21)).is_err());
    }

    #[test]
    fn colours_are_hex_triplets() {
        assert_eq!(valid_couleur("#C8A84B").unwrap(), "#c8a84b");
        assert!(valid_couleur("c8a84b").is_err());
        assert!(valid_couleur("#c8a84").is_err());
        assert!(valid_couleur("#gggggg").is_err());
    }
}
