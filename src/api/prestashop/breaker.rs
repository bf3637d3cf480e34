//! The circuit breaker of the calls to the shop, kept in MySQL (a CGI
//! process lives for one request, so the state must outlive it): the
//! `rate_limits` row [`KEY`] counts consecutive failures
//! (`echecs_consecutifs`) and holds the end of the pause (`bloque_jusqu_a`).
//!
//! Closed: every call is made. After [`THRESHOLD`] consecutive failures it
//! opens: no call for [`PAUSE_SECS`]. Then exactly one caller claims the
//! trial (a conditional UPDATE, so two processes cannot both try): its
//! success closes the breaker, its failure opens it for another pause.

use crate::error::Result;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde_json::{json, Value};

/// The `rate_limits.cle` of the breaker.
pub const KEY: &str = "breaker:prestashop";
/// Consecutive failures that open the breaker.
pub const THRESHOLD: u32 = 5;
/// How long it stays open.
pub const PAUSE_SECS: u32 = 60;

/// `None` when a call may be made now; else the seconds left in the pause.
pub fn admit(conn: &mut Conn) -> Result<Option<u64>> {
    let row: Option<(u32, Option<i64>)> = conn.exec_first(
        "SELECT echecs_consecutifs, TIMESTAMPDIFF(SECOND, NOW(), bloque_jusqu_a) FROM rate_limits WHERE cle = ?",
        (KEY,),
    )?;
    let Some((failures, left)) = row else {
        return Ok(None);
    };
    if let Some(left) = left.filter(|l| *l >= 0) {
        return Ok(Some(left.unsigned_abs().max(1)));
    }
    if failures < THRESHOLD {
        return Ok(None);
    }
    // The pause is over: claim the one trial call by pushing the pause
    // forward; whoever loses the race waits like everybody else.
    conn.exec_drop(
        r"UPDATE rate_limits SET bloque_jusqu_a = NOW() + INTERVAL ? SECOND
          WHERE cle = ? AND echecs_consecutifs >= ? AND (bloque_jusqu_a IS NULL OR bloque_jusqu_a < NOW())",
        (PAUSE_SECS, KEY, THRESHOLD),
    )?;
    Ok(if conn.affected_rows() == 1 {
        None
    } else {
        Some(u64::from(PAUSE_SECS))
    })
}

/// Records the outcome of a call that was made.
pub fn record(conn: &mut Conn, success: bool) -> Result<()> {
    if success {
        conn.exec_drop(
            "UPDATE rate_limits SET echecs_consecutifs = 0, bloque_jusqu_a = NULL WHERE cle = ? AND (echecs_consecutifs > 0 OR bloque_jusqu_a IS NOT NULL)",
            (KEY,),
        )?;
        return Ok(());
    }
    conn.exec_drop(
        r"INSERT INTO rate_limits (cle, compteur, fenetre_debut, echecs_consecutifs) VALUES (?, 0, NOW(), 1)
          ON DUPLICATE KEY UPDATE
            bloque_jusqu_a = IF(echecs_consecutifs + 1 >= ?, NOW() + INTERVAL ? SECOND, NULL),
            echecs_consecutifs = echecs_consecutifs + 1",
        (KEY, THRESHOLD, PAUSE_SECS),
    )?;
    Ok(())
}

/// The breaker as `/api/health` and the admin pages show it:
/// `{"etat": "ferme"|"ouvert"|"essai", "echecs_consecutifs", "reprise_dans_s"}`.
pub fn state(conn: &mut Conn) -> Result<Value> {
    let row: Option<(u32, Option<i64>)> = conn.exec_first(
        "SELECT echecs_consecutifs, TIMESTAMPDIFF(SECOND, NOW(), bloque_jusqu_a) FROM rate_limits WHERE cle = ?",
        (KEY,),
    )?;
    let (failures, left) = row.unwrap_or((0, None));
    let left = left.filter(|l| *l >= 0);
    let etat = match (failures >= THRESHOLD, left) {
        (_, Some(_)) if failures >= THRESHOLD => "ouvert",
        (true, None) => "essai",
        _ => "ferme",
    };
    Ok(json!({
        "etat": etat,
        "echecs_consecutifs": failures,
        "reprise_dans_s": left.filter(|_| failures >= THRESHOLD),
    }))
}
