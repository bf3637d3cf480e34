//! B2B orders entered by hand (spec §1.4: town halls, shops, clubs buying
//! medals in bulk, no athlete, no chrono) and the B2B manufacturers
//! (`fabricants`, spec 4.6–4.29).
//!
//! A B2B order goes straight to the workshop with the gold "B2B" badge: it
//! has no athlete to validate its engraving, so the status machine lets it
//! reach `en_gravure` without `validation_sportif` (rule 1.1's exception).
//! [`insert_b2b_order`] is the one way to create such a row; the PrestaShop
//! import (group "Professionnels") must call it too.

use super::queries::{self, FabricantUpdate, NewFabricant};
use super::{optional_text, patched, query_enum, required_text};
use crate::api::auth::normalize_email;
use crate::api::commandes::{self, Created, NewOrder, B2B_CLIENT_TYPES};
use crate::db::rows;
use crate::error::catalog;
use crate::error::{Error, Result, ResultExt};
use crate::http::list::Page;
use crate::http::{Ctx, Response};
use crate::text::check_engravable;
use crate::time;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Deserialize;
use serde_json::json;

/// Largest B2B batch accepted in one order.
pub const B2B_QUANTITE_MAX: u32 = 10_000;

/// A B2B order to create, whatever its source (hand entry, PrestaShop).
#[derive(Debug, Clone, Default)]
pub struct B2bInput {
    /// Client name (town hall, shop, club).
    pub client_nom: String,
    /// One of [`B2B_CLIENT_TYPES`].
    pub client_type: String,
    /// Number of medals, 1 to [`B2B_QUANTITE_MAX`].
    pub quantite: u32,
    /// The course.
    pub produit_id: u64,
    /// The manufacturer entity, if any.
    pub fabricant_id: Option<u64>,
    /// The workshop that engraves it.
    pub atelier_id: Option<u64>,
    /// Name to engrave; the client's name when absent.
    pub gravure_nom: Option<String>,
    /// PrestaShop order id, for imports.
    pub presta_order_id: Option<u64>,
    /// The imported PrestaShop order row (issue 8).
    pub presta: Option<commandes::PrestaRef>,
    /// Contact email, if known.
    pub email_client: Option<String>,
}

/// Checks a B2B order and inserts it in `attente_gravure` with its
/// engraving text `{nom, prenom: "", chrono: "", date, numero}` — the
/// French date of the order in capitals and the order's own number, an
/// empty chrono as DECISIONS.md wants for B2B. Runs in the caller's
/// transaction; every refusal is a French 422.
pub fn insert_b2b_order(tx: &mut Conn, input: &B2bInput, actor: Option<u64>) -> Result<Created> {
    let client_nom = required_text(&input.client_nom, "b2b_client_nom", 200)?;
    check_engravable(&client_nom, "b2b_client_nom")?;
    if !B2B_CLIENT_TYPES.contains(&input.client_type.as_str()) {
        return Err(Error::invalid(
            "Type de client B2B inconnu : mairie, boutique, association ou autre.",
        ));
    }
    if !(1..=B2B_QUANTITE_MAX).contains(&input.quantite) {
        return Err(Error::invalid(format!(
            "La quantité doit être comprise entre 1 et {B2B_QUANTITE_MAX}."
        )));
    }
    let gravure_nom = match &input.gravure_nom {
        Some(n) => required_text(n, "nom à graver", 100)?,
        None => client_nom.chars().take(100).collect(),
    };
    check_engravable(&gravure_nom, "nom à graver")?;
    let email = input
        .email_client
        .as_deref()
        .map(normalize_email)
        .transpose()?;
    if !crate::db::rows::exists(tx, "produits", input.produit_id)? {
        return Err(Error::invalid("Ce parcours n'existe pas."));
    }
    if let Some(atelier_id) = input.atelier_id {
        if !queries::atelier_active(tx, atelier_id)? {
            return Err(Error::invalid(
                "Cet atelier n'existe pas ou n'est plus actif.",
            ));
        }
    }
    if let Some(fabricant_id) = input.fabricant_id {
        if !queries::fabricant_active(tx, fabricant_id)? {
            return Err(Error::invalid(
                "Ce fabricant n'existe pas ou n'est plus actif.",
            ));
        }
    }
    let today: Option<String> = tx.query_first("SELECT DATE_FORMAT(NOW(), '%Y-%m-%d')")?;
    let date = today
        .as_deref()
        .and_then(time::french_date_upper)
        .unwrap_or_default();
    let created = commandes::insert_order(
        tx,
        &NewOrder {
            user_id: None,
            produit_id: input.produit_id,
            atelier_id: input.atelier_id,
            gravure_texte: json!({
                "nom": gravure_nom,
                "prenom": "",
                "chrono": "",
                "date": date,
                "numero": "",
            }),
            // Nobody validates a B2B engraving: the status machine exempts
            // B2B orders from rule 1.1 instead.
            validation_sportif: false,
            presta_order_id: input.presta_order_id,
            presta: input.presta.clone(),
            b2b: Some(commandes::B2b {
                client_nom,
                client_type: input.client_type.clone(),
                fabricant_id: input.fabricant_id,
                quantite: input.quantite,
            }),
            email_client: email,
            ..NewOrder::default()
        },
        actor,
    )?;
    // The number only exists once the row does.
    queries::set_gravure_numero(tx, created.id, &created.numero)?;
    Ok(created)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct GravureBody {
    nom: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateB2bBody {
    b2b_client_nom: String,
    b2b_client_type: String,
    b2b_quantite: u32,
    produit_id: u64,
    b2b_fabricant_id: Option<u64>,
    atelier_id: u64,
    email_client: Option<String>,
    gravure: Option<GravureBody>,
}

/// Spec 1.4 "Commandes B2B": `POST /api/commandes/b2b` (admin+) — an order
/// taken outside the shop, straight to the workshop with the B2B badge.
pub fn create_commande_b2b(ctx: &mut Ctx) -> Result<Response> {
    let body: CreateB2bBody = ctx.json()?;
    let actor = ctx.user_id()?;
    let gravure_nom = body
        .gravure
        .unwrap_or_default()
        .nom
        .filter(|n| !n.trim().is_empty());
    let tx = ctx.tx()?;
    let created = insert_b2b_order(
        tx,
        &B2bInput {
            client_nom: body.b2b_client_nom,
            client_type: body.b2b_client_type,
            quantite: body.b2b_quantite,
            produit_id: body.produit_id,
            fabricant_id: body.b2b_fabricant_id,
            atelier_id: Some(body.atelier_id),
            gravure_nom,
            presta_order_id: None,
            presta: None,
            email_client: body.email_client.filter(|e| !e.trim().is_empty()),
        },
        Some(actor),
    )?;
    let order = queries::find_order_summary(tx, created.id)?
        .ok_or_else(|| Error::internal("order vanished after insert"))?;
    ctx.audit_entity("commande", created.id);
    ctx.audit_details(json!({
        "numero": created.numero,
        "b2b_client_nom": order.b2b_client_nom,
        "b2b_quantite": order.b2b_quantite,
    }));
    Ok(Response::created(&order))
}

// ---------------------------------------------------------------------------
// Fabricants
// ---------------------------------------------------------------------------

fn fabricant_not_found() -> Error {
    catalog::FABRICANT_NOT_FOUND.err()
}

/// Manufacturer codes (also PrestaShop's `mko_fabricant_id` feature value):
/// upper-case ASCII letters, digits, `_` and `-`.
fn clean_fabricant_code(raw: &str) -> Result<String> {
    let code = raw.trim().to_ascii_uppercase();
    let ok = (2..=20).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(code)
    } else {
        Err(Error::invalid(
            "Le code fabricant doit faire 2 à 20 caractères : lettres sans accent, chiffres, « _ » ou « - ».",
        ))
    }
}

fn clean_phone(raw: Option<&str>) -> Result<Option<String>> {
    let Some(phone) = optional_text(raw, "téléphone", 30)? else {
        return Ok(None);
    };
    if phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +.-()".contains(c))
    {
        Ok(Some(phone))
    } else {
        Err(Error::invalid("Numéro de téléphone invalide."))
    }
}

fn clean_email(raw: Option<&str>) -> Result<Option<String>> {
    raw.map(str::trim)
        .filter(|e| !e.is_empty())
        .map(normalize_email)
        .transpose()
}

/// The manager of a manufacturer is an active `admin_fab` (spec: fabricants →
/// users (`admin_fab`)).
fn check_admin_user(conn: &mut Conn, id: u64) -> Result<()> {
    if queries::is_active_admin_fab(conn, id)? {
        Ok(())
    } else {
        Err(Error::invalid(
            "Le responsable d'un fabricant doit être un compte admin_fab actif.",
        ))
    }
}

fn code_taken(r: std::result::Result<u64, mysql::Error>) -> Result<u64> {
    r.on_duplicate(
        "uk_fabricants_code",
        &catalog::CODE_TAKEN,
        "Un fabricant existe déjà avec ce code.",
    )
}

/// Spec 4.6–4.29 `fabricants`: `GET /api/fabricants` (operateur+), to filter
/// B2B orders by manufacturer. `?actif=true|false`, paginated, by name.
pub fn list_fabricants(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let actif = query_enum(ctx, "actif", &["true", "false"])?.map(|a| a == "true");
    let (items, total) =
        queries::list_fabricants(ctx.conn()?, actif, page.per_page, page.offset())?;
    Ok(Response::ok(&page.wrap(&items, total)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateFabricantBody {
    nom: String,
    code: String,
    admin_user_id: Option<u64>,
    contact_email: Option<String>,
    contact_telephone: Option<String>,
    actif: Option<bool>,
}

/// `POST /api/fabricants` (admin+): a new B2B manufacturer; codes are unique.
pub fn create_fabricant(ctx: &mut Ctx) -> Result<Response> {
    let body: CreateFabricantBody = ctx.json()?;
    let nom = required_text(&body.nom, "nom", 200)?;
    let code = clean_fabricant_code(&body.code)?;
    let email = clean_email(body.contact_email.as_deref())?;
    let phone = clean_phone(body.contact_telephone.as_deref())?;
    let conn = ctx.conn()?;
    if let Some(id) = body.admin_user_id {
        check_admin_user(conn, id)?;
    }
    let id = code_taken(queries::insert_fabricant(
        conn,
        &NewFabricant {
            nom: &nom,
            code: &code,
            admin_user_id: body.admin_user_id,
            contact_email: email.as_deref(),
            contact_telephone: phone.as_deref(),
            actif: body.actif.unwrap_or(true),
        },
    ))?;
    let fabricant = queries::find_fabricant(conn, id)?.ok_or_else(fabricant_not_found)?;
    ctx.audit_entity("fabricant", id);
    ctx.audit_details(json!({ "code": code, "nom": nom }));
    Ok(Response::created(&fabricant))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateFabricantBody {
    nom: Option<String>,
    code: Option<String>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    admin_user_id: Option<Option<u64>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    contact_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::nullable")]
    contact_telephone: Option<Option<String>>,
    actif: Option<bool>,
}

/// `PATCH /api/fabricants/:id` (admin+). A deactivated manufacturer keeps
/// its orders but cannot be chosen for new ones.
pub fn update_fabricant(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: UpdateFabricantBody = ctx.json()?;
    let nom = body
        .nom
        .as_deref()
        .map(|n| required_text(n, "nom", 200))
        .transpose()?;
    let code = body.code.as_deref().map(clean_fabricant_code).transpose()?;
    let email = patched(body.contact_email.as_ref(), clean_email)?;
    let phone = patched(body.contact_telephone.as_ref(), clean_phone)?;
    let conn = ctx.conn()?;
    queries::find_fabricant(conn, id)?.ok_or_else(fabricant_not_found)?;
    if let Some(Some(user)) = body.admin_user_id {
        check_admin_user(conn, user)?;
    }
    code_taken(
        queries::update_fabricant(
            conn,
            id,
            &FabricantUpdate {
                nom: nom.as_deref(),
                code: code.as_deref(),
                admin_user_id: body.admin_user_id,
                contact_email: email.as_ref().map(|e| e.as_deref()),
                contact_telephone: phone.as_ref().map(|p| p.as_deref()),
                actif: body.actif,
            },
        )
        .map(|()| id),
    )?;
    let fabricant = queries::find_fabricant(conn, id)?.ok_or_else(fabricant_not_found)?;
    ctx.audit_entity("fabricant", id);
    ctx.audit_details(json!({ "code": code, "nom": nom, "actif": body.actif }));
    Ok(Response::ok(&fabricant))
}

/// Demo: "Mairie de Lyon ×10" on a demo course (Izoard when it exists), made
/// by the Queyras manufacturer in atelier A1. Created once.
pub(super) fn seed_demo_order(conn: &mut Conn, fabricant_id: Option<u64>) -> Result<()> {
    const CLIENT: &str = "Mairie de Lyon";
    if rows::any(
        conn,
        "SELECT id FROM commandes WHERE is_b2b = TRUE AND b2b_client_nom = ? AND presta_order_id IS NULL LIMIT 1",
        (CLIENT,),
    )? {
        return Ok(());
    }
    let produit: Option<u64> =
        conn.query_first("SELECT id FROM produits ORDER BY (code = 'IZO') DESC, id LIMIT 1")?;
    let Some(produit_id) = produit else {
        return Ok(());
    };
    let atelier: Option<u64> = conn.query_first("SELECT id FROM ateliers WHERE code = 'A1'")?;
    let order = B2bInput {
        client_nom: CLIENT.into(),
        client_type: "mairie".into(),
        quantite: 10,
        produit_id,
        fabricant_id,
        atelier_id: atelier,
        gravure_nom: Some("VILLE DE LYON".into()),
        presta_order_id: None,
        presta: None,
        email_client: Some("sports@mairie-lyon.fr".into()),
    };
    crate::db::transaction(conn, |tx| insert_b2b_order(tx, &order, None))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fabricant_codes() {
        assert_eq!(clean_fabricant_code(" queyras ").unwrap(), "QUEYRAS");
        assert_eq!(clean_fabricant_code("FAB-01").unwrap(), "FAB-01");
        assert!(clean_fabricant_code("Q").is_err());
        assert!(clean_fabricant_code("ÉCRINS").is_err());
        assert!(clean_fabricant_code(&"A".repeat(21)).is_err());
    }

    #[test]
    fn phones() {
        assert_eq!(
            clean_phone(Some(" +33 4 92 46 00 00 ")).unwrap().as_deref(),
            Some("+33 4 92 46 00 00")
        );
        assert_eq!(clean_phone(Some("")).unwrap(), None);
        assert!(clean_phone(Some("appelez-moi")).is_err());
    }
}
