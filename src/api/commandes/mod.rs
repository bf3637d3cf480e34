//! Spec §5.4 — `/api/commandes`: orders, their numbering and their status
//! machine ([`status`]).

pub mod status;

use crate::error::{Error, Result};
use crate::http::router::Route;
use mysql::prelude::Queryable;
use mysql::{params, Conn};
use serde::Serialize;

/// Routes of this module.
pub const ROUTES: &[Route] = &[];

/// The next order number for a course code: `MKO-<year>-<code>-<seq>`, the
/// sequence restarting each year. Unique under concurrency: the counter row
/// is incremented atomically and `LAST_INSERT_ID(expr)` hands this
/// connection its own value.
pub fn next_numero(conn: &mut Conn, code: &str) -> Result<String> {
    let year: Option<u16> = conn.query_first("SELECT YEAR(NOW())")?;
    let year = year.unwrap_or(2026);
    let code = code.to_uppercase();
    conn.exec_drop(
        r"INSERT INTO commande_sequences (annee, code, dernier) VALUES (?, ?, LAST_INSERT_ID(1))
          ON DUPLICATE KEY UPDATE dernier = LAST_INSERT_ID(dernier + 1)",
        (year, &code),
    )?;
    let seq: Option<u64> = conn.query_first("SELECT LAST_INSERT_ID()")?;
    Ok(format_numero(year, &code, seq.unwrap_or(1)))
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
    /// B2B order fields.
    pub b2b: Option<B2b>,
    /// For SAV re-orders: the original order.
    pub commande_origine_id: Option<u64>,
    /// Whether this order was created by after-sales.
    pub is_sav: bool,
    /// Contact email when there is no athlete account.
    pub email_client: Option<String>,
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
             is_b2b, b2b_client_nom, b2b_client_type, b2b_fabricant_id, b2b_quantite,
             commande_origine_id, is_sav, email_client)
          VALUES
            (:numero, :user_id, :chrono_id, :produit_id, :atelier_id, 'attente_gravure', :chrono_valide, :duree,
             JSON_ARRAY(JSON_OBJECT('from', NULL, 'to', 'attente_gravure', 'by', :actor,
                                    'at', DATE_FORMAT(NOW(), '%Y-%m-%dT%H:%i:%s'), 'comment', 'Création')),
             :gravure_texte, :validation_sportif, :presta_order_id,
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
pub fn format_numero(year: u16, code: &str, seq: u64) -> String {
    format!("MKO-{year}-{code}-{seq:03}")
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
