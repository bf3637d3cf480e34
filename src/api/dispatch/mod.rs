//! Issue 8 item 4 — which atelier engraves an order, `/api/commandes/a-repartir`
//! and `/api/commandes/repartition`.
//!
//! The rule, in order: a B2B order goes to its manufacturer's atelier (the
//! atelier of the fabricant's admin user); otherwise to the course's default
//! atelier (`produits.atelier_defaut_id`, set in the course form); otherwise
//! to the only active atelier, when there is exactly one. An order no rule
//! places keeps `atelier_id` NULL: admins see it in the "à répartir" list and
//! assign it. Only active ateliers are ever chosen. Operators see only their
//! atelier's orders, so an unplaced order is visible to admins alone.

use crate::db::rows::{self, FromRow};
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::{ListQuery, Page, Where};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/commandes/a-repartir",
        Access::Roles(roles::ADMIN_PLUS),
        list_a_repartir,
        "Commandes qu'aucune règle n'a attribuées à un atelier",
    ),
    route(
        Method::Post,
        "/api/commandes/repartition",
        Access::Roles(roles::ADMIN_PLUS),
        create_repartition,
        "Attribuer ou réattribuer une ou plusieurs commandes à un atelier",
    ),
];

/// Most orders one assignment may name.
const MAX_IDS: usize = 1000;

/// The atelier of the dispatch rule for an order of course `produit_id`
/// (and B2B manufacturer `fabricant_id`), or None when no rule places it.
pub fn atelier_for(
    conn: &mut Conn,
    produit_id: u64,
    fabricant_id: Option<u64>,
) -> Result<Option<u64>> {
    if let Some(fabricant_id) = fabricant_id {
        let atelier: Option<u64> = conn.exec_first(
            r"SELECT a.id FROM fabricants f
              JOIN users u ON u.id = f.admin_user_id
              JOIN ateliers a ON a.id = u.atelier_id AND a.actif
              WHERE f.id = ?",
            (fabricant_id,),
        )?;
        if atelier.is_some() {
            return Ok(atelier);
        }
    }
    let course: Option<u64> = conn.exec_first(
        r"SELECT a.id FROM produits p JOIN ateliers a ON a.id = p.atelier_defaut_id AND a.actif
          WHERE p.id = ?",
        (produit_id,),
    )?;
    if course.is_some() {
        return Ok(course);
    }
    let only: Vec<u64> = conn.query("SELECT id FROM ateliers WHERE actif = TRUE LIMIT 2")?;
    Ok(match only[..] {
        [one] => Some(one),
        _ => None,
    })
}

/// Sets the default atelier of course `id` (the course form's field); the
/// atelier must exist and be active.
pub fn set_course_atelier(tx: &mut Conn, id: u64, atelier: Option<u64>) -> Result<()> {
    if let Some(a) = atelier {
        let active: Option<bool> =
            tx.exec_first("SELECT actif FROM ateliers WHERE id = ?", (a,))?;
        if active != Some(true) {
            return Err(Error::invalid(
                "Atelier par défaut : cet atelier n'existe pas ou n'est plus actif.",
            ));
        }
    }
    tx.exec_drop(
        "UPDATE produits SET atelier_defaut_id = ? WHERE id = ?",
        (atelier, id),
    )?;
    Ok(())
}

/// An order waiting for its atelier, as the dispatch screen shows it.
#[derive(Debug, FromRow, Serialize)]
struct Unassigned {
    id: u64,
    numero: String,
    statut: String,
    is_b2b: bool,
    b2b_quantite: Option<u32>,
    b2b_client_nom: Option<String>,
    parcours: String,
    presta_order_id: Option<u64>,
    date_commande: String,
}

/// `GET /api/commandes/a-repartir` (admin+): orders without an atelier that
/// are still to engrave, oldest first.
fn list_a_repartir(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let mut unassigned = Where::new();
    unassigned
        .fixed("c.atelier_id IS NULL")
        .fixed("c.statut = 'attente_gravure'");
    let listed = ListQuery {
        table: "commandes c",
        key: "c.id",
        filter_joins: "",
        order_joins: "",
        columns: "c.id, c.numero, c.statut, COALESCE(c.is_b2b, FALSE) AS is_b2b, c.b2b_quantite, \
                  c.b2b_client_nom, p.nom AS parcours, c.presta_order_id, \
                  DATE_FORMAT(c.date_commande, '%Y-%m-%dT%H:%i:%s') AS date_commande",
        joins: "JOIN produits p ON p.id = c.produit_id",
        order_by: "c.date_commande, c.id",
    }
    .read(ctx.conn()?, &unassigned, &page, rows::convert::<Unassigned>)?;
    Ok(Response::ok(&page.answer(&listed)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RepartitionBody {
    commande_ids: Vec<u64>,
    atelier_id: u64,
}

/// An order to move, read under a row lock.
#[derive(FromRow)]
struct Dispatchable {
    id: u64,
    numero: String,
    statut: String,
    atelier_id: Option<u64>,
    /// The lot it is in, while that lot is active.
    active_lot: Option<u64>,
}

/// `POST /api/commandes/repartition` (admin+): `{commande_ids, atelier_id}`.
/// Only orders not yet on the laser move (status `attente_gravure`, in no
/// active lot); the others are refused by number and nothing changes.
fn create_repartition(ctx: &mut Ctx) -> Result<Response> {
    let body: RepartitionBody = ctx.json()?;
    let mut ids = body.commande_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_IDS {
        return Err(Error::invalid(format!(
            "Choisissez entre 1 et {MAX_IDS} commandes."
        )));
    }
    let actor = ctx.user_id()?;
    let tx = ctx.tx()?;
    let active: Option<bool> = tx.exec_first(
        "SELECT actif FROM ateliers WHERE id = ?",
        (body.atelier_id,),
    )?;
    if active != Some(true) {
        return Err(Error::invalid(
            "Cet atelier n'existe pas ou n'est plus actif.",
        ));
    }
    let marks = vec!["?"; ids.len()].join(",");
    let found: Vec<Dispatchable> = rows::all(
        tx,
        format!(
            r"SELECT c.id, c.numero, c.statut, c.atelier_id,
                     IF(l.statut IN ('cree', 'en_gravure', 'grave'), l.id, NULL) AS active_lot
              FROM commandes c LEFT JOIN lots l ON l.id = c.lot_id
              WHERE c.id IN ({marks}) ORDER BY c.id FOR UPDATE"
        ),
        ids.clone(),
    )?;
    if found.len() != ids.len() {
        return Err(catalog::ORDER_NOT_FOUND.err());
    }
    let refused: Vec<String> = found
        .iter()
        .filter(|c| c.statut != "attente_gravure" || c.active_lot.is_some())
        .map(|c| c.numero.clone())
        .collect();
    if !refused.is_empty() {
        return Err(catalog::ORDERS_NOT_DISPATCHABLE.msg(format!(
            "Ces commandes ne sont plus en attente de gravure hors lot : {}.",
            refused.join(", ")
        )));
    }
    for Dispatchable {
        id,
        atelier_id: from,
        ..
    } in &found
    {
        tx.exec_drop(
            r"UPDATE commandes SET atelier_id = ?,
                historique = JSON_ARRAY_APPEND(COALESCE(historique, JSON_ARRAY()), '$', JSON_OBJECT(
                  'from', statut, 'to', statut, 'by', ?, 'at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%s'),
                  'comment', CONCAT('Attribuée à l''atelier ', ?, IF(? IS NULL, '', CONCAT(' (avant : ', ?, ')')))))
              WHERE id = ?",
            (body.atelier_id, actor, body.atelier_id, from, from, id),
        )?;
    }
    ctx.audit_entity("atelier", body.atelier_id);
    ctx.audit_details(json!({ "commandes": ids, "atelier_id": body.atelier_id }));
    Ok(Response::ok(&json!({
        "atelier_id": body.atelier_id,
        "commandes": found.iter().map(|c| json!({"id": c.id, "numero": c.numero, "ancien_atelier_id": c.atelier_id})).collect::<Vec<_>>(),
    })))
}
