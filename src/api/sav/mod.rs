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
//! An `operateur_fab` only works on its own atelier: tickets and defects of
//! another atelier answer 404, exactly like its orders.

pub mod b2b;
pub mod defauts;
pub mod express;
mod queries;
pub mod tickets;

use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method};
use crate::security::roles;
use mysql::Conn;

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

/// A nullable PATCH field cleaned by `clean`: absent stays `None` (keep the
/// stored value), `null` reaches `clean` as `None`.
fn patched<T>(
    field: Option<&Option<String>>,
    clean: impl FnOnce(Option<&str>) -> Result<T>,
) -> Result<Option<T>> {
    field.map(|v| clean(v.as_deref())).transpose()
}

/// The status a PATCH asks for, moving from `from`: `None` when absent or
/// unchanged; one outside `statuts` is a 422, a move missing from
/// `transitions` is `refused(to)`.
fn requested_status<'a>(
    to: Option<&'a str>,
    from: &str,
    statuts: &[&str],
    transitions: &[(&str, &str)],
    refused: impl FnOnce(&str) -> Error,
) -> Result<Option<&'a str>> {
    match to {
        None => Ok(None),
        Some(s) if !statuts.contains(&s) => Err(Error::invalid(format!(
            "Statut inconnu : {}.",
            in_words(statuts)
        ))),
        Some(s) if s == from => Ok(None),
        Some(s) if transitions.contains(&(from, s)) => Ok(Some(s)),
        Some(s) => Err(refused(s)),
    }
}

/// `a, b ou c`.
fn in_words(values: &[&str]) -> String {
    match values.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} ou {last}", rest.join(", ")),
        None => String::new(),
    }
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
    fn texts() {
        assert_eq!(required_text("  Mairie  ", "nom", 10).unwrap(), "Mairie");
        assert!(required_text("   ", "nom", 10).is_err());
        assert!(required_text("abcdefghijk", "nom", 10).is_err());
        assert_eq!(optional_text(Some("  "), "x", 5).unwrap(), None);
        assert_eq!(optional_text(None, "x", 5).unwrap(), None);
    }

    #[test]
    fn status_requests() {
        let statuts = ["ouvert", "traite", "clos"];
        let moves = [("ouvert", "traite")];
        let refused = |_: &str| Error::invalid("refusé");
        let ask = |to| requested_status(to, "ouvert", &statuts, &moves, refused);
        assert_eq!(ask(None).unwrap(), None);
        assert_eq!(ask(Some("ouvert")).unwrap(), None);
        assert_eq!(ask(Some("traite")).unwrap(), Some("traite"));
        assert!(ask(Some("clos")).is_err());
        let unknown = ask(Some("perdu")).unwrap_err();
        assert_eq!(
            unknown.message(),
            "Statut inconnu : ouvert, traite ou clos."
        );
    }
}
