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
pub const HOURLY: &[Task] = &[
    Task {
        name: "prestashop-import-b2c",
        run: crate::api::prestashop::cron_import_b2c,
    },
    Task {
        name: "prestashop-import-b2b",
        run: crate::api::prestashop::cron_import_b2b,
    },
    Task {
        name: "prestashop-push",
        run: crate::api::prestashop::cron_push,
    },
    Task {
        name: "purge-expired",
        run: crate::api::signin::purge_expired,
    },
    Task {
        name: "fichiers",
        run: crate::db::staged::sweep,
    },
    Task {
        name: "relances",
        run: crate::api::relances::cron_reminders,
    },
    Task {
        name: "mail-outbox",
        run: crate::mail::outbox::retry_due,
    },
    Task {
        name: "backup",
        run: crate::backup::cron_backup,
    },
    Task {
        name: "retention",
        run: crate::retention::purge_old_logs,
    },
    Task {
        name: "strava",
        run: crate::api::strava::webhook::run_hourly,
    },
];

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
    let started: Option<String> = conn
        .query_first("SELECT CAST(NOW() AS CHAR)")
        .ok()
        .flatten();
    let outcomes: Vec<Outcome> = tasks
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
    record_run(conn, started.as_deref(), &outcomes);
    // The lock also goes with the connection; releasing it keeps a reused
    // connection (tests) from holding it.
    let _ = conn.exec_drop("DO RELEASE_LOCK(?)", (LOCK_NAME,));
    Ok(outcomes)
}

/// Records the run in `cron_runs` (read by the host doctor). A failure to
/// record is not a failure of the run: the tasks did their work.
fn record_run(conn: &mut Conn, started: Option<&str>, outcomes: &[Outcome]) {
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let summary: Vec<String> = outcomes
        .iter()
        .map(|o| match &o.result {
            Ok(s) => format!("{}: {s}", o.name),
            Err(e) => format!("{}: ECHEC {e}", o.name),
        })
        .collect();
    let _ = conn.exec_drop(
        "INSERT INTO cron_runs (planning, debut, fin, taches_ok, taches_echec, resume) \
         VALUES ('hourly', COALESCE(?, NOW()), NOW(), ?, ?, ?)",
        (started, outcomes.len() - failed, failed, summary.join("\n")),
    );
}
