//! The route table and the dispatcher.
//!
//! Every route is one [`Route`] value in its domain module's `ROUTES` slice;
//! the API binary hands the list of slices ([`Table`]) to
//! [`crate::http::serve`], so the whole table is data that tests can check (no
//! overlaps, every route documented in OpenAPI) and `mk-admin routes` can
//! print, and this layer never imports the domain modules.
//!
//! A route carries its own policy (rate limit, maintenance exemption, body
//! limit, audit), declared with const builder methods beside its path:
//! `route(...).limit(20, 3600).open_in_maintenance().body_limit(bytes)`.
//!
//! [`handle`] runs the guards in a fixed order — CORS, encoding, body limit,
//! routing, authentication and roles, maintenance, rate limits — then the
//! handler inside the request's transaction (write routes), then commits or
//! rolls back, then writes the audit log. The after-commit jobs are handed
//! back to the gateway, which runs them once the answer is sent.

use crate::config::Config;
use crate::db::Db;
use crate::error::{catalog, Error, Result};
use crate::http::context::{AfterCommit, AuditNote, Ctx};
use crate::http::{guard, Method, Request, Response};
use crate::ratelimit::Limit;
use crate::security::account::{self, Account};
use crate::security::{jwt, Role};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use std::time::Instant;

/// Body limit of a route that declares none: JSON bodies are small.
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

/// The body limit of upload routes (a 5 MB file plus the multipart envelope);
/// `MAX_BODY_BYTES` stays the ceiling.
pub const UPLOAD_BODY_LIMIT: usize = 6 * 1024 * 1024;

/// The counter every `/api/admin/*` route shares (spec 10.4: 30 requests
/// per minute and user for the admin API as a whole).
pub const ADMIN_BUCKET: &str = "admin";

/// A handler: takes the context, returns a response or an error.
pub type Handler = fn(&mut Ctx) -> Result<Response>;

/// The whole route table: one slice per domain module.
pub type Table = &'static [&'static [Route]];

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
    /// Requests allowed per caller and window, if limited.
    pub limit: Option<Limit>,
    /// Served in maintenance mode too (health, login…).
    pub open_in_maintenance: bool,
    /// Largest body accepted (`MAX_BODY_BYTES` stays the ceiling).
    pub body_limit: usize,
    /// Whether the request leaves an audit row (writes, by default).
    pub audit: bool,
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
        limit: None,
        open_in_maintenance: false,
        body_limit: DEFAULT_BODY_LIMIT,
        audit: method.is_write(),
    }
}

impl Route {
    /// At most `max` requests per caller (user, else IP) in `window_secs`.
    #[must_use]
    pub const fn limit(mut self, max: u32, window_secs: u32) -> Route {
        self.limit = Some(Limit {
            max,
            window_secs,
            bucket: None,
        });
        self
    }

    /// At most `max` requests per caller in `window_secs`, counted together
    /// with every route of `bucket`.
    #[must_use]
    pub const fn limit_shared(mut self, bucket: &'static str, max: u32, window_secs: u32) -> Route {
        self.limit = Some(Limit {
            max,
            window_secs,
            bucket: Some(bucket),
        });
        self
    }

    /// Served in maintenance mode too.
    #[must_use]
    pub const fn open_in_maintenance(mut self) -> Route {
        self.open_in_maintenance = true;
        self
    }

    /// Accepts bodies up to `bytes` (capped by `MAX_BODY_BYTES`).
    #[must_use]
    pub const fn body_limit(mut self, bytes: usize) -> Route {
        self.body_limit = bytes;
        self
    }

    /// Leaves no audit row.
    #[must_use]
    pub const fn no_audit(mut self) -> Route {
        self.audit = false;
        self
    }
}

/// Every route of `table`.
pub fn routes(table: Table) -> impl Iterator<Item = &'static Route> {
    table.iter().flat_map(|m| m.iter())
}

/// The body limit for a request, known before its body is read: the matched
/// route's, else the default, never above `MAX_BODY_BYTES`.
#[must_use]
pub fn body_limit(table: Table, method: Option<Method>, path: &str, config: &Config) -> usize {
    let declared = match method.map(|m| lookup(table, m, path)) {
        Some(Lookup::Found(route, _)) => route.body_limit,
        _ => DEFAULT_BODY_LIMIT,
    };
    declared.min(config.max_body_bytes)
}

/// One segment of a route pattern.
#[derive(Debug, Clone, Copy)]
enum Segment {
    /// Must be equal.
    Literal(&'static str),
    /// `{name}`: any non-empty segment.
    Param(&'static str),
}

fn segments(pattern: &'static str) -> Vec<Segment> {
    pattern
        .split('/')
        .map(
            |p| match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => Segment::Param(name),
                None => Segment::Literal(p),
            },
        )
        .collect()
}

/// The number of literal segments when the path's segments fit the
/// pattern (more literals win: `/parcours/nearby` beats `/parcours/{id}`).
fn fit(pattern: &[Segment], segs: &[&str]) -> Option<usize> {
    if pattern.len() != segs.len() {
        return None;
    }
    let mut literals = 0;
    for (p, s) in pattern.iter().zip(segs) {
        match p {
            Segment::Literal(l) if l == s => literals += 1,
            Segment::Param(_) if !s.is_empty() => {}
            _ => return None,
        }
    }
    Some(literals)
}

/// The `{name}` values of a path that fits the pattern.
fn params_of(pattern: &[Segment], segs: &[&str]) -> PathParams {
    pattern
        .iter()
        .zip(segs)
        .filter_map(|(p, s)| match p {
            Segment::Param(name) => Some((*name, (*s).to_string())),
            Segment::Literal(_) => None,
        })
        .collect()
}

/// Matches `path` against `pattern`; returns the `{name}` values and the
/// number of literal segments.
#[cfg(test)]
fn match_path(pattern: &'static str, path: &str) -> Option<(PathParams, usize)> {
    let pattern = segments(pattern);
    let segs: Vec<&str> = path.split('/').collect();
    fit(&pattern, &segs).map(|literals| (params_of(&pattern, &segs), literals))
}

/// The route table with its patterns split into segments, grouped by
/// segment count. Built once per process (the table is static data): a
/// lookup then compares only the patterns as long as the path, without
/// splitting them again nor allocating. Scanning the whole table, splitting
/// every pattern, cost ~110,000 instructions per lookup, the largest part
/// of a warm FastCGI request (scripts/bench.d/warmup.sh).
struct Index {
    /// Address of the table it was built from.
    table: usize,
    by_len: Vec<Vec<(&'static Route, Vec<Segment>)>>,
}

impl Index {
    fn new(table: Table) -> Index {
        let mut by_len: Vec<Vec<(&'static Route, Vec<Segment>)>> = Vec::new();
        for route in routes(table) {
            let segs = segments(route.path);
            if by_len.len() <= segs.len() {
                by_len.resize_with(segs.len() + 1, Vec::new);
            }
            by_len[segs.len()].push((route, segs));
        }
        Index {
            table: table.as_ptr().addr(),
            by_len,
        }
    }
}

/// Runs `f` with the index of `table`: the process's, built on first use,
/// or a fresh one for another table (tests).
fn with_index<T>(table: Table, f: impl FnOnce(&Index) -> T) -> T {
    static INDEX: OnceLock<Index> = OnceLock::new();
    let index = INDEX.get_or_init(|| Index::new(table));
    if index.table == table.as_ptr().addr() {
        f(index)
    } else {
        f(&Index::new(table))
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

fn lookup(table: Table, method: Method, path: &str) -> Lookup {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let segs: Vec<&str> = path.split('/').collect();
    with_index(table, |index| {
        let mut best: Option<(&'static Route, &[Segment], usize)> = None;
        let mut allowed = Vec::new();
        for (route, pattern) in index.by_len.get(segs.len()).into_iter().flatten() {
            let Some(literals) = fit(pattern, &segs) else {
                continue;
            };
            if route.method != method && !(method == Method::Head && route.method == Method::Get) {
                allowed.push(route.method);
                continue;
            }
            if best.as_ref().is_none_or(|(_, _, l)| literals > *l) {
                best = Some((route, pattern, literals));
            }
        }
        match best {
            Some((route, pattern, _)) => Lookup::Found(route, params_of(pattern, &segs)),
            None if !allowed.is_empty() => Lookup::WrongMethod(allowed),
            None => Lookup::NotFound,
        }
    })
}

/// What the dispatcher hands back to the gateway: the answer, and the jobs
/// to run once it has been sent (never before: a slow mail server must not
/// delay the answer, nor tell by its delay that an address exists).
pub struct Handled {
    /// The answer.
    pub response: Response,
    /// Work left for after the answer (the request's transaction committed).
    pub jobs: Vec<AfterCommit>,
}

/// What one run of the dispatcher learnt, for the audit row and the jobs.
#[derive(Default)]
struct Outcome {
    claims: Option<jwt::Claims>,
    audit: AuditNote,
    audited: Option<bool>,
    jobs: Vec<AfterCommit>,
}

/// Answers one request. Never panics: a panicking handler is answered with the
/// uniform JSON 500 and its connection is dropped.
pub fn handle(table: Table, req: &Request, config: &Config, db: &mut Db) -> Handled {
    let started = Instant::now();
    db.begin_request();
    let origin = guard::cors_origin(req, config, db);
    db.set_crash_point(crash_point(req, config));
    let allowed = origin.is_some();
    let mut outcome = Outcome::default();
    let mut result = run_caught(db, |db| {
        dispatch(table, req, config, db, &mut outcome, allowed)
    });
    if connection_was_lost(&result, db) {
        // A warm FastCGI process whose connection died since its last
        // request (server restart, wait_timeout, KILL): nothing of this
        // attempt reached the database, so it runs again on a new one.
        db.close();
        outcome = Outcome::default();
        result = run_caught(db, |db| {
            dispatch(table, req, config, db, &mut outcome, allowed)
        });
    }
    let mut response = match result {
        Ok(r) => r,
        Err(e) => {
            if e.is_server_error() {
                guard::log_error(config, req, &e);
            }
            Response::from_error(&e)
        }
    };
    let audited = outcome
        .audited
        .unwrap_or_else(|| req.malformed.is_some() || req.method.is_some_and(Method::is_write));
    if audited {
        let claims = outcome.claims.as_ref();
        guard::audit(config, db, req, claims, &outcome.audit, &response, started);
    }
    guard::add_common_headers(&mut response, origin.as_deref());
    Handled {
        response,
        jobs: outcome.jobs,
    }
}

/// Runs the jobs of a request whose answer is already sent. A failing job
/// is logged; the answer was a success, since the data is committed.
pub fn run_jobs(config: &Config, db: &mut Db, req: &Request, jobs: Vec<AfterCommit>) {
    for job in jobs {
        let run = catch_unwind(AssertUnwindSafe(|| {
            db.conn().and_then(|conn| job(config, conn))
        }));
        match run {
            Ok(Ok(())) => {}
            Ok(Err(e)) => guard::log_error(config, req, &e),
            Err(_) => {
                db.close();
                guard::log_error(config, req, &Error::internal("after-commit job panicked"));
            }
        }
    }
}

/// The test hook of the crash tests: the `X-MK-Crash-At` header names the
/// point where the process aborts, honoured only when `APP_ENV=test`.
fn crash_point(req: &Request, config: &Config) -> Option<String> {
    if config.app_env != crate::config::AppEnv::Test {
        return None;
    }
    req.header("x-mk-crash-at")
        .filter(|p| crate::db::CRASH_POINTS.contains(p))
        .map(str::to_string)
}

/// Whether the request failed because its reused connection is dead: checked
/// only after a failure (a ping), so a healthy request pays no round trip.
fn connection_was_lost(result: &Result<Response>, db: &mut Db) -> bool {
    result.as_ref().is_err_and(Error::is_server_error) && db.reused() && !db.is_alive()
}

/// Runs `run`; a panic inside is answered as a 500 and drops the connection.
fn run_caught(db: &mut Db, run: impl FnOnce(&mut Db) -> Result<Response>) -> Result<Response> {
    catch_unwind(AssertUnwindSafe(|| run(&mut *db))).unwrap_or_else(|panic| {
        db.close();
        let what = panic
            .downcast_ref::<&str>()
            .map(ToString::to_string)
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Error::internal(format!("handler panicked: {what}")))
    })
}

fn dispatch(
    table: Table,
    req: &Request,
    config: &Config,
    db: &mut Db,
    outcome: &mut Outcome,
    origin_allowed: bool,
) -> Result<Response> {
    if let Some(part) = req.malformed {
        return Err(catalog::INVALID_ENCODING.msg(format!(
            "La requête contient des octets qui ne sont pas de l'UTF-8 valide ({part})."
        )));
    }
    let Some(method) = req.method else {
        return Err(method_not_allowed());
    };
    if method == Method::Options {
        return guard::preflight(req, origin_allowed);
    }
    if req.body_too_large {
        return Err(payload_too_large(req.body_limit));
    }
    let (route, params) = match lookup(table, method, &req.path) {
        Lookup::Found(route, params) => (route, params),
        Lookup::WrongMethod(allowed) => {
            let allow: Vec<_> = allowed.iter().map(|m| m.as_str()).collect();
            return Ok(
                Response::from_error(&method_not_allowed()).with_header("Allow", allow.join(", "))
            );
        }
        Lookup::NotFound => return Err(catalog::ROUTE_NOT_FOUND.err()),
    };
    outcome.audited = Some(route.audit);
    let (claims, account) = authenticate(req, config, db, route.access)?;
    outcome.claims.clone_from(&claims);
    guard::maintenance(config, db, route, claims.as_ref())?;
    guard::rate_limit(db, route, req, claims.as_ref())?;
    let session = Session {
        route,
        params,
        claims,
        account,
    };
    run_in_transaction(req, config, db, &session, outcome)
}

/// Who calls which route: what every attempt of the handler starts from.
struct Session {
    route: &'static Route,
    params: PathParams,
    claims: Option<jwt::Claims>,
    account: Option<Account>,
}

/// Runs the handler; a write route inside one transaction, committed only
/// when the handler returns `Ok`. A transaction InnoDB picked as a deadlock
/// victim is rolled back whole: running the handler again is the standard
/// remedy, and it is safe because nothing of the failed attempt was
/// committed.
fn run_in_transaction(
    req: &Request,
    config: &Config,
    db: &mut Db,
    session: &Session,
    outcome: &mut Outcome,
) -> Result<Response> {
    let mut attempt = 1;
    loop {
        if session.route.method.is_write() {
            db.begin_on_first_use();
        }
        let mut ctx = Ctx {
            req,
            config,
            db,
            params: session.params.clone(),
            user: session.claims.clone(),
            account: session.account.clone(),
            audit: AuditNote::default(),
            after_commit: Vec::new(),
        };
        let result = (session.route.handler)(&mut ctx);
        outcome.audit = std::mem::take(&mut ctx.audit);
        let jobs = std::mem::take(&mut ctx.after_commit);
        let retry = attempt < crate::db::TRANSACTION_ATTEMPTS
            && db.in_transaction()
            && result.as_ref().is_err_and(Error::is_transient);
        let committed = db.finish(result.is_ok());
        if retry {
            attempt += 1;
            continue;
        }
        return match (result, committed) {
            (Ok(response), Ok(())) => {
                outcome.jobs = jobs;
                Ok(response)
            }
            (Ok(_), Err(e)) | (Err(e), _) => Err(e),
        };
    }
}

/// 413 with the limit that applied, in the unit a reader expects.
fn payload_too_large(limit: usize) -> Error {
    let size = if limit >= 1024 * 1024 {
        format!("{} Mo", limit / (1024 * 1024))
    } else {
        format!("{} Ko", limit / 1024)
    };
    catalog::PAYLOAD_TOO_LARGE.msg(format!(
        "Le corps de la requête dépasse la taille maximale autorisée ({size})."
    ))
}

fn method_not_allowed() -> Error {
    catalog::METHOD_NOT_ALLOWED.err()
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
    let token = token.ok_or_else(|| catalog::TOKEN_MISSING.err())?;
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

    const TABLE: Table = crate::api::MODULES;

    fn lookup(method: Method, path: &str) -> Lookup {
        super::lookup(TABLE, method, path)
    }

    fn routes() -> impl Iterator<Item = &'static Route> {
        super::routes(TABLE)
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        // Both patterns match `/api/parcours/nearby`; the literal must win
        // whichever order the table lists them in.
        assert!(match_path("/api/parcours/{id}", "/api/parcours/nearby").is_some());
        match lookup(Method::Get, "/api/parcours/nearby") {
            Lookup::Found(r, p) => {
                assert_eq!(r.path, "/api/parcours/nearby");
                assert!(p.is_empty());
            }
            _ => panic!("/api/parcours/nearby not found"),
        }
        match lookup(Method::Get, "/api/parcours/12") {
            Lookup::Found(r, p) => {
                assert_eq!(r.path, "/api/parcours/{id}");
                assert_eq!(p, vec![("id", "12".to_string())]);
            }
            _ => panic!("/api/parcours/{{id}} not found"),
        }
    }

    #[test]
    fn every_route_is_found_by_its_own_path() {
        for r in routes() {
            let path = r.path.replace(['{', '}'], "");
            match lookup(r.method, &path) {
                Lookup::Found(found, params) => {
                    assert!(
                        found.path == r.path || !found.path.contains('{'),
                        "{path}: {found:?} instead of {r:?}"
                    );
                    if found.path == r.path {
                        assert_eq!(params.len(), r.path.matches('{').count(), "{r:?}");
                    }
                }
                _ => panic!("{r:?} not found by {path}"),
            }
        }
        assert!(matches!(
            lookup(Method::Get, "/api/parcours/"),
            Lookup::Found(r, _) if r.path == "/api/parcours"
        ));
        assert!(matches!(lookup(Method::Get, "/api/nope"), Lookup::NotFound));
    }

    #[test]
    fn every_admin_route_shares_the_admin_limit() {
        for r in routes().filter(|r| r.path.starts_with("/api/admin/")) {
            let limit = r.limit.unwrap_or_else(|| panic!("{r:?} has no limit"));
            assert_eq!(
                (limit.bucket, limit.max, limit.window_secs),
                (Some("admin"), 30, 60),
                "{r:?}"
            );
        }
    }

    #[test]
    fn body_limits_stay_under_the_ceiling() {
        for r in routes() {
            assert!(r.body_limit <= UPLOAD_BODY_LIMIT, "{r:?}");
        }
        assert_eq!(
            payload_too_large(DEFAULT_BODY_LIMIT).message(),
            "Le corps de la requête dépasse la taille maximale autorisée (256 Ko)."
        );
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
