//! Spec §5.5, §5.10, §10.2 — `/api/fab/sav/*`, `/api/sav`, `/api/fab/defaut(s)`,
//! `/api/defauts`, `/api/commandes/b2b`, `/api/fabricants`: after-sales and
//! quality, and the orders that do not come from an athlete.
//!
//! - [`express`]: SAV Express (search an order, pick a reason and a gesture,
//!   get a ticket and, when a medal must be made again, a linked replacement
//!   order); [`tickets`]: the CRUD of SAV tickets.
//! - [`defauts`]: quality non-conformities reported by the workshops, with
//!   their type and cause catalogues.
//! - [`b2b`]: B2B orders entered by hand (spec §1.4) and the `fabricants`
//!   they are made for. [`b2b::insert_b2b_order`] is what the PrestaShop
//!   import must call too, so both sources produce the same rows.
//!
//! An operateur_fab only works on its own atelier: tickets and defects of
//! another atelier answer 404, exactly like its orders.

pub mod b2b;
pub mod defauts;
pub mod express;
mod queries;
pub mod tickets;

use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method};
use crate::security::jwt::Claims;
use crate::security::{roles, Role};
use mysql::Conn;
use serde::{Deserialize, Deserializer, Serialize};

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    // SAV Express (spec 5.5, 10.2, 14).
    route(
        Method::Get,
        "/api/fab/sav/recherche",
        Access::Roles(roles::OPERATEUR_PLUS),
        express::list_recherche_sav,
        "SAV Express : recherche d'une commande (numéro, nom, email, client B2B)",
    ),
    route(
        Method::Post,
        "/api/fab/sav/express",
        Access::Roles(roles::OPERATEUR_PLUS),
        express::create_sav_express,
        "SAV Express : ticket + commande de remplacement liée",
    ),
    // SAV tickets (spec 5.10).
    route(
        Method::Get,
        "/api/sav",
        Access::Roles(roles::OPERATEUR_PLUS),
        tickets::list_sav_tickets,
        "Liste des tickets SAV (filtres)",
    ),
    route(
        Method::Post,
        "/api/sav",
        Access::Roles(roles::OPERATEUR_PLUS),
        tickets::create_sav_ticket,
        "Crée un ticket SAV simple (sans commande de remplacement)",
    ),
    route(
        Method::Get,
        "/api/sav/{id}",
        Access::Roles(roles::OPERATEUR_PLUS),
        tickets::show_sav_ticket,
        "Détail d'un ticket SAV",
    ),
    route(
        Method::Patch,
        "/api/sav/{id}",
        Access::Roles(roles::OPERATEUR_PLUS),
        tickets::update_sav_ticket,
        "Modifie un ticket SAV (statut, assignation, description)",
    ),
    route(
        Method::Delete,
        "/api/sav/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        tickets::delete_sav_ticket,
        "Supprime un ticket SAV",
    ),
    // Defects (spec 5.5 and 5.10 share the handlers).
    route(
        Method::Post,
        "/api/fab/defaut",
        Access::Roles(roles::OPERATEUR_PLUS),
        defauts::create_defaut,
        "Signale un défaut qualité",
    ),
    route(
        Method::Get,
        "/api/fab/defauts",
        Access::Roles(roles::OPERATEUR_PLUS),
        defauts::list_defauts,
        "Liste des défauts qualité (filtres)",
    ),
    route(
        Method::Get,
        "/api/defauts",
        Access::Roles(roles::OPERATEUR_PLUS),
        defauts::list_defauts,
        "Liste des défauts qualité (filtres)",
    ),
    route(
        Method::Post,
        "/api/defauts",
        Access::Roles(roles::OPERATEUR_PLUS),
        defauts::create_defaut,
        "Signale un défaut qualité",
    ),
    route(
        Method::Get,
        "/api/defauts/{id}",
        Access::Roles(roles::OPERATEUR_PLUS),
        defauts::show_defaut,
        "Détail d'un défaut qualité",
    ),
    route(
        Method::Patch,
        "/api/defauts/{id}",
        Access::Roles(roles::OPERATEUR_PLUS),
        defauts::update_defaut,
        "Modifie un défaut (statut, gravité, cause, description)",
    ),
    // Defect catalogues.
    route(
        Method::Get,
        "/api/defauts/types",
        Access::Roles(roles::OPERATEUR_PLUS),
        defauts::list_types_defauts,
        "Catalogue des types de défauts",
    ),
    route(
        Method::Post,
        "/api/defauts/types",
        Access::Roles(roles::ADMIN_PLUS),
        defauts::create_type_defaut,
        "Ajoute un type de défaut",
    ),
    route(
        Method::Patch,
        "/api/defauts/types/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        defauts::update_type_defaut,
        "Modifie un type de défaut",
    ),
    route(
        Method::Get,
        "/api/defauts/causes",
        Access::Roles(roles::OPERATEUR_PLUS),
        defauts::list_causes_defauts,
        "Catalogue des causes de défauts",
    ),
    route(
        Method::Post,
        "/api/defauts/causes",
        Access::Roles(roles::ADMIN_PLUS),
        defauts::create_cause_defaut,
        "Ajoute une cause de défaut",
    ),
    route(
        Method::Patch,
        "/api/defauts/causes/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        defauts::update_cause_defaut,
        "Modifie une cause de défaut",
    ),
    // B2B orders and manufacturers (spec 1.4).
    route(
        Method::Post,
        "/api/commandes/b2b",
        Access::Roles(roles::ADMIN_PLUS),
        b2b::create_commande_b2b,
        "Saisit une commande B2B prise hors boutique",
    ),
    route(
        Method::Get,
        "/api/fabricants",
        Access::Roles(roles::OPERATEUR_PLUS),
        b2b::list_fabricants,
        "Liste des fabricants B2B",
    ),
    route(
        Method::Post,
        "/api/fabricants",
        Access::Roles(roles::ADMIN_PLUS),
        b2b::create_fabricant,
        "Crée un fabricant B2B",
    ),
    route(
        Method::Patch,
        "/api/fabricants/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        b2b::update_fabricant,
        "Modifie un fabricant B2B",
    ),
];

/// Default and largest page sizes of the lists.
const PER_PAGE_DEFAULT: u32 = 50;
const PER_PAGE_MAX: u32 = 200;

/// The page a list request asks for (`page` 1-based, `per_page` ≤ 200).
#[derive(Debug, Clone, Copy)]
struct Page {
    page: u32,
    per_page: u32,
}

impl Page {
    fn from_query(ctx: &Ctx) -> Result<Page> {
        let page = query_u64(ctx, "page")?.unwrap_or(1);
        let per_page = query_u64(ctx, "per_page")?.unwrap_or(u64::from(PER_PAGE_DEFAULT));
        if page == 0 || page > 1_000_000 {
            return Err(Error::invalid("Le numéro de page doit être supérieur à 0."));
        }
        if per_page == 0 || per_page > u64::from(PER_PAGE_MAX) {
            return Err(Error::invalid(format!(
                "per_page doit être compris entre 1 et {PER_PAGE_MAX}."
            )));
        }
        Ok(Page {
            page: page as u32,
            per_page: per_page as u32,
        })
    }

    fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }

    /// The list answer: `{items, total, page, per_page}`.
    fn answer<T: Serialize>(self, items: &[T], total: u64) -> serde_json::Value {
        serde_json::json!({
            "items": items,
            "total": total,
            "page": self.page,
            "per_page": self.per_page,
        })
    }
}

/// A numeric query parameter; anything but digits is a 422.
fn query_u64(ctx: &Ctx, name: &str) -> Result<Option<u64>> {
    ctx.req
        .query_param(name)
        .map(|v| {
            v.trim().parse().map_err(|_| {
                Error::invalid(format!("Le paramètre « {name} » doit être un nombre."))
            })
        })
        .transpose()
}

/// A `YYYY-MM-DD` query parameter.
fn query_date(ctx: &Ctx, name: &str) -> Result<Option<String>> {
    ctx.req
        .query_param(name)
        .map(|v| {
            let v = v.trim();
            if is_iso_date(v) {
                Ok(v.to_string())
            } else {
                Err(Error::invalid(format!(
                    "Le paramètre « {name} » doit être une date au format AAAA-MM-JJ."
                )))
            }
        })
        .transpose()
}

/// A query parameter restricted to `allowed` values.
fn query_enum(ctx: &Ctx, name: &str, allowed: &[&str]) -> Result<Option<String>> {
    match ctx.req.query_param(name) {
        None => Ok(None),
        Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v)),
        Some(_) => Err(Error::invalid(format!(
            "Le paramètre « {name} » doit valoir : {}.",
            allowed.join(", ")
        ))),
    }
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// A required free text: trimmed, not empty, at most `max` characters.
fn required_text(raw: &str, field: &str, max: usize) -> Result<String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Error::invalid(format!(
            "Le champ « {field} » est obligatoire."
        )));
    }
    if text.chars().count() > max {
        return Err(Error::invalid(format!(
            "Le champ « {field} » ne doit pas dépasser {max} caractères."
        )));
    }
    Ok(text.to_string())
}

/// An optional free text: blank becomes `None`.
fn optional_text(raw: Option<&str>, field: &str, max: usize) -> Result<Option<String>> {
    match raw.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => required_text(t, field, max).map(Some),
        None => Ok(None),
    }
}

/// A `LIKE` pattern that finds `q` anywhere, with `q`'s own wildcards
/// escaped (`\` is the default LIKE escape on MySQL and MariaDB).
fn like_anywhere(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.chars() {
        if matches!(c, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The atelier a list is restricted to: an operateur_fab sees its own atelier
/// only; an operator without atelier sees nothing (no atelier has id 0).
fn atelier_scope(claims: &Claims) -> Option<u64> {
    (claims.role == Role::OperateurFab).then(|| claims.atelier_id.unwrap_or(0))
}

/// For PATCH bodies: tells "absent" (`None`) from "null" (`Some(None)`).
fn double_option<'de, T, D>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Demo data: the Queyras manufacturer, a B2B order "Mairie de Lyon ×10", and
/// a SAV ticket and a defect on the demo orders when they exist. Safe to run
/// again: each row is looked up before it is created.
pub fn seed_demo(conn: &mut Conn) -> Result<()> {
    let fabricant_id = queries::seed_fabricant(conn)?;
    b2b::seed_demo_order(conn, fabricant_id)?;
    tickets::seed_demo_ticket(conn)?;
    defauts::seed_demo_defaut(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert!(is_iso_date("2024-02-29"));
        assert!(!is_iso_date("2023-02-29"));
        assert!(!is_iso_date("2024-13-01"));
        assert!(!is_iso_date("2024-1-01"));
        assert!(!is_iso_date("2024-01-32"));
        assert!(!is_iso_date("x024-01-01"));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_anywhere("MKO-2026"), "%MKO-2026%");
        assert_eq!(like_anywhere("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn texts() {
        assert_eq!(required_text("  Mairie  ", "nom", 10).unwrap(), "Mairie");
        assert!(required_text("   ", "nom", 10).is_err());
        assert!(required_text("abcdefghijk", "nom", 10).is_err());
        assert_eq!(optional_text(Some("  "), "x", 5).unwrap(), None);
        assert_eq!(optional_text(None, "x", 5).unwrap(), None);
    }

    #[test]
    fn operators_are_scoped_to_their_atelier() {
        let op = Claims {
            sub: 1,
            role: Role::OperateurFab,
            atelier_id: Some(7),
            iat: 0,
            exp: 0,
        };
        assert_eq!(atelier_scope(&op), Some(7));
        let lost = Claims {
            atelier_id: None,
            ..op.clone()
        };
        assert_eq!(atelier_scope(&lost), Some(0));
        let admin = Claims {
            role: Role::AdminFab,
            ..op
        };
        assert_eq!(atelier_scope(&admin), None);
    }
}
