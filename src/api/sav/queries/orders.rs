//! Order reads and the few order writes of SAV and B2B.

use super::flag;
use crate::api::commandes::status::{self, Statut};
use crate::db::rows::{self, col, FromRow};
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

impl OrderSummary {
    fn from_row(mut row: Row) -> Result<OrderSummary> {
        let statut: String = col(&mut row, "statut")?;
        let sav_possible =
            Statut::parse(&statut).is_some_and(|s| status::is_allowed(s, Statut::Sav));
        let gravure: Option<String> = col(&mut row, "gravure_texte")?;
        Ok(OrderSummary {
            id: col(&mut row, "id")?,
            numero: col(&mut row, "numero")?,
            statut,
            sav_possible,
            produit_id: col(&mut row, "produit_id")?,
            parcours: col(&mut row, "parcours")?,
            atelier_id: col(&mut row, "atelier_id")?,
            user_id: col(&mut row, "user_id")?,
            sportif_nom: col(&mut row, "sportif_nom")?,
            sportif_prenom: col(&mut row, "sportif_prenom")?,
            sportif_email: col(&mut row, "sportif_email")?,
            email_client: col(&mut row, "email_client")?,
            is_b2b: flag(&mut row, "is_b2b")?,
            b2b_client_nom: col(&mut row, "b2b_client_nom")?,
            b2b_client_type: col(&mut row, "b2b_client_type")?,
            b2b_quantite: col(&mut row, "b2b_quantite")?,
            b2b_fabricant_id: col(&mut row, "b2b_fabricant_id")?,
            is_sav: flag(&mut row, "is_sav")?,
            commande_origine_id: col(&mut row, "commande_origine_id")?,
            validation_sportif: flag(&mut row, "validation_sportif")?,
            gravure_texte: gravure
                .and_then(|g| serde_json::from_str(&g).ok())
                .unwrap_or(serde_json::Value::Null),
            date_commande: col(&mut row, "date_commande")?,
        })
    }
}

/// One order as SAV screens show it.
pub fn find_order_summary(conn: &mut Conn, id: u64) -> Result<Option<OrderSummary>> {
    let row: Option<Row> =
        conn.exec_first(format!("{ORDER_SUMMARY_SELECT} WHERE c.id = ?"), (id,))?;
    row.map(OrderSummary::from_row).transpose()
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
