//! Spec §5.5 — `/api/fab/*`: the workshop's screen (wireframe 11.3) and its
//! actions: take orders into engraving, finish engraving, ship one order or
//! a batch.
//!
//! Scope: an `operateur_fab` works in its own atelier only (its token's
//! `atelier_id`); an order of another atelier is a 404, as if it did not
//! exist. Admins (`admin_fab`, `super_admin`) see every atelier, or one with
//! `?atelier_id=`.
//!
//! Unassigned orders (`atelier_id` NULL) belong to no atelier: operators
//! neither see nor take them (the rule of
//! [`crate::api::scope::may_touch`]). An admin takes
//! one into engraving only by naming the atelier that engraves it
//! (`atelier_id` of `prendre`), which assigns it in the same transaction —
//! so every order that reaches the laser has an atelier whose stock it uses.
//!
//! Every status change goes through the status machine
//! ([`crate::api::commandes::status::change_status`]): history, audit row
//! and stock consumption come from there.

mod queries;

pub use queries::{course_counters_read, open_b2b_orders_read};

use crate::api::commandes::status::{self, order_not_found, Shipping, Statut};
use crate::api::scope;
use crate::api::stock::{self, query_bool};
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::guard;
use crate::http::list::{query_u64, Answer, Page};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::jwt::Claims;
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::Conn;
use queries::Sort;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/fab/commandes",
        Access::Roles(roles::OPERATEUR_PLUS),
        list_commandes,
        "Commandes de l'atelier : compteurs par parcours, B2B, liste filtrée, alertes de stock",
    ),
    route(
        Method::Post,
        "/api/fab/gravure/prendre",
        Access::Roles(roles::OPERATEUR_PLUS),
        create_prise,
        "Prendre des commandes en charge (passage en gravure, atomique)",
    ),
    route(
        Method::Patch,
        "/api/fab/gravure/{id}/terminer",
        Access::Roles(roles::OPERATEUR_PLUS),
        update_gravure_terminee,
        "Marquer la gravure terminée (consomme une médaille du stock)",
    ),
    route(
        Method::Post,
        "/api/fab/expedition",
        Access::Roles(roles::OPERATEUR_PLUS),
        create_expedition,
        "Expédier une commande (transporteur + numéro de suivi, email au sportif)",
    ),
    route(
        Method::Post,
        "/api/fab/expedition/batch",
        Access::Roles(roles::OPERATEUR_PLUS),
        create_expeditions_batch,
        "Expédier un lot de commandes (résultat par commande)",
    ),
];

/// Most orders one `prendre` or one shipping batch may name: a laser plate
/// or a carrier pickup, far below what would make one transaction too long.
const MAX_BATCH: usize = 200;

/// Spec 5.5 `GET /api/fab/commandes`: "Commandes de l'atelier".
///
/// The screen of wireframe 11.3 in one answer: per-course counters (stock,
/// à graver, en gravure, à expédier), the open B2B orders, the order list
/// (filters `statut`, `produit_id`, `b2b`, `sort=recent|ancien`, paginated)
/// and the low-stock alerts.
pub fn list_commandes(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let atelier_id = query_u64(ctx.req, "atelier_id")?;
    let produit_id = query_u64(ctx.req, "produit_id")?;
    let b2b = query_bool(ctx, "b2b")?;
    let statut = match ctx.req.query_param("statut") {
        None => None,
        Some(s) => Some(Statut::parse(&s).ok_or_else(|| {
            Error::invalid("Statut inconnu (attente_gravure, en_gravure, grave, attente_expedition, expedie, livre, sav ou annule).")
        })?),
    };
    let sort = match ctx.req.query_param("sort").as_deref() {
        None | Some("recent") => Sort::Recent,
        Some("ancien") => Sort::Ancien,
        Some(_) => return Err(Error::invalid("Tri inconnu : « recent » ou « ancien ».")),
    };
    let claims = ctx.claims()?.clone();
    let conn = ctx.conn()?;
    // 1. An operator sees its own atelier only.
    let scope = scope::resolve_atelier(conn, &claims, atelier_id)?;
    let atelier = match scope {
        Some(id) => stock::queries::find_atelier(conn, id)?,
        None => None,
    };
    let mut filter = crate::http::list::Where::new();
    filter
        .bind_opt("c.atelier_id = ?", scope)
        .bind_opt("c.statut = ?", statut.map(Statut::as_str))
        .bind_opt("c.produit_id = ?", produit_id)
        .bind_opt("COALESCE(c.is_b2b, FALSE) = ?", b2b);
    let listed = queries::list_orders(conn, &filter, sort, &page)?;
    Ok(Response::ok(&Screen {
        atelier,
        parcours: queries::course_counters(conn, scope)?,
        b2b: queries::open_b2b_orders(conn, scope)?,
        commandes: page.answer(&listed),
        alertes: stock::queries::alerts(conn, scope)?,
    }))
}

/// The answer of [`list_commandes`], serialised from its parts (a thousand
/// course counters are not copied into a JSON tree first).
#[derive(Serialize)]
struct Screen<'a> {
    atelier: Option<Value>,
    parcours: Vec<queries::CourseCounters>,
    b2b: Vec<queries::B2bBandItem>,
    commandes: Answer<'a, queries::OrderItem>,
    alertes: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriseBody {
    commande_ids: Vec<u64>,
    atelier_id: Option<u64>,
}

/// Spec 5.5 `POST /api/fab/gravure/prendre`: "Prendre commandes en charge".
///
/// Takes the engraving-ready orders among `commande_ids` (waiting, and
/// validated by the athlete or B2B — rule 1.1) and refuses the others with
/// a reason. Each order is locked (`SELECT … FOR UPDATE`, in id order so two
/// takers never deadlock) before the status machine moves it: a second
/// operator asking for the same orders waits, then finds them already
/// taken. Every order is taken exactly once.
pub fn create_prise(ctx: &mut Ctx) -> Result<Response> {
    let body: PriseBody = ctx.json()?;
    // 1. The list.
    let mut ids = body.commande_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_BATCH || ids[0] == 0 {
        return Err(Error::invalid(format!(
            "Indiquez de 1 à {MAX_BATCH} identifiants de commandes valides."
        )));
    }
    let claims = ctx.claims()?.clone();
    let (config, req) = (ctx.config, ctx.req);
    let tx = ctx.tx()?;
    // 2. The atelier: an operator's own; an admin's choice, or all.
    let scope = scope::resolve_atelier(tx, &claims, body.atelier_id)?;
    // 3. Each order on its own, inside a savepoint: a refused order leaves
    //    nothing behind and never blocks the others.
    let mut prises = Vec::new();
    let mut refusees = Vec::new();
    for id in ids {
        match in_savepoint(tx, |tx| take_one(tx, id, scope, &claims))? {
            Ok(change) => prises.push(json!({ "id": id, "numero": change.numero })),
            Err(e) => {
                log_if_server_error(config, req, &e);
                refusees.push(json!({ "id": id, "raison": e.code(), "message": e.message() }));
            }
        }
    }
    let taken: Vec<u64> = prises.iter().filter_map(|p| p["id"].as_u64()).collect();
    ctx.after_commit(crate::api::prestashop::push_after_commit(taken));
    if let Some(first) = prises.first().and_then(|p| p["id"].as_u64()) {
        ctx.audit_entity("commande", first);
    }
    ctx.audit_details(json!({ "action": "prendre", "prises": prises, "refusees": refusees }));
    Ok(Response::ok(
        &json!({ "prises": prises, "refusees": refusees }),
    ))
}

/// Moves one order into engraving for [`create_prise`].
fn take_one(tx: &mut Conn, id: u64, scope: Option<u64>, claims: &Claims) -> Result<status::Change> {
    let order = queries::lock_for_take(tx, id)?.ok_or_else(order_not_found)?;
    // Outside the requested atelier, or another operator's: not there.
    if !scope::may_touch(claims, order.atelier_id) {
        return Err(order_not_found());
    }
    match (order.atelier_id, scope) {
        (Some(a), Some(s)) if a != s => return Err(order_not_found()),
        (None, None) => {
            return Err(catalog::NO_ATELIER.msg(format!(
                "La commande {} n'est affectée à aucun atelier : indiquez l'atelier qui la grave.",
                order.numero
            )))
        }
        _ => {}
    }
    match order.statut.as_str() {
        "attente_gravure" => {}
        "en_gravure" => {
            return Err(catalog::ALREADY_TAKEN
                .msg(format!("La commande {} est déjà en gravure.", order.numero)))
        }
        other => {
            let label = Statut::parse(other).map_or("dans un état inconnu", Statut::label);
            return Err(catalog::TRANSITION_REFUSED.msg(format!(
                "La commande {} est {label} : elle ne peut pas être prise en gravure.",
                order.numero
            )));
        }
    }
    if let (None, Some(s)) = (order.atelier_id, scope) {
        queries::assign_atelier(tx, id, s)?;
    }
    status::change_status(
        tx,
        id,
        Statut::EnGravure,
        claims,
        Some("Prise en charge en gravure"),
        &Shipping::default(),
    )
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TerminerBody {
    commentaire: Option<String>,
}

/// Spec 5.5 `PATCH /api/fab/gravure/:id/terminer`: "Marquer gravure
/// terminée". The status machine consumes one medal of the atelier's stock;
/// the answer shows the stock line after it.
pub fn update_gravure_terminee(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    // The body is optional: {commentaire}.
    let body: TerminerBody = if ctx.req.body.iter().all(u8::is_ascii_whitespace) {
        TerminerBody::default()
    } else {
        ctx.json()?
    };
    let commentaire = body
        .commentaire
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if commentaire.is_some_and(|c| c.chars().count() > 500) {
        return Err(Error::invalid(
            "Le commentaire ne peut pas dépasser 500 caractères.",
        ));
    }
    let claims = ctx.claims()?.clone();
    let tx = ctx.tx()?;
    // 1-2. Scope, transition (en_gravure → grave) and stock: the machine.
    let change = status::change_status(
        tx,
        id,
        Statut::Grave,
        &claims,
        Some(commentaire.unwrap_or("Gravure terminée")),
        &Shipping::default(),
    )?;
    let stock = match queries::stock_line_of_order(tx, id)? {
        Some(line) => stock::queries::find_stock(tx, line)?,
        None => None,
    };
    ctx.audit_entity("commande", id);
    ctx.audit_details(json!({ "from": change.from, "to": change.to }));
    Ok(Response::ok(&json!({
        "commande_id": id,
        "numero": change.numero,
        "statut": change.to,
        "stock": stock,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpeditionBody {
    commande_id: u64,
    transporteur: Option<String>,
    numero_suivi: Option<String>,
}

/// Spec 5.5 `POST /api/fab/expedition`: "Expédier une commande" — carrier
/// and tracking number required; the athlete is emailed once the change is
/// committed.
pub fn create_expedition(ctx: &mut Ctx) -> Result<Response> {
    let body: ExpeditionBody = ctx.json()?;
    let claims = ctx.claims()?.clone();
    let tx = ctx.tx()?;
    let change = ship_one(tx, &body, &claims)?;
    let id = change.commande_id;
    crate::api::notifications::events::order_shipped(ctx, id)?;
    ctx.after_commit(crate::api::prestashop::push_after_commit(vec![id]));
    ctx.audit_entity("commande", id);
    ctx.audit_details(json!({
        "from": change.from, "to": change.to,
        "transporteur": body.transporteur, "numero_suivi": body.numero_suivi,
    }));
    Ok(Response::ok(&json!({
        "commande_id": id,
        "numero": change.numero,
        "statut": change.to,
        "transporteur": body.transporteur.as_deref().map(str::trim),
        "numero_suivi": body.numero_suivi.as_deref().map(str::trim),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    expeditions: Vec<ExpeditionBody>,
}

/// Spec 5.5 `POST /api/fab/expedition/batch`: "Expédition en lot".
///
/// Each order is shipped in its own savepoint of the request's transaction:
/// a refused one (no tracking number, wrong status, another atelier's) is
/// rolled back alone and reported, the others ship. Emails leave after the
/// commit, for the shipped ones only.
pub fn create_expeditions_batch(ctx: &mut Ctx) -> Result<Response> {
    let body: BatchBody = ctx.json()?;
    if body.expeditions.is_empty() || body.expeditions.len() > MAX_BATCH {
        return Err(Error::invalid(format!(
            "Indiquez de 1 à {MAX_BATCH} expéditions."
        )));
    }
    let claims = ctx.claims()?.clone();
    let (config, req) = (ctx.config, ctx.req);
    let tx = ctx.tx()?;
    let mut resultats: Vec<Value> = Vec::new();
    let mut shipped = Vec::new();
    for item in &body.expeditions {
        match in_savepoint(tx, |tx| ship_one(tx, item, &claims))? {
            Ok(change) => {
                shipped.push(change.commande_id);
                resultats.push(json!({
                    "commande_id": item.commande_id, "ok": true,
                    "numero": change.numero, "statut": change.to,
                }));
            }
            Err(e) => {
                log_if_server_error(config, req, &e);
                resultats.push(json!({
                    "commande_id": item.commande_id, "ok": false,
                    "code": e.code(), "message": e.message(),
                }));
            }
        }
    }
    for id in shipped.iter().copied() {
        crate::api::notifications::events::order_shipped(ctx, id)?;
    }
    ctx.after_commit(crate::api::prestashop::push_after_commit(shipped.clone()));
    let echecs = resultats.len() - shipped.len();
    if let Some(first) = shipped.first() {
        ctx.audit_entity("commande", *first);
    }
    ctx.audit_details(
        json!({ "action": "expedition_batch", "expediees": shipped, "echecs": echecs }),
    );
    Ok(Response::ok(&json!({
        "resultats": resultats,
        "expediees": shipped.len(),
        "echecs": echecs,
    })))
}

/// Validates one shipment and moves the order to `expedie`.
fn ship_one(tx: &mut Conn, item: &ExpeditionBody, claims: &Claims) -> Result<status::Change> {
    let transporteur = item
        .transporteur
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let suivi = item
        .numero_suivi
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(transporteur) = transporteur else {
        return Err(Error::invalid(
            "Le transporteur est obligatoire pour expédier une commande.",
        ));
    };
    let Some(suivi) = suivi else {
        return Err(Error::invalid(
            "Le numéro de suivi est obligatoire pour expédier une commande.",
        ));
    };
    if transporteur.chars().count() > 100 || suivi.chars().count() > 100 {
        return Err(Error::invalid(
            "Le transporteur et le numéro de suivi font 100 caractères au plus.",
        ));
    }
    if item.commande_id == 0 {
        return Err(order_not_found());
    }
    status::change_status(
        tx,
        item.commande_id,
        Statut::Expedie,
        claims,
        Some(&format!("Expédiée par {transporteur} (suivi {suivi})")),
        &Shipping {
            transporteur: Some(transporteur.to_string()),
            tracking: Some(suivi.to_string()),
        },
    )
}

/// Runs `work` inside a savepoint: kept on success, undone on failure. The
/// outer `Result` fails only when the savepoint itself cannot be handled
/// (the transaction is gone), which ends the whole request.
fn in_savepoint<T>(tx: &mut Conn, work: impl FnOnce(&mut Conn) -> Result<T>) -> Result<Result<T>> {
    tx.query_drop("SAVEPOINT fab_item")?;
    match work(tx) {
        Ok(v) => {
            tx.query_drop("RELEASE SAVEPOINT fab_item")?;
            Ok(Ok(v))
        }
        Err(e) => {
            tx.query_drop("ROLLBACK TO SAVEPOINT fab_item")?;
            Ok(Err(e))
        }
    }
}

/// A per-order failure that is our fault still deserves a log line, although
/// the request answers 200 with the other orders' outcomes.
fn log_if_server_error(config: &crate::config::Config, req: &crate::http::Request, e: &Error) {
    if e.is_server_error() {
        guard::log_error(config, req, e);
    }
}
