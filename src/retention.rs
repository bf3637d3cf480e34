//! Spec §14 "Logs" retention, run by the hourly cron: audit rows go after
//! one year, rows of admin actions (roles `admin_fab`, `admin_chrono`,
//! `super_admin`) after two, cron run records after one.
//!
//! Rows are deleted in batches of [`BATCH`] so a first run on a large table
//! never holds a long lock or an oversized undo log on a shared host.

use crate::config::Config;
use crate::error::Result;
use mysql::prelude::Queryable;
use mysql::Conn;

/// Rows deleted per statement.
const BATCH: u32 = 5000;
/// Roles whose actions are kept two years.
pub const ADMIN_ROLES_SQL: &str = "('admin_fab','admin_chrono','super_admin')";

/// Cron task: purges audit rows past their retention; returns the counts.
pub fn purge_old_logs(_config: &Config, conn: &mut Conn) -> Result<String> {
    let ordinary = delete_in_batches(
        conn,
        &format!(
            "DELETE FROM logs_audit WHERE created_at < NOW() - INTERVAL 1 YEAR \
             AND (role IS NULL OR role NOT IN {ADMIN_ROLES_SQL}) LIMIT {BATCH}"
        ),
    )?;
    let admin = delete_in_batches(
        conn,
        &format!(
            "DELETE FROM logs_audit WHERE created_at < NOW() - INTERVAL 2 YEAR \
             AND role IN {ADMIN_ROLES_SQL} LIMIT {BATCH}"
        ),
    )?;
    let runs = delete_in_batches(
        conn,
        &format!("DELETE FROM cron_runs WHERE debut < NOW() - INTERVAL 1 YEAR LIMIT {BATCH}"),
    )?;
    Ok(format!(
        "{ordinary} audit row(s) > 1 year, {admin} admin row(s) > 2 years, {runs} cron run(s) purged"
    ))
}

fn delete_in_batches(conn: &mut Conn, statement: &str) -> Result<u64> {
    let mut total = 0;
    loop {
        conn.query_drop(statement)?;
        let n = conn.affected_rows();
        total += n;
        if n < u64::from(BATCH) {
            return Ok(total);
        }
    }
}
