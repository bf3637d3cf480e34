//! SQL of the FAB module: the per-course counters of wireframe 11.3, the
//! atelier's order list and the locked reads of engraving and shipping.

use crate::db::rows::{self, FromRow};
use crate::error::Result;
use crate::http::list::{ListQuery, Listed, Page, PageRead, Where};
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Serialize;

/// The statuses the workshop still has work on.
const OPEN_STATUSES: [&str; 4] = [
    "attente_gravure",
    "en_gravure",
    "grave",
    "attente_expedition",
];

/// Most open B2B orders the band shows.
const B2B_BAND_MAX: u64 = 100;

/// One course of the workshop's counters (wireframe 11.3): stock, threshold
/// and alert flag, and the counts "à graver" (waiting AND validated by the
/// athlete or B2B), "en gravure", "à expédier" (engraved or packed). Also
/// one row of [`course_counters_read`]: a stock line or a group of open
/// orders of one course, which [`course_counters`] sums per course.
#[derive(Debug, FromRow, Serialize)]
pub struct CourseCounters {
    produit_id: u64,
    nom: String,
    code: String,
    stock: i64,
    seuil_alerte: i64,
    alerte: bool,
    a_graver: i64,
    en_gravure: i64,
    a_expedier: i64,
}

impl CourseCounters {
    /// Adds another row of the same course.
    fn add(&mut self, part: &CourseCounters) {
        self.stock += part.stock;
        self.seuil_alerte += part.seuil_alerte;
        self.alerte |= part.alerte;
        self.a_graver += part.a_graver;
        self.en_gravure += part.en_gravure;
        self.a_expedier += part.a_expedier;
    }
}

/// One row per course that has stock or open orders in the scope (one
/// atelier, or all of them summed when `atelier_id` is `None`), by name.
pub fn course_counters(conn: &mut Conn, atelier_id: Option<u64>) -> Result<Vec<CourseCounters>> {
    let read = course_counters_read(atelier_id);
    let parts: Vec<CourseCounters> = conn.exec(read.sql, read.params)?;
    let mut courses: Vec<CourseCounters> = Vec::new();
    for part in parts {
        match courses.last_mut() {
            Some(course) if course.produit_id == part.produit_id => course.add(&part),
            _ => courses.push(part),
        }
    }
    Ok(courses)
}

/// The one statement of [`course_counters`] (public for the EXPLAIN test):
/// the scope's stock lines and its open orders grouped by status, course
/// and readiness, each with its course, the rows of a course together.
///
/// Exact counts cost one index entry per open order, never a row: the open
/// orders are counted in `idx_commandes_fab_counters` alone, grouped in that
/// index's order, and the stock lines are read from
/// `idx_stocks_atelier_levels` alone. The courses are then walked in name
/// order in `idx_produits_nom_code` (the catalogue, index only: no sort, no
/// lookup per course), each joined to its rows of the two reads; the sums
/// per course are made by [`course_counters`] (a GROUP BY here sometimes
/// went through a temporary table and a sort of every course). The order
/// index is forced: when one atelier holds most open orders, MariaDB
/// otherwise prefers a lookup on the atelier's prefix of the list index,
/// which reads every order's row (50,000 orders waiting: 216 ms, not 25).
#[must_use]
pub fn course_counters_read(atelier_id: Option<u64>) -> PageRead {
    let (stock_scope, order_scope, params): (&str, &str, Vec<mysql::Value>) = match atelier_id {
        Some(id) => (
            "WHERE atelier_id = ?",
            "AND atelier_id = ?",
            vec![id.into(), id.into()],
        ),
        None => ("", "", vec![]),
    };
    let sql = format!(
        r"SELECT p.id AS produit_id, p.nom, p.code, u.stock, u.seuil AS seuil_alerte, u.alerte,
                 u.a_graver, u.en_gravure, u.a_expedier
          FROM produits p FORCE INDEX (idx_produits_nom_code) STRAIGHT_JOIN
               (SELECT produit_id, quantite AS stock, seuil_alerte AS seuil,
                       quantite <= seuil_alerte AS alerte, 0 AS a_graver, 0 AS en_gravure, 0 AS a_expedier
                  FROM stocks {stock_scope}
                UNION ALL
                SELECT produit_id, 0, 0, 0,
                       IF(statut = 'attente_gravure'
                          AND (COALESCE(validation_sportif, FALSE) OR COALESCE(is_b2b, FALSE)), COUNT(*), 0),
                       IF(statut = 'en_gravure', COUNT(*), 0),
                       IF(statut IN ('grave', 'attente_expedition'), COUNT(*), 0)
                  FROM commandes FORCE INDEX (idx_commandes_fab_counters)
                  WHERE statut IN ({}) {order_scope}
                  GROUP BY statut, produit_id, validation_sportif, is_b2b) u ON u.produit_id = p.id
          ORDER BY p.nom, p.code",
        quoted_open_statuses()
    );
    PageRead { sql, params }
}

/// `'attente_gravure', 'en_gravure', …`: constants of our code.
fn quoted_open_statuses() -> String {
    OPEN_STATUSES.map(|s| format!("'{s}'")).join(", ")
}

/// An open B2B order of the band of 11.3 ("[B2B🏅] Mairie Lyon ×10").
#[derive(Debug, Serialize)]
pub struct B2bBandItem {
    id: u64,
    numero: String,
    statut: String,
    produit_id: u64,
    produit_nom: String,
    libelle: String,
    b2b_client_nom: String,
    b2b_client_type: Option<String>,
    b2b_quantite: i64,
}

/// The oldest open B2B orders of the scope (at most [`B2B_BAND_MAX`]).
pub fn open_b2b_orders(conn: &mut Conn, atelier_id: Option<u64>) -> Result<Vec<B2bBandItem>> {
    let read = open_b2b_orders_read(atelier_id);
    let orders: Vec<B2bOrder> = rows::all(conn, read.sql, read.params)?;
    Ok(orders
        .into_iter()
        .map(|o| {
            let quantite = o.b2b_quantite.unwrap_or(1);
            let client = o.b2b_client_nom.unwrap_or_default();
            B2bBandItem {
                id: o.id,
                numero: o.numero,
                statut: o.statut,
                produit_id: o.produit_id,
                produit_nom: o.produit_nom,
                libelle: format!("{client} ×{quantite}"),
                b2b_client_nom: client,
                b2b_client_type: o.b2b_client_type,
                b2b_quantite: quantite,
            }
        })
        .collect())
}

/// The one statement of [`open_b2b_orders`] (public for the EXPLAIN test).
///
/// Each open status is one range of `idx_commandes_b2b_open` (B2B, status,
/// atelier, date) read oldest first and stopped after the band's size, so
/// the band reads at most four times that many index entries however many
/// orders the atelier holds; only the band's orders are then read whole.
#[must_use]
pub fn open_b2b_orders_read(atelier_id: Option<u64>) -> PageRead {
    let scope = if atelier_id.is_some() {
        " AND atelier_id = ?"
    } else {
        ""
    };
    let mut params: Vec<mysql::Value> = Vec::new();
    let ranges: Vec<String> = OPEN_STATUSES
        .iter()
        .map(|statut| {
            params.push((*statut).into());
            params.extend(atelier_id.map(mysql::Value::from));
            format!(
                "(SELECT id, date_commande FROM commandes WHERE is_b2b = TRUE AND statut = ?{scope} \
                 ORDER BY date_commande, id LIMIT {B2B_BAND_MAX})"
            )
        })
        .collect();
    let sql = format!(
        r"SELECT c.id, c.numero, c.statut, c.produit_id, p.nom AS produit_nom,
                 c.b2b_client_nom, CAST(c.b2b_client_type AS CHAR) AS b2b_client_type,
                 c.b2b_quantite
          FROM (SELECT id FROM ({}) open_b2b ORDER BY date_commande, id LIMIT {B2B_BAND_MAX}) band
          JOIN commandes c ON c.id = band.id JOIN produits p ON p.id = c.produit_id
          ORDER BY c.date_commande, c.id",
        ranges.join(" UNION ALL ")
    );
    PageRead { sql, params }
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

const ORDER_COLUMNS: &str = "c.id, c.numero, \
     c.statut = 'attente_gravure' AND (COALESCE(c.validation_sportif, FALSE) \
          OR COALESCE(c.is_b2b, FALSE)) AS pret_gravure, \
     c.statut, c.produit_id, p.nom AS produit_nom, \
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

/// An order of the list as the API shows it: `pret_gravure` is computed
/// (waiting, and validated by the athlete or B2B) and the engraving text
/// is the stored JSON, parsed (`null` when absent or unreadable).
#[derive(FromRow, Serialize)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the order's flags as the API shows them, one field each"
)]
pub struct OrderItem {
    id: u64,
    numero: String,
    pret_gravure: bool,
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
    #[serde(serialize_with = "rows::stored_json")]
    gravure_texte: Option<String>,
    operateur_id: Option<u64>,
    lot_id: Option<u64>,
    transporteur: Option<String>,
    tracking: Option<String>,
    date_commande: Option<String>,
    date_gravure: Option<String>,
    date_expedition: Option<String>,
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
) -> Result<Listed<OrderItem>> {
    let order_by = match sort {
        Sort::Recent => "c.date_commande DESC, c.id DESC",
        Sort::Ancien => "c.date_commande ASC, c.id ASC",
    };
    ListQuery {
        table: "commandes c",
        key: "c.id",
        filter_joins: "",
        order_joins: "",
        columns: ORDER_COLUMNS,
        joins: ORDER_JOINS,
        order_by,
    }
    .read(conn, filter, page, rows::convert)
}

/// The facts `prendre` decides on, read under a row lock.
#[derive(Debug, Clone, FromRow)]
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
    Ok(tx.exec_first(
        "SELECT numero, statut, atelier_id FROM commandes WHERE id = ? FOR UPDATE",
        (id,),
    )?)
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
