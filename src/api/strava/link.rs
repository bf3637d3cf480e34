//! The athlete's Strava connection (spec 9.1): authorization URL with a
//! `state` bound to the athlete and usable once, the callback that checks
//! the granted scopes and stores the tokens encrypted (AES-256-GCM, like
//! every third-party secret, [`crate::security::crypto`]), the access token
//! refreshed ahead of expiry, and the disconnection.
//!
//! Refresh: Strava may hand back a new refresh token and kill the old one at
//! once, so two processes must never refresh the same athlete together (the
//! loser would send a dead token). A MySQL named lock per athlete serialises
//! them; after waiting, a process re-reads the tokens and uses the ones the
//! winner saved. The new pair is written in one UPDATE, outside the request's
//! transaction, so a request that fails afterwards cannot roll it back.
//!
//! Disconnection wipes the tokens at once and queues them in
//! `strava_revocations`; the deauthorization call runs after the answer and,
//! if Strava cannot be reached, again from the hourly cron.

use super::client::{self, CallError, Client};
use super::queries::{self, Link};
use super::{not_connected, Failure, REQUIRED_SCOPES};
use crate::config::Config;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::{Ctx, Response};
use crate::security::crypto;
use crate::security::tokens::{random_token, sha256_hex};
use mysql::prelude::Queryable;
use mysql::Conn;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// How long an authorization `state` stays usable.
const STATE_TTL_SECS: u32 = 600;
/// Access tokens are refreshed when they have less than this left.
const REFRESH_MARGIN_SECS: i64 = 600;
/// Longest wait for another process's refresh of the same athlete.
const REFRESH_LOCK_WAIT_SECS: u32 = 15;

pub(super) fn now_epoch() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Spec 5.8 `GET /api/strava/auth-url`: "Génère URL OAuth Strava".
pub fn show_auth_url(ctx: &mut Ctx) -> Result<Response> {
    let client = client::from_config(ctx.config, ctx.conn()?)?;
    let user_id = ctx.user_id()?;
    let state = random_token();
    queries::insert_state(
        ctx.tx()?,
        &sha256_hex(state.as_bytes()),
        user_id,
        STATE_TTL_SECS,
    )?;
    Ok(Response::ok(&json!({
        "url": client.authorize_url(&state),
        "expire_dans_secondes": STATE_TTL_SECS,
    })))
}

/// Spec 5.8 `GET /api/strava/callback`: "Reçoit code OAuth, échange token".
/// Strava sends the athlete's browser here; a browser is redirected to the
/// Strava page (chrono/strava.html) with `?strava=connecte` (or `?strava=erreur&code=…&message=…`),
/// a client asking for JSON gets the JSON answer or the uniform error.
pub fn show_callback(ctx: &mut Ctx) -> Result<Response> {
    let wants_json = ctx
        .req
        .header("accept")
        .is_some_and(|a| a.contains("application/json"));
    let outcome = connect(ctx);
    if wants_json {
        return outcome.map(|v| Response::ok(&v));
    }
    let base = ctx.config.var("STRAVA_RETURN_URL").map_or_else(
        || format!("{}/chrono/strava.html", ctx.config.app_url),
        str::to_string,
    );
    let query = match &outcome {
        Ok(_) => "strava=connecte".to_string(),
        Err(e) => client::form_encode(&[
            ("strava", "erreur"),
            ("code", e.code()),
            ("message", e.message()),
        ]),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut r = Response::no_content().with_header("Location", format!("{base}{sep}{query}"));
    r.status = 302;
    Ok(r)
}

/// The callback's work: state, refusal, scopes, code exchange, storage.
fn connect(ctx: &mut Ctx) -> Result<Value> {
    let q = |k: &str| ctx.req.query_param(k);
    let (state, code, scope, error) = (q("state"), q("code"), q("scope"), q("error"));
    let client = client::from_config(ctx.config, ctx.conn()?)?;
    let config = ctx.config;
    let conn = ctx.conn()?;
    // 1. The state: made for one athlete, used once, recent.
    let user_id = match state {
        Some(s) => queries::consume_state(conn, &sha256_hex(s.as_bytes()))?,
        None => None,
    }
    .ok_or_else(|| catalog::STRAVA_STATE_INVALID.err())?;
    // 2. The athlete said no on Strava's page.
    if error.is_some() {
        return Err(catalog::STRAVA_ACCESS_DENIED.err());
    }
    // 3. The scopes actually granted (boxes can be unticked).
    let scope = scope.unwrap_or_default();
    check_scopes(&scope)?;
    // 4. The code, exchanged once.
    let code = code.ok_or_else(|| catalog::STRAVA_CODE_MISSING.err())?;
    let tokens = client
        .exchange_code(conn, &code)
        .map_err(CallError::into_error)?;
    let athlete = tokens
        .athlete
        .as_ref()
        .ok_or_else(|| Error::internal("Strava token answer without athlete"))?
        .id;
    let link = Link {
        strava_id: athlete,
        access: crypto::encrypt(&config.encryption_key, &tokens.access_token)?,
        refresh: crypto::encrypt(&config.encryption_key, &tokens.refresh_token)?,
        expires_at: tokens.expires_at,
    };
    queries::save_link(conn, user_id, &link, &scope)?;
    ctx.audit.user_id = Some(user_id);
    ctx.audit_entity("user", user_id);
    ctx.audit_details(
        json!({ "action": "strava_connexion", "strava_id": athlete, "scope": scope }),
    );
    Ok(json!({
        "connecte": true,
        "strava_id": athlete,
        "scope": scope,
        "message": "Votre compte Strava est connecté : vos ascensions seront détectées automatiquement.",
    }))
}

/// 422 unless the granted scopes let us read activities.
pub fn check_scopes(granted: &str) -> Result<()> {
    let ok = granted
        .split(',')
        .map(str::trim)
        .any(|s| REQUIRED_SCOPES.contains(&s));
    if ok {
        return Ok(());
    }
    Err(catalog::STRAVA_SCOPE_MISSING.err())
}

/// Spec 5.8 `DELETE /api/strava/disconnect`: "Déconnexion Strava". The
/// tokens are wiped now; Strava is told after the answer (outbox).
pub fn delete_link(ctx: &mut Ctx) -> Result<Response> {
    let user_id = ctx.user_id()?;
    let tx = ctx.tx()?;
    tx.exec_drop("SELECT id FROM users WHERE id = ? FOR UPDATE", (user_id,))?;
    let Some(link) = queries::find_link(tx, user_id)? else {
        queries::wipe_link(tx, user_id)?;
        return Ok(Response::ok(&json!({
            "connecte": false,
            "message": "Aucun compte Strava n'était connecté.",
        })));
    };
    let revocation = queries::insert_revocation(tx, user_id, &link)?;
    queries::wipe_link(tx, user_id)?;
    ctx.after_commit(move |config, conn| revoke(config, conn, revocation).map(|_| ()));
    ctx.audit_entity("user", user_id);
    ctx.audit_details(json!({ "action": "strava_deconnexion", "strava_id": link.strava_id }));
    Ok(Response::ok(&json!({
        "connecte": false,
        "message": "Votre compte Strava est déconnecté et vos jetons d'accès ont été effacés.",
    })))
}

/// Deauthorizes one queued revocation; `true` when it is settled (done, or
/// the tokens were already dead), `false` when it must be tried again.
pub fn revoke(config: &Config, conn: &mut Conn, id: u64) -> Result<bool> {
    let Some(queued) = queries::revocation(conn, id)? else {
        return Ok(true);
    };
    let client = client::from_config(config, conn)?;
    let mut token = crypto::decrypt(&config.encryption_key, &queued.access_token)?;
    if queued.token_expires.unwrap_or(0) < now_epoch() + 60 {
        if let Some(refresh) = queued.refresh_token {
            let refresh = crypto::decrypt(&config.encryption_key, &refresh)?;
            match client.refresh(conn, &refresh) {
                Ok(fresh) => token = fresh.access_token,
                Err(CallError::Unauthorized | CallError::Status(400, _)) => {
                    queries::delete_revocation(conn, id)?;
                    return Ok(true);
                }
                Err(e) => {
                    queries::retry_revocation(conn, id, &e.describe())?;
                    return Ok(false);
                }
            }
        }
    }
    match client.deauthorize(conn, &token) {
        Ok(()) | Err(CallError::Unauthorized) => {
            queries::delete_revocation(conn, id)?;
            Ok(true)
        }
        Err(e) => {
            queries::retry_revocation(conn, id, &e.describe())?;
            Ok(false)
        }
    }
}

/// A valid access token of the athlete and their Strava id, refreshed first
/// when it expires soon. `conn` must not be inside a transaction.
pub fn access_token(
    client: &Client,
    config: &Config,
    conn: &mut Conn,
    user_id: u64,
) -> std::result::Result<(String, i64), Failure> {
    if let Stored::Fresh(fresh) = stored(config, conn, user_id)? {
        return Ok(fresh);
    }
    let lock = format!("mykollector_strava_refresh_{user_id}");
    let got: Option<i64> = conn
        .exec_first("SELECT GET_LOCK(?, ?)", (&lock, REFRESH_LOCK_WAIT_SECS))
        .map_err(Error::from)?;
    if got != Some(1) {
        return Err(Failure::Local(catalog::STRAVA_BUSY.err()));
    }
    let result = refresh_locked(client, config, conn, user_id);
    let _ = conn.exec_drop("DO RELEASE_LOCK(?)", (&lock,));
    result
}

/// The athlete's stored link: usable as it is while the access token has
/// more than the refresh margin left, else to be refreshed.
enum Stored {
    /// The access token and the athlete's Strava id.
    Fresh((String, i64)),
    Stale(Link),
}

/// The stored link of `user_id`; not connected is a [`Failure`].
fn stored(config: &Config, conn: &mut Conn, user_id: u64) -> std::result::Result<Stored, Failure> {
    let link = queries::find_link(conn, user_id)?.ok_or_else(not_connected)?;
    if link.expires_at - now_epoch() <= REFRESH_MARGIN_SECS {
        return Ok(Stored::Stale(link));
    }
    let access = crypto::decrypt(&config.encryption_key, &link.access)?;
    Ok(Stored::Fresh((access, link.strava_id)))
}

fn refresh_locked(
    client: &Client,
    config: &Config,
    conn: &mut Conn,
    user_id: u64,
) -> std::result::Result<(String, i64), Failure> {
    // Another process may have refreshed while this one waited for the lock.
    let link = match stored(config, conn, user_id)? {
        Stored::Fresh(fresh) => return Ok(fresh),
        Stored::Stale(link) => link,
    };
    let key = &config.encryption_key;
    let fresh = client.refresh(conn, &crypto::decrypt(key, &link.refresh)?)?;
    let new = Link {
        strava_id: link.strava_id,
        access: crypto::encrypt(key, &fresh.access_token)?,
        refresh: crypto::encrypt(key, &fresh.refresh_token)?,
        expires_at: fresh.expires_at,
    };
    if !queries::save_refreshed(conn, user_id, &link.refresh, &new)? {
        // Disconnected meanwhile: the fresh tokens must not be used.
        return Err(not_connected().into());
    }
    Ok((fresh.access_token, link.strava_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_must_include_activity_read() {
        assert!(check_scopes("read,activity:read").is_ok());
        assert!(check_scopes("read,activity:read_all").is_ok());
        let e = check_scopes("read").unwrap_err();
        assert_eq!((e.status(), e.code()), (422, "strava_scope_missing"));
        assert!(check_scopes("").is_err());
        assert!(check_scopes("read,activity:write").is_err());
    }
}
