//! The route table and the dispatcher.
//!
//! Every route is one [`Route`] value in its domain module's `ROUTES` slice;
//! [`crate::api::MODULES`] lists the slices, so the whole table is data that
//! tests can check (no overlaps, every route documented in OpenAPI) and
//! `mk-admin routes` can print.
//!
//! [`handle`] runs the guards in a fixed order — CORS, body limit, routing,
//! authentication and roles, maintenance, rate limits — then the handler,
//! then commits or rolls back, then writes the audit log.

use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::http::context::{AuditNote, Ctx};
use crate::http::{guard, Method, Request, Response};
use crate::security::account::{self, Account};
use crate::security::{jwt, Role};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// How many times a request whose transaction was a deadlock victim is run.
const TRANSACTION_ATTEMPTS: u32 = 3;

/// A handler: takes the context, returns a response or an error.
pub type Handler = fn(&mut Ctx) -> Result<Response>;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// Any authenticated user.
    Authenticated,
    /// Authenticated users whose role is in the set.
    Roles(&'static [Role]),
}

/// One entry of the route table.
#[derive(Clone, Copy)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path pattern; `{name}` matches one segment.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The function that answers.
    pub handler: Handler,
    /// One line for the OpenAPI document and `mk-admin routes`.
    pub summary: &'static str,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method.as_str(), self.path)
    }
}

/// Shorthand for building route tables.
pub const fn route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: Handler,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        access,
        handler,
        summary,
    }
}

/// Every route of the API.
pub fn routes() -> impl Iterator<Item = &'static Route> {
    crate::api::MODULES.iter().flat_map(|m| m.iter())
}

/// Matches `path` against `pattern`; returns the `{name}` values and the
/// number of literal segments (more literals win: `/parcours/nearby` beats
/// `/parcours/{id}`).
fn match_path(pattern: &'static str, path: &str) -> Option<(PathParams, usize)> {
    let mut params = Vec::new();
    let mut literals = 0;
    let mut pat = pattern.split('/');
    let mut segs = path.split('/');
    loop {
        match (pat.next(), segs.next()) {
            (None, None) => return Some((params, literals)),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    params.push((name, s.to_string()));
                } else if p == s {
                    literals += 1;
                } else {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Values of a route's `{name}` segments.
pub type PathParams = Vec<(&'static str, String)>;

/// The outcome of looking a request up in the table.
enum Lookup {
    Found(&'static Route, PathParams),
    WrongMethod(Vec<Method>),
    NotFound,
}

fn lookup(method: Method, path: &str) -> Lookup {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let mut best: Option<(&'static Route, PathParams, usize)> = None;
    let mut allowed = Vec::new();
    for route in routes() {
        let Some((params, literals)) = match_path(route.path, path) else {
            continue;
        };
        if route.method != method && !(method == Method::Head && route.method == Method::Get) {
            allowed.push(route.method);
            continue;
        }
        if best.as_ref().is_none_or(|(_, _, l)| literals > *l) {
            best = Some((route, params, literals));
        }
    }
    match best {
        Some((route, params, _)) => Lookup::Found(route, params),
        None if !allowed.is_empty() => Lookup::WrongMethod(allowed),
        None => Lookup::NotFound,
    }
}

/// Answers one request. Never panics: a panicking handler is answered with the
/// uniform JSON 500 and its connection is dropped.
pub fn handle(req: &Request, config: &Config, db: &mut Db) -> Response {
    let started = Instant::now();
    let origin = guard::cors_origin(req, config);
    let mut audit = AuditNote::default();
    let mut claims = None;
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        dispatch(req, config, db, &mut claims, &mut audit, origin.is_some())
    }));
    let result = match outcome {
        Ok(r) => r,
        Err(panic) => {
            db.close();
            let what = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Error::internal(format!("handler panicked: {what}")))
        }
    };
    let mut response = match result {
        Ok(r) => r,
        Err(e) => {
            if e.is_server_error() {
                guard::log_error(config, req, &e);
            }
            Response::from_error(&e)
        }
    };
    if req.method.is_some_and(Method::is_write) {
        guard::audit(config, db, req, claims.as_ref(), &audit, &response, started);
    }
    guard::add_common_headers(&mut response, origin.as_deref());
    response
}

fn dispatch(
    req: &Request,
    config: &Config,
    db: &mut Db,
    claims_out: &mut Option<jwt::Claims>,
    audit: &mut AuditNote,
    origin_allowed: bool,
) -> Result<Response> {
    let Some(method) = req.method else {
        return Err(method_not_allowed());
    };
    if method == Method::Options {
        return guard::preflight(req, origin_allowed);
    }
    if req.body_too_large {
        return Err(Error::new(
            413,
            "payload_too_large",
            format!(
                "Le corps de la requête dépasse la taille maximale autorisée ({} Mo).",
                config.max_body_bytes / (1024 * 1024)
            ),
        ));
    }
    let (route, params) = match lookup(method, &req.path) {
        Lookup::Found(route, params) => (route, params),
        Lookup::WrongMethod(allowed) => {
            let allow: Vec<_> = allowed.iter().map(|m| m.as_str()).collect();
            return Ok(
                Response::from_error(&method_not_allowed()).with_header("Allow", allow.join(", "))
            );
        }
        Lookup::NotFound => {
            return Err(Error::not_found(
                "route_not_found",
                "Cette adresse de l'API n'existe pas.",
            ))
        }
    };
    let (claims, account) = authenticate(req, config, db, route.access)?;
    *claims_out = claims.clone();
    guard::maintenance(config, route, claims.as_ref())?;
    guard::rate_limit(db, route, req, claims.as_ref())?;
    // A transaction InnoDB picked as a deadlock victim is rolled back whole:
    // running the handler again is the standard remedy, and it is safe because
    // nothing of the failed attempt was committed.
    let mut attempt = 1;
    loop {
        let mut ctx = Ctx {
            req,
            config,
            db,
            params: params.clone(),
            user: claims.clone(),
            account: account.clone(),
            audit: AuditNote::default(),
            after_commit: Vec::new(),
        };
        let result = (route.handler)(&mut ctx);
        *audit = std::mem::take(&mut ctx.audit);
        let jobs = std::mem::take(&mut ctx.after_commit);
        let retry = attempt < TRANSACTION_ATTEMPTS
            && db.in_transaction()
            && result.as_ref().is_err_and(Error::is_transient);
        let committed = db.finish(result.is_ok());
        if retry {
            attempt += 1;
            continue;
        }
        return match (result, committed) {
            (Ok(response), Ok(())) => {
                for job in jobs {
                    if let Err(e) = db.conn().and_then(|conn| job(config, conn)) {
                        guard::log_error(config, req, &e);
                    }
                }
                Ok(response)
            }
            (Ok(_), Err(e)) | (Err(e), _) => Err(e),
        };
    }
}

fn method_not_allowed() -> Error {
    Error::new(
        405,
        "method_not_allowed",
        "Méthode HTTP non autorisée pour cette adresse.",
    )
}

/// Verifies the bearer token against the route's access rule. On public
/// routes a bad token (or a closed session) is ignored rather than refused, so
/// an expired session never breaks public pages. Whenever a token is used, the
/// account is reloaded in the same query that checks its login session is
/// still live: its current role and atelier replace the token's copies, so
/// deactivating a user, changing a role or logging out takes effect at once,
/// not when the token expires.
fn authenticate(
    req: &Request,
    config: &Config,
    db: &mut Db,
    access: Access,
) -> Result<(Option<jwt::Claims>, Option<Account>)> {
    let token = req.bearer_token();
    if access == Access::Public {
        let Some(claims) = token.and_then(|t| jwt::verify(&config.jwt_secret, t).ok()) else {
            return Ok((None, None));
        };
        return Ok(live_claims(db, claims).map_or((None, None), |(c, a)| (Some(c), Some(a))));
    }
    let token =
        token.ok_or_else(|| Error::unauthorized("token_missing", "Authentification requise."))?;
    let (claims, current) = live_claims(db, jwt::verify(&config.jwt_secret, token)?)?;
    if let Access::Roles(set) = access {
        if !claims.role.is_in(set) {
            return Err(Error::forbidden());
        }
    }
    Ok((Some(claims), Some(current)))
}

/// The token's claims with the account's current role and atelier, once the
/// account and the token's login session are known to be live (one query).
fn live_claims(db: &mut Db, mut claims: jwt::Claims) -> Result<(jwt::Claims, Account)> {
    let current = account::load_active(db.conn()?, claims.sub, &claims.sid)?;
    claims.role = current.role;
    claims.atelier_id = current.atelier_id;
    Ok((claims, current))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win_over_parameters() {
        match lookup(Method::Get, "/api/health") {
            Lookup::Found(r, _) => assert_eq!(r.path, "/api/health"),
            _ => panic!("health not found"),
        }
    }

    #[test]
    fn parameters_are_captured() {
        let (p, lits) = match_path("/api/x/{id}/y", "/api/x/42/y").unwrap();
        assert_eq!(p, vec![("id", "42".to_string())]);
        assert_eq!(lits, 4);
        assert!(match_path("/api/x/{id}", "/api/x/").is_none());
        assert!(match_path("/api/x/{id}", "/api/x/1/z").is_none());
    }

    #[test]
    fn unknown_path_and_wrong_method() {
        assert!(matches!(lookup(Method::Get, "/api/nope"), Lookup::NotFound));
        assert!(matches!(
            lookup(Method::Delete, "/api/health"),
            Lookup::WrongMethod(_)
        ));
    }

    #[test]
    fn no_two_routes_are_the_same() {
        let all: Vec<_> = routes().collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                let same_shape = a.method == b.method
                    && a.path.split('/').count() == b.path.split('/').count()
                    && a.path
                        .split('/')
                        .zip(b.path.split('/'))
                        .all(|(x, y)| x == y || (x.starts_with('{') && y.starts_with('{')));
                assert!(!same_shape, "{a:?} and {b:?} overlap");
            }
        }
    }

    #[test]
    fn every_route_is_under_api() {
        for r in routes() {
            assert!(r.path.starts_with("/api/"), "{r:?}");
            assert!(!r.summary.is_empty(), "{r:?} has no summary");
        }
    }
}
