//! Ateliers and medal stock per course and atelier, with the movement
//! journal (spec 4.6 `ateliers`, 4.28 `stocks`).

use crate::error::Result;
use crate::http::router::Route;
use mysql::prelude::Queryable;
use mysql::Conn;

/// Routes of this module.
pub const ROUTES: &[Route] = &[];

/// Takes one medal out of the stock of (course, atelier) for an engraved
/// order, and journals it. The stock may go below zero: the medal was
/// physically engraved, so the count was wrong, and the low-stock alert shows
/// it rather than blocking the operator.
pub fn consume_for_engraving(
    tx: &mut Conn,
    produit_id: u64,
    atelier_id: u64,
    commande_id: u64,
    user_id: u64,
) -> Result<()> {
    tx.exec_drop(
        r"INSERT INTO stocks (produit_id, atelier_id, quantite) VALUES (?, ?, -1)
          ON DUPLICATE KEY UPDATE quantite = quantite - 1",
        (produit_id, atelier_id),
    )?;
    tx.exec_drop(
        r"INSERT INTO stock_mouvements (stock_id, type, quantite, quantite_apres, motif, commande_id, user_id)
          SELECT id, 'gravure', -1, quantite, 'Gravure de la commande', ?, ?
          FROM stocks WHERE produit_id = ? AND atelier_id = ?",
        (commande_id, user_id, produit_id, atelier_id),
    )?;
    Ok(())
}
