//! Database access: one lazily opened MySQL connection per process, the
//! per-request transaction, and the files a request writes alongside it.
//!
//! Under CGI every request is a new process, so the connection is opened only
//! when a handler first needs it (`/api/health` without DB work, CORS
//! preflights and refused requests never pay for it). Under FastCGI the same
//! connection serves the process's successive requests; when it broke in
//! between (server restart, `wait_timeout`, a KILL), the dispatcher drops it
//! and runs the request once more on a fresh one ([`Db::reused`]), so no
//! round trip is added to check it beforehand.
//!
//! Transactions belong to the dispatcher (rouille's model): a write route
//! (POST/PUT/PATCH/DELETE) runs inside one transaction, started on the
//! handler's first statement ([`Db::begin_on_first_use`]) and committed only
//! when the handler returns `Ok`. Files the request writes are staged
//! ([`staged`]) and follow the same fate.

pub mod migrate;
pub mod rows;
pub mod staged;

use crate::config::DbConfig;
use crate::error::{Error, Result};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};
use staged::Staged;

/// Points where a test can make the process die (`APP_ENV=test` only, see
/// [`Db::set_crash_point`]): the crash tests of the file/row consistency.
pub const CRASH_POINTS: &[&str] = &["before_rename", "before_commit", "after_commit"];

/// The process's connection and the state of the current request's
/// transaction.
pub struct Db {
    config: DbConfig,
    conn: Option<Conn>,
    in_tx: bool,
    tx_pending: bool,
    reused: bool,
    staged: Staged,
    crash_at: Option<String>,
}

impl Db {
    /// A handle that connects on first use.
    #[must_use]
    pub fn new(config: DbConfig) -> Db {
        Db {
            config,
            conn: None,
            in_tx: false,
            tx_pending: false,
            reused: false,
            staged: Staged::default(),
            crash_at: None,
        }
    }

    /// Marks the start of a request: whether its connection comes from an
    /// earlier request (and so may have died since).
    pub fn begin_request(&mut self) {
        self.reused = self.conn.is_some();
        self.in_tx = false;
        self.tx_pending = false;
    }

    /// Whether this request runs on a connection opened by an earlier one.
    #[must_use]
    pub fn reused(&self) -> bool {
        self.reused
    }

    /// The connection; inside a write route, the transaction's (started here
    /// on first use).
    pub fn conn(&mut self) -> Result<&mut Conn> {
        if std::mem::take(&mut self.tx_pending) {
            return self.tx();
        }
        self.raw_conn()
    }

    fn raw_conn(&mut self) -> Result<&mut Conn> {
        if self.conn.is_none() {
            self.conn = Some(connect(&self.config).map_err(Error::database_unavailable)?);
        }
        Ok(self.conn.as_mut().expect("connection opened above"))
    }

    /// The connection outside the request's transaction, for the counters
    /// that must outlive a rollback (failed logins). Only before the
    /// transaction's first statement: afterwards it is a programming error.
    pub fn autocommit(&mut self) -> Result<&mut Conn> {
        if self.in_tx {
            return Err(Error::internal(
                "autocommit() called after the request's transaction started",
            ));
        }
        self.raw_conn()
    }

    /// The connection inside this request's transaction, started on first call.
    pub fn tx(&mut self) -> Result<&mut Conn> {
        self.tx_pending = false;
        if !self.in_tx {
            self.raw_conn()?.query_drop("START TRANSACTION")?;
            self.in_tx = true;
        }
        self.raw_conn()
    }

    /// Makes the next use of the connection start the request's transaction
    /// (the dispatcher calls it before a write route's handler). Started on
    /// first use rather than at once, so a request refused before touching
    /// the database costs no round trip.
    pub fn begin_on_first_use(&mut self) {
        self.tx_pending = true;
    }

    /// Writes `bytes` to `path` as part of the request: under a `.part` name
    /// now, renamed into place just before the commit, removed on rollback.
    pub fn stage_file(&mut self, path: &std::path::Path, bytes: &[u8]) -> Result<()> {
        self.staged.write(path, bytes)
    }

    /// Test hook: the process aborts at `point` (one of [`CRASH_POINTS`]).
    pub fn set_crash_point(&mut self, point: Option<String>) {
        self.crash_at = point;
    }

    fn crash_point(&self, point: &str) {
        if self.crash_at.as_deref() == Some(point) {
            eprintln!("mykollector: test crash at {point}");
            std::process::abort();
        }
    }

    /// Ends the request's transaction, if one was started: on success the
    /// staged files are renamed into place, then the transaction commits
    /// (a crash between the two leaves a file without a row, which the
    /// hourly sweep removes, never a row without its file); otherwise
    /// everything is rolled back and the staged files removed.
    pub fn finish(&mut self, success: bool) -> Result<()> {
        self.tx_pending = false;
        let in_tx = std::mem::take(&mut self.in_tx);
        if !success {
            self.staged.discard();
            if in_tx {
                self.raw_conn()?.query_drop("ROLLBACK")?;
            }
            return Ok(());
        }
        self.crash_point("before_rename");
        if let Err(e) = self.staged.publish() {
            self.staged.discard();
            if in_tx {
                self.raw_conn()?.query_drop("ROLLBACK")?;
            }
            return Err(e);
        }
        self.crash_point("before_commit");
        if in_tx {
            if let Err(e) = self.raw_conn().and_then(|c| Ok(c.query_drop("COMMIT")?)) {
                self.staged.unpublish();
                return Err(e);
            }
        }
        self.staged.forget();
        self.crash_point("after_commit");
        Ok(())
    }

    /// Whether this request started a transaction.
    #[must_use]
    pub fn in_transaction(&self) -> bool {
        self.in_tx
    }

    /// Whether the open connection still answers (one ping; only asked
    /// after a request failed on a reused connection).
    pub fn is_alive(&mut self) -> bool {
        self.conn.as_mut().is_some_and(|c| c.ping().is_ok())
    }

    /// Whether a connection is open.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Drops the connection (after a panic, a dead connection, or to send
    /// `COM_QUIT` before the CGI process writes its answer and exits).
    pub fn close(&mut self) {
        self.in_tx = false;
        self.tx_pending = false;
        self.reused = false;
        self.staged.discard();
        self.conn = None;
    }
}

/// How many times a transaction InnoDB picked as a deadlock victim (or
/// timed out on a lock) is run: the dispatcher's request transactions and
/// [`transaction`] alike.
pub const TRANSACTION_ATTEMPTS: u32 = 3;

/// Runs `write` in one transaction on a connection of its own (the cron's,
/// a job's after the answer, the CLI's): committed when it returns `Ok`,
/// rolled back otherwise, and run again from the start when InnoDB reports a
/// deadlock or a lock wait timeout. A request's handler never calls it: the
/// dispatcher already runs every write route in one transaction.
pub fn transaction<C: Queryable, T>(
    conn: &mut C,
    mut write: impl FnMut(&mut C) -> Result<T>,
) -> Result<T> {
    let mut attempt = 1;
    loop {
        conn.query_drop("START TRANSACTION")?;
        let result = write(conn);
        let ended = conn.query_drop(if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
        match (result, ended) {
            (Err(e), _) if e.is_transient() && attempt < TRANSACTION_ATTEMPTS => attempt += 1,
            (Ok(done), Ok(())) => return Ok(done),
            (Err(e), _) => return Err(e),
            (Ok(_), Err(e)) => return Err(e.into()),
        }
    }
}

/// Client-side `max_allowed_packet`: the largest packet this client reads or
/// writes, and the size of MariaDB bulk-execute batches. 16 MiB is MariaDB's
/// default (MySQL 8 defaults to 64 MiB), far above any row of this schema
/// (files live on disk, not in the database).
pub const MAX_ALLOWED_PACKET: usize = 16 * 1024 * 1024;

/// Opens a connection with the leanest settings for a short-lived process.
///
/// Under CGI every request pays for the whole connect, so nothing is asked of
/// the server beyond the handshake and authentication:
/// - `max_allowed_packet` is given, otherwise the driver runs
///   `SELECT @@max_allowed_packet` after the handshake (one round trip);
/// - `prefer_socket(false)`, otherwise a TCP connection to a loopback address
///   runs `SELECT @@socket` and reconnects over it (one or two more);
/// - no connection attributes: the driver would otherwise build a map of
///   six attributes (program name, pid, OS...) for every connect and the
///   server would store them in `performance_schema`;
/// - no init commands; the handshake already sets utf8mb4.
///
/// What options cannot remove: `mysql_common` parses the server version of the
/// handshake with two regexes compiled on first use, i.e. on every CGI
/// request (see scripts/bench.sh and perf-notes for the measured cost).
pub fn connect(config: &DbConfig) -> std::result::Result<Conn, mysql::Error> {
    let mut opts = OptsBuilder::new()
        .user(Some(&config.user))
        .pass(Some(&config.pass))
        .db_name(Some(&config.name))
        .prefer_socket(false)
        .max_allowed_packet(Some(MAX_ALLOWED_PACKET))
        .connect_attrs(None::<std::collections::HashMap<String, String>>)
        .stmt_cache_size(Some(16));
    opts = match &config.socket {
        Some(socket) => opts.socket(Some(socket)),
        None => opts
            .ip_or_hostname(Some(&config.host))
            .tcp_port(config.port),
    };
    Conn::new(opts)
}

/// Formats a DATETIME column in SQL as ISO 8601 (`2024-07-14T09:30:00`), so
/// handlers read plain strings.
pub const ISO_DATETIME: &str = "%Y-%m-%dT%H:%i:%s";
