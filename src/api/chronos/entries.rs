//! Chronos that arrive finished: manual entries (spec 5.3 `POST
//! /api/chrono/manuel`, with an optional proof file) and GPX tracks
//! (`POST /api/chrono/gpx`, the `gpx` source of spec 4.4). Both wait for
//! an `admin_chrono`'s check before they are ranked
//! ([`super::queries::needs_moderation`]).

use super::queries::Course;
use super::{active_course, gpx, queries, reload, upload, MAX_DUREE_SECS};
use super::{DEFAULT_FINISH_RADIUS_KM, DEFAULT_START_RADIUS_M};
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::multipart::Form;
use crate::http::{Ctx, Response};
use crate::time;
use serde::Deserialize;
use serde_json::{json, Value};

/// A manual entry, from JSON or from a multipart form.
struct ManualEntry {
    produit_id: u64,
    duree_secondes: i64,
    date_realisation: String,
    preuve: Option<(Option<String>, Vec<u8>)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualBody {
    produit_id: u64,
    duree: Option<String>,
    duree_secondes: Option<i64>,
    date_realisation: String,
}

/// Duration from `duree` ("HH:MM:SS") or `duree_secondes`, within bounds.
fn manual_duration(duree: Option<&str>, secondes: Option<i64>) -> Result<i64> {
    let from_text = duree
        .map(|d| {
            time::parse_hms(d)
                .and_then(|s| i64::try_from(s).ok())
                .ok_or_else(|| Error::invalid("La durée doit être au format HH:MM:SS."))
        })
        .transpose()?;
    let secs = match (from_text, secondes) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::invalid(
                "duree et duree_secondes ne correspondent pas : n'en envoyez qu'un.",
            ))
        }
        (Some(a), _) => a,
        (None, Some(b)) => b,
        (None, None) => {
            return Err(Error::invalid(
                "La durée est obligatoire (duree au format HH:MM:SS ou duree_secondes).",
            ))
        }
    };
    if !(1..=MAX_DUREE_SECS).contains(&secs) {
        return Err(Error::invalid(
            "La durée doit être comprise entre 00:00:01 et 99:59:59.",
        ));
    }
    Ok(secs)
}

fn read_manual_entry(ctx: &Ctx) -> Result<ManualEntry> {
    let multipart = ctx
        .req
        .header("content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/"));
    if !multipart {
        let body: ManualBody = ctx.json()?;
        return Ok(ManualEntry {
            produit_id: body.produit_id,
            duree_secondes: manual_duration(body.duree.as_deref(), body.duree_secondes)?,
            date_realisation: body.date_realisation.trim().to_string(),
            preuve: None,
        });
    }
    let form = Form::parse(ctx.req)?;
    let produit_id = form
        .field("produit_id")
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| Error::invalid("produit_id est obligatoire (identifiant du parcours)."))?;
    let secondes = form
        .field("duree_secondes")
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| Error::invalid("duree_secondes doit être un nombre entier."))
        })
        .transpose()?;
    let duree_secondes = manual_duration(form.field("duree").as_deref(), secondes)?;
    let date_realisation = form.field("date_realisation").unwrap_or_default();
    // An empty file input is sent as an empty part: no proof.
    let preuve = form
        .part("preuve")
        .filter(|p| !p.data.is_empty())
        .map(|p| (p.filename.clone(), p.data.clone()));
    Ok(ManualEntry {
        produit_id,
        duree_secondes,
        date_realisation,
        preuve,
    })
}

/// Spec 5.3 `POST /api/chrono/manuel`: "Saisie manuelle". JSON, or
/// multipart with an optional `preuve` file (JPG, PNG, PDF or GPX, 5 MB),
/// stored under `storage/preuves/`. The entry waits for an `admin_chrono`,
/// who can see the proof, before it is ranked; the athlete cannot validate
/// it.
pub fn create_chrono_manuel(ctx: &mut Ctx) -> Result<Response> {
    let user_id = ctx.user_id()?;
    let entry = read_manual_entry(ctx)?;
    // 1. A real date, not in the future.
    if !crate::time::is_calendar_date(&entry.date_realisation) {
        return Err(Error::invalid(
            "date_realisation doit être une date au format AAAA-MM-JJ.",
        ));
    }
    if queries::is_future_date(ctx.conn()?, &entry.date_realisation)? {
        return Err(Error::invalid(
            "La date de réalisation ne peut pas être dans le futur.",
        ));
    }
    // 2. The course exists and is open.
    let course = active_course(ctx, entry.produit_id)?;
    // 3. The proof, if any: an accepted kind within the size limit.
    let preuve = entry
        .preuve
        .as_ref()
        .map(|(name, data)| {
            upload::detect(name.as_deref(), data).map(|ext| (upload::new_relative_path(ext), data))
        })
        .transpose()?;
    let new = queries::NewFinished {
        user_id,
        produit_id: course.id,
        source: "manuel",
        duree_secondes: entry.duree_secondes,
        date_realisation: Some(&entry.date_realisation),
        ..Default::default()
    };
    let proof = preuve
        .as_ref()
        .map(|(path, data)| (path.as_str(), data.as_slice()));
    let details = json!({
        "action": "manuel",
        "duree_secondes": entry.duree_secondes,
        "date_realisation": entry.date_realisation,
        "preuve": preuve.is_some(),
    });
    record_finished(ctx, new, proof, details)
}

/// Records a chrono that arrived finished with its proof file, written last
/// so a failure rolls the row back with it; answers 201 with the chrono.
fn record_finished(
    ctx: &mut Ctx,
    new: queries::NewFinished,
    proof: Option<(&str, &[u8])>,
    details: Value,
) -> Result<Response> {
    let tx = ctx.tx()?;
    let preuve_url = proof.map(|(path, _)| path);
    let id = queries::insert_finished(tx, &queries::NewFinished { preuve_url, ..new })?;
    let chrono = reload(tx, id)?;
    if let Some((path, data)) = proof {
        upload::store(&ctx.config.storage_path, path, data)?;
    }
    ctx.audit_entity("chrono", id);
    ctx.audit_details(details);
    Ok(Response::created(&chrono.view()))
}

fn gpx_error(e: &gpx::GpxError, zones: &gpx::Zones) -> Error {
    match e {
        gpx::GpxError::Invalid(_) => catalog::GPX_INVALID.err(),
        gpx::GpxError::NoTimestamps => catalog::GPX_NO_TIMESTAMPS.err(),
        gpx::GpxError::NeverStarted => catalog::GPX_NEVER_STARTED.msg(format!(
                "La trace ne passe jamais à moins de {:.0} m du départ du parcours.",
                zones.start_radius_m
            )),
        gpx::GpxError::NeverFinished => catalog::GPX_NEVER_FINISHED.msg(format!(
                "La trace part bien du départ mais n'atteint jamais l'arrivée (à moins de {:.0} m du sommet).",
                zones.finish_radius_m
            )),
    }
}

/// `POST /api/chrono/gpx` (the `gpx` source of spec 4.4): multipart
/// `fichier` + `produit_id`. The effort is found between the course's start
/// and finish zones ([`gpx`]); the chrono then awaits the athlete's
/// validation, with the track kept as its proof.
pub fn create_chrono_gpx(ctx: &mut Ctx) -> Result<Response> {
    let user_id = ctx.user_id()?;
    let form = Form::parse(ctx.req)?;
    let produit_id = form
        .field("produit_id")
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| Error::invalid("produit_id est obligatoire (identifiant du parcours)."))?;
    let file = form.file("fichier")?;
    // 1. Size first: nothing is parsed past the limit.
    if file.data.len() > upload::MAX_FILE_BYTES {
        return Err(upload::too_large());
    }
    // 2. The course exists, is open, and has its start and summit.
    let course = active_course(ctx, produit_id)?;
    let (Some(depart), Some(sommet)) = (course.depart, course.sommet) else {
        return Err(catalog::COURSE_WITHOUT_COORDINATES.err());
    };
    let zones = course_zones(&course, depart, sommet);
    // 3. The effort in the track.
    let track = gpx::parse(&file.data).map_err(|e| gpx_error(&e, &zones))?;
    let effort = gpx::analyse(&track.points, &zones).map_err(|e| gpx_error(&e, &zones))?;
    let duree = effort.duration_secs();
    if !(1..=MAX_DUREE_SECS).contains(&duree) {
        return Err(Error::invalid(
            "La durée calculée sur la trace est hors limites (de 1 s à 99:59:59).",
        ));
    }
    // 4. Not in the future, not imported twice.
    let conn = ctx.conn()?;
    if effort.start.t > queries::now_epoch(conn)? + 300 {
        return Err(Error::invalid("La trace GPX est datée dans le futur."));
    }
    if queries::gpx_already_imported(conn, user_id, course.id, effort.start.t, duree)? {
        return Err(catalog::GPX_ALREADY_IMPORTED.err());
    }
    let meta = gpx_meta(&track, &effort, &zones);
    let gps = format!("{:.7},{:.7}", effort.finish.lat, effort.finish.lng);
    let proof = upload::new_relative_path("gpx");
    let new = queries::NewFinished {
        user_id,
        produit_id: course.id,
        source: "gpx",
        duree_secondes: duree,
        epoch_debut: Some(effort.start.t),
        epoch_fin: Some(effort.finish.t),
        gps_arrivee: Some(&gps),
        gpx_meta: Some(meta.to_string()),
        ..Default::default()
    };
    let details = json!({ "action": "gpx", "duree_secondes": duree, "gpx": meta });
    record_finished(ctx, new, Some((&proof, &file.data)), details)
}

/// The start and finish zones of a course, with the default radii where
/// none is set.
fn course_zones(course: &Course, depart: (f64, f64), sommet: (f64, f64)) -> gpx::Zones {
    gpx::Zones {
        depart,
        start_radius_m: course
            .start_radius_m
            .filter(|r| *r > 0)
            .map_or(DEFAULT_START_RADIUS_M, f64::from),
        sommet,
        finish_radius_m: course
            .rayon_km
            .filter(|r| *r > 0.0)
            .unwrap_or(DEFAULT_FINISH_RADIUS_KM)
            * 1000.0,
    }
}

/// What the `admin_chrono` sees of the track beside the chrono.
fn gpx_meta(track: &gpx::Track, effort: &gpx::Effort, zones: &gpx::Zones) -> serde_json::Value {
    json!({
        "points": track.total_points,
        "points_horodates": track.points.len(),
        "distance_km": round2(gpx::length_km(&track.points)),
        "distance_effort_km": round2(effort.effort_km),
        "debut": time::iso_utc(effort.start.t.unsigned_abs()),
        "fin": time::iso_utc(effort.finish.t.unsigned_abs()),
        "ecart_depart_m": effort.start_distance_m.round(),
        "ecart_arrivee_m": effort.finish_distance_m.round(),
        "rayon_depart_m": zones.start_radius_m,
        "rayon_arrivee_m": zones.finish_radius_m,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(manual_duration(Some("01:23:45"), None).unwrap(), 5025);
        assert_eq!(manual_duration(None, Some(5025)).unwrap(), 5025);
        assert_eq!(manual_duration(Some("01:23:45"), Some(5025)).unwrap(), 5025);
        assert!(manual_duration(Some("01:23:45"), Some(1)).is_err());
        assert!(manual_duration(Some("1h23"), None).is_err());
        assert!(manual_duration(None, Some(0)).is_err());
        assert!(manual_duration(None, None).is_err());
    }
}
