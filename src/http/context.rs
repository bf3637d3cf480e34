//! What a handler receives: the request, the configuration, the database, the
//! authenticated user and the path parameters, plus notes for the audit log.

use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
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
/// other services): it must never run for a change that was rolled back.
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
            .ok_or_else(|| Error::not_found("not_found", "Ressource introuvable."))
    }

    /// The authenticated user (the router guarantees one on protected routes).
    pub fn claims(&self) -> Result<&Claims> {
        self.user
            .as_ref()
            .ok_or_else(|| Error::unauthorized("token_missing", "Authentification requise."))
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

    /// The connection, autocommit.
    pub fn conn(&mut self) -> Result<&mut Conn> {
        self.db.conn()
    }

    /// The connection inside the request's transaction (committed when the
    /// handler returns `Ok`, rolled back otherwise).
    pub fn tx(&mut self) -> Result<&mut Conn> {
        self.db.tx()
    }

    /// Records the entity the request acted on, for the audit log.
    pub fn audit_entity(&mut self, entity: &'static str, id: u64) {
        self.audit.entity = Some(entity);
        self.audit.entity_id = Some(id);
    }

    /// Runs `job` after the transaction commits (never if it rolls back). A
    /// failing job is logged; the answer stays a success, since the data is
    /// committed.
    pub fn after_commit(&mut self, job: impl FnOnce(&Config, &mut Conn) -> Result<()> + 'static) {
        self.after_commit.push(Box::new(job));
    }

    /// Records details for the audit log.
    pub fn audit_details(&mut self, details: serde_json::Value) {
        self.audit.details = Some(details);
    }
}
