//! Cross-cutting guards, called in order by the dispatcher: CORS, maintenance
//! mode, rate limits (counted in MySQL, spec 10.4), the audit log and the
//! application log file.

use crate::api::settings;
use crate::applog::app_log;
use crate::config::Config;
use crate::db::Db;
use crate::error::{catalog, Error, Result};
use crate::http::context::AuditNote;
use crate::http::router::Route;
use crate::http::{Method, Request, Response};
use crate::ratelimit;
use crate::security::jwt::Claims;
use mysql::params;
use mysql::prelude::Queryable;
use std::time::Instant;

/// The request's `Origin` if configuration allows it: `.env` first, then the
/// origins stored in the console (one query, only for an origin `.env` does
/// not allow; a database that cannot answer allows nothing more).
pub fn cors_origin(req: &Request, config: &Config, db: &mut Db) -> Option<String> {
    let origin = req.header("origin")?.trim_end_matches('/');
    let allowed = config.cors_origins.iter().any(|o| o == origin)
        || db
            .autocommit()
            .and_then(|conn| settings::cors_origin_allowed(conn, config, origin))
            .unwrap_or(false);
    allowed.then(|| origin.to_string())
}

/// Answers a CORS preflight: 204 for an allowed origin, 403 otherwise.
pub fn preflight(req: &Request, origin_allowed: bool) -> Result<Response> {
    if req.header("origin").is_some() && !origin_allowed {
        return Err(catalog::ORIGIN_NOT_ALLOWED.err());
    }
    Ok(Response::no_content()
        .with_header(
            "Access-Control-Allow-Methods",
            "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        )
        .with_header(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type",
        )
        .with_header("Access-Control-Max-Age", "600"))
}

/// Security headers of every API answer (issue 13 item 8). An answer is data,
/// never a document: it may load nothing, run nothing, be framed by no page,
/// leak no referrer and use no browser feature. HSTS is set by the web root's
/// `.htaccess` (it alone knows whether the request came over HTTPS).
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("X-Content-Type-Options", "nosniff"),
    (
        "Content-Security-Policy",
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    (
        "Permissions-Policy",
        "geolocation=(), camera=(), microphone=(), payment=(), usb=()",
    ),
];

/// Headers every answer carries: CORS for allowed origins, no caching of API
/// data, the security headers.
pub fn add_common_headers(response: &mut Response, origin: Option<&str>) {
    if let Some(origin) = origin {
        response
            .headers
            .push(("Access-Control-Allow-Origin".into(), origin.into()));
        response.headers.push((
            "Access-Control-Expose-Headers".into(),
            "Retry-After, Content-Disposition".into(),
        ));
    }
    response.headers.push(("Vary".into(), "Origin".into()));
    for (name, value) in SECURITY_HEADERS {
        response.headers.push((name.into(), value.into()));
    }
    if !response.headers.iter().any(|(k, _)| k == "Cache-Control") {
        response
            .headers
            .push(("Cache-Control".into(), "no-store".into()));
    }
}

/// Longest maintenance message shown to users (the admin API refuses more).
pub const MAINTENANCE_MESSAGE_MAX_CHARS: usize = 500;

/// In maintenance mode everyone but admins gets 503, with the message the
/// `super_admin` wrote into the flag file if there is one, else the console's
/// `maintenance.message` (read only while the flag is present), else ours.
pub fn maintenance(
    config: &Config,
    db: &mut Db,
    route: &Route,
    claims: Option<&Claims>,
) -> Result<()> {
    let flag = config.maintenance_flag();
    if route.open_in_maintenance || claims.is_some_and(|c| c.role.is_admin()) || !flag.exists() {
        return Ok(());
    }
    let stored = || {
        let conn = db.autocommit().ok()?;
        settings::setting(conn, config, "maintenance.message")
            .ok()
            .flatten()
    };
    let message = maintenance_message(&flag)
        .or_else(stored)
        .unwrap_or_else(|| {
            "MyKollector est en maintenance. Merci de revenir dans quelques minutes.".into()
        });
    Err(catalog::MAINTENANCE
        .msg(message)
        .with_detail("maintenance flag present"))
}

/// The message of the maintenance flag file, if it holds one.
#[must_use]
pub fn maintenance_message(flag: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(flag).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(MAINTENANCE_MESSAGE_MAX_CHARS).collect())
}

/// Counts the request against the limit its route declares; 429 once it is
/// exceeded. Routes of one bucket share a counter per caller.
pub fn rate_limit(
    db: &mut Db,
    route: &Route,
    req: &Request,
    claims: Option<&Claims>,
) -> Result<()> {
    let Some(limit) = route.limit else {
        return Ok(());
    };
    let who = claims.map_or_else(
        || format!("ip:{}", req.remote_addr),
        |c| format!("u:{}", c.sub),
    );
    let key = match limit.bucket {
        Some(bucket) => format!("bucket:{bucket}:{who}"),
        None => format!("route:{}:{}:{who}", route.method.as_str(), route.path),
    };
    let conn = db.conn()?;
    let count = ratelimit::hit(conn, &key, limit.window_secs)?;
    if count > limit.max {
        return Err(Error::too_many_requests(ratelimit::retry_after(
            conn,
            &key,
            limit.window_secs,
        )?));
    }
    Ok(())
}

/// Writes the audit row of a state-changing request (spec: "journal tous
/// événements"), after the request's transaction has ended so a rolled-back
/// change still leaves a trace of the attempt. A failure here is logged and
/// never changes the answer.
pub fn audit(
    config: &Config,
    db: &mut Db,
    req: &Request,
    claims: Option<&Claims>,
    note: &AuditNote,
    response: &Response,
    started: Instant,
) {
    let elapsed_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    let user_id = claims.map(|c| c.sub).or(note.user_id);
    let level = match response.status {
        500.. => "ERROR",
        400.. => "WARN",
        _ => "INFO",
    };
    let method = req.method.map_or("?", Method::as_str);
    let kind = req.path.split('/').nth(2).unwrap_or("").to_string();
    let user_agent: String = req
        .header("user-agent")
        .unwrap_or("")
        .chars()
        .take(255)
        .collect();
    let route: String = req.path.chars().take(255).collect();
    let details = note.details.as_ref().map(ToString::to_string);
    let written = db.conn().and_then(|conn| {
        conn.exec_drop(
            r"INSERT INTO logs_audit
                (user_id, user_email, role, methode, route, statut_http, niveau, type,
                 entite, entite_id, details, ip, user_agent, duree_ms)
              VALUES (:user_id, :email, :role, :method, :route, :status, :level, :kind,
                      :entity, :entity_id, :details, :ip, :user_agent, :elapsed_ms)",
            params! {
                "user_id" => user_id,
                "email" => note.email.as_deref(),
                "role" => claims.map(|c| c.role.as_str()),
                "method" => method,
                "route" => &route,
                "status" => response.status,
                "level" => level,
                "kind" => &kind,
                "entity" => note.entity,
                "entity_id" => note.entity_id,
                "details" => details,
                "ip" => &req.remote_addr,
                "user_agent" => &user_agent,
                "elapsed_ms" => elapsed_ms,
            },
        )
        .map_err(Error::from)
    });
    let user = user_id.map_or_else(|| "-".to_string(), |id| id.to_string());
    app_log(
        config,
        level,
        &format!(
            "{method} {route} {} {elapsed_ms}ms user={user} ip={}",
            response.status, req.remote_addr
        ),
    );
    if let Err(e) = written {
        app_log(
            config,
            "ERROR",
            &format!("audit row not written: {}", e.log_line()),
        );
    }
}

/// Logs a server-side failure with its hidden cause.
pub fn log_error(config: &Config, req: &Request, e: &Error) {
    let method = req.method.map_or("?", Method::as_str);
    let line = format!("{method} {} {}", req.path, e.log_line());
    // stderr is Apache's error log under CGI and mod_fcgid.
    eprintln!("mykollector: {line}");
    app_log(config, "ERROR", &line);
}
