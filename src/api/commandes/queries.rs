//! SQL of the commandes module: order rows with their course and athlete,
//! the athlete's validated chronos, rankings.

use crate::db::rows::{self, FromRow};
use crate::error::Result;
use crate::http::list::{ListQuery, Listed, Page, Where};
use mysql::prelude::Queryable;
use mysql::{params, Conn, Row};

/// One order with its course and athlete, as every answer of this module
/// shows it.
#[expect(
    clippy::struct_excessive_bools,
    reason = "mirrors the order's boolean columns and JSON fields one to one"
)]
#[derive(Debug, Clone, FromRow)]
pub struct OrderRow {
    pub id: u64,
    pub numero: String,
    pub statut: String,
    pub is_b2b: bool,
    pub b2b_client_nom: Option<String>,
    pub b2b_client_type: Option<String>,
    pub b2b_fabricant_id: Option<u64>,
    pub b2b_quantite: Option<u64>,
    pub is_sav: bool,
    pub produit_id: u64,
    pub produit_nom: String,
    pub produit_code: String,
    pub produit_slug: String,
    pub user_id: Option<u64>,
    pub user_nom: Option<String>,
    pub user_prenom: Option<String>,
    pub user_email: Option<String>,
    pub email_client: Option<String>,
    pub atelier_id: Option<u64>,
    pub lot_id: Option<u64>,
    pub chrono_id: Option<u64>,
    pub chrono_valide: bool,
    pub duree_secondes: Option<u64>,
    pub validation_sportif: bool,
    pub gravure_texte: Option<String>,
    pub tracking: Option<String>,
    pub transporteur: Option<String>,
    pub date_commande: Option<String>,
    pub date_validation_sportif: Option<String>,
    pub date_gravure: Option<String>,
    pub date_expedition: Option<String>,
    pub date_livraison: Option<String>,
}

/// The columns of [`OrderRow`], with `$texte` as the engraving text (the
/// detail reads the JSON, a list reads NULL: only the detail shows it).
macro_rules! order_columns {
    ($texte:literal) => {
        concat!(
            r"c.id, c.numero, c.statut,
       COALESCE(c.is_b2b, FALSE) AS is_b2b, c.b2b_client_nom, c.b2b_client_type,
       c.b2b_fabricant_id, c.b2b_quantite, c.is_sav,
       c.produit_id, p.nom AS produit_nom, p.code AS produit_code, p.slug AS produit_slug,
       c.user_id, u.nom AS user_nom, u.prenom AS user_prenom, u.email AS user_email, c.email_client,
       c.atelier_id, c.lot_id, c.chrono_id, COALESCE(c.chrono_valide, FALSE) AS chrono_valide,
       c.duree_secondes, COALESCE(c.validation_sportif, FALSE) AS validation_sportif, ",
            $texte,
            r" AS gravure_texte, c.tracking, c.transporteur,
       DATE_FORMAT(c.date_commande, '%Y-%m-%dT%H:%i:%s') AS date_commande,
       DATE_FORMAT(c.date_validation_sportif, '%Y-%m-%dT%H:%i:%s') AS date_validation_sportif,
       DATE_FORMAT(c.date_gravure, '%Y-%m-%dT%H:%i:%s') AS date_gravure,
       DATE_FORMAT(c.date_expedition, '%Y-%m-%dT%H:%i:%s') AS date_expedition,
       DATE_FORMAT(c.date_livraison, '%Y-%m-%dT%H:%i:%s') AS date_livraison"
        )
    };
}

/// Columns and joins of [`OrderRow`]; callers append WHERE/ORDER BY.
const ORDER_SELECT: &str = concat!(
    "SELECT ",
    order_columns!("CAST(c.gravure_texte AS CHAR)"),
    r"
  FROM commandes c
  JOIN produits p ON p.id = c.produit_id
  LEFT JOIN users u ON u.id = c.user_id"
);

/// One order by id.
pub fn find_order(conn: &mut Conn, id: u64) -> Result<Option<OrderRow>> {
    let row: Option<Row> = conn.exec_first(format!("{ORDER_SELECT} WHERE c.id = ?"), (id,))?;
    row.map(crate::db::rows::convert).transpose()
}

/// The history of an order (JSON array as text).
pub fn order_history(conn: &mut Conn, id: u64) -> Result<Option<String>> {
    let h: Option<Option<String>> = conn.exec_first(
        "SELECT CAST(historique AS CHAR) FROM commandes WHERE id = ?",
        (id,),
    )?;
    Ok(h.flatten())
}

/// Every order of one athlete, newest first (an athlete has a handful).
pub fn orders_of_user(conn: &mut Conn, user_id: u64) -> Result<Vec<OrderRow>> {
    let rows: Vec<Row> = conn.exec(
        format!("{ORDER_SELECT} WHERE c.user_id = ? ORDER BY c.date_commande DESC, c.id DESC"),
        (user_id,),
    )?;
    rows.into_iter().map(crate::db::rows::convert).collect()
}

/// The columns of [`OrderRow`] a list shows: all but the engraving text,
/// whose JSON only the detail reads.
const ORDER_LIST_COLUMNS: &str = order_columns!("NULL");

/// A filtered page of orders: `filter` is built from fixed fragments only,
/// `order_by` a whitelisted clause over `c`'s columns ending with `c.id`;
/// `search` says whether a filter reads the athlete's columns.
pub fn list_orders(
    conn: &mut Conn,
    filter: &Where,
    search: bool,
    order_by: &str,
    page: &Page,
) -> Result<Listed<OrderRow>> {
    ListQuery {
        table: "commandes c",
        key: "c.id",
        filter_joins: "",
        order_joins: "",
        columns: ORDER_LIST_COLUMNS,
        joins: "JOIN produits p ON p.id = c.produit_id LEFT JOIN users u ON u.id = c.user_id",
        order_by,
    }
    .filtering_on_joins(search)
    .read(conn, filter, page, rows::convert)
}

/// The facts of an athlete's order that the engraving validation needs,
/// read under a row lock so two validations cannot both pass.
#[derive(Debug, Clone, FromRow)]
pub struct LockedOwnOrder {
    pub numero: String,
    pub statut: String,
    pub validation_sportif: bool,
    pub produit_id: u64,
    pub chrono_id: Option<u64>,
}

/// Locks order `id` if it belongs to `user_id`.
pub fn lock_own_order(tx: &mut Conn, id: u64, user_id: u64) -> Result<Option<LockedOwnOrder>> {
    rows::first(
        tx,
        r"SELECT numero, statut, COALESCE(validation_sportif, FALSE) AS validation_sportif,
                 produit_id, chrono_id
          FROM commandes WHERE id = ? AND user_id = ? FOR UPDATE",
        (id, user_id),
    )
}

/// Freezes the engraving text and records the athlete's validation (rule 1.1).
pub fn record_validation(
    tx: &mut Conn,
    id: u64,
    user_id: u64,
    chrono: &ChronoRow,
    gravure_texte: &serde_json::Value,
) -> Result<()> {
    tx.exec_drop(
        r"UPDATE commandes SET
            validation_sportif = TRUE,
            date_validation_sportif = NOW(),
            chrono_id = :chrono_id,
            duree_secondes = :duree,
            chrono_valide = TRUE,
            gravure_texte = :texte,
            historique = JSON_ARRAY_APPEND(COALESCE(historique, JSON_ARRAY()), '$', JSON_OBJECT(
              'from', statut, 'to', statut, 'by', :user_id,
              'at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%s'),
              'comment', 'Gravure validée par le sportif'))
          WHERE id = :id",
        params! {
            "chrono_id" => chrono.id,
            "duree" => chrono.duree_secondes,
            "texte" => gravure_texte.to_string(),
            "user_id" => user_id,
            "id" => id,
        },
    )?;
    Ok(())
}

/// The athlete's current names (the source of truth of the engraving).
pub fn user_names(conn: &mut Conn, user_id: u64) -> Result<Option<(String, String)>> {
    let row: Option<(Option<String>, Option<String>)> = conn.exec_first(
        "SELECT nom, prenom FROM users WHERE id = ? AND anonymized_at IS NULL",
        (user_id,),
    )?;
    Ok(row.map(|(n, p)| (n.unwrap_or_default(), p.unwrap_or_default())))
}

/// Updates the athlete's names in the profile.
pub fn set_user_names(tx: &mut Conn, user_id: u64, nom: &str, prenom: &str) -> Result<()> {
    tx.exec_drop(
        "UPDATE users SET nom = ?, prenom = ? WHERE id = ?",
        (nom, prenom, user_id),
    )?;
    Ok(())
}

/// A course, for ordering.
#[derive(Debug, Clone, FromRow)]
pub struct CourseRow {
    pub id: u64,
    pub actif: bool,
    pub message_desactivation: Option<String>,
}

/// A course by id.
pub fn find_course(conn: &mut Conn, id: u64) -> Result<Option<CourseRow>> {
    rows::first(
        conn,
        r"SELECT id, COALESCE(actif, FALSE) AS actif, message_desactivation
          FROM produits WHERE id = ?",
        (id,),
    )
}

/// A validated chrono of the athlete, with its course.
#[derive(Debug, Clone, FromRow)]
pub struct ChronoRow {
    pub id: u64,
    pub produit_id: u64,
    pub duree_secondes: u64,
    /// `YYYY-MM-DD` (or whatever the chrono recorded) of the effort.
    pub date_realisation: String,
    /// When it became valid, for "latest" ordering.
    pub quand: String,
    pub produit_nom: String,
    pub produit_code: String,
    pub produit_slug: String,
}

/// Every validated chrono of an athlete, grouped by course, fastest first.
pub fn validated_chronos(conn: &mut Conn, user_id: u64) -> Result<Vec<ChronoRow>> {
    rows::all(
        conn,
        r"SELECT ch.id, ch.produit_id, ch.duree_secondes,
                 COALESCE(NULLIF(ch.date_realisation, ''),
                          DATE_FORMAT(COALESCE(ch.date_fin, ch.date_debut, ch.created_at), '%Y-%m-%d'),
                          '') AS date_realisation,
                 DATE_FORMAT(COALESCE(ch.valide_at, ch.date_fin, ch.created_at), '%Y-%m-%dT%H:%i:%s')
                   AS quand,
                 p.nom AS produit_nom, p.code AS produit_code, p.slug AS produit_slug
          FROM chronos ch JOIN produits p ON p.id = ch.produit_id
          WHERE ch.user_id = ? AND ch.statut = 'valide' AND ch.duree_secondes IS NOT NULL
          ORDER BY ch.produit_id, ch.duree_secondes, ch.id",
        (user_id,),
    )
}

/// Athletes with at least one validated chrono (the dashboard's community
/// figure).
pub fn active_athletes(conn: &mut Conn) -> Result<u64> {
    let n: Option<u64> =
        conn.query_first("SELECT COUNT(DISTINCT user_id) FROM chronos WHERE statut = 'valide'")?;
    Ok(n.unwrap_or(0))
}
