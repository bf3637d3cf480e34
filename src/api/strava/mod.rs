//! Spec §5.8 — `/api/strava/*` and `/api/admin/strava/webhook/register`:
//! the athletes' Strava connection ([`link`]), their activities and the
//! import of one as chronos ([`activities`]), detection of the courses in an
//! activity (spec 9.2, [`detection`]), and the push subscription with its
//! events (spec 9.3, [`webhook`]). The HTTP calls to Strava are in
//! [`client`], the SQL in `queries`.
//!
//! Decisions where the spec is silent:
//! - A detected course (score ≥ 0.40) becomes a chrono `valide`, source
//!   `strava`, `auto_valide`, with `score_detection`, `strava_activity_id`
//!   and `mesure_duree` (`segment` from the start zone to the summit, or
//!   `temps_ecoule`), and enters the ranking at once, through the chronos
//!   module's own [`crate::api::chronos::classement`].
//! - One activity gives at most one chrono per course, ever (unique key);
//!   an activity over two cols gives one chrono on each.
//! - `GET /api/strava/callback` is where Strava sends the athlete's browser:
//!   it redirects to the dashboard (`STRAVA_RETURN_URL`, default `APP_URL`)
//!   with the outcome in the query string, or answers JSON to a client that
//!   asks for it (`Accept: application/json`).
//! - An activity deleted on Strava annuls its chronos unless an order
//!   already uses them (Strava's API terms ask that deletions be honoured).
//!
//! Settings (`.env`): `STRAVA_CLIENT_ID`, `STRAVA_CLIENT_SECRET`,
//! `STRAVA_VERIFY_TOKEN`, and optionally `STRAVA_API_URL`,
//! `STRAVA_OAUTH_URL`, `STRAVA_REDIRECT_URI`, `STRAVA_WEBHOOK_URL`,
//! `STRAVA_RETURN_URL` (see `.env.example`).

pub mod activities;
pub mod client;
pub mod detection;
pub mod link;
mod queries;
pub mod webhook;

use crate::api::admin_limit;
use crate::config::Config;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route};
use crate::http::Method;
use crate::security::roles;
use activities::Recorded;
use client::CallError;
use mysql::prelude::Queryable;
use mysql::Conn;

/// URL prefix of this module.
pub const PREFIX: &str = "/api/strava";

/// Scopes asked for (spec 9.1: read, activity:read).
pub const REQUESTED_SCOPES: &str = "read,activity:read";
/// Any of these, granted, lets us read activities (and get their webhooks).
pub const REQUIRED_SCOPES: &[&str] = &["activity:read", "activity:read_all"];

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/strava/auth-url",
        Access::Roles(roles::SPORTIF),
        link::show_auth_url,
        "Génère l'URL d'autorisation Strava (state à usage unique)",
    ),
    route(
        Method::Get,
        "/api/strava/callback",
        Access::Public,
        link::show_callback,
        "Retour de Strava : vérifie state et scopes, échange le code, stocke les jetons chiffrés",
    ),
    route(
        Method::Delete,
        "/api/strava/disconnect",
        Access::Roles(roles::SPORTIF),
        link::delete_link,
        "Déconnexion Strava : jetons effacés, révocation chez Strava",
    ),
    route(
        Method::Get,
        "/api/strava/activites",
        Access::Roles(roles::SPORTIF),
        activities::list_activites,
        "Activités Strava récentes et parcours détectés (scores)",
    ),
    route(
        Method::Post,
        "/api/strava/import/{activite_id}",
        Access::Roles(roles::SPORTIF),
        activities::create_import,
        "Importe une activité Strava en chrono(s) validé(s) (idempotent)",
    ),
    route(
        Method::Get,
        "/api/strava/webhook",
        Access::Public,
        webhook::show_webhook_challenge,
        "Validation de l'abonnement webhook Strava (hub.challenge)",
    ),
    route(
        Method::Post,
        "/api/strava/webhook",
        Access::Public,
        webhook::create_webhook_event,
        "Événement Strava : enregistré, traité après la réponse",
    ),
    admin_limit(route(
        Method::Post,
        "/api/admin/strava/webhook/register",
        Access::Roles(roles::SUPER_ADMIN),
        webhook::create_webhook_subscription,
        "Enregistre l'abonnement webhook Strava",
    )),
];

/// 409: the athlete has no Strava account connected.
#[must_use]
pub fn not_connected() -> Error {
    catalog::STRAVA_NOT_CONNECTED.err()
}

/// A failure of work that needs Strava: Strava's, or ours.
#[derive(Debug)]
pub enum Failure {
    /// Strava did not answer usefully.
    Strava(CallError),
    /// Our side (database, configuration, state).
    Local(Error),
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Self {
        Failure::Strava(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Local(e)
    }
}

impl Failure {
    /// The error a user sees.
    #[must_use]
    pub fn into_error(self) -> Error {
        match self {
            Failure::Strava(e) => e.into_error(),
            Failure::Local(e) => e,
        }
    }

    /// Whether trying later may succeed (rate limit, outage, our database).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Failure::Strava(CallError::RateLimited(_) | CallError::Unreachable(_)) => true,
            Failure::Strava(CallError::Status(status, _)) => *status >= 500,
            Failure::Strava(CallError::NotFound | CallError::Unauthorized) => false,
            Failure::Local(e) => e.is_server_error(),
        }
    }

    /// One line for the event row.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Failure::Strava(e) => format!("Strava: {}", e.describe()),
            Failure::Local(e) => e.log_line(),
        }
    }
}

/// A Strava activity just became a validated chrono (import or webhook),
/// after commit: the athlete gets an in-app notification and an e-mail (the
/// outbox records it; the cron retries a failed send).
pub fn on_detection(config: &Config, conn: &mut Conn, user_id: u64, r: &Recorded) -> Result<()> {
    let row: Option<(String, Option<String>)> = conn.exec_first(
        "SELECT email, prenom FROM users WHERE id = ? AND actif",
        (user_id,),
    )?;
    let Some((email, prenom)) = row else {
        return Ok(());
    };
    let chrono = crate::time::hms(r.duree.unsigned_abs());
    crate::api::notifications::create(
        conn,
        user_id,
        "strava_detection",
        &format!("Ascension détectée sur Strava : {}", r.nom),
        Some(&format!("Chrono de {chrono} validé.")),
        Some("/chrono/"),
    )?;
    let mail = crate::mail::templates::strava_detection(
        &config.app_url,
        &email,
        prenom.as_deref().unwrap_or(""),
        &crate::mail::templates::Detection {
            col: &r.nom,
            activite: "Strava",
            chrono: &chrono,
            valide: true,
        },
    );
    let id = crate::mail::outbox::enqueue(conn, &mail)?;
    crate::mail::outbox::deliver(config, conn, id).map(|_| ())
}
