//! SQL of the FAB module: the per-course counters of wireframe 11.3, the
//! atelier's order list and the locked reads of engraving and shipping.

use crate::db::rows::{self, FromRow};
use crate::error::Result;
use crate::http::list::{ListQuery, Listed, Page, Where};
use mysql::prelude::Queryable;
use mysql::{Conn, Row};
use serde_json::{json, Value};

/// The statuses the workshop still has work on.
const OPEN_STATUSES: &str = "'attente_gravure','en_gravure','grave','attente_expedition'";

/// One row per course that has stock or open orders in the scope (one
/// atelier, or all of them summed when `atelier_id` is `None`): stock,
/// threshold, alert flag and the counts "à graver" (waiting AND validated by
/// the athlete or B2B), "en gravure", "à expédier" (engraved or packed).
pub fn course_counters(conn: &mut Conn, atelier_id: Option<u64>) -> Result<Vec<Value>> {
    let (stock_scope, order_scope, params): (&str, &str, Vec<mysql::Value>) = match atelier_id {
        Some(id) => (
            "WHERE atelier_id = ?",
            "AND atelier_id = ?",
            vec![id.into(), id.into()],
        ),
        None => ("", "", vec![]),
    };
    let rows: Vec<(u64, String, String, i64, i64, bool, i64, i64, i64)> = conn.exec(
        format!(
            r"SELECT p.id, p.nom, p.code,
                CAST(COALESCE(st.stock, 0) AS SIGNED), CAST(COALESCE(st.seuil, 0) AS SIGNED),
                COALESCE(st.alerte, 0) = 1,
                CAST(COALESCE(co.a_graver, 0) AS SIGNED), CAST(COALESCE(co.en_gravure, 0) AS SIGNED),
                CAST(COALESCE(co.a_expedier, 0) AS SIGNED)
              FROM produits p
              LEFT JOIN (SELECT produit_id, SUM(quantite) AS stock, SUM(seuil_alerte) AS seuil,
                                MAX(quantite <= seuil_alerte) AS alerte
                         FROM stocks {stock_scope} GROUP BY produit_id) st ON st.produit_id = p.id
              LEFT JOIN (SELECT produit_id,
                           SUM(statut = 'attente_gravure'
                               AND (COALESCE(validation_sportif, FALSE) OR COALESCE(is_b2b, FALSE))) AS a_graver,
                           SUM(statut = 'en_gravure') AS en_gravure,
                           SUM(statut IN ('grave', 'attente_expedition')) AS a_expedier
                         FROM commandes WHERE statut IN ({OPEN_STATUSES}) {order_scope}
                         GROUP BY produit_id) co ON co.produit_id = p.id
              WHERE st.produit_id IS NOT NULL OR co.produit_id IS NOT NULL
              ORDER BY p.nom, p.id"
        ),
        params,
    )?;
    Ok(rows
        .into_iter()
        .map(
            |(id, nom, code, stock, seuil, alerte, a_graver, en_gravure, a_expedier)| {
                json!({
                    "produit_id": id,
                    "nom": nom,
                    "code": code,
                    "stock": stock,
                    "seuil_alerte": seuil,
                    "alerte": alerte,
                    "a_graver": a_graver,
                    "en_gravure": en_gravure,
                    "a_expedier": a_expedier,
                })
            },
        )
        .collect())
}

/// The open B2B orders of the scope, oldest first: the "B2B" band of 11.3
/// ("[B2B🏅] Mairie Lyon ×10").
pub fn open_b2b_orders(conn: &mut Conn, atelier_id: Option<u64>) -> Result<Vec<Value>> {
    let mut filter = Where::new();
    filter
        .fixed("c.is_b2b = TRUE")
        .fixed("c.statut IN ('attente_gravure','en_gravure','grave','attente_expedition')")
        .bind_opt("c.atelier_id = ?", atelier_id);
    let orders: Vec<B2bOrder> = rows::all(
        conn,
        format!(
            r"SELECT c.id, c.numero, c.statut, c.produit_id, p.nom AS produit_nom,
                     c.b2b_client_nom, CAST(c.b2b_client_type AS CHAR) AS b2b_client_type,
                     c.b2b_quantite
                  FROM commandes c JOIN produits p ON p.id = c.produit_id{}
                  ORDER BY c.date_commande, c.id LIMIT 100",
            filter.sql()
        ),
        filter.params(),
    )?;
    Ok(orders
        .into_iter()
        .map(|o| {
            let quantite = o.b2b_quantite.unwrap_or(1);
            let client = o.b2b_client_nom.unwrap_or_default();
            json!({
                "id": o.id,
                "numero": o.numero,
                "statut": o.statut,
                "produit_id": o.produit_id,
                "produit_nom": o.produit_nom,
                "libelle": format!("{client} ×{quantite}"),
                "b2b_client_nom": client,
                "b2b_client_type": o.b2b_client_type,
                "b2b_quantite": quantite,
            })
        })
        .collect())
}

/// An open B2B order, as [`open_b2b_orders`] reads it.
#[derive(FromRow)]
struct B2bOrder {
    id: u64,
    numero: String,
    statut: String,
    produit_id: u64,
    produit_nom: String,
    b2b_client_nom: Option<String>,
    b2b_client_type: Option<String>,
    b2b_quantite: Option<i64>,
}

const ORDER_COLUMNS: &str = "c.id, c.numero, c.statut, c.produit_id, p.nom AS produit_nom, \
     p.code AS produit_code, c.atelier_id, a.code AS atelier_code, c.user_id, \
     CASE WHEN COALESCE(c.is_b2b, FALSE) THEN c.b2b_client_nom \
          ELSE NULLIF(CONCAT_WS(' ', u.prenom, u.nom), '') END AS client, \
     COALESCE(c.is_b2b, FALSE) AS is_b2b, c.b2b_client_nom, \
     CAST(c.b2b_client_type AS CHAR) AS b2b_client_type, c.b2b_quantite, \
     COALESCE(c.validation_sportif, FALSE) AS validation_sportif, \
     COALESCE(c.is_sav, FALSE) AS is_sav, c.duree_secondes, \
     CAST(c.gravure_texte AS CHAR) AS gravure_texte, c.operateur_id, c.lot_id, \
     c.transporteur, c.tracking, \
     DATE_FORMAT(c.date_commande, '%Y-%m-%dT%H:%i:%s') AS date_commande, \
     DATE_FORMAT(c.date_gravure, '%Y-%m-%dT%H:%i:%s') AS date_gravure, \
     DATE_FORMAT(c.date_expedition, '%Y-%m-%dT%H:%i:%s') AS date_expedition";
const ORDER_JOINS: &str = "JOIN produits p ON p.id = c.produit_id \
     LEFT JOIN ateliers a ON a.id = c.atelier_id LEFT JOIN users u ON u.id = c.user_id";

/// The columns of [`ORDER_COLUMNS`], typed.
#[derive(FromRow)]
struct OrderColumns {
    id: u64,
    numero: String,
    statut: String,
    produit_id: u64,
    produit_nom: String,
    produit_code: String,
    atelier_id: Option<u64>,
    atelier_code: Option<String>,
    user_id: Option<u64>,
    client: Option<String>,
    is_b2b: bool,
    b2b_client_nom: Option<String>,
    b2b_client_type: Option<String>,
    b2b_quantite: Option<i64>,
    validation_sportif: bool,
    is_sav: bool,
    duree_secondes: Option<i64>,
    gravure_texte: Option<String>,
    operateur_id: Option<u64>,
    lot_id: Option<u64>,
    transporteur: Option<String>,
    tracking: Option<String>,
    date_commande: Option<String>,
    date_gravure: Option<String>,
    date_expedition: Option<String>,
}

/// An order of the list as the API shows it: `pret_gravure` is computed
/// (waiting, and validated by the athlete or B2B) and the engraving text
/// is the stored JSON, parsed (`null` when absent or unreadable).
fn order_json(row: Row) -> Result<Value> {
    let o: OrderColumns = rows::convert(row)?;
    Ok(json!({
        "id": o.id,
        "numero": o.numero,
        "pret_gravure": o.statut == "attente_gravure" && (o.validation_sportif || o.is_b2b),
        "statut": o.statut,
        "produit_id": o.produit_id,
        "produit_nom": o.produit_nom,
        "produit_code": o.produit_code,
        "atelier_id": o.atelier_id,
        "atelier_code": o.atelier_code,
        "user_id": o.user_id,
        "client": o.client,
        "is_b2b": o.is_b2b,
        "b2b_client_nom": o.b2b_client_nom,
        "b2b_client_type": o.b2b_client_type,
        "b2b_quantite": o.b2b_quantite,
        "validation_sportif": o.validation_sportif,
        "is_sav": o.is_sav,
        "duree_secondes": o.duree_secondes,
        "gravure_texte": o.gravure_texte
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .unwrap_or(Value::Null),
        "operateur_id": o.operateur_id,
        "lot_id": o.lot_id,
        "transporteur": o.transporteur,
        "tracking": o.tracking,
        "date_commande": o.date_commande,
        "date_gravure": o.date_gravure,
        "date_expedition": o.date_expedition,
    }))
}

/// Sort orders of the list, chosen by name (never from user text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest order first (the default of 11.3 "Plus récent").
    Recent,
    /// Oldest first (first in, first engraved).
    Ancien,
}

/// One page of the scope's orders matching `filter`.
pub fn list_orders(
    conn: &mut Conn,
    filter: &Where,
    sort: Sort,
    page: &Page,
) -> Result<Listed<Value>> {
    let order_by = match sort {
        Sort::Recent => "c.date_commande DESC, c.id DESC",
        Sort::Ancien => "c.date_commande ASC, c.id ASC",
    };
    ListQuery {
        table: "commandes c",
        key: "c.id",
        filter_joins: "",
        columns: ORDER_COLUMNS,
        joins: ORDER_JOINS,
        order_by,
    }
    .read(conn, filter, page, order_json)
}

/// The facts `prendre` decides on, read under a row lock.
#[derive(Debug, Clone)]
pub struct Takeable {
    /// Order number.
    pub numero: String,
    /// Current status.
    pub statut: String,
    /// Its atelier.
    pub atelier_id: Option<u64>,
}

/// Locks order `id` for the rest of the transaction and reads what
/// `prendre` needs. A concurrent taker waits here, then reads the status
/// the first one committed.
pub fn lock_for_take(tx: &mut Conn, id: u64) -> Result<Option<Takeable>> {
    let row: Option<(String, String, Option<u64>)> = tx.exec_first(
        "SELECT numero, statut, atelier_id FROM commandes WHERE id = ? FOR UPDATE",
        (id,),
    )?;
    Ok(row.map(|(numero, statut, atelier_id)| Takeable {
        numero,
        statut,
        atelier_id,
    }))
}

/// Assigns an unassigned order to an atelier.
pub fn assign_atelier(tx: &mut Conn, id: u64, atelier_id: u64) -> Result<()> {
    tx.exec_drop(
        "UPDATE commandes SET atelier_id = ? WHERE id = ? AND atelier_id IS NULL",
        (atelier_id, id),
    )?;
    Ok(())
}

/// The stock line of an order's course in its atelier.
pub fn stock_line_of_order(conn: &mut Conn, commande_id: u64) -> Result<Option<u64>> {
    Ok(conn.exec_first(
        r"SELECT s.id FROM commandes c
          JOIN stocks s ON s.produit_id = c.produit_id AND s.atelier_id = c.atelier_id
          WHERE c.id = ?",
        (commande_id,),
    )?)
}
