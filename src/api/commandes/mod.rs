//! Spec §5.4 — `/api/commandes`, `/api/dashboard`: athletes order medals
//! and validate their engraving (rule 1.1), operators list orders and move
//! them through the status machine ([`status`]); the athlete dashboard of
//! wireframe 11.1 ([`dashboard`]).
//!
//! An order is B2C (an athlete, a chrono) or B2B (a client name, a
//! quantity, no chrono). A B2C order reaches engraving only once its athlete
//! confirmed name, first name, time and date: `gravure_texte` is frozen at
//! that moment from the profile (`users.nom/prenom`, the source of truth,
//! editable until then) and the chosen validated chrono.

mod dashboard;
mod list;
mod queries;
mod render;
mod seed;
pub mod status;
mod validation;

pub use seed::seed_demo;

use crate::api::scope;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::Page;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::{roles, Role};
use list::list_commandes;
use mysql::prelude::Queryable;
use mysql::{params, Conn};
use queries::OrderRow;
use render::{chrono_for_order, gravure_json, order_json};
use serde::{Deserialize, Serialize};
use serde_json::json;
use status::{order_not_found, Shipping, Statut};
use validation::create_validation_gravure;

/// Athletes (their own orders) and the workshop (its atelier's orders).
const OWNER_OR_OPERATEUR: &[Role] = &[
    Role::Sportif,
    Role::OperateurFab,
    Role::AdminFab,
    Role::SuperAdmin,
];

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Post,
        "/api/commandes",
        Access::Roles(roles::SPORTIF),
        create_commande,
        "Commander la médaille d'un parcours (avant ou après l'effort)",
    ),
    route(
        Method::Get,
        "/api/commandes/mes",
        Access::Roles(roles::SPORTIF),
        list_mes_commandes,
        "Mes commandes, avec l'aperçu de la gravure",
    ),
    route(
        Method::Get,
        "/api/commandes",
        Access::Roles(roles::OPERATEUR_PLUS),
        list_commandes,
        "Toutes les commandes (filtres, pagination ; un opérateur ne voit que son atelier)",
    ),
    route(
        Method::Get,
        "/api/commandes/{id}",
        Access::Roles(OWNER_OR_OPERATEUR),
        show_commande,
        "Détail d'une commande avec son historique",
    ),
    route(
        Method::Post,
        "/api/commandes/{id}/valider-gravure",
        Access::Roles(roles::SPORTIF),
        create_validation_gravure,
        "Validation finale de la gravure par le sportif (nom, prénom, temps, date)",
    ),
    route(
        Method::Patch,
        "/api/commandes/{id}/statut",
        Access::Roles(roles::OPERATEUR_PLUS),
        update_statut,
        "Changer le statut d'une commande (transitions autorisées uniquement)",
    ),
    route(
        Method::Get,
        "/api/dashboard",
        Access::Roles(roles::SPORTIF),
        dashboard::show_dashboard,
        "Tableau de bord du sportif (médailles à valider, cols, classements)",
    ),
];

/// The next order number for a course code: `MKO-<year>-<code>-<seq>`, the
/// sequence (per course code) restarting each year.
pub fn next_numero(conn: &mut Conn, code: &str) -> Result<String> {
    let code = code.to_uppercase();
    let (year, seq) = crate::db::rows::next_in_sequence(conn, &code)?;
    Ok(format_numero(year, &code, seq))
}

/// B2B client kinds (`commandes.b2b_client_type`).
pub const B2B_CLIENT_TYPES: &[&str] = &["mairie", "boutique", "association", "autre"];

/// Everything needed to create an order row. Athlete orders, SAV re-orders,
/// hand-entered B2B orders and PrestaShop imports all go through
/// [`insert_order`], so they produce the same rows.
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    /// The athlete (None for B2B).
    pub user_id: Option<u64>,
    /// The course.
    pub produit_id: u64,
    /// The chrono to engrave, if already chosen.
    pub chrono_id: Option<u64>,
    /// Its duration, copied at creation.
    pub duree_secondes: Option<u64>,
    /// Whether the chrono was validated.
    pub chrono_valide: bool,
    /// The workshop that will engrave it.
    pub atelier_id: Option<u64>,
    /// Engraving text, frozen at the athlete's validation (JSON object).
    pub gravure_texte: serde_json::Value,
    /// Rule 1.1 flag.
    pub validation_sportif: bool,
    /// PrestaShop order id, for imports.
    pub presta_order_id: Option<u64>,
    /// The imported PrestaShop order row and medal (issue 8).
    pub presta: Option<PrestaRef>,
    /// B2B order fields.
    pub b2b: Option<B2b>,
    /// For SAV re-orders: the original order.
    pub commande_origine_id: Option<u64>,
    /// Whether this order was created by after-sales.
    pub is_sav: bool,
    /// Contact email when there is no athlete account.
    pub email_client: Option<String>,
}

/// Where an imported order comes from in the shop: one MyKollector order
/// per (order, row, medal), the unique key `uk_commandes_presta_row`.
#[derive(Debug, Clone, Default)]
pub struct PrestaRef {
    /// PrestaShop order id.
    pub order_id: u64,
    /// The order row (`associations.order_rows[].id`).
    pub row_id: u64,
    /// Which medal of the row (1..quantity; always 1 for B2B).
    pub exemplaire: u32,
    /// The delivery address, for the label.
    pub adresse_livraison: Option<serde_json::Value>,
}

/// The B2B part of an order.
#[derive(Debug, Clone, Default)]
pub struct B2b {
    /// Client name (town hall, shop, club).
    pub client_nom: String,
    /// One of [`B2B_CLIENT_TYPES`].
    pub client_type: String,
    /// Manufacturer entity.
    pub fabricant_id: Option<u64>,
    /// Number of medals.
    pub quantite: u32,
}

/// The id and number of a new order.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// Row id.
    pub id: u64,
    /// `MKO-<year>-<code>-<seq>`.
    pub numero: String,
}

/// Inserts an order with its number, in status `attente_gravure` and with a
/// first history entry. Runs inside the caller's transaction.
pub fn insert_order(tx: &mut Conn, order: &NewOrder, actor: Option<u64>) -> Result<Created> {
    let code: Option<String> = tx.exec_first(
        "SELECT code FROM produits WHERE id = ?",
        (order.produit_id,),
    )?;
    let code = code.ok_or_else(|| Error::invalid("Ce parcours n'existe pas."))?;
    let numero = next_numero(tx, &code)?;
    let b2b = order.b2b.as_ref();
    tx.exec_drop(
        r"INSERT INTO commandes
            (numero, user_id, chrono_id, produit_id, atelier_id, statut, chrono_valide, duree_secondes,
             historique, gravure_texte, validation_sportif, presta_order_id,
             presta_order_row_id, presta_exemplaire, adresse_livraison,
             is_b2b, b2b_client_nom, b2b_client_type, b2b_fabricant_id, b2b_quantite,
             commande_origine_id, is_sav, email_client)
          VALUES
            (:numero, :user_id, :chrono_id, :produit_id, :atelier_id, 'attente_gravure', :chrono_valide, :duree,
             JSON_ARRAY(JSON_OBJECT('from', NULL, 'to', 'attente_gravure', 'by', :actor,
                                    'at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%s'), 'comment', 'Création')),
             :gravure_texte, :validation_sportif, :presta_order_id,
             :presta_row, :presta_exemplaire, :adresse,
             :is_b2b, :b2b_nom, :b2b_type, :b2b_fabricant, :b2b_quantite,
             :origine, :is_sav, :email_client)",
        params! {
            "numero" => &numero,
            "user_id" => order.user_id,
            "chrono_id" => order.chrono_id,
            "produit_id" => order.produit_id,
            "atelier_id" => order.atelier_id,
            "chrono_valide" => order.chrono_valide,
            "duree" => order.duree_secondes,
            "actor" => actor,
            "gravure_texte" => order.gravure_texte.to_string(),
            "validation_sportif" => order.validation_sportif,
            "presta_order_id" => order.presta_order_id,
            "presta_row" => order.presta.as_ref().map(|p| p.row_id),
            "presta_exemplaire" => order.presta.as_ref().map(|p| p.exemplaire),
            "adresse" => order.presta.as_ref().and_then(|p| p.adresse_livraison.as_ref()).map(ToString::to_string),
            "is_b2b" => b2b.is_some(),
            "b2b_nom" => b2b.map(|b| b.client_nom.as_str()),
            "b2b_type" => b2b.map(|b| b.client_type.as_str()),
            "b2b_fabricant" => b2b.and_then(|b| b.fabricant_id),
            "b2b_quantite" => b2b.map_or(1, |b| b.quantite),
            "origine" => order.commande_origine_id,
            "is_sav" => order.is_sav,
            "email_client" => order.email_client.as_deref(),
        },
    )?;
    Ok(Created {
        id: tx.last_insert_id(),
        numero,
    })
}

/// `MKO-2026-IZO-041`: at least three digits, more when the year is busy.
#[must_use]
pub fn format_numero(year: u16, code: &str, seq: u64) -> String {
    format!("MKO-{year}-{code}-{seq:03}")
}

#[derive(Deserialize)]
struct CreateBody {
    produit_id: u64,
    chrono_id: Option<u64>,
}

/// Spec 5.4 `POST /api/commandes` (sportif): "Créer une commande". The
/// athlete orders the medal of a course, before or after the effort (1.2);
/// a chrono given now must be one of its own validated chronos on that
/// course. The order goes to the atelier of the dispatch rule
/// ([`crate::api::dispatch::atelier_for`]), or waits for an admin to
/// dispatch it when no rule places it.
fn create_commande(ctx: &mut Ctx) -> Result<Response> {
    let body: CreateBody = ctx.json()?;
    let user_id = ctx.user_id()?;
    let tx = ctx.tx()?;
    // 1. The course exists and is open.
    let course = queries::find_course(tx, body.produit_id)?
        .ok_or_else(|| Error::invalid("Ce parcours n'existe pas."))?;
    if !course.actif {
        return Err(catalog::COURSE_INACTIVE.msg(
            course
                .message_desactivation
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "Ce parcours n'est plus proposé à la commande.".into()),
        ));
    }
    // 2. A chrono chosen now is the athlete's own, validated, on this course.
    let chrono = match body.chrono_id {
        None => None,
        Some(chrono_id) => Some(
            queries::validated_chronos(tx, user_id)?
                .into_iter()
                .find(|c| c.id == chrono_id && c.produit_id == course.id)
                .ok_or_else(|| {
                    Error::invalid("Ce chrono n'est pas un de vos chronos validés sur ce parcours.")
                })?,
        ),
    };
    // 3. Insert with its number.
    let atelier_id = crate::api::dispatch::atelier_for(tx, course.id, None)?;
    let created = insert_order(
        tx,
        &NewOrder {
            user_id: Some(user_id),
            produit_id: course.id,
            chrono_id: chrono.as_ref().map(|c| c.id),
            duree_secondes: chrono.as_ref().map(|c| c.duree_secondes),
            chrono_valide: chrono.is_some(),
            atelier_id,
            gravure_texte: json!({}),
            ..NewOrder::default()
        },
        Some(user_id),
    )?;
    let order = queries::find_order(tx, created.id)?.ok_or_else(order_not_found)?;
    ctx.audit_entity("commande", created.id);
    ctx.audit_details(json!({ "numero": created.numero, "produit_id": course.id }));
    let mut answer = order_json(&order);
    answer["gravure"] = gravure_json(&order, chrono.as_ref());
    Ok(Response::created(&answer))
}

/// Spec 5.4 `GET /api/commandes/mes` (sportif): "Mes commandes", newest
/// first, each with its engraving text (frozen, or a preview from the
/// current profile until the athlete validates).
fn list_mes_commandes(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let user_id = ctx.user_id()?;
    let conn = ctx.conn()?;
    let orders = queries::orders_of_user(conn, user_id)?;
    let chronos = queries::validated_chronos(conn, user_id)?;
    let total = orders.len();
    let items: Vec<_> = orders
        .iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.per_page).unwrap_or(usize::MAX))
        .map(|o| {
            let mut item = order_json(o);
            item["gravure"] = gravure_json(o, chrono_for_order(o, &chronos));
            item
        })
        .collect();
    Ok(Response::ok(&page.wrap(items, total as u64)))
}

/// `GET /api/commandes/{id}`: one order with its history, for its athlete or
/// for the workshop (an `operateur_fab` only within its atelier).
fn show_commande(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. The order exists and the caller may see it; others get a 404.
    let order = queries::find_order(conn, id)?.ok_or_else(order_not_found)?;
    let visible = if claims.role == Role::Sportif {
        order.user_id == Some(claims.sub)
    } else {
        scope::may_touch(&claims, order.atelier_id)
    };
    if !visible {
        return Err(order_not_found());
    }
    detail_response(conn, &order)
}

/// The full answer about one order: the row, its engraving text and history.
pub(super) fn detail_response(conn: &mut Conn, order: &OrderRow) -> Result<Response> {
    let chronos = match order.user_id {
        Some(user_id) if !order.validation_sportif => queries::validated_chronos(conn, user_id)?,
        _ => Vec::new(),
    };
    let historique = queries::order_history(conn, order.id)?
        .and_then(|h| serde_json::from_str::<serde_json::Value>(&h).ok())
        .unwrap_or_else(|| json!([]));
    let mut answer = order_json(order);
    answer["gravure"] = gravure_json(order, chrono_for_order(order, &chronos));
    answer["historique"] = historique;
    Ok(Response::ok(&answer))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatutBody {
    statut: String,
    commentaire: Option<String>,
    #[serde(default, alias = "tracking")]
    numero_suivi: Option<String>,
    transporteur: Option<String>,
}

/// Spec 5.4 `PATCH /api/commandes/:id/statut` (operateur+): "Changer le
/// statut" through the transitions of [`status::TRANSITIONS`]; `expedie`
/// needs `numero_suivi` (alias `tracking`) and emails the athlete once
/// committed (spec 12).
fn update_statut(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: StatutBody = ctx.json()?;
    let claims = ctx.claims()?.clone();
    // 1. A known status and bounded texts.
    let to = Statut::parse(body.statut.trim()).ok_or_else(|| {
        Error::invalid(format!(
            "Statut inconnu « {} ». Valeurs possibles : {}.",
            body.statut,
            Statut::ALL.map(Statut::as_str).join(", ")
        ))
    })?;
    let commentaire = bounded(body.commentaire.as_deref(), 500, "Le commentaire")?;
    let shipping = Shipping {
        tracking: bounded(body.numero_suivi.as_deref(), 100, "Le numéro de suivi")?,
        transporteur: bounded(body.transporteur.as_deref(), 100, "Le transporteur")?,
    };
    // 2. The machine checks atelier, transition, rule 1.1 and tracking.
    let tx = ctx.tx()?;
    let change = status::change_status(tx, id, to, &claims, commentaire.as_deref(), &shipping)?;
    let order = queries::find_order(tx, id)?.ok_or_else(order_not_found)?;
    let answer = detail_response(tx, &order)?;
    ctx.audit_entity("commande", id);
    ctx.audit_details(json!({ "from": change.from, "to": change.to, "comment": commentaire }));
    // 3. The athlete hears about shipping only once it is committed.
    if to == Statut::Expedie {
        crate::api::notifications::events::order_shipped(ctx, id)?;
    }
    // The shop hears about it too, through the outbox (never blocking).
    ctx.after_commit(crate::api::prestashop::push_after_commit(vec![id]));
    Ok(answer)
}

/// [`crate::text::bounded`], with the message naming `what`.
fn bounded(value: Option<&str>, max: usize, what: &str) -> Result<Option<String>> {
    let too_long = format!("{what} ne doit pas dépasser {max} caractères.");
    Ok(crate::text::bounded(value, max, too_long)?.map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_wireframe() {
        assert_eq!(format_numero(2026, "IZO", 41), "MKO-2026-IZO-041");
        assert_eq!(format_numero(2026, "GAL", 1234), "MKO-2026-GAL-1234");
    }
}
