//! Order reads and the few order writes of SAV and B2B.

use crate::api::commandes::status::{self, Statut};
use crate::db::rows::{self, FromRow};
use crate::error::Result;
use mysql::prelude::Queryable;
use mysql::{params, Conn, Row};
use serde::Serialize;

/// What SAV screens show of an order.
#[expect(
    clippy::struct_excessive_bools,
    reason = "mirrors the order's boolean columns and JSON fields one to one"
)]
#[derive(Debug, Clone, Serialize)]
pub struct OrderSummary {
    pub id: u64,
    pub numero: String,
    pub statut: String,
    /// Whether SAV Express may start on it now.
    pub sav_possible: bool,
    pub produit_id: u64,
    pub parcours: String,
    pub atelier_id: Option<u64>,
    pub user_id: Option<u64>,
    pub sportif_nom: Option<String>,
    pub sportif_prenom: Option<String>,
    pub sportif_email: Option<String>,
    pub email_client: Option<String>,
    pub is_b2b: bool,
    pub b2b_client_nom: Option<String>,
    pub b2b_client_type: Option<String>,
    pub b2b_quantite: Option<u32>,
    pub b2b_fabricant_id: Option<u64>,
    pub is_sav: bool,
    pub commande_origine_id: Option<u64>,
    pub validation_sportif: bool,
    pub gravure_texte: serde_json::Value,
    pub date_commande: Option<String>,
}

const ORDER_SUMMARY_SELECT: &str = r"
SELECT c.id, c.numero, c.statut, c.produit_id, p.nom AS parcours, c.atelier_id, c.user_id,
       u.nom AS sportif_nom, u.prenom AS sportif_prenom, u.email AS sportif_email, c.email_client,
       c.is_b2b, c.b2b_client_nom, c.b2b_client_type, c.b2b_quantite, c.b2b_fabricant_id,
       c.is_sav, c.commande_origine_id, c.validation_sportif, c.gravure_texte,
       DATE_FORMAT(c.date_commande, '%Y-%m-%dT%H:%i:%s') AS date_commande
FROM commandes c
JOIN produits p ON p.id = c.produit_id
LEFT JOIN users u ON u.id = c.user_id";

/// The columns of [`ORDER_SUMMARY_SELECT`], typed (BOOLEAN columns may be
/// NULL, read as false).
#[derive(FromRow)]
struct SummaryColumns {
    id: u64,
    numero: String,
    statut: String,
    produit_id: u64,
    parcours: String,
    atelier_id: Option<u64>,
    user_id: Option<u64>,
    sportif_nom: Option<String>,
    sportif_prenom: Option<String>,
    sportif_email: Option<String>,
    email_client: Option<String>,
    is_b2b: Option<bool>,
    b2b_client_nom: Option<String>,
    b2b_client_type: Option<String>,
    b2b_quantite: Option<u32>,
    b2b_fabricant_id: Option<u64>,
    is_sav: Option<bool>,
    commande_origine_id: Option<u64>,
    validation_sportif: Option<bool>,
    gravure_texte: Option<String>,
    date_commande: Option<String>,
}

impl From<SummaryColumns> for OrderSummary {
    fn from(c: SummaryColumns) -> OrderSummary {
        let sav_possible =
            Statut::parse(&c.statut).is_some_and(|s| status::is_allowed(s, Statut::Sav));
        OrderSummary {
            id: c.id,
            numero: c.numero,
            statut: c.statut,
            sav_possible,
            produit_id: c.produit_id,
            parcours: c.parcours,
            atelier_id: c.atelier_id,
            user_id: c.user_id,
            sportif_nom: c.sportif_nom,
            sportif_prenom: c.sportif_prenom,
            sportif_email: c.sportif_email,
            email_client: c.email_client,
            is_b2b: c.is_b2b.unwrap_or(false),
            b2b_client_nom: c.b2b_client_nom,
            b2b_client_type: c.b2b_client_type,
            b2b_quantite: c.b2b_quantite,
            b2b_fabricant_id: c.b2b_fabricant_id,
            is_sav: c.is_sav.unwrap_or(false),
            commande_origine_id: c.commande_origine_id,
            validation_sportif: c.validation_sportif.unwrap_or(false),
            gravure_texte: c
                .gravure_texte
                .and_then(|g| serde_json::from_str(&g).ok())
                .unwrap_or(serde_json::Value::Null),
            date_commande: c.date_commande,
        }
    }
}

impl OrderSummary {
    /// One row of [`ORDER_SUMMARY_SELECT`].
    #[track_caller]
    fn from_row(row: Row) -> Result<OrderSummary> {
        rows::convert::<SummaryColumns>(row).map(OrderSummary::from)
    }
}

/// One order as SAV screens show it.
pub fn find_order_summary(conn: &mut Conn, id: u64) -> Result<Option<OrderSummary>> {
    let row: Option<SummaryColumns> = rows::first(
        conn,
        format!("{ORDER_SUMMARY_SELECT} WHERE c.id = ?"),
        (id,),
    )?;
    Ok(row.map(OrderSummary::from))
}

/// Orders whose number, athlete (name, first name, both, email), B2B client
/// or contact email contains the pattern; at most 20, newest first.
pub fn search_orders(
    conn: &mut Conn,
    pattern: &str,
    atelier: Option<u64>,
) -> Result<Vec<OrderSummary>> {
    let rows: Vec<Row> = conn.exec(
        format!(
            r"{ORDER_SUMMARY_SELECT}
              WHERE (c.numero LIKE :q OR u.nom LIKE :q OR u.prenom LIKE :q OR u.email LIKE :q
                     OR CONCAT_WS(' ', u.prenom, u.nom) LIKE :q OR CONCAT_WS(' ', u.nom, u.prenom) LIKE :q
                     OR c.b2b_client_nom LIKE :q OR c.email_client LIKE :q)
                AND (:atelier IS NULL OR c.atelier_id = :atelier)
              ORDER BY c.date_commande DESC, c.id DESC
              LIMIT 20"
        ),
        params! { "q" => pattern, "atelier" => atelier },
    )?;
    rows.into_iter().map(OrderSummary::from_row).collect()
}

/// The atelier of an order: `None` when there is no such order,
/// `Some(None)` for an order not yet assigned.
pub fn order_atelier(conn: &mut Conn, id: u64) -> Result<Option<Option<u64>>> {
    Ok(conn.exec_first("SELECT atelier_id FROM commandes WHERE id = ?", (id,))?)
}

/// An order's facts SAV Express copies into the replacement.
#[derive(Debug, Clone, FromRow)]
pub struct OrderForSav {
    pub id: u64,
    pub numero: String,
    pub statut: String,
    pub user_id: Option<u64>,
    pub chrono_id: Option<u64>,
    pub produit_id: u64,
    pub atelier_id: Option<u64>,
    pub chrono_valide: bool,
    pub duree_secondes: Option<u64>,
    pub gravure_texte: String,
    pub validation_sportif: bool,
    pub is_b2b: bool,
    pub b2b_client_nom: Option<String>,
    pub b2b_client_type: Option<String>,
    pub b2b_fabricant_id: Option<u64>,
    pub b2b_quantite: Option<u32>,
    pub email_client: Option<String>,
}

/// Reads and locks the order SAV Express works on: two operators acting on
/// the same order at once are serialised, the second sees it in `sav`.
pub fn lock_order_for_sav(tx: &mut Conn, id: u64) -> Result<Option<OrderForSav>> {
    rows::first(
        tx,
        r"SELECT id, numero, statut, user_id, chrono_id, produit_id, atelier_id,
                 COALESCE(chrono_valide, FALSE) AS chrono_valide, duree_secondes, gravure_texte,
                 COALESCE(validation_sportif, FALSE) AS validation_sportif,
                 COALESCE(is_b2b, FALSE) AS is_b2b, b2b_client_nom, b2b_client_type,
                 b2b_fabricant_id, b2b_quantite, email_client
          FROM commandes WHERE id = ? FOR UPDATE",
        (id,),
    )
}

/// Copies to a replacement order what [`crate::api::commandes::NewOrder`]
/// does not carry: the delivery address, and the date of the athlete's
/// validation when that validation was kept.
pub fn copy_order_extras(tx: &mut Conn, id: u64, origine_id: u64) -> Result<()> {
    tx.exec_drop(
        r"UPDATE commandes c JOIN commandes o ON o.id = :origine
          SET c.adresse_livraison = o.adresse_livraison,
              c.date_validation_sportif = IF(c.validation_sportif, o.date_validation_sportif, NULL)
          WHERE c.id = :id",
        params! { "origine" => origine_id, "id" => id },
    )?;
    Ok(())
}

/// Writes an order's own number into its engraving text (`{{NUMERO}}`).
pub fn set_gravure_numero(tx: &mut Conn, id: u64, numero: &str) -> Result<()> {
    tx.exec_drop(
        "UPDATE commandes SET gravure_texte = JSON_SET(gravure_texte, '$.numero', ?) WHERE id = ?",
        (numero, id),
    )?;
    Ok(())
}

/// The first engraved (or later) plain demo order, for demo tickets and
/// defects.
pub fn seed_engraved_order(conn: &mut Conn) -> Result<Option<u64>> {
    Ok(conn.query_first(
        r"SELECT id FROM commandes
          WHERE statut IN ('grave', 'attente_expedition', 'expedie', 'livre')
            AND is_sav = FALSE AND COALESCE(is_b2b, FALSE) = FALSE
          ORDER BY id LIMIT 1",
    )?)
}
