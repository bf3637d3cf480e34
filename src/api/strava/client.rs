//! The Strava API v3 over HTTPS (ureq, rustls, timeouts on every call), as
//! described in `shared/integrations.md` §1: OAuth token exchange, refresh
//! and deauthorization, activities, streams and the push subscription.
//!
//! Every call goes through [`Client::send`], which keeps Strava's rate limits
//! for the whole application: a call is not even tried while the limit is
//! known to be spent, and after each answer the `X-RateLimit-*` and
//! `X-ReadRateLimit-*` headers ("15min,daily" usage and limit) are read. When
//! a window is full (or Strava answers 429), the block is written to the
//! shared `rate_limits` row `strava:api` until the window's end (15-minute
//! windows start at :00/:15/:30/:45, the daily one at midnight UTC; Strava
//! sends no Retry-After), so every process and the cron see it.

use crate::config::Config;
use crate::error::catalog;
use crate::error::{Error, Result};
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Strava's public endpoints (overridable in `.env` for the fake server).
const DEFAULT_API_URL: &str = "https://www.strava.com/api/v3";
const DEFAULT_OAUTH_URL: &str = "https://www.strava.com/oauth";
/// No Strava call may hold a request (or the cron) longer than this.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The `rate_limits` row holding the application-wide Strava block.
const RATE_LIMIT_KEY: &str = "strava:api";
/// Largest answer read from Strava (an activity's streams at full resolution
/// are a few hundred kB).
const MAX_ANSWER_BYTES: u64 = 16 * 1024 * 1024;

/// Why a Strava call did not give an answer we can use.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// The application's rate limit is spent until this epoch second.
    RateLimited(i64),
    /// 401: the athlete's tokens are no longer valid (deauthorized).
    Unauthorized,
    /// 404 (or an activity that is not the athlete's).
    NotFound,
    /// Any other refusal: status and the start of Strava's answer.
    Status(u16, String),
    /// No answer (network, timeout) or an answer we cannot read.
    Unreachable(String),
}

impl CallError {
    /// The error a user sees when their request needed Strava.
    #[must_use]
    pub fn into_error(self) -> Error {
        match self {
            CallError::RateLimited(until) => catalog::STRAVA_RATE_LIMITED.msg(format!(
                "Strava limite le nombre de requêtes : réessayez après {} (UTC).",
                crate::time::iso_utc(until.unsigned_abs())
                    .get(11..16)
                    .unwrap_or("quelques minutes")
            )),
            CallError::Unauthorized => catalog::STRAVA_AUTHORIZATION_REVOKED.err(),
            CallError::NotFound => catalog::STRAVA_ACTIVITY_NOT_FOUND.err(),
            CallError::Status(status, body) => catalog::STRAVA_ERROR
                .err()
                .with_detail(format!("Strava answered {status}: {body}")),
            CallError::Unreachable(why) => catalog::STRAVA_UNAVAILABLE.err().with_detail(why),
        }
    }

    /// A one-line reason for the event log.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            CallError::RateLimited(until) => format!("rate limited until {until}"),
            CallError::Unauthorized => "401 unauthorized".into(),
            CallError::NotFound => "404 not found".into(),
            CallError::Status(s, b) => format!("{s}: {b}"),
            CallError::Unreachable(w) => w.clone(),
        }
    }
}

/// The application's Strava settings, from `.env`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `STRAVA_CLIENT_ID`.
    pub client_id: String,
    /// `STRAVA_CLIENT_SECRET`.
    pub client_secret: String,
    /// `STRAVA_VERIFY_TOKEN`: what Strava echoes when validating the webhook.
    pub verify_token: Option<String>,
    /// `STRAVA_API_URL` (default the real API).
    pub api_url: String,
    /// `STRAVA_OAUTH_URL` (default the real authorization server).
    pub oauth_url: String,
    /// `STRAVA_REDIRECT_URI` (default `{APP_URL}/api/strava/callback`).
    pub redirect_uri: String,
    /// `STRAVA_WEBHOOK_URL` (default `{APP_URL}/api/strava/webhook`).
    pub webhook_url: String,
}

impl Settings {
    /// Reads the settings; 503 when the application is not configured.
    pub fn from_config(config: &Config) -> Result<Settings> {
        let (Some(client_id), Some(client_secret)) = (
            config.var("STRAVA_CLIENT_ID"),
            config.var("STRAVA_CLIENT_SECRET"),
        ) else {
            return Err(catalog::STRAVA_NOT_CONFIGURED.err());
        };
        let url = |key: &str, default: String| {
            config
                .var(key)
                .map_or(default, str::to_string)
                .trim_end_matches('/')
                .to_string()
        };
        Ok(Settings {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            verify_token: config.var("STRAVA_VERIFY_TOKEN").map(str::to_string),
            api_url: url("STRAVA_API_URL", DEFAULT_API_URL.into()),
            oauth_url: url("STRAVA_OAUTH_URL", DEFAULT_OAUTH_URL.into()),
            redirect_uri: url(
                "STRAVA_REDIRECT_URI",
                format!("{}/api/strava/callback", config.app_url),
            ),
            webhook_url: url(
                "STRAVA_WEBHOOK_URL",
                format!("{}/api/strava/webhook", config.app_url),
            ),
        })
    }
}

/// The athlete part of a token answer.
#[derive(Debug, Clone, Deserialize)]
pub struct AthleteRef {
    /// Strava athlete id.
    pub id: i64,
}

/// `POST /oauth/token` answer (exchange and refresh).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenSet {
    /// Bearer token for API calls (6 h).
    pub access_token: String,
    /// The refresh token; a refresh may rotate it (the old one dies at once).
    pub refresh_token: String,
    /// Expiry of the access token, epoch seconds.
    pub expires_at: i64,
    /// The athlete (exchange only).
    pub athlete: Option<AthleteRef>,
}

/// `map` of an activity.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActivityMap {
    /// Simplified track (summaries); empty without GPS.
    pub summary_polyline: Option<String>,
    /// Full track (detailed activity only).
    pub polyline: Option<String>,
}

/// The fields of a Summary/DetailedActivity we use.
#[derive(Debug, Clone, Deserialize)]
pub struct Activity {
    /// Activity id.
    pub id: i64,
    /// Title typed by the athlete.
    #[serde(default)]
    pub name: String,
    /// `sport_type` (preferred) — unknown values are kept as text.
    pub sport_type: Option<String>,
    /// Deprecated `type`, used when `sport_type` is absent.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Start, ISO-8601 UTC.
    #[serde(default)]
    pub start_date: String,
    /// Local wall time, suffixed `Z` although not UTC.
    #[serde(default)]
    pub start_date_local: String,
    /// Elapsed seconds.
    #[serde(default)]
    pub elapsed_time: i64,
    /// Moving seconds.
    #[serde(default)]
    pub moving_time: i64,
    /// Metres.
    #[serde(default)]
    pub distance: f64,
    /// Metres of climbing.
    #[serde(default)]
    pub total_elevation_gain: f64,
    /// Indoor trainer.
    #[serde(default)]
    pub trainer: bool,
    /// Entered by hand (no device).
    #[serde(default)]
    pub manual: bool,
    /// The track.
    #[serde(default)]
    pub map: ActivityMap,
    /// Owner.
    pub athlete: AthleteRef,
}

impl Activity {
    /// `sport_type`, else the deprecated `type`.
    #[must_use]
    pub fn sport(&self) -> &str {
        self.sport_type
            .as_deref()
            .or(self.kind.as_deref())
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Stream<T> {
    data: Vec<T>,
}

/// `GET /activities/{id}/streams?keys=latlng,time&key_by_type=true`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Streams {
    latlng: Option<Stream<[f64; 2]>>,
    time: Option<Stream<i64>>,
}

impl Streams {
    /// `(lat, lng, seconds from the start)` points, when both streams exist
    /// and are index-aligned as Strava promises.
    #[must_use]
    pub fn timed_points(&self) -> Option<Vec<(f64, f64, i64)>> {
        let (latlng, time) = (self.latlng.as_ref()?, self.time.as_ref()?);
        (latlng.data.len() == time.data.len() && !time.data.is_empty()).then(|| {
            latlng
                .data
                .iter()
                .zip(&time.data)
                .map(|(p, t)| (p[0], p[1], *t))
                .collect()
        })
    }
}

/// A Strava client for one process.
pub struct Client {
    settings: Settings,
    agent: ureq::Agent,
}

impl Client {
    /// A client with the configured settings.
    #[must_use]
    pub fn new(settings: Settings) -> Client {
        Client {
            settings,
            agent: crate::http::outgoing_agent(CALL_TIMEOUT),
        }
    }

    /// The settings it was built with.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The authorization URL the athlete's browser is sent to.
    #[must_use]
    pub fn authorize_url(&self, state: &str) -> String {
        let q = form_encode(&[
            ("client_id", &self.settings.client_id),
            ("redirect_uri", &self.settings.redirect_uri),
            ("response_type", "code"),
            ("approval_prompt", "auto"),
            ("scope", super::REQUESTED_SCOPES),
            ("state", state),
        ]);
        format!("{}/authorize?{q}", self.settings.oauth_url)
    }

    /// Exchanges an authorization code (single use) for tokens.
    pub fn exchange_code(&self, conn: &mut Conn, code: &str) -> Result<TokenSet, CallError> {
        let form = [
            ("client_id", self.settings.client_id.as_str()),
            ("client_secret", &self.settings.client_secret),
            ("code", code),
            ("grant_type", "authorization_code"),
        ];
        self.post_form(conn, &format!("{}/token", self.settings.oauth_url), &form)
    }

    /// Refreshes an athlete's tokens; the answer may carry a new refresh token.
    pub fn refresh(&self, conn: &mut Conn, refresh_token: &str) -> Result<TokenSet, CallError> {
        let form = [
            ("client_id", self.settings.client_id.as_str()),
            ("client_secret", &self.settings.client_secret),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.post_form(conn, &format!("{}/token", self.settings.oauth_url), &form)
    }

    /// Revokes every token of the athlete for this application.
    pub fn deauthorize(&self, conn: &mut Conn, access_token: &str) -> Result<(), CallError> {
        let url = format!("{}/deauthorize", self.settings.oauth_url);
        let body = form_encode(&[("access_token", access_token)]);
        let req = self
            .agent
            .post(&url)
            .content_type("application/x-www-form-urlencoded");
        Self::send(conn, || req.send(body.as_bytes())).map(|_: serde_json::Value| ())
    }

    /// The athlete's recent activities, newest first.
    pub fn activities(
        &self,
        conn: &mut Conn,
        access_token: &str,
        page: u64,
        per_page: u64,
    ) -> Result<Vec<Activity>, CallError> {
        let url = format!(
            "{}/athlete/activities?page={page}&per_page={per_page}",
            self.settings.api_url
        );
        self.get_json(conn, &url, access_token)
    }

    /// One activity (detailed).
    pub fn activity(
        &self,
        conn: &mut Conn,
        access_token: &str,
        id: i64,
    ) -> Result<Activity, CallError> {
        let url = format!("{}/activities/{id}", self.settings.api_url);
        self.get_json(conn, &url, access_token)
    }

    /// The activity's position and time streams (404 when it has none).
    pub fn streams(
        &self,
        conn: &mut Conn,
        access_token: &str,
        id: i64,
    ) -> Result<Streams, CallError> {
        let url = format!(
            "{}/activities/{id}/streams?keys=latlng,time&key_by_type=true",
            self.settings.api_url
        );
        self.get_json(conn, &url, access_token)
    }

    /// Creates the push subscription; Strava validates `callback_url` with a
    /// GET (our webhook echoes the challenge) before answering `{"id": n}`.
    pub fn create_subscription(
        &self,
        conn: &mut Conn,
        verify_token: &str,
    ) -> Result<i64, CallError> {
        #[derive(Deserialize)]
        struct Created {
            id: i64,
        }
        let form = [
            ("client_id", self.settings.client_id.as_str()),
            ("client_secret", &self.settings.client_secret),
            ("callback_url", &self.settings.webhook_url),
            ("verify_token", verify_token),
        ];
        let url = format!("{}/push_subscriptions", self.settings.api_url);
        self.post_form::<Created>(conn, &url, &form).map(|c| c.id)
    }

    /// The application's current subscriptions (ids).
    pub fn subscriptions(&self, conn: &mut Conn) -> Result<Vec<i64>, CallError> {
        #[derive(Deserialize)]
        struct Listed {
            id: i64,
        }
        let q = form_encode(&[
            ("client_id", &self.settings.client_id),
            ("client_secret", &self.settings.client_secret),
        ]);
        let url = format!("{}/push_subscriptions?{q}", self.settings.api_url);
        let req = self.agent.get(&url);
        let listed: Vec<Listed> = Self::send(conn, || req.call())?;
        Ok(listed.into_iter().map(|l| l.id).collect())
    }

    fn get_json<T: DeserializeOwned>(
        &self,
        conn: &mut Conn,
        url: &str,
        token: &str,
    ) -> Result<T, CallError> {
        let req = self
            .agent
            .get(url)
            .header("Authorization", format!("Bearer {token}"));
        Self::send(conn, || req.call())
    }

    fn post_form<T: DeserializeOwned>(
        &self,
        conn: &mut Conn,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<T, CallError> {
        let body = form_encode(form);
        let req = self
            .agent
            .post(url)
            .content_type("application/x-www-form-urlencoded");
        Self::send(conn, || req.send(body.as_bytes()))
    }

    /// Runs one call under the application's rate limit and reads its JSON.
    fn send<T: DeserializeOwned>(
        conn: &mut Conn,
        call: impl FnOnce() -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, CallError> {
        if let Some(until) = blocked_until(conn) {
            return Err(CallError::RateLimited(until));
        }
        let mut resp = call().map_err(|e| CallError::Unreachable(e.to_string()))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let usage = [
            (header("x-ratelimit-limit"), header("x-ratelimit-usage")),
            (
                header("x-readratelimit-limit"),
                header("x-readratelimit-usage"),
            ),
        ];
        let now = now_epoch();
        let mut block = usage
            .iter()
            .filter_map(|(l, u)| block_from_headers(l.as_deref()?, u.as_deref()?, now))
            .max();
        if status == 429 {
            block = block.max(Some(next_window(now)));
        }
        if let Some(until) = block {
            record_block(conn, until);
        }
        let mut bytes = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(MAX_ANSWER_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| CallError::Unreachable(e.to_string()))?;
        match status {
            200..=299 => serde_json::from_slice(if bytes.is_empty() { b"null" } else { &bytes })
                .map_err(|e| CallError::Unreachable(format!("unreadable Strava answer: {e}"))),
            401 => Err(CallError::Unauthorized),
            404 => Err(CallError::NotFound),
            429 => Err(CallError::RateLimited(
                block.unwrap_or_else(|| next_window(now)),
            )),
            _ => Err(CallError::Status(
                status,
                String::from_utf8_lossy(&bytes).chars().take(300).collect(),
            )),
        }
    }
}

/// The client with the console's Strava settings over `.env` (one query, so
/// a change made in the console applies to the next call).
pub fn from_config(config: &Config, conn: &mut Conn) -> Result<Client> {
    Settings::from_config(&crate::api::settings::overlay(config, conn)?).map(Client::new)
}

fn now_epoch() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// Start of the next 15-minute window (:00, :15, :30, :45 UTC).
#[must_use]
pub fn next_window(now: i64) -> i64 {
    (now.div_euclid(900) + 1) * 900
}

/// Next midnight UTC (the daily window).
#[must_use]
pub fn next_day(now: i64) -> i64 {
    (now.div_euclid(86_400) + 1) * 86_400
}

/// When a "15min,daily" usage reaches its limit, the end of the full window.
#[must_use]
pub fn block_from_headers(limit: &str, usage: &str, now: i64) -> Option<i64> {
    let pair = |s: &str| -> Option<(u64, u64)> {
        let (a, b) = s.split_once(',')?;
        Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
    };
    let ((l15, lday), (u15, uday)) = (pair(limit)?, pair(usage)?);
    if lday > 0 && uday >= lday {
        Some(next_day(now))
    } else if l15 > 0 && u15 >= l15 {
        Some(next_window(now))
    } else {
        None
    }
}

/// The end of the current block, if Strava calls are blocked now. The row
/// stores a DATETIME in the database's clock, like every other block, so
/// only the remaining seconds cross over to epoch time.
fn blocked_until(conn: &mut Conn) -> Option<i64> {
    conn.exec_first::<i64, _, _>(
        r"SELECT TIMESTAMPDIFF(SECOND, NOW(), bloque_jusqu_a) FROM rate_limits
          WHERE cle = ? AND bloque_jusqu_a > NOW()",
        (RATE_LIMIT_KEY,),
    )
    .ok()
    .flatten()
    .map(|left| now_epoch() + left.max(1))
}

/// Writes the block for every process (a later block never shortens it). A
/// failure here is not fatal: the next answer carries the same headers.
fn record_block(conn: &mut Conn, until: i64) {
    let secs = (until - now_epoch()).max(1);
    let _ = conn.exec_drop(
        r"INSERT INTO rate_limits (cle, compteur, fenetre_debut, bloque_jusqu_a)
          VALUES (?, 0, NOW(), NOW() + INTERVAL ? SECOND)
          ON DUPLICATE KEY UPDATE
            bloque_jusqu_a = GREATEST(COALESCE(bloque_jusqu_a, NOW()), VALUES(bloque_jusqu_a))",
        (RATE_LIMIT_KEY, secs),
    );
}

/// `application/x-www-form-urlencoded` text.
#[must_use]
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_end_on_quarter_hours_and_midnight() {
        // 2024-07-14T10:07:30Z
        let now = 1_720_951_650;
        assert_eq!(
            crate::time::iso_utc(u64::try_from(next_window(now)).unwrap()),
            "2024-07-14T10:15:00Z"
        );
        assert_eq!(
            crate::time::iso_utc(u64::try_from(next_day(now)).unwrap()),
            "2024-07-15T00:00:00Z"
        );
        // Exactly on a boundary: the next one.
        assert_eq!(next_window(1_720_951_200), 1_720_951_200 + 900);
    }

    #[test]
    fn usage_headers_decide_the_block() {
        let now = 1_720_951_650;
        assert_eq!(block_from_headers("200,2000", "199,500", now), None);
        assert_eq!(
            block_from_headers("200,2000", "200,500", now),
            Some(next_window(now))
        );
        assert_eq!(
            block_from_headers("200,2000", "10,2000", now),
            Some(next_day(now))
        );
        assert_eq!(block_from_headers("200,2000", "garbage", now), None);
    }

    #[test]
    fn strava_payloads_are_read_as_documented() {
        // A SummaryActivity as Strava sends it (extra fields ignored, unknown
        // sport types kept as text, empty start_latlng for indoor rides).
        let a: Activity = serde_json::from_str(
            r#"{"resource_state":2,"athlete":{"id":134815,"resource_state":1},"name":"Happy Friday",
                "distance":24931.4,"moving_time":4500,"elapsed_time":4500,"total_elevation_gain":0,
                "type":"Ride","sport_type":"HoverboardRide","id":154504250376823,
                "start_date":"2018-05-02T12:15:09Z","start_date_local":"2018-05-02T05:15:09Z",
                "timezone":"(GMT-08:00) America/Los_Angeles","utc_offset":-25200,"start_latlng":[],
                "map":{"id":"a12345678908766","summary_polyline":null,"resource_state":2},
                "trainer":true,"commute":false,"manual":false,"private":false}"#,
        )
        .unwrap();
        assert_eq!(
            (a.id, a.athlete.id, a.sport()),
            (154_504_250_376_823, 134_815, "HoverboardRide")
        );
        assert!(a.trainer && a.map.summary_polyline.is_none());
        // Streams keyed by type, index-aligned; misaligned ones are refused.
        let s: Streams = serde_json::from_str(
            r#"{"latlng":{"data":[[44.1,6.1],[44.2,6.2]],"series_type":"distance","original_size":2,"resolution":"high"},
                "time":{"data":[0,30],"series_type":"distance","original_size":2,"resolution":"high"}}"#,
        )
        .unwrap();
        assert_eq!(
            s.timed_points().unwrap(),
            vec![(44.1, 6.1, 0), (44.2, 6.2, 30)]
        );
        let s: Streams =
            serde_json::from_str(r#"{"latlng":{"data":[[44.1,6.1]]},"time":{"data":[0,30]}}"#)
                .unwrap();
        assert!(s.timed_points().is_none());
        let t: TokenSet = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_at":1568775134,"expires_in":21600,
                "refresh_token":"e5n567567","access_token":"a4b945687g","athlete":{"id":1}}"#,
        )
        .unwrap();
        assert_eq!((t.expires_at, t.athlete.unwrap().id), (1_568_775_134, 1));
    }

    #[test]
    fn form_encoding_escapes_reserved_characters() {
        assert_eq!(
            form_encode(&[("scope", "read,activity:read"), ("u", "http://h/a b")]),
            "scope=read%2Cactivity%3Aread&u=http%3A%2F%2Fh%2Fa%20b"
        );
    }
}
