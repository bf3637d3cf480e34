//! Spec §5.3 — `/api/chrono/*`: the athlete's chronos (QR start/stop with
//! server-side times, manual entry with an optional proof, GPX upload),
//! their validation, the admin_chrono queue (`/api/admin/chronos/*`) and the
//! rankings (`/api/parcours/{id}/classement`, [`classement`]).
//!
//! Life of a chrono (`chronos.statut`): `en_cours` (QR only, one per athlete
//! and course) → `attente_validation` (stopped, entered by hand, or found in
//! a GPX track) → `valide` (by the athlete, or by an admin_chrono) or
//! `annule` (rejected by an admin_chrono, with a reason; a validated chrono
//! can still be annulled and the ranking is rebuilt).
//!
//! Durations are always measured by the database clock (`NOW()`), never by
//! the phone: the QR page only says when. `ajustement_sec` is the signed
//! correction of the QR popup ("Ajustement : [- 0 min 0 sec]", typically
//! negative when the athlete stopped late); `duree_secondes` stores the final
//! time (measured + adjustment) and the adjustment is kept beside it, so the
//! measured time is `duree_secondes - ajustement_sec`. An adjustment must stay
//! strictly smaller in size than the measured time.

mod admin;
pub mod classement;
mod demo;
pub mod gpx;
mod queries;
mod upload;

pub use classement::rank_of;
pub use demo::seed_demo;

use crate::error::{Error, Result};
use crate::http::multipart::Form;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::roles;
use crate::time;
use queries::{ChronoRow, Course};
use serde::Deserialize;
use serde_json::{json, Value};

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Post,
        "/api/chrono/start",
        Access::Roles(roles::SPORTIF),
        create_chrono_start,
        "Démarre un chrono (heure du serveur)",
    ),
    route(
        Method::Post,
        "/api/chrono/stop",
        Access::Roles(roles::SPORTIF),
        update_chrono_stop,
        "Arrête et enregistre un chrono (ajustement possible)",
    ),
    route(
        Method::Patch,
        "/api/chrono/{id}/valider",
        Access::Roles(roles::SPORTIF),
        update_chrono_validation,
        "Valide un chrono en attente",
    ),
    route(
        Method::Post,
        "/api/chrono/manuel",
        Access::Roles(roles::SPORTIF),
        create_chrono_manuel,
        "Saisie manuelle (durée, date, preuve facultative)",
    ),
    route(
        Method::Post,
        "/api/chrono/gpx",
        Access::Roles(roles::SPORTIF),
        create_chrono_gpx,
        "Chrono calculé depuis une trace GPX",
    ),
    route(
        Method::Get,
        "/api/chrono/history",
        Access::Roles(roles::SPORTIF),
        list_chrono_history,
        "Historique personnel",
    ),
    route(
        Method::Get,
        "/api/chrono/{produit_id}/mes",
        Access::Roles(roles::SPORTIF),
        list_mes_chronos,
        "Mes chronos validés sur un parcours",
    ),
    route(
        Method::Get,
        "/api/parcours/{id}/classement",
        Access::Public,
        classement::show_classement,
        "Classement d'un parcours (prénoms) et rang du sportif connecté",
    ),
    route(
        Method::Get,
        "/api/admin/chronos/en-attente",
        Access::Roles(roles::CHRONO_VALIDATORS),
        admin::list_pending_chronos,
        "Chronos en attente de validation",
    ),
    route(
        Method::Patch,
        "/api/admin/chronos/{id}",
        Access::Roles(roles::CHRONO_VALIDATORS),
        admin::update_chrono_decision,
        "Valide ou rejette un chrono",
    ),
    route(
        Method::Get,
        "/api/admin/chronos/{id}/preuve",
        Access::Roles(roles::CHRONO_VALIDATORS),
        admin::show_chrono_preuve,
        "Télécharge la preuve jointe à un chrono",
    ),
];

/// Longest accepted duration: 99:59:59.
const MAX_DUREE_SECS: i64 = 100 * 3600 - 1;
/// Start-zone radius when a course has no tracking config (spec 4.3 default).
const DEFAULT_START_RADIUS_M: f64 = 300.0;
/// Finish-zone radius when a course has no `rayon_km` (spec 4.2 default).
const DEFAULT_FINISH_RADIUS_KM: f64 = 1.0;

fn course_not_found() -> Error {
    Error::not_found("parcours_not_found", "Parcours introuvable.")
}

fn chrono_not_found() -> Error {
    Error::not_found("chrono_not_found", "Chrono introuvable.")
}

/// A course that exists and is active (its deactivation message otherwise).
fn active_course(ctx: &mut Ctx, produit_id: u64) -> Result<Course> {
    let course = queries::find_course(ctx.conn()?, produit_id)?.ok_or_else(course_not_found)?;
    if !course.actif {
        let message = course
            .message_desactivation
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .unwrap_or("Ce parcours est momentanément désactivé.")
            .to_string();
        return Err(Error::conflict("parcours_inactive", message));
    }
    Ok(course)
}

/// The chrono as stored, for an answer.
fn reload(conn: &mut mysql::Conn, id: u64) -> Result<ChronoRow> {
    queries::find_chrono(conn, id)?.ok_or_else(chrono_not_found)
}

/// Checks a correction against the measured time: it must be strictly
/// smaller in size, so the final time stays positive.
fn check_adjustment(measured: i64, ajustement: i64) -> Result<()> {
    if ajustement != 0 && ajustement.abs() >= measured {
        return Err(Error::invalid(format!(
            "L'ajustement ({ajustement} s) doit rester inférieur à la durée mesurée ({}).",
            time::hms(measured.unsigned_abs())
        )));
    }
    Ok(())
}

/// `page` (1-based) and `per_page` (default 50, at most 200) of a list.
fn pagination(ctx: &Ctx) -> Result<(u64, u64)> {
    let read = |key: &str, default: u64, max: u64| -> Result<u64> {
        match ctx.req.query_param(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "Le paramètre {key} doit être un entier entre 1 et {max}."
                    ))
                }),
        }
    };
    Ok((read("page", 1, 1_000_000)?, read("per_page", 50, 200)?))
}

fn page_json(items: &[ChronoRow], total: u64, page: u64, per_page: u64) -> Value {
    json!({
        "items": items.iter().map(ChronoRow::to_json).collect::<Vec<_>>(),
        "total": total,
        "page": page,
        "per_page": per_page,
    })
}

/// The athlete's rank after a validation, for the answer.
fn rank_json(conn: &mut mysql::Conn, produit_id: u64, user_id: u64) -> Result<Value> {
    Ok(match rank_of(conn, produit_id, user_id)? {
        Some((rang, total, best)) => json!({
            "rang": rang,
            "total": total,
            "rang_texte": classement::rank_text(rang, total),
            "meilleur_temps": time::hms(best),
            "meilleur_temps_secondes": best,
        }),
        None => Value::Null,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    produit_id: u64,
}

/// Spec 5.3 `POST /api/chrono/start`: "Démarre un chrono". The start time is
/// the server's; one running chrono per athlete and course.
fn create_chrono_start(ctx: &mut Ctx) -> Result<Response> {
    let body: StartBody = ctx.json()?;
    let user_id = ctx.user_id()?;
    // 1. The course exists and is open.
    let course = active_course(ctx, body.produit_id)?;
    let tx = ctx.tx()?;
    // 2. One running chrono per athlete and course (starts serialised per athlete).
    queries::lock_user(tx, user_id)?;
    if queries::running_chrono(tx, user_id, course.id)?.is_some() {
        return Err(Error::conflict(
            "chrono_already_running",
            "Un chrono est déjà en cours sur ce parcours : arrêtez-le avant d'en démarrer un nouveau.",
        ));
    }
    let id = queries::insert_started(tx, user_id, course.id)?;
    let chrono = reload(tx, id)?;
    ctx.audit_entity("chrono", id);
    ctx.audit_details(json!({ "action": "start", "produit_id": course.id }));
    Ok(Response::created(&chrono.to_json()))
}

/// `gps_arrivee`: `"lat,lng"` or `{"lat": …, "lng": …}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum GpsInput {
    Text(String),
    Point { lat: f64, lng: f64 },
}

fn parse_gps(input: Option<GpsInput>) -> Result<Option<String>> {
    let invalid =
        || Error::invalid("gps_arrivee doit être « latitude,longitude » (ex. « 44.8203,6.7350 »).");
    let (lat, lng) = match input {
        None => return Ok(None),
        Some(GpsInput::Point { lat, lng }) => (lat, lng),
        Some(GpsInput::Text(s)) => {
            let (a, b) = s.split_once(',').ok_or_else(invalid)?;
            (
                a.trim().parse().map_err(|_| invalid())?,
                b.trim().parse().map_err(|_| invalid())?,
            )
        }
    };
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) {
        return Err(invalid());
    }
    Ok(Some(format!("{lat:.7},{lng:.7}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StopBody {
    #[serde(default)]
    chrono_id: Option<u64>,
    #[serde(default)]
    produit_id: Option<u64>,
    #[serde(default)]
    ajustement_sec: Option<i64>,
    #[serde(default)]
    gps_arrivee: Option<GpsInput>,
}

/// Spec 5.3 `POST /api/chrono/stop`: "Arrête et enregistre". Duration =
/// server time since the start + the popup's adjustment; the chrono then
/// awaits the athlete's validation.
fn update_chrono_stop(ctx: &mut Ctx) -> Result<Response> {
    let body: StopBody = ctx.json()?;
    let user_id = ctx.user_id()?;
    let gps = parse_gps(body.gps_arrivee)?;
    let ajustement = body.ajustement_sec.unwrap_or(0);
    // 1. Which chrono: the one named, or the running one on the course.
    let id = match (body.chrono_id, body.produit_id) {
        (Some(id), _) => id,
        (None, Some(produit_id)) => queries::running_chrono(ctx.conn()?, user_id, produit_id)?
            .ok_or_else(|| {
                Error::not_found("chrono_not_found", "Aucun chrono en cours sur ce parcours.")
            })?,
        (None, None) => {
            return Err(Error::invalid(
                "Indiquez chrono_id ou produit_id du chrono à arrêter.",
            ))
        }
    };
    let tx = ctx.tx()?;
    // 2. Only the athlete's own chrono (another's is "not found").
    let locked = queries::lock_chrono(tx, id)?
        .filter(|c| c.user_id == user_id)
        .ok_or_else(chrono_not_found)?;
    // 3. Only a running chrono stops.
    if locked.statut != "en_cours" {
        return Err(Error::conflict(
            "chrono_not_running",
            "Ce chrono n'est pas en cours : il a déjà été arrêté.",
        ));
    }
    let measured = locked.ecoule_secondes.unwrap_or(0).max(0);
    check_adjustment(measured, ajustement)?;
    queries::stop(tx, id, measured, ajustement, gps.as_deref())?;
    let chrono = reload(tx, id)?;
    ctx.audit_entity("chrono", id);
    ctx.audit_details(
        json!({ "action": "stop", "mesure_sec": measured, "ajustement_sec": ajustement }),
    );
    Ok(Response::ok(&chrono.to_json()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
    #[serde(default)]
    ajustement_sec: Option<i64>,
}

/// Spec 5.3 `PATCH /api/chrono/:id/valider`: "Valide un chrono en attente".
/// The athlete may still change the adjustment; the ranking follows.
fn update_chrono_validation(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let body: ValidateBody = if ctx.req.body.is_empty() {
        ValidateBody::default()
    } else {
        ctx.json()?
    };
    let user_id = ctx.user_id()?;
    let tx = ctx.tx()?;
    // 1. Only the athlete's own chrono.
    let locked = queries::lock_chrono(tx, id)?
        .filter(|c| c.user_id == user_id)
        .ok_or_else(chrono_not_found)?;
    // 2. Only a pending chrono.
    ensure_pending(locked.statut)?;
    // 3. The final time: measured + (new or kept) adjustment, positive.
    let measured = locked.duree_secondes.unwrap_or(0) - locked.ajustement_sec;
    let ajustement = body.ajustement_sec.unwrap_or(locked.ajustement_sec);
    check_adjustment(measured, ajustement)?;
    let duree = measured + ajustement;
    if duree < 1 {
        return Err(Error::invalid(
            "Un chrono doit durer au moins une seconde pour être validé.",
        ));
    }
    queries::validate(tx, id, duree, ajustement, user_id)?;
    classement::record_validation(tx, locked.produit_id, user_id, id, duree)?;
    let chrono = reload(tx, id)?;
    let rank = rank_json(tx, locked.produit_id, user_id)?;
    ctx.audit_entity("chrono", id);
    ctx.audit_details(
        json!({ "action": "valider", "duree_secondes": duree, "ajustement_sec": ajustement }),
    );
    let mut answer = chrono.to_json();
    answer["classement"] = rank;
    Ok(Response::ok(&answer))
}

/// 409 unless the chrono awaits validation.
fn ensure_pending(statut: &str) -> Result<()> {
    let message = match statut {
        "attente_validation" => return Ok(()),
        "en_cours" => "Ce chrono est encore en cours : arrêtez-le avant de le valider.",
        "valide" => "Ce chrono est déjà validé.",
        _ => "Ce chrono a été annulé.",
    };
    Err(Error::conflict("chrono_not_pending", message))
}

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
    #[serde(default)]
    duree: Option<String>,
    #[serde(default)]
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

/// Whether `s` is a real calendar date `YYYY-MM-DD` (from 1900 on).
fn is_calendar_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    if !s
        .bytes()
        .enumerate()
        .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1900 && (1..=days).contains(&d)
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
/// stored under `storage/preuves/`. The entry awaits validation like the
/// others (by the athlete, or by an admin_chrono who can see the proof).
fn create_chrono_manuel(ctx: &mut Ctx) -> Result<Response> {
    let user_id = ctx.user_id()?;
    let entry = read_manual_entry(ctx)?;
    // 1. A real date, not in the future.
    if !is_calendar_date(&entry.date_realisation) {
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
    let tx = ctx.tx()?;
    let id = queries::insert_finished(
        tx,
        &queries::NewFinished {
            user_id,
            produit_id: course.id,
            source: "manuel",
            duree_secondes: entry.duree_secondes,
            date_realisation: Some(&entry.date_realisation),
            preuve_url: preuve.as_ref().map(|(path, _)| path.as_str()),
            ..Default::default()
        },
    )?;
    let chrono = reload(tx, id)?;
    // Written last: a failure rolls the row back with it.
    if let Some((path, data)) = &preuve {
        upload::store(&ctx.config.storage_path, path, data)?;
    }
    ctx.audit_entity("chrono", id);
    ctx.audit_details(json!({
        "action": "manuel",
        "duree_secondes": entry.duree_secondes,
        "date_realisation": entry.date_realisation,
        "preuve": preuve.is_some(),
    }));
    Ok(Response::created(&chrono.to_json()))
}

fn gpx_error(e: gpx::GpxError, zones: &gpx::Zones) -> Error {
    match e {
        gpx::GpxError::Invalid(_) => Error::new(
            422,
            "gpx_invalid",
            "Ce fichier n'est pas une trace GPX lisible.",
        ),
        gpx::GpxError::NoTimestamps => Error::new(
            422,
            "gpx_no_timestamps",
            "La trace GPX ne contient aucun point horodaté : impossible de calculer un temps.",
        ),
        gpx::GpxError::NeverStarted => Error::new(
            422,
            "gpx_never_started",
            format!(
                "La trace ne passe jamais à moins de {:.0} m du départ du parcours.",
                zones.start_radius_m
            ),
        ),
        gpx::GpxError::NeverFinished => Error::new(
            422,
            "gpx_never_finished",
            format!(
                "La trace part bien du départ mais n'atteint jamais l'arrivée (à moins de {:.0} m du sommet).",
                zones.finish_radius_m
            ),
        ),
    }
}

/// `POST /api/chrono/gpx` (the `gpx` source of spec 4.4): multipart
/// `fichier` + `produit_id`. The effort is found between the course's start
/// and finish zones ([`gpx`]); the chrono then awaits the athlete's
/// validation, with the track kept as its proof.
fn create_chrono_gpx(ctx: &mut Ctx) -> Result<Response> {
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
        return Err(Error::new(
            422,
            "course_without_coordinates",
            "Ce parcours n'a pas de coordonnées de départ et d'arrivée : import GPX impossible.",
        ));
    };
    let zones = gpx::Zones {
        depart,
        start_radius_m: course
            .start_radius_m
            .filter(|r| *r > 0)
            .map_or(DEFAULT_START_RADIUS_M, |r| r as f64),
        sommet,
        finish_radius_m: course
            .rayon_km
            .filter(|r| *r > 0.0)
            .unwrap_or(DEFAULT_FINISH_RADIUS_KM)
            * 1000.0,
    };
    // 3. The effort in the track.
    let track = gpx::parse(&file.data).map_err(|e| gpx_error(e, &zones))?;
    let effort = gpx::analyse(&track.points, &zones).map_err(|e| gpx_error(e, &zones))?;
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
        return Err(Error::conflict(
            "gpx_already_imported",
            "Cette trace a déjà été importée pour ce parcours.",
        ));
    }
    let meta = json!({
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
    });
    let gps = format!("{:.7},{:.7}", effort.finish.lat, effort.finish.lng);
    let proof = upload::new_relative_path("gpx");
    let tx = ctx.tx()?;
    let id = queries::insert_finished(
        tx,
        &queries::NewFinished {
            user_id,
            produit_id: course.id,
            source: "gpx",
            duree_secondes: duree,
            epoch_debut: Some(effort.start.t),
            epoch_fin: Some(effort.finish.t),
            preuve_url: Some(&proof),
            gps_arrivee: Some(&gps),
            gpx_meta: Some(meta.to_string()),
            ..Default::default()
        },
    )?;
    let chrono = reload(tx, id)?;
    upload::store(&ctx.config.storage_path, &proof, &file.data)?;
    ctx.audit_entity("chrono", id);
    ctx.audit_details(json!({ "action": "gpx", "duree_secondes": duree, "gpx": meta }));
    Ok(Response::created(&chrono.to_json()))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Statuses a list can be filtered on.
const STATUTS: &[&str] = &["en_cours", "attente_validation", "valide", "annule"];

/// Spec 5.3 `GET /api/chrono/history`: "Historique personnel" — every
/// chrono of the athlete, newest first (`?statut=` to filter).
fn list_chrono_history(ctx: &mut Ctx) -> Result<Response> {
    let user_id = ctx.user_id()?;
    let (page, per_page) = pagination(ctx)?;
    let statut = match ctx.req.query_param("statut") {
        None => None,
        Some(s) => Some(*STATUTS.iter().find(|k| **k == s).ok_or_else(|| {
            Error::invalid("statut doit valoir en_cours, attente_validation, valide ou annule.")
        })?),
    };
    let (items, total) = queries::history(ctx.conn()?, user_id, statut, page, per_page)?;
    Ok(Response::ok(&page_json(&items, total, page, per_page)))
}

/// Spec 5.3 `GET /api/chrono/:produit_id/mes`: "Mes chronos validés sur un
/// parcours", best first, with the athlete's rank.
fn list_mes_chronos(ctx: &mut Ctx) -> Result<Response> {
    let produit_id = ctx.id("produit_id")?;
    let user_id = ctx.user_id()?;
    let (page, per_page) = pagination(ctx)?;
    let conn = ctx.conn()?;
    let course = queries::find_course(conn, produit_id)?.ok_or_else(course_not_found)?;
    let (items, total) = queries::validated_on_course(conn, user_id, produit_id, page, per_page)?;
    let mut answer = page_json(&items, total, page, per_page);
    answer["produit_id"] = json!(course.id);
    answer["parcours_nom"] = json!(course.nom);
    answer["classement"] = rank_json(conn, produit_id, user_id)?;
    Ok(Response::ok(&answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_dates() {
        assert!(is_calendar_date("2024-07-14"));
        assert!(is_calendar_date("2024-02-29"));
        assert!(!is_calendar_date("2023-02-29"));
        assert!(!is_calendar_date("2024-13-01"));
        assert!(!is_calendar_date("2024-7-14"));
        assert!(!is_calendar_date("14/07/2024"));
        assert!(!is_calendar_date("2024-07-1x"));
        assert!(!is_calendar_date("1899-12-31"));
    }

    #[test]
    fn durations_and_adjustments() {
        assert_eq!(manual_duration(Some("01:23:45"), None).unwrap(), 5025);
        assert_eq!(manual_duration(None, Some(5025)).unwrap(), 5025);
        assert_eq!(manual_duration(Some("01:23:45"), Some(5025)).unwrap(), 5025);
        assert!(manual_duration(Some("01:23:45"), Some(1)).is_err());
        assert!(manual_duration(Some("1h23"), None).is_err());
        assert!(manual_duration(None, Some(0)).is_err());
        assert!(manual_duration(None, None).is_err());
        assert!(check_adjustment(100, -99).is_ok());
        assert!(check_adjustment(100, -100).is_err());
        assert!(check_adjustment(100, 100).is_err());
        assert!(check_adjustment(0, 0).is_ok());
    }

    #[test]
    fn gps_inputs() {
        assert_eq!(
            parse_gps(Some(GpsInput::Text(" 44.8203, 6.735 ".into()))).unwrap(),
            Some("44.8203000,6.7350000".into())
        );
        assert!(parse_gps(Some(GpsInput::Point {
            lat: 95.0,
            lng: 0.0
        }))
        .is_err());
        assert!(parse_gps(Some(GpsInput::Text("nowhere".into()))).is_err());
        assert_eq!(parse_gps(None).unwrap(), None);
    }
}
