//! Rate-limit counters (spec 10.4), counted in MySQL so every CGI process and
//! every FastCGI worker shares them.
//!
//! Each check is one statement that increments and reads back the count
//! ([`hit`]): two concurrent requests can never both read the same count, so
//! a burst never lets more than the limit through. Where only failures should
//! count (login), the attempt is counted first and handed back when it
//! succeeds ([`give_back`]), which keeps the check race-free.

use crate::error::Result;
use mysql::prelude::Queryable;
use mysql::Conn;

/// A fixed-window limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed in the window.
    pub max: u32,
    /// Window length in seconds.
    pub window_secs: u32,
    /// Routes that share one counter (e.g. all of `/api/admin/*`); `None`
    /// counts the route alone.
    pub bucket: Option<&'static str>,
}

/// Adds one to `key`'s counter in its current window (a new window starts
/// when the last one is over) and returns the count, in one round trip:
/// `LAST_INSERT_ID(expr)` hands the updated value back in the OK packet.
pub fn hit(conn: &mut Conn, key: &str, window_secs: u32) -> Result<u32> {
    conn.exec_drop(
        r"INSERT INTO rate_limits (cle, compteur, fenetre_debut) VALUES (?, 1, NOW())
          ON DUPLICATE KEY UPDATE
            compteur = LAST_INSERT_ID(IF(fenetre_debut <= NOW() - INTERVAL ? SECOND, 1, compteur + 1)),
            fenetre_debut = IF(compteur = 1, NOW(), fenetre_debut)",
        (key, window_secs),
    )?;
    // A fresh row reports one affected row and no insert id.
    Ok(if conn.affected_rows() == 1 {
        1
    } else {
        u32::try_from(conn.last_insert_id()).unwrap_or(u32::MAX)
    })
}

/// Takes back one count of `key` (an attempt that turned out not to count,
/// such as a successful login).
pub fn give_back(conn: &mut Conn, key: &str) -> Result<()> {
    conn.exec_drop(
        "UPDATE rate_limits SET compteur = compteur - 1 WHERE cle = ? AND compteur > 0",
        (key,),
    )?;
    Ok(())
}

/// The count of `key` in its current window, without adding to it.
pub fn count(conn: &mut Conn, key: &str, window_secs: u32) -> Result<u32> {
    let n: Option<u32> = conn.exec_first(
        "SELECT compteur FROM rate_limits WHERE cle = ? AND fenetre_debut > NOW() - INTERVAL ? SECOND",
        (key, window_secs),
    )?;
    Ok(n.unwrap_or(0))
}

/// Seconds until `key`'s window ends.
pub fn retry_after(conn: &mut Conn, key: &str, window_secs: u32) -> Result<u64> {
    let secs: Option<i64> = conn.exec_first(
        "SELECT TIMESTAMPDIFF(SECOND, NOW(), fenetre_debut + INTERVAL ? SECOND) FROM rate_limits WHERE cle = ?",
        (window_secs, key),
    )?;
    Ok(secs.unwrap_or(1).max(1).unsigned_abs())
}

/// Forgets `key`'s counter.
pub fn reset(conn: &mut Conn, key: &str) -> Result<()> {
    conn.exec_drop("DELETE FROM rate_limits WHERE cle = ?", (key,))?;
    Ok(())
}
