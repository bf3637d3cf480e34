//! The athlete's Strava activities (spec 5.8): the recent ones with the
//! courses detected in each, and the import of one activity as validated
//! chronos (spec 9.2, threshold 0.40). The webhook imports through the same
//! [`analyse`] and [`record`].
//!
//! The list scores each activity on its summary polyline (no extra Strava
//! call per activity: the rate limit is the application's, shared by every
//! athlete). The import fetches the activity and its `latlng` + `time`
//! streams: the whole timed track gives the closest approach to the summit
//! and the segment timing.
//!
//! Idempotence: `chronos` has a unique key on (`strava_activity_id`,
//! `produit_id`), so importing again, or the webhook racing a manual import,
//! finds the chrono already made instead of a second one.

use super::client::{self, Activity, CallError, Client};
use super::detection::{self, Course, Detection, Facts, Timing};
use super::queries::{self, NewStravaChrono};
use super::{link, on_detection, Failure};
use crate::api::chronos::classement;
use crate::config::Config;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::Page;
use crate::http::{Ctx, Response};
use crate::time;
use mysql::Conn;
use serde_json::{json, Value};

/// Longest chrono a detection may produce (the chronos module's bound).
const MAX_DUREE_SECS: i64 = 100 * 3600 - 1;

/// An activity with what detection found in it.
pub struct Analysed {
    /// The activity.
    pub activity: Activity,
    /// Every course scored, best first.
    pub detections: Vec<Detection>,
    /// The courses looked at.
    pub courses: Vec<Course>,
    /// The timed track `(lat, lng, seconds from start)`, when streams exist.
    pub timed: Option<Vec<(f64, f64, i64)>>,
}

/// One chrono made (or found) by an import.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The chrono.
    pub chrono_id: u64,
    /// Whether this import created it.
    pub created: bool,
    /// The course and its name.
    pub produit_id: u64,
    /// Course name.
    pub nom: String,
    /// The detection behind it.
    pub score: f64,
    /// Its criterion.
    pub critere: &'static str,
    /// Timed seconds.
    pub duree: i64,
    /// `segment` or `temps_ecoule`.
    pub mesure: &'static str,
}

impl Recorded {
    fn to_json(&self) -> Value {
        json!({
            "chrono_id": self.chrono_id,
            "produit_id": self.produit_id,
            "parcours": self.nom,
            "score_detection": self.score,
            "critere": self.critere,
            "duree_secondes": self.duree,
            "duree": time::hms(self.duree.unsigned_abs()),
            "mesure_duree": self.mesure,
            "deja_importe": !self.created,
        })
    }
}

fn facts<'a>(a: &'a Activity, track: &'a [(f64, f64)]) -> Facts<'a> {
    Facts {
        name: &a.name,
        sport: a.sport(),
        indoor: a.trainer || a.sport().starts_with("Virtual"),
        elevation_gain_m: a.total_elevation_gain,
        track,
    }
}

/// Spec 5.8 `GET /api/strava/activites`: "Liste activités + cols détectés".
pub fn list_activites(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let user_id = ctx.user_id()?;
    let client = client::from_config(ctx.config, ctx.conn()?)?;
    let config = ctx.config;
    let conn = ctx.conn()?;
    let (token, _) =
        link::access_token(&client, config, conn, user_id).map_err(Failure::into_error)?;
    let activities = client
        .activities(conn, &token, page.page, page.per_page)
        .map_err(CallError::into_error)?;
    let courses = queries::detection_courses(conn, user_id)?;
    let ids: Vec<i64> = activities.iter().map(|a| a.id).collect();
    let made = queries::chronos_of_activities(conn, user_id, &ids)?;
    let items: Vec<Value> = activities
        .iter()
        .map(|a| {
            let track = detection::decode_polyline(a.map.summary_polyline.as_deref().unwrap_or(""));
            let found = detection::detect(&facts(a, &track), &courses);
            activity_json(a, !track.is_empty(), &found, &courses, &made)
        })
        .collect();
    Ok(Response::ok(&json!({
        "items": items,
        "page": page.page,
        "per_page": page.per_page,
        "seuil_detection": detection::THRESHOLD,
    })))
}

fn activity_json(
    a: &Activity,
    gps: bool,
    found: &[Detection],
    courses: &[Course],
    made: &[(i64, u64, u64, String)],
) -> Value {
    let detections: Vec<Value> = found
        .iter()
        .map(|d| {
            let chrono = made.iter().find(|m| m.0 == a.id && m.1 == d.produit_id);
            json!({
                "produit_id": d.produit_id,
                "parcours": courses.iter().find(|c| c.id == d.produit_id).map(|c| c.nom.as_str()),
                "score": d.score,
                "critere": d.critere.as_str(),
                "distance_sommet_m": d.closest_m,
                "detecte": d.is_detected(),
                "chrono_id": chrono.map(|m| m.2),
                "chrono_statut": chrono.map(|m| m.3.as_str()),
            })
        })
        .collect();
    json!({
        "id": a.id,
        "nom": a.name,
        "sport_type": a.sport(),
        "date": a.start_date_local.get(..10),
        "start_date": a.start_date,
        "distance_km": (a.distance / 10.0).round() / 100.0,
        "denivele_m": a.total_elevation_gain.round(),
        "duree_secondes": a.elapsed_time,
        "gps": gps,
        "importee": made.iter().any(|m| m.0 == a.id),
        "detections": detections,
    })
}

/// Spec 5.8 `POST /api/strava/import/:activite_id`: "Import activité
/// spécifique". 201 when a chrono was created, 200 when the activity had
/// already been imported (same chronos), 422 when no course reaches 0.40.
pub fn create_import(ctx: &mut Ctx) -> Result<Response> {
    let activity_id = ctx
        .param("activite_id")
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| CallError::NotFound.into_error())?;
    let user_id = ctx.user_id()?;
    let client = client::from_config(ctx.config, ctx.conn()?)?;
    let config = ctx.config;
    let analysed =
        analyse(&client, config, ctx.conn()?, user_id, activity_id).map_err(Failure::into_error)?;
    if !analysed.detections.iter().any(Detection::is_detected) {
        let best = analysed.detections.first().map_or(0.0, |d| d.score);
        return Err(catalog::STRAVA_NOTHING_DETECTED.msg(format!(
                "Aucun parcours MyKollector n'a été reconnu dans cette activité (meilleur score {best:.2}, il faut au moins {:.2}).",
                detection::THRESHOLD
            )));
    }
    let recorded = record(ctx.tx()?, user_id, &analysed)?;
    let created: Vec<Recorded> = recorded.iter().filter(|r| r.created).cloned().collect();
    for r in created {
        ctx.after_commit(move |config, conn| on_detection(config, conn, user_id, &r));
    }
    ctx.audit_entity("strava_activite", activity_id.unsigned_abs());
    ctx.audit_details(json!({
        "action": "strava_import",
        "chronos": recorded.iter().map(|r| r.chrono_id).collect::<Vec<_>>(),
    }));
    let status = if recorded.iter().any(|r| r.created) {
        201
    } else {
        200
    };
    Ok(Response::json(
        status,
        &json!({
            "activite_id": activity_id,
            "chronos": recorded.iter().map(Recorded::to_json).collect::<Vec<_>>(),
            "detections": analysed.detections.iter().map(|d| json!({
                "produit_id": d.produit_id, "score": d.score, "critere": d.critere.as_str(),
                "detecte": d.is_detected(),
            })).collect::<Vec<_>>(),
        }),
    ))
}

/// Fetches the athlete's activity and its streams and scores every course.
/// `conn` must be outside a transaction (a token refresh is saved at once).
pub fn analyse(
    client: &Client,
    config: &Config,
    conn: &mut Conn,
    user_id: u64,
    activity_id: i64,
) -> std::result::Result<Analysed, Failure> {
    let (token, athlete) = link::access_token(client, config, conn, user_id)?;
    let activity = client.activity(conn, &token, activity_id)?;
    // Strava also shows other athletes' public activities: only one's own
    // effort may become one's chrono.
    if activity.athlete.id != athlete {
        return Err(CallError::NotFound.into());
    }
    let timed = match client.streams(conn, &token, activity_id) {
        Ok(streams) => streams.timed_points(),
        Err(CallError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let track: Vec<(f64, f64)> = if let Some(points) = &timed {
        points.iter().map(|&(lat, lng, _)| (lat, lng)).collect()
    } else {
        let map = &activity.map;
        let encoded = map
            .polyline
            .as_deref()
            .filter(|p| !p.is_empty())
            .or(map.summary_polyline.as_deref())
            .unwrap_or("");
        detection::decode_polyline(encoded)
    };
    let courses = queries::detection_courses(conn, user_id)?;
    let detections = detection::detect(&facts(&activity, &track), &courses);
    Ok(Analysed {
        activity,
        detections,
        courses,
        timed,
    })
}

/// Makes a validated chrono per detected course (inside the transaction),
/// keeping the ranking in step for the new ones.
pub fn record(tx: &mut Conn, user_id: u64, a: &Analysed) -> Result<Vec<Recorded>> {
    let act = &a.activity;
    let start = time::parse_iso_utc(&act.start_date)
        .ok_or_else(|| Error::internal(format!("Strava start_date {:?}", act.start_date)))?;
    let local_date = act
        .start_date_local
        .get(..10)
        .filter(|d| time::is_calendar_date(d))
        .unwrap_or_else(|| act.start_date.get(..10).unwrap_or_default());
    let mut out = Vec::new();
    for d in a.detections.iter().filter(|d| d.is_detected()) {
        let Some(course) = a.courses.iter().find(|c| c.id == d.produit_id) else {
            continue;
        };
        let timing = detection::timing(course, a.timed.as_deref(), start, act.elapsed_time);
        let duree = timing.secs();
        if !(1..=MAX_DUREE_SECS).contains(&duree) {
            continue;
        }
        let (debut, fin) = timing.bounds();
        let (chrono_id, created) = queries::insert_strava_chrono(
            tx,
            &NewStravaChrono {
                user_id,
                produit_id: course.id,
                activity_id: act.id,
                duree,
                debut,
                fin,
                date_realisation: local_date,
                score: d.score,
                mesure: timing.mesure(),
                gps_arrivee: summit_fix(&timing, a.timed.as_deref(), start),
            },
        )?;
        if created {
            classement::record_validation(tx, course.id, user_id, chrono_id, duree)?;
        }
        out.push(Recorded {
            chrono_id,
            created,
            produit_id: course.id,
            nom: course.nom.clone(),
            score: d.score,
            critere: d.critere.as_str(),
            duree,
            mesure: timing.mesure(),
        });
    }
    Ok(out)
}

/// The track point taken as the summit, `lat,lng` (segment timing only).
fn summit_fix(timing: &Timing, timed: Option<&[(f64, f64, i64)]>, start: i64) -> Option<String> {
    let Timing::Segment { finish, .. } = timing else {
        return None;
    };
    timed?
        .iter()
        .find(|p| start + p.2 == *finish)
        .map(|p| format!("{:.7},{:.7}", p.0, p.1))
}
