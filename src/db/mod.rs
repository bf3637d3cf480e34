//! Database access: one lazily opened MySQL connection per process, and the
//! per-request transaction.
//!
//! Under CGI every request is a new process, so the connection is opened only
//! when a handler first needs it (`/api/health` without DB work, CORS
//! preflights and refused requests never pay for it). Under FastCGI the same
//! connection serves the process's successive requests.
//!
//! Transactions are explicit: a handler that writes several rows calls
//! [`Db::tx`]; the dispatcher commits when the handler returns `Ok` and rolls
//! back otherwise, so nothing is ever half-written.

pub mod migrate;
pub mod rows;

use crate::config::DbConfig;
use crate::error::{Error, Result};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

/// The process's connection and the state of the current request's
/// transaction.
pub struct Db {
    config: DbConfig,
    conn: Option<Conn>,
    in_tx: bool,
}

impl Db {
    /// A handle that connects on first use.
    pub fn new(config: DbConfig) -> Db {
        Db {
            config,
            conn: None,
            in_tx: false,
        }
    }

    /// The connection (autocommit unless [`Db::tx`] was called in this request).
    pub fn conn(&mut self) -> Result<&mut Conn> {
        if self.conn.is_none() {
            self.conn = Some(connect(&self.config).map_err(Error::database_unavailable)?);
        }
        Ok(self.conn.as_mut().expect("connection opened above"))
    }

    /// The connection inside this request's transaction, started on first call.
    pub fn tx(&mut self) -> Result<&mut Conn> {
        if !self.in_tx {
            self.conn()?.query_drop("START TRANSACTION")?;
            self.in_tx = true;
        }
        self.conn()
    }

    /// Ends the request's transaction, if one was started: commit on success,
    /// rollback otherwise.
    pub fn finish(&mut self, success: bool) -> Result<()> {
        if !std::mem::take(&mut self.in_tx) {
            return Ok(());
        }
        let conn = self.conn()?;
        if success {
            conn.query_drop("COMMIT")?;
        } else {
            conn.query_drop("ROLLBACK")?;
        }
        Ok(())
    }

    /// Whether this request started a transaction.
    pub fn in_transaction(&self) -> bool {
        self.in_tx
    }

    /// Whether a connection is open.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Drops the connection (after a panic, or to send `COM_QUIT` before the
    /// CGI process writes its answer and exits).
    pub fn close(&mut self) {
        self.in_tx = false;
        self.conn = None;
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
///   server would store them in performance_schema;
/// - no init commands; the handshake already sets utf8mb4.
///
/// What options cannot remove: mysql_common parses the server version of the
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
