//! Cross-cutting guards, called in order by the dispatcher: CORS, maintenance
//! mode, rate limits (counted in MySQL, spec 10.4), the audit log and the
//! application log file.

use crate::config::Config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::http::context::AuditNote;
use crate::http::router::Route;
use crate::http::{Method, Request, Response};
use crate::security::jwt::Claims;
use crate::time;
use mysql::prelude::Queryable;
use mysql::{params, Conn};
use std::io::Write;
use std::time::Instant;

/// The request's `Origin` if configuration allows it.
pub fn cors_origin(req: &Request, config: &Config) -> Option<String> {
    let origin = req.header("origin")?.trim_end_matches('/');
    config
        .cors_origins
        .iter()
        .any(|o| o == origin)
        .then(|| origin.to_string())
}

/// Answers a CORS preflight: 204 for an allowed origin, 403 otherwise.
pub fn preflight(req: &Request, origin_allowed: bool) -> Result<Response> {
    if req.header("origin").is_some() && !origin_allowed {
        return Err(Error::new(
            403,
            "origin_not_allowed",
            "Origine non autorisée.",
        ));
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

/// Routes that stay open in maintenance mode, so admins can still log in and
/// monitoring keeps working.
const OPEN_DURING_MAINTENANCE: &[&str] = &[
    "/api/health",
    "/api/auth/login",
    "/api/auth/refresh",
    "/api/auth/me",
    "/api/openapi.json",
];

/// Longest maintenance message shown to users (the admin API refuses more).
pub const MAINTENANCE_MESSAGE_MAX_CHARS: usize = 500;

/// In maintenance mode everyone but admins gets 503, with the message the
/// super_admin wrote into the flag file if there is one.
pub fn maintenance(config: &Config, route: &Route, claims: Option<&Claims>) -> Result<()> {
    let flag = config.maintenance_flag();
    if !flag.exists()
        || OPEN_DURING_MAINTENANCE.contains(&route.path)
        || claims.is_some_and(|c| c.role.is_admin())
    {
        return Ok(());
    }
    let message = maintenance_message(&flag).unwrap_or_else(|| {
        "MyKollector est en maintenance. Merci de revenir dans quelques minutes.".into()
    });
    let mut e = Error::new(503, "maintenance", message);
    e = e.with_detail("maintenance flag present");
    Err(e)
}

/// The message of the maintenance flag file, if it holds one.
pub fn maintenance_message(flag: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(flag).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(MAINTENANCE_MESSAGE_MAX_CHARS).collect())
}

/// A fixed-window limit from spec 10.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed in the window.
    pub max: u32,
    /// Window length in seconds.
    pub window_secs: u32,
}

/// The limit that applies to a route, if any (login is handled by the auth
/// module itself: only failed attempts count there).
pub fn limit_for(route: &Route) -> Option<Limit> {
    match (route.method, route.path) {
        (Method::Post, "/api/chrono/start") => Some(Limit {
            max: 10,
            window_secs: 60,
        }),
        (Method::Post, "/api/lots") => Some(Limit {
            max: 20,
            window_secs: 3600,
        }),
        (_, p) if p.starts_with("/api/admin/") => Some(Limit {
            max: 30,
            window_secs: 60,
        }),
        _ => None,
    }
}

/// Counts the request against its route's limit; 429 once it is exceeded.
pub fn rate_limit(
    db: &mut Db,
    route: &Route,
    req: &Request,
    claims: Option<&Claims>,
) -> Result<()> {
    let Some(limit) = limit_for(route) else {
        return Ok(());
    };
    let who = claims.map_or_else(
        || format!("ip:{}", req.remote_addr),
        |c| format!("u:{}", c.sub),
    );
    let key = format!("route:{}:{}:{who}", route.method.as_str(), route.path);
    let conn = db.conn()?;
    let count = hit(conn, &key, limit.window_secs)?;
    if count > limit.max {
        return Err(Error::too_many_requests(retry_after(
            conn,
            &key,
            limit.window_secs,
        )?));
    }
    Ok(())
}

/// Adds one to `key`'s counter in its current window (a new window starts
/// when the last one is over) and returns the count, in one round trip:
/// `LAST_INSERT_ID(expr)` hands the updated value back in the OK packet.
pub fn hit(conn: &mut Conn, key: &str, window_secs: u32) -> Result<u32> {
    conn.exec_drop(
        r"INSERT INTO rate_limits (cle, compteur, fenetre_debut) VALUES (?, 1, NOW())
          ON DUPLICATE KEY UPDATE
            compteur = LAST_INSERT_ID(IF(fenetre_debut <= NOW() - INTERVAL ? SECOND, 1, compteur + 1)),
            fenetre_debut = IF(compteur = 1, NOW(), fenetre_debut)",
        (key, window_secs),
    )?;
    // A fresh row reports one affected row and no insert id.
    Ok(if conn.affected_rows() == 1 {
        1
    } else {
        u32::try_from(conn.last_insert_id()).unwrap_or(u32::MAX)
    })
}

/// The count of `key` in its current window, without adding to it.
pub fn count(conn: &mut Conn, key: &str, window_secs: u32) -> Result<u32> {
    let n: Option<u32> = conn.exec_first(
        "SELECT compteur FROM rate_limits WHERE cle = ? AND fenetre_debut > NOW() - INTERVAL ? SECOND",
        (key, window_secs),
    )?;
    Ok(n.unwrap_or(0))
}

/// Seconds until `key`'s window ends.
pub fn retry_after(conn: &mut Conn, key: &str, window_secs: u32) -> Result<u64> {
    let secs: Option<i64> = conn.exec_first(
        "SELECT TIMESTAMPDIFF(SECOND, NOW(), fenetre_debut + INTERVAL ? SECOND) FROM rate_limits WHERE cle = ?",
        (window_secs, key),
    )?;
    Ok(secs.unwrap_or(1).max(1).unsigned_abs())
}

/// Forgets `key`'s counter.
pub fn reset(conn: &mut Conn, key: &str) -> Result<()> {
    conn.exec_drop("DELETE FROM rate_limits WHERE cle = ?", (key,))?;
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

/// Appends one line to `LOG_PATH/app.log`.
pub fn app_log(config: &Config, level: &str, message: &str) {
    let line = format!(
        "{} {level} {}\n",
        time::now_iso_utc(),
        message.replace('\n', " | ")
    );
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.log_path.join("app.log"))
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if written.is_err() {
        eprint!("mykollector: (log file not writable) {line}");
    }
}
