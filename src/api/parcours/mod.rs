//! Spec §5.2 — `/api/parcours` (courses with their GPS `tracking_config`,
//! §4.2, §4.3, §6, back-office form §11.4) and §10.1 — course export to
//! webhooks, with `/api/admin/export-destinations`.
//!
//! Every answer that carries a course carries its `tracking_config` with the
//! 7 fields of §4.3, never null: a course whose row is missing (created by
//! hand in SQL, say) is answered with the defaults and the row is created on
//! the spot. Coordinates and other DECIMAL columns are JSON numbers.
//!
//! Decisions:
//! - An inactive course stays readable by id and by slug (200 with
//!   `actif: false` and `message_desactivation`), because the QR page must
//!   show that message; it is left out of the public list and of `nearby`.
//! - `code` (3 letters, order numbers `MKO-<year>-<code>-<seq>`) may be
//!   given on creation; otherwise it is derived from the name (first three
//!   letters without accents, then other words' first letters if taken; see
//!   [`model::derive_code`]). `slug` is derived from the name when absent.
//! - `qr_url` is `{APP_URL}/qr?p=<slug>`, rewritten on every create/update.
//! - `nearby` answers each course's distance from the given point as
//!   `distance_depart_km`, since `distance_km` is already the course length.

mod destinations;
mod export;
mod model;
mod queries;
mod seed;
mod tracking;

pub use model::Categorie;
pub use seed::{seed_demo, slugs};
pub use tracking::TrackingConfig;

use crate::api::admin_limit;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::Page;
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::security::roles;
use model::{qr_url, Course, CourseInput, StoredCourse};
use serde_json::{json, Value};

/// Routes of this module. The slug route comes before `{id}/qr`: for
/// `/api/parcours/slug/qr` both match with as many literals, and the first
/// one wins, so a course named `qr` stays reachable by its slug.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/parcours",
        Access::Public,
        list_parcours,
        "Liste des parcours actifs (tous avec ?tous=1 pour admin+)",
    ),
    route(
        Method::Post,
        "/api/parcours",
        Access::Roles(roles::ADMIN_PLUS),
        create_parcours,
        "Créer un parcours + sa segment_tracking_config",
    ),
    route(
        Method::Get,
        "/api/parcours/nearby",
        Access::Public,
        list_nearby_parcours,
        "Parcours actifs proches d'un point, du plus proche au plus loin",
    ),
    route(
        Method::Get,
        "/api/parcours/slug/{slug}",
        Access::Public,
        show_parcours_by_slug,
        "Parcours par slug (page QR mobile), tracking_config inclus",
    ),
    route(
        Method::Get,
        "/api/parcours/{id}",
        Access::Public,
        show_parcours,
        "Détail d'un parcours, tracking_config imbriqué (jamais null)",
    ),
    route(
        Method::Patch,
        "/api/parcours/{id}",
        Access::Roles(roles::ADMIN_PLUS),
        update_parcours,
        "Modifier un parcours et, si fourni, sa tracking_config",
    ),
    route(
        Method::Delete,
        "/api/parcours/{id}",
        Access::Roles(roles::SUPER_ADMIN),
        delete_parcours,
        "Supprimer un parcours (refusé s'il a des commandes ou des chronos)",
    ),
    route(
        Method::Get,
        "/api/parcours/{id}/qr",
        Access::Roles(roles::ADMIN_PLUS),
        show_parcours_qr,
        "URL du QR code du parcours, ou le QR code lui-même (?format=svg|png)",
    ),
    route(
        Method::Post,
        "/api/parcours/{id}/export",
        Access::Roles(roles::ADMIN_PLUS),
        export::create_export,
        "Exporter le parcours vers les webhooks configurés",
    ),
    admin_limit(route(
        Method::Get,
        "/api/admin/export-destinations",
        Access::Roles(roles::SUPER_ADMIN),
        destinations::list_export_destinations,
        "Destinations d'export (webhooks)",
    )),
    admin_limit(route(
        Method::Post,
        "/api/admin/export-destinations",
        Access::Roles(roles::SUPER_ADMIN),
        destinations::create_export_destination,
        "Créer une destination d'export",
    )),
    admin_limit(route(
        Method::Get,
        "/api/admin/export-destinations/{id}",
        Access::Roles(roles::SUPER_ADMIN),
        destinations::show_export_destination,
        "Détail d'une destination d'export et ses derniers envois",
    )),
    admin_limit(route(
        Method::Patch,
        "/api/admin/export-destinations/{id}",
        Access::Roles(roles::SUPER_ADMIN),
        destinations::update_export_destination,
        "Modifier une destination d'export",
    )),
    admin_limit(route(
        Method::Delete,
        "/api/admin/export-destinations/{id}",
        Access::Roles(roles::SUPER_ADMIN),
        destinations::delete_export_destination,
        "Supprimer une destination d'export",
    )),
];

/// Default and largest `nearby` radius (km).
const NEARBY_RADIUS_KM: (f64, f64) = (10.0, 200.0);

fn course_not_found() -> Error {
    catalog::COURSE_NOT_FOUND.err()
}

/// A numeric query parameter with a default; 422 when it is not a number in
/// `min..=max`.
fn query_number<T>(ctx: &Ctx, key: &str, default: Option<T>, min: T, max: T) -> Result<T>
where
    T: std::str::FromStr + PartialOrd + Copy + std::fmt::Display,
{
    let out_of_range = || {
        Error::invalid(format!(
            "Le paramètre {key} doit être un nombre entre {min} et {max}."
        ))
    };
    let value = match ctx.req.query_param(key) {
        Some(raw) => raw.trim().parse::<T>().map_err(|_| out_of_range())?,
        None => {
            default.ok_or_else(|| Error::invalid(format!("Le paramètre {key} est obligatoire.")))?
        }
    };
    if value >= min && value <= max {
        Ok(value)
    } else {
        Err(out_of_range())
    }
}

/// Creates the missing tracking rows of the courses about to be answered
/// (they are answered with the defaults, which is what the rows get).
fn repair_tracking(ctx: &mut Ctx, courses: &[&StoredCourse]) -> Result<()> {
    let missing: Vec<u64> = courses
        .iter()
        .filter(|c| c.tracking.is_none())
        .map(|c| c.id)
        .collect();
    if !missing.is_empty() {
        queries::ensure_tracking(ctx.conn()?, &missing)?;
    }
    Ok(())
}

/// Spec 5.2 `GET /api/parcours`: "Liste des parcours actifs" (public).
///
/// Paginated (`page`, `per_page` ≤ 200), by name, optional `categorie`.
/// `tous=1` also lists inactive courses, for admin+ only (ignored for
/// anyone else, since the route is public).
fn list_parcours(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let categorie = ctx.req.query_param("categorie");
    if let Some(c) = &categorie {
        if Categorie::parse(c).is_none() {
            return Err(Error::invalid(
                "categorie doit valoir cyclisme, trail ou rando.",
            ));
        }
    }
    let is_admin = ctx.user.as_ref().is_some_and(|c| c.role.is_admin());
    let tous = is_admin
        && ctx
            .req
            .query_param("tous")
            .is_some_and(|v| v == "1" || v == "true");
    let listed = queries::list_courses(ctx.conn()?, tous, categorie.as_deref(), &page)?;
    repair_tracking(ctx, &listed.items.iter().collect::<Vec<_>>())?;
    Ok(Response::ok(
        &page.answer(&listed.map_ref(StoredCourse::view)),
    ))
}

/// A course of the nearby search, with its distance.
#[derive(serde::Serialize)]
struct NearbyCourse<'a> {
    #[serde(flatten)]
    course: model::CourseView<'a>,
    distance_depart_km: f64,
}

/// Spec 5.2 `GET /api/parcours/nearby`: "`?lat=&lng=&radius_km=` — avec
/// `tracking_config`" (public).
///
/// Active courses whose start lies within `radius_km` (default 10, at most
/// 200) of the point, nearest first, at most `limit` (default 50, ≤ 200);
/// each with `distance_depart_km` (great-circle, rounded to 0.01 km).
fn list_nearby_parcours(ctx: &mut Ctx) -> Result<Response> {
    let lat: f64 = query_number(ctx, "lat", None, -90.0, 90.0)?;
    let lng: f64 = query_number(ctx, "lng", None, -180.0, 180.0)?;
    let (default_radius, max_radius) = NEARBY_RADIUS_KM;
    let radius: f64 = query_number(ctx, "radius_km", Some(default_radius), 0.01, max_radius)?;
    let limit: u64 = query_number(ctx, "limit", Some(50), 1, 200)?;
    let found = queries::nearby_courses(ctx.conn()?, lat, lng, radius, limit)?;
    repair_tracking(ctx, &found.iter().map(|(c, _)| c).collect::<Vec<_>>())?;
    let items: Vec<NearbyCourse> = found
        .iter()
        .map(|(c, d)| NearbyCourse {
            course: c.view(),
            distance_depart_km: (d * 100.0).round() / 100.0,
        })
        .collect();
    Ok(Response::ok(&json!({
        "lat": lat,
        "lng": lng,
        "radius_km": radius,
        "total": items.len(),
        "items": items,
    })))
}

/// Answers one course, repairing its tracking row if needed.
fn answer_course(ctx: &mut Ctx, course: Option<StoredCourse>) -> Result<Response> {
    let course = course.ok_or_else(course_not_found)?;
    repair_tracking(ctx, &[&course])?;
    Ok(Response::ok(&course.view()))
}

/// Spec 5.2 `GET /api/parcours/:id`: "Détail + `tracking_config` imbriqué
/// (JAMAIS null)" (public; inactive courses included, see module doc).
fn show_parcours(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let course = queries::find_course(ctx.conn()?, id, false)?;
    answer_course(ctx, course)
}

/// Spec 5.2 `GET /api/parcours/slug/:slug`: "Accès par slug (page QR
/// mobile)". An inactive course is 200 with `actif: false` and its
/// `message_desactivation`, which the QR page shows.
fn show_parcours_by_slug(ctx: &mut Ctx) -> Result<Response> {
    let slug = ctx.param("slug").to_string();
    let course = queries::find_course_by_slug(ctx.conn()?, &slug)?;
    answer_course(ctx, course)
}

/// Spec 5.2 `POST /api/parcours`: "Créer parcours + `segment_tracking_config`
/// (valeurs DEFAULT)" (admin+).
///
/// Body: the course fields (`nom` and `categorie` required; `slug` and
/// `code` derived from the name when absent) and an optional partial
/// `tracking_config`. Both rows are written in one transaction.
fn create_parcours(ctx: &mut Ctx) -> Result<Response> {
    // 1. Read and validate everything before touching the database.
    let input: CourseInput = ctx.json()?;
    let nom = input
        .nom
        .clone()
        .ok_or_else(|| Error::invalid("Le nom du parcours est obligatoire."))?;
    let categorie = input.categorie.ok_or_else(|| {
        Error::invalid("La catégorie est obligatoire (cyclisme, trail ou rando).")
    })?;
    let mut course = Course::new(&nom, categorie);
    input.apply_to(&mut course);
    course.validate()?;
    let tracking = match &input.tracking_config {
        Some(Some(t)) => {
            let mut config = TrackingConfig::DEFAULT;
            config.apply(t)?;
            config.check_coherence()?;
            Some(config)
        }
        _ => None,
    };
    let url = qr_url(&ctx.config.app_url, &course.slug);
    // 2. Creations take turns (named lock), so concurrent ones never derive
    //    the same code nor deadlock on the unique keys; both rows are written
    //    in one transaction. The lock is released once the transaction is
    //    committed, or right away on failure (the rollback follows at once).
    queries::lock_creations(ctx.conn()?)?;
    let result = insert_course_rows(ctx.tx()?, &mut course, &url, tracking.as_ref());
    let id = match result {
        Ok(id) => {
            ctx.after_commit(|_, conn| queries::unlock_creations(conn));
            id
        }
        Err(e) => {
            // If the connection is broken, the server dropped the lock with it.
            if let Ok(conn) = ctx.conn() {
                let _ = queries::unlock_creations(conn);
            }
            return Err(e);
        }
    };
    if let Some(atelier) = input.atelier_defaut_id {
        crate::api::dispatch::set_course_atelier(ctx.tx()?, id, atelier)?;
    }
    let stored = queries::find_course(ctx.tx()?, id, false)?.ok_or_else(course_not_found)?;
    ctx.audit_entity("parcours", id);
    ctx.audit_details(json!({ "slug": course.slug, "code": course.code, "nom": course.nom }));
    Ok(Response::created(&stored.view()))
}

/// Writes a new course (deriving its code if it has none) and its tracking
/// row, inside the creation lock.
fn insert_course_rows(
    tx: &mut mysql::Conn,
    course: &mut Course,
    url: &str,
    tracking: Option<&TrackingConfig>,
) -> Result<u64> {
    if course.code.is_empty() {
        course.code =
            model::derive_code(&course.nom, &queries::used_codes(tx)?).ok_or_else(|| {
                catalog::CODE_TAKEN.msg("Aucun code parcours libre : indiquez-en un.")
            })?;
    }
    let id = queries::insert_course(tx, course, url)?;
    match tracking {
        Some(t) => queries::upsert_tracking(tx, id, t)?,
        None => queries::ensure_tracking(tx, &[id])?,
    }
    Ok(id)
}

/// Names of the top-level fields whose value differs between two course
/// answers, for the audit log.
fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    let skip = ["updated_at"];
    after
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| !skip.contains(&k.as_str()) && before.get(k.as_str()) != Some(v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Spec 5.2 `PATCH /api/parcours/:id`: "Mise à jour parcours ET
/// `tracking_config` si fourni" (admin+).
///
/// Absent fields are kept, `null` clears an optional field, and
/// `"tracking_config": null` resets the GPS settings to the defaults (the
/// form's "Réinitialiser aux valeurs par défaut").
fn update_parcours(ctx: &mut Ctx) -> Result<Response> {
    // 1. The body, then the current course, locked.
    let id = ctx.id("id")?;
    let input: CourseInput = ctx.json()?;
    let app_url = ctx.config.app_url.clone();
    let tx = ctx.tx()?;
    let current = queries::find_course(tx, id, true)?.ok_or_else(course_not_found)?;
    // 2. Merge and validate the course and its tracking values.
    let mut course = current.fields.clone();
    input.apply_to(&mut course);
    course.validate()?;
    if course.code.is_empty() {
        return Err(Error::invalid(
            "Le code parcours doit faire exactement 3 lettres majuscules (A-Z), ex. IZO.",
        ));
    }
    let tracking = match &input.tracking_config {
        None => None,
        Some(None) => Some(TrackingConfig::DEFAULT),
        Some(Some(t)) => {
            let mut config = current.tracking_config();
            config.apply(t)?;
            Some(config)
        }
    };
    if let Some(t) = &tracking {
        t.check_coherence()?;
    }
    // 3. Write both (the tracking row is also repaired if it was missing).
    queries::update_course(tx, id, &course, &qr_url(&app_url, &course.slug))?;
    if let Some(atelier) = input.atelier_defaut_id {
        crate::api::dispatch::set_course_atelier(tx, id, atelier)?;
    }
    match (&tracking, current.tracking) {
        (Some(t), _) => queries::upsert_tracking(tx, id, t)?,
        (None, None) => queries::ensure_tracking(tx, &[id])?,
        (None, Some(_)) => {}
    }
    let stored = queries::find_course(tx, id, false)?.ok_or_else(course_not_found)?;
    let after = stored.to_json();
    ctx.audit_entity("parcours", id);
    ctx.audit_details(json!({ "champs": changed_fields(&current.to_json(), &after) }));
    Ok(Response::ok(&after))
}

/// Spec 5.2 `DELETE /api/parcours/:id`: "Bloqué si commandes liées"
/// (`super_admin`). Chronos block it too: they are athletes' results. The
/// answer tells to deactivate the course instead.
fn delete_parcours(ctx: &mut Ctx) -> Result<Response> {
    // 1. Lock the course, then count what references it.
    let id = ctx.id("id")?;
    let tx = ctx.tx()?;
    let course = queries::find_course(tx, id, true)?.ok_or_else(course_not_found)?;
    let (orders, chronos) = queries::references(tx, id)?;
    if orders > 0 {
        return Err(catalog::COURSE_HAS_ORDERS.msg(format!(
            "Impossible de supprimer ce parcours : {orders} commande(s) y sont liées. \
                 Désactivez-le plutôt."
        )));
    }
    if chronos > 0 {
        return Err(catalog::COURSE_HAS_CHRONOS.msg(format!(
            "Impossible de supprimer ce parcours : {chronos} chrono(s) y sont liés. \
                 Désactivez-le plutôt."
        )));
    }
    // 2. Delete; the tracking row, stocks and logs follow by cascade.
    queries::delete_course(tx, id)?;
    ctx.audit_entity("parcours", id);
    ctx.audit_details(json!({ "slug": course.fields.slug, "code": course.fields.code }));
    Ok(Response::no_content())
}

/// Spec 5.2 `GET /api/parcours/:id/qr`: "Générer l'URL QR" (admin+).
/// The URL is `{APP_URL}/qr?p=<slug>`; it is stored in `qr_url` if the
/// stored one differs (older rows, changed `APP_URL`).
fn show_parcours_qr(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let url = {
        let app_url = ctx.config.app_url.clone();
        let conn = ctx.conn()?;
        let course = queries::find_course(conn, id, false)?.ok_or_else(course_not_found)?;
        let url = qr_url(&app_url, &course.fields.slug);
        if course.qr_url.as_deref() != Some(url.as_str()) {
            queries::set_qr_url(conn, id, &url)?;
        }
        (course.fields.slug, url)
    };
    // Issue 10 item 7: the code itself for the start-line sign.
    match ctx.req.query_param("format").as_deref() {
        None | Some("json") => Ok(Response::ok(
            &json!({ "id": id, "slug": url.0, "qr_url": url.1 }),
        )),
        Some("svg") => Ok(Response::file(
            "image/svg+xml",
            &format!("qr-{}.svg", url.0),
            crate::qr::svg(&url.1)?.into_bytes(),
        )),
        Some("png") => Ok(Response::file(
            "image/png",
            &format!("qr-{}.png", url.0),
            crate::qr::png(&url.1)?,
        )),
        Some(_) => Err(crate::error::Error::invalid(
            "Le paramètre format doit valoir json, svg ou png.",
        )),
    }
}
