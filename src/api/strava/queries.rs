//! SQL of the Strava module: the athlete's link (users.strava_*), OAuth
//! states, the courses detection looks at, Strava chronos, the webhook
//! subscription, its events and the revocation outbox.

use super::detection::{self, Course};
use crate::db::rows::{self, FromRow};
use crate::error::catalog;
use crate::error::{Error, Result, ResultExt};
use mysql::prelude::Queryable;
use mysql::{params, Conn};

// ---------------------------------------------------------------------------
// OAuth states
// ---------------------------------------------------------------------------

/// Stores the hash of a new state for `user_id`, valid `ttl_secs`.
pub fn insert_state(tx: &mut Conn, hash: &str, user_id: u64, ttl_secs: u32) -> Result<()> {
    tx.exec_drop(
        r"INSERT INTO strava_oauth_states (state_hash, user_id, expires_at)
          VALUES (?, ?, NOW() + INTERVAL ? SECOND)",
        (hash, user_id, ttl_secs),
    )?;
    Ok(())
}

/// Forgets abandoned authorizations (hourly: a range delete beside the
/// inserts of concurrent requests would make them deadlock).
pub fn purge_expired_states(conn: &mut Conn) -> Result<u64> {
    conn.exec_drop(
        "DELETE FROM strava_oauth_states WHERE expires_at < NOW()",
        (),
    )?;
    Ok(conn.affected_rows())
}

/// Consumes a state (autocommit): the user it was made for, once. Of two
/// concurrent uses only the one whose DELETE removed the row wins.
pub fn consume_state(conn: &mut Conn, hash: &str) -> Result<Option<u64>> {
    let user: Option<u64> = conn.exec_first(
        "SELECT user_id FROM strava_oauth_states WHERE state_hash = ? AND expires_at > NOW()",
        (hash,),
    )?;
    conn.exec_drop(
        "DELETE FROM strava_oauth_states WHERE state_hash = ?",
        (hash,),
    )?;
    Ok(user.filter(|_| conn.affected_rows() == 1))
}

// ---------------------------------------------------------------------------
// The athlete's link
// ---------------------------------------------------------------------------

/// The encrypted tokens of a connected athlete.
#[derive(Debug, Clone)]
pub struct Link {
    /// Strava athlete id.
    pub strava_id: i64,
    /// Encrypted access token.
    pub access: String,
    /// Encrypted refresh token.
    pub refresh: String,
    /// Access token expiry, epoch seconds.
    pub expires_at: i64,
}

/// The Strava columns of a user row, as stored.
#[derive(FromRow)]
struct StoredLink {
    id: Option<String>,
    access: Option<String>,
    refresh: Option<String>,
    expires: Option<i64>,
}

impl StoredLink {
    /// The link, when every part of it is there.
    fn complete(self) -> Option<Link> {
        Some(Link {
            strava_id: self.id?.parse().ok()?,
            access: self.access?,
            refresh: self.refresh?,
            expires_at: self.expires.unwrap_or(0),
        })
    }
}

/// The athlete's link, when connected.
pub fn find_link(conn: &mut Conn, user_id: u64) -> Result<Option<Link>> {
    let stored: Option<StoredLink> = rows::first(
        conn,
        r"SELECT strava_id AS id, strava_access_token AS access,
                 strava_refresh_token AS refresh, strava_token_expires AS expires
          FROM users WHERE id = ? AND strava_connected = TRUE",
        (user_id,),
    )?;
    Ok(stored.and_then(StoredLink::complete))
}

/// Links the account to a Strava athlete (409 when another account has it).
pub fn save_link(conn: &mut Conn, user_id: u64, link: &Link, scope: &str) -> Result<()> {
    conn.exec_drop(
        r"UPDATE users SET strava_connected = TRUE, strava_id = :sid,
            strava_access_token = :access, strava_refresh_token = :refresh,
            strava_token_expires = :expires, strava_scope = :scope
          WHERE id = :id",
        params! {
            "sid" => link.strava_id.to_string(),
            "access" => &link.access,
            "refresh" => &link.refresh,
            "expires" => link.expires_at,
            "scope" => scope,
            "id" => user_id,
        },
    )
    .on_duplicate(
        "uk_users_strava_id",
        &catalog::STRAVA_ACCOUNT_TAKEN,
        catalog::STRAVA_ACCOUNT_TAKEN.message,
    )
}

/// Saves refreshed tokens in one statement, only over the refresh token they
/// replace: the new refresh token is the only valid one from now on.
pub fn save_refreshed(
    conn: &mut Conn,
    user_id: u64,
    old_refresh: &str,
    new: &Link,
) -> Result<bool> {
    conn.exec_drop(
        r"UPDATE users SET strava_access_token = ?, strava_refresh_token = ?, strava_token_expires = ?
          WHERE id = ? AND strava_refresh_token = ?",
        (&new.access, &new.refresh, new.expires_at, user_id, old_refresh),
    )?;
    Ok(conn.affected_rows() == 1)
}

/// Forgets the athlete's link and tokens.
pub fn wipe_link(conn: &mut Conn, user_id: u64) -> Result<()> {
    conn.exec_drop(
        r"UPDATE users SET strava_connected = FALSE, strava_id = NULL, strava_access_token = NULL,
            strava_refresh_token = NULL, strava_token_expires = NULL, strava_scope = NULL
          WHERE id = ?",
        (user_id,),
    )?;
    Ok(())
}

/// The account linked to a Strava athlete.
pub fn user_of_athlete(conn: &mut Conn, athlete_id: i64) -> Result<Option<u64>> {
    Ok(conn.exec_first(
        "SELECT id FROM users WHERE strava_id = ? AND strava_connected = TRUE",
        (athlete_id.to_string(),),
    )?)
}

// ---------------------------------------------------------------------------
// Courses and chronos
// ---------------------------------------------------------------------------

/// Default radii, as the chronos module applies them.
const DEFAULT_RAYON_KM: f64 = 1.0;
const DEFAULT_START_RADIUS_M: f64 = 300.0;

/// The active courses, with whether `user_id` ordered a medal for each.
pub fn detection_courses(conn: &mut Conn, user_id: u64) -> Result<Vec<Course>> {
    let courses: Vec<CourseColumns> = rows::all(
        conn,
        r"SELECT p.id, p.nom, p.categorie, p.denivele + 0.0 AS denivele, p.depart_lat, p.depart_lng,
                 p.sommet_lat, p.sommet_lng, p.rayon_km, p.strava_keywords,
                 s.high_accuracy_start_distance_m + 0.0 AS start_m,
                 EXISTS (SELECT 1 FROM commandes c
                         WHERE c.user_id = ? AND c.produit_id = p.id AND c.statut <> 'annule') AS ordered
          FROM produits p
          LEFT JOIN segment_tracking_config s ON s.produit_id = p.id
          WHERE COALESCE(p.actif, TRUE)",
        (user_id,),
    )?;
    Ok(courses.into_iter().map(Course::from).collect())
}

/// The columns [`detection_courses`] selects, typed.
#[derive(FromRow)]
struct CourseColumns {
    id: u64,
    nom: String,
    categorie: String,
    denivele: Option<f64>,
    depart_lat: Option<f64>,
    depart_lng: Option<f64>,
    sommet_lat: Option<f64>,
    sommet_lng: Option<f64>,
    rayon_km: Option<f64>,
    strava_keywords: Option<String>,
    start_m: Option<f64>,
    ordered: bool,
}

impl From<CourseColumns> for Course {
    fn from(c: CourseColumns) -> Course {
        Course {
            id: c.id,
            nom: c.nom,
            categorie: c.categorie,
            denivele_m: c.denivele,
            depart: c.depart_lat.zip(c.depart_lng),
            sommet: c.sommet_lat.zip(c.sommet_lng),
            rayon_km: c.rayon_km.filter(|r| *r > 0.0).unwrap_or(DEFAULT_RAYON_KM),
            start_radius_m: c
                .start_m
                .filter(|r| *r > 0.0)
                .unwrap_or(DEFAULT_START_RADIUS_M),
            keywords: detection::parse_keywords(c.strava_keywords.as_deref()),
            ordered: c.ordered,
        }
    }
}

/// A chrono made from a Strava activity.
#[derive(Debug, Clone)]
pub struct NewStravaChrono<'a> {
    pub user_id: u64,
    pub produit_id: u64,
    pub activity_id: i64,
    pub duree: i64,
    pub debut: i64,
    pub fin: i64,
    /// `YYYY-MM-DD`, the athlete's local date.
    pub date_realisation: &'a str,
    pub score: f64,
    pub mesure: &'a str,
    pub gps_arrivee: Option<String>,
}

/// Inserts the validated chrono; `(id, true)` when new, `(id, false)` when
/// this activity already gave a chrono on this course (unique key).
pub fn insert_strava_chrono(tx: &mut Conn, c: &NewStravaChrono) -> Result<(u64, bool)> {
    let inserted = tx.exec_drop(
        r"INSERT INTO chronos
            (user_id, produit_id, duree_secondes, ajustement_sec, source, statut, date_debut,
             date_fin, date_realisation, auto_valide, gps_arrivee, strava_activity_id,
             score_detection, mesure_duree, valide_at)
          VALUES
            (:user_id, :produit_id, :duree, 0, 'strava', 'valide', FROM_UNIXTIME(:debut),
             FROM_UNIXTIME(:fin), :date_realisation, TRUE, :gps, :activity, :score, :mesure, NOW())",
        params! {
            "user_id" => c.user_id,
            "produit_id" => c.produit_id,
            "duree" => c.duree,
            "debut" => c.debut,
            "fin" => c.fin,
            "date_realisation" => c.date_realisation,
            "gps" => c.gps_arrivee.as_deref(),
            "activity" => c.activity_id.to_string(),
            "score" => c.score,
            "mesure" => c.mesure,
        },
    );
    match inserted {
        Ok(()) => Ok((tx.last_insert_id(), true)),
        Err(mysql::Error::MySqlError(e))
            if e.code == 1062 && e.message.contains("uk_chronos_strava_activity_produit") =>
        {
            let id: Option<u64> = tx.exec_first(
                "SELECT id FROM chronos WHERE strava_activity_id = ? AND produit_id = ?",
                (c.activity_id.to_string(), c.produit_id),
            )?;
            Ok((id.unwrap_or(0), false))
        }
        Err(e) => Err(e.into()),
    }
}

/// The chronos already made from these activities for `user_id`:
/// `(activity id, produit id, chrono id, statut)`.
pub fn chronos_of_activities(
    conn: &mut Conn,
    user_id: u64,
    activity_ids: &[i64],
) -> Result<Vec<(i64, u64, u64, String)>> {
    if activity_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; activity_ids.len()].join(", ");
    let mut values: Vec<mysql::Value> = vec![user_id.into()];
    values.extend(activity_ids.iter().map(|id| id.to_string().into()));
    let rows: Vec<(String, u64, u64, String)> = conn.exec(
        format!(
            "SELECT strava_activity_id, produit_id, id, statut FROM chronos
             WHERE user_id = ? AND source = 'strava' AND strava_activity_id IN ({marks})"
        ),
        values,
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, p, id, s)| Some((a.parse().ok()?, p, id, s)))
        .collect())
}

/// Validated chronos of a deleted activity that no order uses yet, for
/// annulment: `(chrono id, produit id)`.
pub fn annullable_chronos(
    tx: &mut Conn,
    user_id: u64,
    activity_id: i64,
) -> Result<Vec<(u64, u64)>> {
    Ok(tx.exec(
        r"SELECT ch.id, ch.produit_id FROM chronos ch
          WHERE ch.user_id = ? AND ch.source = 'strava' AND ch.strava_activity_id = ?
            AND ch.statut = 'valide'
            AND NOT EXISTS (SELECT 1 FROM commandes c WHERE c.chrono_id = ch.id)
          FOR UPDATE",
        (user_id, activity_id.to_string()),
    )?)
}

/// Annuls a chrono whose activity was deleted on Strava.
pub fn annul_chrono(tx: &mut Conn, chrono_id: u64) -> Result<()> {
    tx.exec_drop(
        r"UPDATE chronos SET statut = 'annule', motif_rejet = 'Activité supprimée sur Strava'
          WHERE id = ?",
        (chrono_id,),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Webhook subscription and events
// ---------------------------------------------------------------------------

/// Our subscription id, if registered.
pub fn subscription_id(conn: &mut Conn) -> Result<Option<i64>> {
    let id: Option<Option<i64>> =
        conn.exec_first("SELECT subscription_id FROM strava_config WHERE id = 1", ())?;
    Ok(id.flatten())
}

/// Records (or replaces) our subscription.
pub fn save_subscription(conn: &mut Conn, id: i64, callback_url: &str) -> Result<()> {
    conn.exec_drop(
        r"INSERT INTO strava_config (id, subscription_id, callback_url) VALUES (1, ?, ?)
          ON DUPLICATE KEY UPDATE subscription_id = VALUES(subscription_id),
            callback_url = VALUES(callback_url)",
        (id, callback_url),
    )?;
    Ok(())
}

/// A webhook event as Strava posts it.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[expect(
    clippy::struct_field_names,
    reason = "the field names of Strava's webhook JSON"
)]
pub struct Event {
    pub object_type: String,
    pub object_id: i64,
    pub aspect_type: String,
    #[serde(default)]
    pub updates: serde_json::Value,
    pub owner_id: i64,
    pub subscription_id: i64,
    pub event_time: i64,
}

/// Records an event; the id of its row (a repeat of the same event finds
/// the first row).
pub fn insert_event(tx: &mut Conn, e: &Event) -> Result<u64> {
    tx.exec_drop(
        r"INSERT INTO strava_events
            (object_type, object_id, aspect_type, owner_id, subscription_id, event_time, payload)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)",
        (
            &e.object_type,
            e.object_id,
            &e.aspect_type,
            e.owner_id,
            e.subscription_id,
            e.event_time,
            serde_json::to_string(e).map_err(Error::internal)?,
        ),
    )?;
    Ok(tx.last_insert_id())
}

/// Takes a pending event for one minute; `None` when it is done or another
/// worker has it.
pub fn claim_event(conn: &mut Conn, id: u64) -> Result<Option<Event>> {
    conn.exec_drop(
        r"UPDATE strava_events SET tentatives = tentatives + 1,
            claimed_until = NOW() + INTERVAL 60 SECOND
          WHERE id = ? AND statut = 'en_attente'
            AND (claimed_until IS NULL OR claimed_until < NOW())",
        (id,),
    )?;
    if conn.affected_rows() != 1 {
        return Ok(None);
    }
    let payload: Option<String> = conn.exec_first(
        "SELECT CAST(payload AS CHAR) FROM strava_events WHERE id = ?",
        (id,),
    )?;
    payload
        .map(|p| {
            serde_json::from_str(&p)
                .map_err(|e| Error::internal(format!("strava_events.payload: {e}")))
        })
        .transpose()
}

/// Closes an event: `traite` or `ignore` (with the reason).
pub fn close_event(conn: &mut Conn, id: u64, statut: &str, note: Option<&str>) -> Result<()> {
    conn.exec_drop(
        r"UPDATE strava_events SET statut = ?, erreur = ?, traite_at = NOW(),
            claimed_until = NULL
          WHERE id = ?",
        (statut, note, id),
    )?;
    Ok(())
}

/// Leaves an event pending for the next run, with why.
pub fn release_event(conn: &mut Conn, id: u64, why: &str) -> Result<()> {
    let why: String = why.chars().take(500).collect();
    conn.exec_drop(
        "UPDATE strava_events SET erreur = ?, claimed_until = NULL WHERE id = ?",
        (why, id),
    )?;
    Ok(())
}

/// The oldest pending events.
pub fn pending_events(conn: &mut Conn, limit: u32) -> Result<Vec<u64>> {
    Ok(conn.exec(
        "SELECT id FROM strava_events WHERE statut = 'en_attente' ORDER BY id LIMIT ?",
        (limit,),
    )?)
}

/// How many events are still pending.
pub fn pending_count(conn: &mut Conn) -> Result<u64> {
    Ok(conn
        .query_first("SELECT COUNT(*) FROM strava_events WHERE statut = 'en_attente'")?
        .unwrap_or(0))
}

// ---------------------------------------------------------------------------
// Revocation outbox
// ---------------------------------------------------------------------------

/// Queues the tokens of a disconnected athlete for deauthorization.
pub fn insert_revocation(tx: &mut Conn, user_id: u64, link: &Link) -> Result<u64> {
    tx.exec_drop(
        r"INSERT INTO strava_revocations (user_id, access_token, refresh_token, token_expires)
          VALUES (?, ?, ?, ?)",
        (user_id, &link.access, &link.refresh, link.expires_at),
    )?;
    Ok(tx.last_insert_id())
}

/// A queued revocation, its tokens encrypted.
#[derive(Debug, FromRow)]
pub struct Revocation {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub token_expires: Option<i64>,
}

/// A queued revocation.
pub fn revocation(conn: &mut Conn, id: u64) -> Result<Option<Revocation>> {
    rows::first(
        conn,
        "SELECT access_token, refresh_token, token_expires FROM strava_revocations WHERE id = ?",
        (id,),
    )
}

/// Every queued revocation id, oldest first.
pub fn revocation_ids(conn: &mut Conn, limit: u32) -> Result<Vec<u64>> {
    Ok(conn.exec(
        "SELECT id FROM strava_revocations ORDER BY id LIMIT ?",
        (limit,),
    )?)
}

/// Done: Strava revoked the tokens (or they were already dead).
pub fn delete_revocation(conn: &mut Conn, id: u64) -> Result<()> {
    conn.exec_drop("DELETE FROM strava_revocations WHERE id = ?", (id,))?;
    Ok(())
}

/// Not done yet: count the attempt and keep why.
pub fn retry_revocation(conn: &mut Conn, id: u64, why: &str) -> Result<()> {
    let why: String = why.chars().take(500).collect();
    conn.exec_drop(
        "UPDATE strava_revocations SET tentatives = tentatives + 1, derniere_erreur = ? WHERE id = ?",
        (why, id),
    )?;
    Ok(())
}
