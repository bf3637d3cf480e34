//! Spec §5.3 — `/api/chrono/*`: the athlete's chronos (QR start/stop with
//! server-side times, manual entry with an optional proof, GPX upload),
//! their validation, the `admin_chrono` queue (`/api/admin/chronos/*`) and the
//! rankings (`/api/parcours/{id}/classement`, [`classement`]).
//!
//! Life of a chrono (`chronos.statut`): `en_cours` (QR only, one per athlete
//! and course) → `attente_validation` (stopped, entered by hand, or found in
//! a GPX track) → `valide` (by the athlete for a QR chrono; only by an
//! `admin_chrono` or the super admin for a manual entry or a GPX track, which
//! the athlete sees as "en attente de vérification") or
//! `annule` (rejected by an `admin_chrono`, with a reason; a validated chrono
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
mod entries;
pub mod gpx;
mod queries;
pub(crate) mod upload;

pub use classement::rank_of;
pub use demo::seed_demo;

use crate::api::admin_limit;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::{Answer, Page};
use crate::http::router::{route, Access, Route, UPLOAD_BODY_LIMIT};
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
    )
    .limit(10, 60),
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
        Method::Delete,
        "/api/chrono/{id}",
        Access::Roles(roles::SPORTIF),
        delete_chrono,
        "Supprime un chrono en attente de validation",
    ),
    route(
        Method::Post,
        "/api/chrono/manuel",
        Access::Roles(roles::SPORTIF),
        entries::create_chrono_manuel,
        "Saisie manuelle (durée, date, preuve facultative)",
    )
    .body_limit(UPLOAD_BODY_LIMIT),
    route(
        Method::Post,
        "/api/chrono/gpx",
        Access::Roles(roles::SPORTIF),
        entries::create_chrono_gpx,
        "Chrono calculé depuis une trace GPX",
    )
    .body_limit(UPLOAD_BODY_LIMIT),
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
    admin_limit(route(
        Method::Get,
        "/api/admin/chronos/en-attente",
        Access::Roles(roles::CHRONO_VALIDATORS),
        admin::list_pending_chronos,
        "Chronos en attente de validation",
    )),
    admin_limit(route(
        Method::Patch,
        "/api/admin/chronos/{id}",
        Access::Roles(roles::CHRONO_VALIDATORS),
        admin::update_chrono_decision,
        "Valide ou rejette un chrono",
    )),
    admin_limit(route(
        Method::Get,
        "/api/admin/chronos/{id}/preuve",
        Access::Roles(roles::CHRONO_VALIDATORS),
        admin::show_chrono_preuve,
        "Télécharge la preuve jointe à un chrono",
    )),
];

/// Longest accepted duration: 99:59:59.
const MAX_DUREE_SECS: i64 = 100 * 3600 - 1;
/// Start-zone radius when a course has no tracking config (spec 4.3 default).
const DEFAULT_START_RADIUS_M: f64 = 300.0;
/// Finish-zone radius when a course has no `rayon_km` (spec 4.2 default).
const DEFAULT_FINISH_RADIUS_KM: f64 = 1.0;

fn course_not_found() -> Error {
    catalog::PARCOURS_NOT_FOUND.err()
}

fn chrono_not_found() -> Error {
    catalog::CHRONO_NOT_FOUND.err()
}

/// Locks chrono `id` for its athlete `user_id`; another athlete's chrono is
/// "not found", as one that does not exist.
fn lock_own_chrono(tx: &mut mysql::Conn, id: u64, user_id: u64) -> Result<queries::Locked> {
    queries::lock_chrono(tx, id)?
        .filter(|c| c.user_id == user_id)
        .ok_or_else(chrono_not_found)
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
        return Err(catalog::PARCOURS_INACTIVE.msg(message));
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
        return Err(catalog::CHRONO_ALREADY_RUNNING.err());
    }
    let id = queries::insert_started(tx, user_id, course.id)?;
    let chrono = reload(tx, id)?;
    ctx.audit_entity("chrono", id);
    ctx.audit_details(json!({ "action": "start", "produit_id": course.id }));
    Ok(Response::created(&chrono.view()))
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
    chrono_id: Option<u64>,
    produit_id: Option<u64>,
    ajustement_sec: Option<i64>,
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
                catalog::CHRONO_NOT_FOUND.msg("Aucun chrono en cours sur ce parcours.")
            })?,
        (None, None) => {
            return Err(Error::invalid(
                "Indiquez chrono_id ou produit_id du chrono à arrêter.",
            ))
        }
    };
    let tx = ctx.tx()?;
    // 2. Only the athlete's own chrono (another's is "not found").
    let locked = lock_own_chrono(tx, id, user_id)?;
    // 3. Only a running chrono stops.
    if locked.statut != "en_cours" {
        return Err(catalog::CHRONO_NOT_RUNNING.err());
    }
    let measured = locked.ecoule_secondes.unwrap_or(0).max(0);
    check_adjustment(measured, ajustement)?;
    queries::stop(tx, id, measured, ajustement, gps.as_deref())?;
    let chrono = reload(tx, id)?;
    ctx.audit_entity("chrono", id);
    ctx.audit_details(
        json!({ "action": "stop", "mesure_sec": measured, "ajustement_sec": ajustement }),
    );
    Ok(Response::ok(&chrono.view()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
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
    let locked = lock_own_chrono(tx, id, user_id)?;
    // 2. Only a pending chrono the athlete may validate itself: a manual
    //    entry or a GPX track waits for admin_chrono (spec 10.5).
    ensure_pending(locked.statut)?;
    if locked.moderated {
        return Err(catalog::CHRONO_AWAITS_VERIFICATION.err());
    }
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

/// Wireframe 11.1, "chronos en attente : valider, supprimer": the athlete
/// deletes their own chrono while it waits for validation (a mistaken entry,
/// a test run); a validated, refused or ordered chrono stays. A proof file
/// left behind is swept by the hourly cron.
fn delete_chrono(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let user_id = ctx.user_id()?;
    let tx = ctx.tx()?;
    // 1. Only the athlete's own chrono, still pending.
    let locked = lock_own_chrono(tx, id, user_id)?;
    ensure_pending(locked.statut)?;
    // 2. Never one an order names.
    if queries::is_on_order(tx, id)? {
        return Err(catalog::CHRONO_NOT_PENDING
            .msg("Ce chrono est rattaché à une commande : il ne peut pas être supprimé."));
    }
    queries::delete(tx, id)?;
    ctx.audit_entity("chrono", id);
    Ok(Response::no_content())
}

/// 409 unless the chrono awaits validation.
fn ensure_pending(statut: &str) -> Result<()> {
    let message = match statut {
        "attente_validation" => return Ok(()),
        "en_cours" => "Ce chrono est encore en cours : arrêtez-le avant de le valider.",
        "valide" => "Ce chrono est déjà validé.",
        _ => "Ce chrono a été annulé.",
    };
    Err(catalog::CHRONO_NOT_PENDING.msg(message))
}

/// Spec 5.3 `GET /api/chrono/history`: "Historique personnel" — every
/// chrono of the athlete, newest first (`?statut=` to filter).
fn list_chrono_history(ctx: &mut Ctx) -> Result<Response> {
    let user_id = ctx.user_id()?;
    let page = Page::from_query(ctx.req)?;
    let statut = match ctx.req.query_param("statut") {
        None => None,
        Some(s) => Some(*queries::STATUTS.iter().find(|k| **k == s).ok_or_else(|| {
            Error::invalid("statut doit valoir en_cours, attente_validation, valide ou annule.")
        })?),
    };
    let listed = queries::history(ctx.conn()?, user_id, statut, &page)?;
    Ok(Response::ok(&page.answer(&listed.map_ref(ChronoRow::view))))
}

/// The answer of `GET /api/chrono/:produit_id/mes`: the page, its course and
/// the athlete's rank.
#[derive(serde::Serialize)]
struct MesChronos<'a, T> {
    #[serde(flatten)]
    page: Answer<'a, T>,
    produit_id: u64,
    parcours_nom: &'a str,
    classement: Value,
}

/// Spec 5.3 `GET /api/chrono/:produit_id/mes`: "Mes chronos validés sur un
/// parcours", best first, with the athlete's rank.
fn list_mes_chronos(ctx: &mut Ctx) -> Result<Response> {
    let produit_id = ctx.id("produit_id")?;
    let user_id = ctx.user_id()?;
    let page = Page::from_query(ctx.req)?;
    let conn = ctx.conn()?;
    let course = queries::find_course(conn, produit_id)?.ok_or_else(course_not_found)?;
    let listed = queries::validated_on_course(conn, user_id, produit_id, &page)?;
    let chronos = listed.map_ref(ChronoRow::view);
    Ok(Response::ok(&MesChronos {
        page: page.answer(&chronos),
        produit_id: course.id,
        parcours_nom: &course.nom,
        classement: rank_json(conn, produit_id, user_id)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustments_stay_smaller_than_the_measured_time() {
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
