//! Strava's push subscription (spec 9.3): the validation handshake, the
//! events, the registration by the super admin, and the event worker run
//! after each answer and by the hourly cron.
//!
//! Strava wants a 200 within 2 s and tries an event 3 times at most, so the
//! POST only checks the subscription id (events are not signed), records the
//! event (a repeat is the same row) and answers. The work — fetch the new
//! activity and detect, annul the chronos of a deleted one, wipe the tokens
//! of a deauthorizing athlete — runs after the answer; whatever Strava's
//! rate limit or an outage left pending is taken again by the next cron run.
//! An event only leaves `en_attente` once done, or with the reason it never
//! can be (unknown athlete, activity gone).

use super::activities::{self, Recorded};
use super::client::{self, CallError};
use super::queries::{self, Event};
use super::{on_detection, Failure};
use crate::api::chronos::classement;
use crate::config::Config;
use crate::error::{catalog, Result};
use crate::http::{Ctx, Response};
use crate::security::tokens::constant_time_eq;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde_json::json;

/// Events worked per cron run (each may take a few Strava calls).
const EVENTS_PER_RUN: u32 = 200;
/// Revocations retried per cron run.
const REVOCATIONS_PER_RUN: u32 = 50;

/// Spec 9.3 `GET /api/strava/webhook`: the subscription handshake. Echoes
/// `hub.challenge` when `hub.verify_token` is ours, else 403.
pub fn show_webhook_challenge(ctx: &mut Ctx) -> Result<Response> {
    let config = crate::api::settings::overlay(ctx.config, ctx.conn()?)?;
    let q = |k: &str| ctx.req.query_param(k);
    let expected = config.var("STRAVA_VERIFY_TOKEN").unwrap_or("");
    let given = q("hub.verify_token").unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        return Err(catalog::STRAVA_VERIFY_TOKEN_INVALID.err());
    }
    let challenge = q("hub.challenge")
        .filter(|_| q("hub.mode").as_deref() == Some("subscribe"))
        .ok_or_else(|| catalog::STRAVA_CHALLENGE_MISSING.err())?;
    Ok(Response::ok(&json!({ "hub.challenge": challenge })))
}

/// Spec 9.3 `POST /api/strava/webhook`: records the event and answers at
/// once; the work runs after the answer.
pub fn create_webhook_event(ctx: &mut Ctx) -> Result<Response> {
    let event: Event = ctx.json()?;
    let ours = queries::subscription_id(ctx.conn()?)?;
    if ours != Some(event.subscription_id) {
        return Err(catalog::STRAVA_SUBSCRIPTION_UNKNOWN.err());
    }
    let id = queries::insert_event(ctx.tx()?, &event)?;
    ctx.after_commit(move |config, conn| process_event(config, conn, id).map(|_| ()));
    ctx.audit_entity("strava_event", id);
    Ok(Response::ok(&json!({ "recu": true })))
}

/// Spec 5.8 `POST /api/admin/strava/webhook/register`: "Enregistre le
/// webhook Strava". Strava allows one subscription per application: an
/// existing one (ours, or made earlier for this application) is kept.
pub fn create_webhook_subscription(ctx: &mut Ctx) -> Result<Response> {
    let client = client::from_config(ctx.config, ctx.conn()?)?;
    let verify = client.settings().verify_token.clone().ok_or_else(|| {
        catalog::STRAVA_NOT_CONFIGURED
            .msg("STRAVA_VERIFY_TOKEN manque dans la configuration du serveur.")
    })?;
    let callback = client.settings().webhook_url.clone();
    let conn = ctx.conn()?;
    if let Some(id) = queries::subscription_id(conn)? {
        let existing = client.subscriptions(conn).map_err(CallError::into_error)?;
        if existing.contains(&id) {
            return Ok(Response::ok(
                &json!({ "id": id, "callback_url": callback, "deja_enregistre": true }),
            ));
        }
    }
    let (id, status) = match client.create_subscription(conn, &verify) {
        Ok(id) => (id, 201),
        // Most often "already exists": adopt the application's subscription.
        Err(CallError::Status(..)) => match client
            .subscriptions(conn)
            .map_err(CallError::into_error)?
            .first()
        {
            Some(id) => (*id, 200),
            None => return Err(catalog::STRAVA_SUBSCRIPTION_FAILED.err()),
        },
        Err(e) => return Err(e.into_error()),
    };
    queries::save_subscription(conn, id, &callback)?;
    ctx.audit_details(json!({ "action": "strava_webhook", "subscription_id": id }));
    Ok(Response::json(
        status,
        &json!({ "id": id, "callback_url": callback, "deja_enregistre": status == 200 }),
    ))
}

/// What became of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worked {
    /// Done.
    Done,
    /// Closed without effect (the reason is on the row).
    Ignored,
    /// Left for the next run (rate limit, outage).
    Pending,
    /// Done already, or another worker has it.
    Skipped,
}

/// Works one recorded event (after the webhook's answer, or from the cron).
pub fn process_event(config: &Config, conn: &mut Conn, id: u64) -> Result<Worked> {
    let Some(event) = queries::claim_event(conn, id)? else {
        return Ok(Worked::Skipped);
    };
    match handle(config, conn, &event) {
        Ok(None) => {
            queries::close_event(conn, id, "traite", None)?;
            Ok(Worked::Done)
        }
        Ok(Some(reason)) => {
            queries::close_event(conn, id, "ignore", Some(reason))?;
            Ok(Worked::Ignored)
        }
        Err(f) if f.is_retryable() => {
            queries::release_event(conn, id, &f.describe())?;
            Ok(Worked::Pending)
        }
        Err(f) => {
            queries::close_event(conn, id, "ignore", Some(&f.describe()))?;
            Ok(Worked::Ignored)
        }
    }
}

/// `Ok(None)` when done, `Ok(Some(reason))` when there is nothing to do.
fn handle(
    config: &Config,
    conn: &mut Conn,
    e: &Event,
) -> std::result::Result<Option<&'static str>, Failure> {
    let Some(user_id) = queries::user_of_athlete(conn, e.owner_id)? else {
        return Ok(Some("athlète non relié à un compte MyKollector"));
    };
    match (e.object_type.as_str(), e.aspect_type.as_str()) {
        ("athlete", _) if e.updates["authorized"] == "false" => {
            queries::wipe_link(conn, user_id)?;
            Ok(None)
        }
        ("activity", "create" | "update") => {
            let client = client::from_config(config, conn)?;
            let analysed = activities::analyse(&client, config, conn, user_id, e.object_id)?;
            let recorded = in_transaction(conn, |tx| activities::record(tx, user_id, &analysed))?;
            notify(config, conn, user_id, &recorded);
            Ok(None)
        }
        ("activity", "delete") => {
            in_transaction(conn, |tx| annul_deleted(tx, user_id, e.object_id))?;
            Ok(None)
        }
        _ => Ok(Some("événement sans effet pour MyKollector")),
    }
}

fn notify(config: &Config, conn: &mut Conn, user_id: u64, recorded: &[Recorded]) {
    for r in recorded.iter().filter(|r| r.created) {
        if let Err(e) = on_detection(config, conn, user_id, r) {
            crate::applog::app_log(config, "ERROR", &format!("strava detection hook: {e}"));
        }
    }
}

/// Strava asks that deleted activities be honoured: their chronos are
/// annulled unless an order already uses them.
fn annul_deleted(tx: &mut Conn, user_id: u64, activity_id: i64) -> Result<()> {
    for (chrono_id, produit_id) in queries::annullable_chronos(tx, user_id, activity_id)? {
        queries::annul_chrono(tx, chrono_id)?;
        classement::record_annulment(tx, produit_id, user_id)?;
    }
    Ok(())
}

/// Runs `work` in a transaction on a connection that has none (the event
/// worker's and the cron's connections are autocommit).
fn in_transaction<T>(conn: &mut Conn, work: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
    conn.query_drop("START TRANSACTION")?;
    match work(conn) {
        Ok(v) => {
            conn.query_drop("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.query_drop("ROLLBACK");
            Err(e)
        }
    }
}

/// The hourly cron task: expired authorization states, pending
/// revocations, then pending events.
pub fn run_hourly(config: &Config, conn: &mut Conn) -> Result<String> {
    queries::purge_expired_states(conn)?;
    if client::Settings::from_config(&crate::api::settings::overlay(config, conn)?).is_err() {
        return Ok("Strava non configuré".into());
    }
    let mut revoked = 0;
    for id in queries::revocation_ids(conn, REVOCATIONS_PER_RUN)? {
        revoked += usize::from(super::link::revoke(config, conn, id)?);
    }
    let (mut done, mut ignored) = (0, 0);
    for id in queries::pending_events(conn, EVENTS_PER_RUN)? {
        match process_event(config, conn, id)? {
            Worked::Done => done += 1,
            Worked::Ignored => ignored += 1,
            Worked::Pending | Worked::Skipped => {}
        }
    }
    let left = queries::pending_count(conn)?;
    Ok(format!(
        "{done} événement(s) traité(s), {ignored} sans suite, {left} en attente, {revoked} révocation(s)"
    ))
}
