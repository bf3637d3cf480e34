//! Spec §5.4 — `/api/commandes`: orders, their numbering and their status
//! machine ([`status`]).

pub mod status;

use crate::error::Result;
use crate::http::router::Route;
use mysql::prelude::Queryable;
use mysql::Conn;

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
