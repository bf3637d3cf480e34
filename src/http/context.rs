//! What a handler receives: the request, the configuration, the database, the
//! authenticated user and the path parameters, plus notes for the audit log.

use crate::config::Config;
use crate::db::Db;
use crate::error::{catalog, Result};
use crate::http::Request;
use crate::security::account::Account;
use crate::security::jwt::Claims;
use crate::security::Role;
use mysql::Conn;

/// Extra facts a handler records for the audit log of its request.
#[derive(Debug, Default, Clone)]
pub struct AuditNote {
    /// Entity kind, e.g. `commande`.
    pub entity: Option<&'static str>,
    /// Entity id.
    pub entity_id: Option<u64>,
    /// Free-form details (never secrets).
    pub details: Option<serde_json::Value>,
    /// The acting user when the route is public (login, setup…).
    pub user_id: Option<u64>,
    /// The email typed at login, for failed attempts.
    pub email: Option<String>,
}

/// Work to do once the request's transaction is committed (emails, calls to
/// other services): it must never run for a change that was rolled back, and
/// it runs after the answer has been sent.
pub type AfterCommit = Box<dyn FnOnce(&Config, &mut Conn) -> Result<()>>;

/// The per-request context handed to every handler.
pub struct Ctx<'a> {
    /// The request.
    pub req: &'a Request,
    /// The process configuration.
    pub config: &'a Config,
    /// The database handle.
    pub db: &'a mut Db,
    /// Values of the route's `{name}` segments.
    pub params: Vec<(&'static str, String)>,
    /// The bearer's verified claims, if a valid token was sent (on protected
    /// routes, role and atelier are the account's current ones).
    pub user: Option<Claims>,
    /// The bearer's account as stored now (protected routes only).
    pub account: Option<Account>,
    /// What the audit log should record about this request.
    pub audit: AuditNote,
    /// Jobs run by the dispatcher after a successful commit.
    pub after_commit: Vec<AfterCommit>,
}

impl Ctx<'_> {
    /// A path parameter as text.
    #[must_use]
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A numeric path parameter; anything else is a 404 (no such resource).
    pub fn id(&self, name: &str) -> Result<u64> {
        self.param(name)
            .parse()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| catalog::NOT_FOUND.err())
    }

    /// The authenticated user (the router guarantees one on protected routes).
    pub fn claims(&self) -> Result<&Claims> {
        self.user
            .as_ref()
            .ok_or_else(|| catalog::TOKEN_MISSING.err())
    }

    /// The authenticated user's id.
    pub fn user_id(&self) -> Result<u64> {
        Ok(self.claims()?.sub)
    }

    /// The authenticated user's role.
    pub fn role(&self) -> Result<Role> {
        Ok(self.claims()?.role)
    }

    /// The request body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        self.req.json()
    }

    /// The connection. In a write route (POST/PUT/PATCH/DELETE) it is the
    /// request's transaction, which the dispatcher opened for the handler and
    /// commits only when it returns `Ok`; in a read route, autocommit.
    pub fn conn(&mut self) -> Result<&mut Conn> {
        self.db.conn()
    }

    /// The connection inside the request's transaction (the same as
    /// [`Ctx::conn`] in a write route; a read route that needs a consistent
    /// view or a locking read gets one this way).
    pub fn tx(&mut self) -> Result<&mut Conn> {
        self.db.tx()
    }

    /// The connection outside the transaction, for counters that must
    /// outlive a rollback (failed logins). Only before the handler's first
    /// use of [`Ctx::conn`]/[`Ctx::tx`].
    pub fn autocommit(&mut self) -> Result<&mut Conn> {
        self.db.autocommit()
    }

    /// Writes a file as part of the request: it appears at `path` only if
    /// the transaction commits, and a committed row always finds it, even if
    /// the process dies (see [`crate::db::staged`]).
    pub fn stage_file(&mut self, path: &std::path::Path, bytes: &[u8]) -> Result<()> {
        self.db.stage_file(path, bytes)
    }

    /// Records the entity the request acted on, for the audit log.
    pub fn audit_entity(&mut self, entity: &'static str, id: u64) {
        self.audit.entity = Some(entity);
        self.audit.entity_id = Some(id);
    }

    /// Runs `job` after the transaction commits (never if it rolls back),
    /// once the answer has been sent to the client. A failing job is logged;
    /// the answer was a success, since the data is committed. Under CGI,
    /// Apache stops the process 3 s after the answer: a job must be short,
    /// and anything that must happen for sure goes through an outbox row.
    pub fn after_commit(&mut self, job: impl FnOnce(&Config, &mut Conn) -> Result<()> + 'static) {
        self.after_commit.push(Box::new(job));
    }

    /// Records details for the audit log.
    pub fn audit_details(&mut self, details: serde_json::Value) {
        self.audit.details = Some(details);
    }
}
