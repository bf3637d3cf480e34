//! Schema migrations: the numbered files of `sql/`, embedded in the binaries
//! and applied in order by `mk-admin install`, never at request time.
//!
//! Applied versions are recorded with a SHA-256 of their text in
//! `schema_migrations`; running the installer again applies nothing, and an
//! applied file that was edited afterwards is reported instead of silently
//! diverging (migrations are forward-only: add a new file instead).
//!
//! MySQL commits DDL implicitly, so a migration cannot be rolled back as a
//! whole; each one is recorded as soon as all its statements succeeded.

use crate::error::{Error, Result};
use crate::security::tokens::sha256_hex;
use mysql::prelude::Queryable;
use mysql::Conn;

/// One embedded migration file.
pub struct Migration {
    /// File stem, e.g. `0001_schema`.
    pub version: &'static str,
    /// The SQL text.
    pub sql: &'static str,
}

/// The migration of `sql/<version>.sql`: the version names its file, so the
/// two cannot disagree.
macro_rules! migration {
    ($version:literal) => {
        Migration {
            version: $version,
            sql: include_str!(concat!("../../sql/", $version, ".sql")),
        }
    };
}

/// Every migration, in the order they apply.
pub const MIGRATIONS: &[Migration] = &[
    migration!("0001_schema"),
    migration!("0002_seed_catalogs"),
    migration!("0005_shop"),
    migration!("0006_strava"),
    migration!("0007_messaging"),
    migration!("0008_operations"),
    migration!("0010_stats_indexes"),
    migration!("0011_list_indexes"),
    migration!("0012_flat_lists"),
];

const CREATE_BOOKKEEPING: &str = r"
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    VARCHAR(100) NOT NULL PRIMARY KEY,
  checksum   CHAR(64)     NOT NULL,
  applied_at TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

/// State of one migration on a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationState {
    /// Applied with the same text as embedded now.
    Applied,
    /// Not applied yet.
    Pending,
    /// Applied, but the file changed since: someone edited history.
    Modified,
}

/// Lists every embedded migration with its state on `conn`'s database.
pub fn status(conn: &mut Conn) -> Result<Vec<(&'static str, MigrationState)>> {
    conn.query_drop(CREATE_BOOKKEEPING)?;
    let applied: Vec<(String, String)> =
        conn.query("SELECT version, checksum FROM schema_migrations")?;
    Ok(MIGRATIONS
        .iter()
        .map(|m| {
            let state = match applied.iter().find(|(v, _)| v == m.version) {
                None => MigrationState::Pending,
                Some((_, sum)) if *sum == sha256_hex(m.sql.as_bytes()) => MigrationState::Applied,
                Some(_) => MigrationState::Modified,
            };
            (m.version, state)
        })
        .collect())
}

/// Applies the pending migrations; returns the versions it applied.
///
/// # Panics
///
/// Never: [`status`] lists embedded migrations only.
pub fn apply_pending(conn: &mut Conn) -> Result<Vec<&'static str>> {
    let mut applied = Vec::new();
    for (version, state) in status(conn)? {
        match state {
            MigrationState::Applied => {}
            MigrationState::Modified => {
                return Err(Error::internal(format!(
                    "migration {version} was edited after it was applied; \
                     add a new migration file instead"
                )))
            }
            MigrationState::Pending => {
                let m = MIGRATIONS
                    .iter()
                    .find(|m| m.version == version)
                    .expect("status lists embedded migrations only");
                for statement in statements(m.sql) {
                    conn.query_drop(statement).map_err(|e| {
                        Error::internal(format!("migration {version} failed: {e}\n{statement}"))
                    })?;
                }
                conn.exec_drop(
                    "INSERT INTO schema_migrations (version, checksum) VALUES (?, ?)",
                    (version, sha256_hex(m.sql.as_bytes())),
                )?;
                applied.push(version);
            }
        }
    }
    Ok(applied)
}

/// Splits a migration file into statements: a `;` at the end of a line ends
/// a statement; comment-only chunks are skipped.
pub fn statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n").map(str::trim).filter(|s| {
        s.lines()
            .map(str::trim)
            .any(|l| !l.is_empty() && !l.starts_with("--"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_line_ending_semicolons_only() {
        let sql = "-- header\nCREATE TABLE a (x INT);\n\n-- only a comment;\nINSERT INTO a VALUES (1);\nINSERT INTO b VALUES ('a;b');\n";
        let v: Vec<_> = statements(sql).collect();
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(v[2].contains("'a;b'"));
    }

    #[test]
    fn versions_are_ordered_and_unique() {
        let versions: Vec<_> = MIGRATIONS.iter().map(|m| m.version).collect();
        let mut sorted = versions.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(versions, sorted);
    }
}
