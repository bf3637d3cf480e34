//! Spec 7.5 made safe (DECISIONS.md, issue 8 item 6) — athletes sign in
//! through the shop with a one-time link: `/api/auth/lien-connexion`.
//!
//! 1. `POST /api/auth/lien-connexion {email}`: the answer is always the same
//!    200, whatever happens, and nothing is looked up before it is decided;
//!    the shop lookup, the token and the e-mail are work done after the
//!    commit. A shop customer gets a link (15 min, single use, stored as a
//!    SHA-256 hash); an address unknown to the shop gets an e-mail saying so
//!    with a link to the shop. With no shop configured (a workshop selling
//!    elsewhere, the demo) any address gets a link: the link proves the
//!    address. Per address, a few links an hour (silently); per IP, 429.
//! 2. `POST /api/auth/lien-connexion/utiliser {token}`: the token is claimed
//!    by a conditional UPDATE (used once, even by two requests at once), the
//!    account is found by `presta_customer_id`, else by e-mail, else created
//!    as an athlete without a password, and the JWT pair is returned. No JWT
//!    is ever issued for a typed e-mail alone.
//!
//! Also the hourly purge of expired tokens, sessions and rate-limit rows.

use crate::api::auth::{self, clean_name, normalize_email};
use crate::api::prestashop::client::{list_of, Shop};
use crate::api::prestashop::import::{link_customer, Customer};
use crate::applog::app_log;
use crate::config::Config;
use crate::db::rows::{self, FromRow};
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::mail::{outbox, templates, Mail};
use crate::ratelimit;
use crate::security::{account, tokens, Role};
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Deserialize;
use serde_json::json;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Post,
        "/api/auth/lien-connexion",
        Access::Public,
        create_lien,
        "Connexion sportif par lien envoyé par email (client de la boutique)",
    ),
    route(
        Method::Post,
        "/api/auth/lien-connexion/utiliser",
        Access::Public,
        create_session_from_lien,
        "Utiliser le lien de connexion : JWT + refresh token",
    ),
];

/// Lifetime of a link.
const LINK_MINUTES: u32 = 15;
/// Links one address may receive per hour (more are silently not sent).
const LINKS_PER_ADDRESS_HOUR: u32 = 3;
/// Link requests one IP may make per hour.
const REQUESTS_PER_IP_HOUR: u32 = 20;

#[derive(Deserialize)]
struct LienBody {
    email: String,
}

/// The one answer of a link request.
fn same_answer() -> Response {
    Response::ok(&json!({
        "ok": true,
        "message": "Si cette adresse peut se connecter, un email vient de lui être envoyé avec un lien valable 15 minutes. Pensez à vérifier vos courriers indésirables.",
    }))
}

/// `POST /api/auth/lien-connexion`.
fn create_lien(ctx: &mut Ctx) -> Result<Response> {
    let body: LienBody = ctx.json()?;
    let email = normalize_email(&body.email)?;
    let ip = ctx.req.remote_addr.clone();
    let conn = ctx.conn()?;
    let ip_key = format!("signin:ip:{ip}");
    if ratelimit::hit(conn, &ip_key, 3600)? > REQUESTS_PER_IP_HOUR {
        return Err(Error::too_many_requests(ratelimit::retry_after(
            conn, &ip_key, 3600,
        )?));
    }
    if ratelimit::hit(conn, &format!("signin:email:{email}"), 3600)? > LINKS_PER_ADDRESS_HOUR {
        return Ok(same_answer());
    }
    // Everything that depends on who the address is happens after the
    // answer is decided: same answer, same work before it.
    ctx.after_commit(move |config, conn| send_link(config, conn, &email, &ip));
    Ok(same_answer())
}

/// What the shop says about an address.
enum Lookup {
    Customer(Customer),
    Stranger,
    NoShop,
    Unavailable,
}

fn lookup(config: &Config, conn: &mut Conn, email: &str) -> Result<Lookup> {
    let Some(shop) = Shop::load(config, conn)? else {
        return Ok(Lookup::NoShop);
    };
    let answer = shop.ws_get(
        conn,
        "customers",
        &[
            ("filter[email]", format!("[{email}]")),
            ("display", "full".into()),
        ],
    );
    Ok(match answer {
        Ok(v) => list_of(&v, "customers")
            .iter()
            .filter_map(Customer::from_json)
            .find(|c| c.email == email)
            .map_or(Lookup::Stranger, Lookup::Customer),
        Err(f) => {
            app_log(config, "ERROR", &format!("signin lookup: {}", f.french()));
            Lookup::Unavailable
        }
    })
}

/// Looks the address up, stores a token when it may sign in, and e-mails
/// (the after-commit job of a link request; public for the tests of the
/// no-shop case, which need another configuration than the server's).
pub fn send_link(config: &Config, conn: &mut Conn, email: &str, ip: &str) -> Result<()> {
    let (customer_id, names) = match lookup(config, conn, email)? {
        Lookup::Customer(c) => (Some(c.id), Some((c.lastname, c.firstname))),
        Lookup::NoShop => (None, None),
        Lookup::Stranger => {
            let mail = stranger_mail(config, conn, email)?;
            return send_now(config, conn, &mail);
        }
        Lookup::Unavailable => return send_now(config, conn, &unavailable_mail(email)),
    };
    let token = tokens::random_token();
    let (nom, prenom) = names.unwrap_or_default();
    conn.exec_drop(
        r"INSERT INTO signin_tokens (email, presta_customer_id, nom, prenom, token_hash, expires_at, ip)
          VALUES (?, ?, ?, ?, ?, NOW() + INTERVAL ? MINUTE, ?)",
        (
            email,
            customer_id,
            clean_name(&nom, "nom").ok(),
            clean_name(&prenom, "prénom").ok(),
            tokens::sha256_hex(token.as_bytes()),
            LINK_MINUTES,
            ip,
        ),
    )?;
    let link = format!("{}/chrono/?connexion={token}", config.app_url);
    let mail = templates::signin_link(email, &prenom, &link, &format!("{LINK_MINUTES} minutes"));
    send_now(config, conn, &mail)
}

fn stranger_mail(config: &Config, conn: &mut Conn, to: &str) -> Result<Mail> {
    let shop = Shop::load(config, conn)?
        .map(|s| s.base_url().to_string())
        .unwrap_or_default();
    Ok(templates::notice(
        "signin_stranger",
        to,
        "Connexion à MyKollector",
        &format!(
            "Bonjour,\n\n\
             Quelqu'un (sans doute vous) a demandé à se connecter à MyKollector avec cette adresse, \
             mais aucun compte client de la boutique ne lui correspond.\n\
             Votre compte MyKollector est créé avec votre première commande sur la boutique :\n\n{shop}\n\n\
             Si vous avez commandé avec une autre adresse, demandez le lien avec celle-ci.\n\n\
             L'équipe MyKollector"
        ),
    ))
}

fn unavailable_mail(to: &str) -> Mail {
    templates::notice(
        "signin_unavailable",
        to,
        "Connexion à MyKollector",
        "Bonjour,\n\n\
         Nous n'avons pas pu vérifier votre compte client auprès de la boutique pour le moment. \
         Merci de redemander un lien de connexion dans quelques minutes.\n\n\
         L'équipe MyKollector",
    )
}

/// Records `mail` in the outbox and sends it at once (this runs after the
/// answer); a failure is retried by the cron.
fn send_now(config: &Config, conn: &mut Conn, mail: &Mail) -> Result<()> {
    let id = outbox::enqueue(conn, mail)?;
    outbox::deliver(config, conn, id).map(|_| ())
}

#[derive(Deserialize)]
struct UtiliserBody {
    token: String,
}

fn invalid_link() -> Error {
    catalog::SIGNIN_LINK_INVALID.err()
}

/// Who a sign-in link was sent to.
#[derive(FromRow)]
struct ClaimedToken {
    email: String,
    presta_customer_id: Option<u64>,
    nom: Option<String>,
    prenom: Option<String>,
}

/// `POST /api/auth/lien-connexion/utiliser`.
fn create_session_from_lien(ctx: &mut Ctx) -> Result<Response> {
    let body: UtiliserBody = ctx.json()?;
    let hash = tokens::sha256_hex(body.token.trim().as_bytes());
    let tx = ctx.tx()?;
    // 1. Claim the token: one use, even under concurrency.
    tx.exec_drop(
        "UPDATE signin_tokens SET used_at = NOW() WHERE token_hash = ? AND used_at IS NULL AND expires_at > NOW()",
        (&hash,),
    )?;
    if tx.affected_rows() != 1 {
        return Err(invalid_link());
    }
    let claimed: ClaimedToken = rows::first(
        tx,
        "SELECT email, presta_customer_id, nom, prenom FROM signin_tokens WHERE token_hash = ?",
        (&hash,),
    )?
    .ok_or_else(invalid_link)?;
    let email = claimed.email;
    // 2. The account: linked, found by address, or created.
    let user_id = match claimed.presta_customer_id {
        Some(id) => link_customer(
            tx,
            &Customer {
                id,
                email: email.clone(),
                firstname: claimed.prenom.unwrap_or_default(),
                lastname: claimed.nom.unwrap_or_default(),
                company: String::new(),
                group: 0,
            },
        )?,
        None => account_for_address(tx, &email)?,
    };
    let user = account::load(tx, user_id)?.ok_or_else(invalid_link)?;
    if !user.actif {
        return Err(catalog::ACCOUNT_DISABLED.err());
    }
    // The link proves the address only: staff accounts keep their password.
    if user.role != Role::Sportif {
        return Err(catalog::SIGNIN_LINK_NOT_FOR_STAFF.err());
    }
    tx.exec_drop(
        "UPDATE users SET derniere_connexion = NOW() WHERE id = ?",
        (user_id,),
    )?;
    ctx.audit.user_id = Some(user_id);
    let (session, _) = auth::start_session(ctx, &user, None)?;
    Ok(Response::ok(&session))
}

/// The account of a proven address, created as an athlete when none exists.
fn account_for_address(tx: &mut Conn, email: &str) -> Result<u64> {
    tx.exec_drop(
        r"INSERT INTO users (email, password, role, actif) VALUES (?, '!', 'sportif', TRUE)
          ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)",
        (email,),
    )?;
    Ok(tx.last_insert_id())
}

/// Hourly: drops expired sign-in and login tokens, reset tokens, expired
/// sessions (revoked ones stay until they expire: reuse detection needs
/// them), and rate-limit rows whose window is over
/// (the shop's circuit breaker row is kept while it is open).
pub fn purge_expired(_config: &Config, conn: &mut Conn) -> Result<String> {
    let mut counts = Vec::new();
    for (what, sql) in [
        ("liens de connexion", "DELETE FROM signin_tokens WHERE expires_at < NOW() - INTERVAL 1 DAY"),
        ("jetons de connexion", "DELETE FROM login_tokens WHERE expires_at < NOW() - INTERVAL 1 DAY"),
        (
            "sessions",
            "DELETE FROM sessions WHERE expires_at < NOW()",
        ),
        (
            "compteurs",
            "DELETE FROM rate_limits WHERE fenetre_debut < NOW() - INTERVAL 1 DAY AND echecs_consecutifs = 0 AND bloque_jusqu_a IS NULL",
        ),
    ] {
        conn.query_drop(sql)?;
        counts.push(format!("{} {what}", conn.affected_rows()));
    }
    conn.query_drop(
        "UPDATE users SET reset_token = NULL, reset_expires = NULL WHERE reset_expires < NOW()",
    )?;
    counts.push(format!(
        "{} jetons de réinitialisation",
        conn.affected_rows()
    ));
    Ok(format!("supprimés : {}", counts.join(", ")))
}
