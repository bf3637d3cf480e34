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

/// Opens a connection with the leanest settings for a short-lived process.
pub fn connect(config: &DbConfig) -> std::result::Result<Conn, mysql::Error> {
    let mut opts = OptsBuilder::new()
        .user(Some(&config.user))
        .pass(Some(&config.pass))
        .db_name(Some(&config.name))
        // `prefer_socket` would ask the server for @@socket after a TCP
        // handshake: one more round trip on every CGI request.
        .prefer_socket(false)
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
