//! The hourly cron (`mk-admin cron hourly`, the line an OVH cron panel runs).
//!
//! OVH shared hosting runs cron jobs at most hourly and offers no daemon, so
//! every background duty of the product is one [`Task`] of [`HOURLY`]: each
//! domain module that needs periodic work exposes a plain function and adds
//! one line here. A task does what is due and returns a one-line summary; a
//! failing task is reported and the others still run.
//!
//! One MySQL named lock (`GET_LOCK`) guards the whole run, so two overlapping
//! runs (a slow import, a manual run from SSH) never do the same work twice.

use crate::config::Config;
use crate::error::Result;
use mysql::prelude::Queryable;
use mysql::Conn;
use std::time::Instant;

/// One periodic duty.
pub struct Task {
    /// Short name shown in the summary line.
    pub name: &'static str,
    /// Does what is due; the string is the summary line (counts, not data).
    pub run: fn(&Config, &mut Conn) -> Result<String>,
}

/// The tasks of the hourly run, in order.
pub const HOURLY: &[Task] = &[Task {
    name: "strava",
    run: crate::api::strava::webhook::run_hourly,
}];

/// The named lock held for the whole run.
const LOCK_NAME: &str = "mykollector_cron";

/// What one task did.
#[derive(Debug)]
pub struct Outcome {
    /// The task's name.
    pub name: &'static str,
    /// Its summary line, or the error that stopped it.
    pub result: std::result::Result<String, String>,
    /// How long it took.
    pub millis: u128,
}

/// Why a run did not happen.
#[derive(Debug)]
pub enum Skipped {
    /// Another run holds the lock.
    AlreadyRunning,
    /// The lock could not be asked for.
    Db(crate::Error),
}

/// Runs `tasks` in order under the cron lock; every task runs even when an
/// earlier one failed.
pub fn run(
    config: &Config,
    conn: &mut Conn,
    tasks: &[Task],
) -> std::result::Result<Vec<Outcome>, Skipped> {
    let got: Option<i64> = conn
        .exec_first("SELECT GET_LOCK(?, 0)", (LOCK_NAME,))
        .map_err(|e| Skipped::Db(e.into()))?;
    if got != Some(1) {
        return Err(Skipped::AlreadyRunning);
    }
    let outcomes = tasks
        .iter()
        .map(|task| {
            let started = Instant::now();
            let result = (task.run)(config, conn).map_err(|e| e.log_line());
            Outcome {
                name: task.name,
                result,
                millis: started.elapsed().as_millis(),
            }
        })
        .collect();
    // The lock also goes with the connection; releasing it keeps a reused
    // connection (tests) from holding it.
    let _ = conn.exec_drop("DO RELEASE_LOCK(?)", (LOCK_NAME,));
    Ok(outcomes)
}
