//! SQL of the parcours module: courses with their tracking row, the nearby
//! search, export destinations and export logs.

use super::model::{Categorie, Course, StoredCourse};
use super::tracking::TrackingConfig;
use crate::db::rows::{self, col, FromRow};
use crate::error::catalog;
use crate::error::{Error, Result, ResultExt};
use crate::http::list::{ListQuery, Listed, Page, Where};
use mysql::prelude::Queryable;
use mysql::{params, Conn, Row};
use serde::Serialize;
use std::collections::HashSet;

/// A course and its tracking row (LEFT JOIN: a missing row reads as NULLs).
const COURSE_COLUMNS: &str = r"p.id, p.slug, p.code, p.nom, p.categorie, p.altitude,
        p.distance_km, p.denivele, p.difficulte, p.sous_titre, p.description, p.actif,
        p.message_desactivation, p.sommet_lat, p.sommet_lng, p.depart_lat, p.depart_lng,
        p.rayon_km, p.strava_keywords, p.shop_synced, p.presta_product_id, p.atelier_defaut_id, p.lien_boutique,
        p.qr_url,
        DATE_FORMAT(p.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at,
        DATE_FORMAT(p.updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at,
        c.id AS tracking_id, c.wake_distance_m, c.high_accuracy_start_distance_m,
        c.pulse_high_accuracy_duration_s, c.pulse_low_accuracy_duration_s,
        c.finish_high_accuracy_distance_m, c.cooldown_distance_m, c.cooldown_time_s";

/// The course's GPS tuning, shown with it.
const COURSE_JOIN: &str = "LEFT JOIN segment_tracking_config c ON c.produit_id = p.id";

/// Great-circle distance (km, mean Earth radius 6371 km) from the bound
/// point (:lat, :lng) to the course's start, by the haversine formula.
/// LEAST guards ASIN against rounding just above 1 for antipodal points.
const HAVERSINE_KM: &str = r"(2 * 6371.0 * ASIN(LEAST(1, SQRT(
        POW(SIN(RADIANS(p.depart_lat - :lat) / 2), 2)
        + COS(RADIANS(:lat)) * COS(RADIANS(p.depart_lat))
          * POW(SIN(RADIANS(p.depart_lng - :lng) / 2), 2)))))";

/// The columns of [`COURSE_COLUMNS`], typed. The tracking columns come
/// from a LEFT JOIN: all NULL when the course has no tracking row.
#[derive(FromRow)]
struct CourseColumns {
    id: u64,
    slug: String,
    code: String,
    nom: String,
    categorie: String,
    altitude: Option<i32>,
    distance_km: Option<f64>,
    denivele: Option<i32>,
    difficulte: Option<String>,
    sous_titre: Option<String>,
    description: Option<String>,
    actif: Option<bool>,
    message_desactivation: Option<String>,
    sommet_lat: Option<f64>,
    sommet_lng: Option<f64>,
    depart_lat: Option<f64>,
    depart_lng: Option<f64>,
    rayon_km: Option<f64>,
    strava_keywords: Option<String>,
    shop_synced: Option<bool>,
    presta_product_id: Option<u64>,
    atelier_defaut_id: Option<u64>,
    lien_boutique: Option<String>,
    qr_url: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    tracking_id: Option<u64>,
    wake_distance_m: Option<i32>,
    high_accuracy_start_distance_m: Option<i32>,
    pulse_high_accuracy_duration_s: Option<i32>,
    pulse_low_accuracy_duration_s: Option<i32>,
    finish_high_accuracy_distance_m: Option<i32>,
    cooldown_distance_m: Option<i32>,
    cooldown_time_s: Option<i32>,
}

impl CourseColumns {
    /// The tracking row, when the course has one; a NULL in a row that
    /// exists is our bug (the columns are NOT NULL): a 500.
    fn tracking(&self) -> Result<Option<TrackingConfig>> {
        if self.tracking_id.is_none() {
            return Ok(None);
        }
        let need = |v: Option<i32>, name: &str| {
            v.ok_or_else(|| Error::internal(format!("segment_tracking_config.{name} is NULL")))
        };
        Ok(Some(TrackingConfig {
            wake_distance_m: need(self.wake_distance_m, "wake_distance_m")?,
            high_accuracy_start_distance_m: need(
                self.high_accuracy_start_distance_m,
                "high_accuracy_start_distance_m",
            )?,
            pulse_high_accuracy_duration_s: need(
                self.pulse_high_accuracy_duration_s,
                "pulse_high_accuracy_duration_s",
            )?,
            pulse_low_accuracy_duration_s: need(
                self.pulse_low_accuracy_duration_s,
                "pulse_low_accuracy_duration_s",
            )?,
            finish_high_accuracy_distance_m: need(
                self.finish_high_accuracy_distance_m,
                "finish_high_accuracy_distance_m",
            )?,
            cooldown_distance_m: need(self.cooldown_distance_m, "cooldown_distance_m")?,
            cooldown_time_s: need(self.cooldown_time_s, "cooldown_time_s")?,
        }))
    }

    fn into_course(self) -> Result<StoredCourse> {
        let tracking = self.tracking()?;
        let categorie = Categorie::parse(&self.categorie)
            .ok_or_else(|| Error::internal(format!("unknown categorie {}", self.categorie)))?;
        Ok(StoredCourse {
            id: self.id,
            fields: Course {
                slug: self.slug,
                code: self.code,
                nom: self.nom,
                categorie,
                altitude: self.altitude,
                distance_km: self.distance_km,
                denivele: self.denivele,
                difficulte: self.difficulte,
                sous_titre: self.sous_titre,
                description: self.description,
                actif: self.actif.unwrap_or(true),
                message_desactivation: self.message_desactivation,
                sommet_lat: self.sommet_lat,
                sommet_lng: self.sommet_lng,
                depart_lat: self.depart_lat,
                depart_lng: self.depart_lng,
                rayon_km: self.rayon_km,
                strava_keywords: self.strava_keywords,
                lien_boutique: self.lien_boutique,
            },
            shop_synced: self.shop_synced.unwrap_or(false),
            presta_product_id: self.presta_product_id,
            atelier_defaut_id: self.atelier_defaut_id,
            qr_url: self.qr_url,
            created_at: self.created_at,
            updated_at: self.updated_at,
            tracking,
        })
    }
}

/// A course row of [`COURSE_COLUMNS`]; a row that does not convert is a 500.
fn course_from_row(row: Row) -> Result<StoredCourse> {
    rows::convert::<CourseColumns>(row)?.into_course()
}

/// A course by id; `lock` takes a locking read (inside a transaction).
pub fn find_course(conn: &mut Conn, id: u64, lock: bool) -> Result<Option<StoredCourse>> {
    let sql = if lock {
        format!("SELECT {COURSE_COLUMNS} FROM produits p {COURSE_JOIN} WHERE p.id = ? FOR UPDATE")
    } else {
        format!("SELECT {COURSE_COLUMNS} FROM produits p {COURSE_JOIN} WHERE p.id = ?")
    };
    let row: Option<Row> = conn.exec_first(sql, (id,))?;
    row.map(course_from_row).transpose()
}

/// A course by slug.
pub fn find_course_by_slug(conn: &mut Conn, slug: &str) -> Result<Option<StoredCourse>> {
    let row: Option<Row> = conn.exec_first(
        format!("SELECT {COURSE_COLUMNS} FROM produits p {COURSE_JOIN} WHERE p.slug = ?"),
        (slug,),
    )?;
    row.map(course_from_row).transpose()
}

/// A page of courses by name: the active ones, or all for an admin
/// (`include_inactive`), optionally of one category.
pub fn list_courses(
    conn: &mut Conn,
    include_inactive: bool,
    categorie: Option<&str>,
    page: &Page,
) -> Result<Listed<StoredCourse>> {
    let mut filter = Where::new();
    if !include_inactive {
        filter.fixed("p.actif = TRUE");
    }
    filter.bind_opt("p.categorie = ?", categorie);
    ListQuery {
        table: "produits p",
        key: "p.id",
        filter_joins: "",
        order_joins: "",
        columns: COURSE_COLUMNS,
        joins: COURSE_JOIN,
        order_by: "p.nom, p.id",
    }
    .read(conn, &filter, page, course_from_row)
}

/// The longitude part of the nearby bounding box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LngWindow {
    /// The box reaches a pole: every longitude.
    All,
    /// `min <= lng <= max`.
    Between(f64, f64),
    /// The box crosses the antimeridian: `lng >= min OR lng <= max`.
    Wrapped(f64, f64),
}

/// The bounding box around (lat, lng) that contains every point within
/// `radius_km`: 1° of latitude is about 111 km, 1° of longitude shrinks with
/// cos(lat). 111.045 km/° is slightly less than the true 111.195, so the box
/// errs on the large side; the exact haversine test follows.
pub fn bounding_box(lat: f64, lng: f64, radius_km: f64) -> (f64, f64, LngWindow) {
    const KM_PER_DEGREE: f64 = 111.045;
    let dlat = radius_km / KM_PER_DEGREE;
    let (lat_min, lat_max) = (lat - dlat, lat + dlat);
    if lat_min <= -90.0 || lat_max >= 90.0 {
        return (lat_min, lat_max, LngWindow::All);
    }
    // The widest part of the box is at the latitude closest to a pole.
    let widest = lat_min.abs().max(lat_max.abs()).to_radians().cos();
    let dlng = radius_km / (KM_PER_DEGREE * widest);
    if dlng >= 180.0 {
        return (lat_min, lat_max, LngWindow::All);
    }
    let (lng_min, lng_max) = (lng - dlng, lng + dlng);
    let window = if lng_min < -180.0 {
        LngWindow::Wrapped(lng_min + 360.0, lng_max)
    } else if lng_max > 180.0 {
        LngWindow::Wrapped(lng_min, lng_max - 360.0)
    } else {
        LngWindow::Between(lng_min, lng_max)
    };
    (lat_min, lat_max, window)
}

/// Active courses whose start is within `radius_km` of (lat, lng), nearest
/// first, with their distance in km. The bounding box on
/// (`depart_lat`, `depart_lng`) lets `idx_produits_depart` discard far courses
/// before any trigonometry runs; courses without a start never match.
pub fn nearby_courses(
    conn: &mut Conn,
    lat: f64,
    lng: f64,
    radius_km: f64,
    limit: u64,
) -> Result<Vec<(StoredCourse, f64)>> {
    let (lat_min, lat_max, window) = bounding_box(lat, lng, radius_km);
    let (lng_filter, lng_min, lng_max) = match window {
        LngWindow::All => ("p.depart_lng IS NOT NULL", -180.0, 180.0),
        LngWindow::Between(a, b) => ("p.depart_lng BETWEEN :lng_min AND :lng_max", a, b),
        LngWindow::Wrapped(a, b) => (
            "(p.depart_lng >= :lng_min OR p.depart_lng <= :lng_max)",
            a,
            b,
        ),
    };
    let sql = format!(
        "SELECT {COURSE_COLUMNS}, {HAVERSINE_KM} AS distance_depart_km FROM produits p {COURSE_JOIN}
         WHERE p.actif = TRUE
           AND p.depart_lat BETWEEN :lat_min AND :lat_max
           AND {lng_filter}
         HAVING distance_depart_km <= :radius
         ORDER BY distance_depart_km, p.id
         LIMIT :limit"
    );
    let rows: Vec<Row> = conn.exec(
        sql,
        params! {
            "lat" => lat,
            "lng" => lng,
            "lat_min" => lat_min,
            "lat_max" => lat_max,
            "lng_min" => lng_min,
            "lng_max" => lng_max,
            "radius" => radius_km,
            "limit" => limit,
        },
    )?;
    rows.into_iter()
        .map(|mut row| {
            let d: f64 = col(&mut row, "distance_depart_km")?;
            Ok((course_from_row(row)?, d))
        })
        .collect()
}

/// Creates the tracking rows (schema defaults) of courses that lack one.
/// Idempotent: a row created meanwhile by someone else is kept.
pub fn ensure_tracking(conn: &mut Conn, produit_ids: &[u64]) -> Result<()> {
    write_result(conn.exec_batch(
        r"INSERT INTO segment_tracking_config (produit_id) VALUES (?)
          ON DUPLICATE KEY UPDATE produit_id = produit_id",
        produit_ids.iter().map(|id| (id,)),
    ))
}

/// Writes the tracking values of a course (creating the row if missing).
pub fn upsert_tracking(conn: &mut Conn, produit_id: u64, t: &TrackingConfig) -> Result<()> {
    write_result(conn.exec_drop(
        r"INSERT INTO segment_tracking_config
            (produit_id, wake_distance_m, high_accuracy_start_distance_m,
             pulse_high_accuracy_duration_s, pulse_low_accuracy_duration_s,
             finish_high_accuracy_distance_m, cooldown_distance_m, cooldown_time_s)
          VALUES (:id, :wake, :start, :pulse_hi, :pulse_lo, :finish, :cool_d, :cool_t)
          ON DUPLICATE KEY UPDATE
            wake_distance_m = VALUES(wake_distance_m),
            high_accuracy_start_distance_m = VALUES(high_accuracy_start_distance_m),
            pulse_high_accuracy_duration_s = VALUES(pulse_high_accuracy_duration_s),
            pulse_low_accuracy_duration_s = VALUES(pulse_low_accuracy_duration_s),
            finish_high_accuracy_distance_m = VALUES(finish_high_accuracy_distance_m),
            cooldown_distance_m = VALUES(cooldown_distance_m),
            cooldown_time_s = VALUES(cooldown_time_s)",
        params! {
            "id" => produit_id,
            "wake" => t.wake_distance_m,
            "start" => t.high_accuracy_start_distance_m,
            "pulse_hi" => t.pulse_high_accuracy_duration_s,
            "pulse_lo" => t.pulse_low_accuracy_duration_s,
            "finish" => t.finish_high_accuracy_distance_m,
            "cool_d" => t.cooldown_distance_m,
            "cool_t" => t.cooldown_time_s,
        },
    ))
}

fn course_params(c: &Course, qr_url: &str) -> mysql::Params {
    params! {
        "slug" => &c.slug,
        "code" => &c.code,
        "nom" => &c.nom,
        "categorie" => c.categorie.as_str(),
        "altitude" => c.altitude,
        "distance_km" => c.distance_km,
        "denivele" => c.denivele,
        "difficulte" => &c.difficulte,
        "sous_titre" => &c.sous_titre,
        "description" => &c.description,
        "actif" => c.actif,
        "message_desactivation" => &c.message_desactivation,
        "sommet_lat" => c.sommet_lat,
        "sommet_lng" => c.sommet_lng,
        "depart_lat" => c.depart_lat,
        "depart_lng" => c.depart_lng,
        "rayon_km" => c.rayon_km,
        "strava_keywords" => &c.strava_keywords,
        "lien_boutique" => &c.lien_boutique,
        "qr_url" => qr_url,
    }
}

/// Named parameters plus `:id`, for the UPDATE that shares an INSERT's.
fn with_id(mut p: mysql::Params, id: u64) -> mysql::Params {
    if let mysql::Params::Named(map) = &mut p {
        map.insert(b"id".to_vec(), id.into());
    }
    p
}

const SLUG_TAKEN: &str = "Ce slug est déjà utilisé par un autre parcours.";
const CODE_TAKEN: &str = "Ce code parcours est déjà utilisé par un autre parcours.";

/// Maps lock conflicts (deadlock 1213, lock wait timeout 1205) to the 409
/// [`catalog::CONCURRENT_WRITE`] (callers may retry); other errors as usual.
fn write_result<T>(r: std::result::Result<T, mysql::Error>) -> Result<T> {
    match r {
        Err(mysql::Error::MySqlError(e)) if e.code == 1213 || e.code == 1205 => {
            Err(catalog::CONCURRENT_WRITE
                .msg("Une autre modification des parcours est en cours : merci de réessayer."))
        }
        other => Ok(other?),
    }
}

fn map_duplicates<T>(r: std::result::Result<T, mysql::Error>) -> Result<T> {
    match r {
        Err(mysql::Error::MySqlError(e)) if e.code == 1213 || e.code == 1205 => {
            write_result(Err(mysql::Error::MySqlError(e)))
        }
        Err(mysql::Error::MySqlError(e))
            if e.code == 1062 && e.message.contains("uk_produits_code") =>
        {
            Err(catalog::CODE_TAKEN.msg(CODE_TAKEN))
        }
        other => other.on_duplicate("uk_produits_slug", &catalog::SLUG_TAKEN, SLUG_TAKEN),
    }
}

/// Inserts a course; 409 `slug_taken` / `code_taken` on duplicates.
pub fn insert_course(conn: &mut Conn, c: &Course, qr_url: &str) -> Result<u64> {
    map_duplicates(conn.exec_drop(
        r"INSERT INTO produits
            (slug, code, nom, categorie, altitude, distance_km, denivele, difficulte, sous_titre,
             description, actif, message_desactivation, sommet_lat, sommet_lng, depart_lat,
             depart_lng, rayon_km, strava_keywords, lien_boutique, qr_url)
          VALUES
            (:slug, :code, :nom, :categorie, :altitude, :distance_km, :denivele, :difficulte,
             :sous_titre, :description, :actif, :message_desactivation, :sommet_lat, :sommet_lng,
             :depart_lat, :depart_lng, :rayon_km, :strava_keywords, :lien_boutique, :qr_url)",
        course_params(c, qr_url),
    ))?;
    Ok(conn.last_insert_id())
}

/// Rewrites every editable column of a course.
pub fn update_course(conn: &mut Conn, id: u64, c: &Course, qr_url: &str) -> Result<()> {
    map_duplicates(conn.exec_drop(
        r"UPDATE produits SET
            slug = :slug, code = :code, nom = :nom, categorie = :categorie, altitude = :altitude,
            distance_km = :distance_km, denivele = :denivele, difficulte = :difficulte,
            sous_titre = :sous_titre, description = :description, actif = :actif,
            message_desactivation = :message_desactivation, sommet_lat = :sommet_lat,
            sommet_lng = :sommet_lng, depart_lat = :depart_lat, depart_lng = :depart_lng,
            rayon_km = :rayon_km, strava_keywords = :strava_keywords,
            lien_boutique = :lien_boutique, qr_url = :qr_url
          WHERE id = :id",
        with_id(course_params(c, qr_url), id),
    ))
}

/// Stores the QR URL of a course.
pub fn set_qr_url(conn: &mut Conn, id: u64, qr_url: &str) -> Result<()> {
    conn.exec_drop("UPDATE produits SET qr_url = ? WHERE id = ?", (qr_url, id))?;
    Ok(())
}

/// Every course code in use.
pub fn used_codes(conn: &mut Conn) -> Result<HashSet<String>> {
    Ok(conn
        .query("SELECT code FROM produits")?
        .into_iter()
        .collect())
}

/// The named lock that makes course creations take turns, per database
/// (names are server-wide; at most 64 characters).
const CREATION_LOCK: &str = "LEFT(CONCAT('mykollector.produits.', DATABASE()), 64)";

/// Waits (10 s at most) for the course-creation lock. Row locks cannot do
/// this job: on an empty table, a locking read takes only gap locks, which
/// do not conflict, and concurrent inserts then deadlock. Taken outside any
/// transaction, so the creation's snapshot is read after the previous
/// creation committed.
pub fn lock_creations(conn: &mut Conn) -> Result<()> {
    let got: Option<Option<i64>> =
        conn.query_first(format!("SELECT GET_LOCK({CREATION_LOCK}, 10)"))?;
    match got.flatten() {
        Some(1) => Ok(()),
        _ => Err(catalog::CONCURRENT_WRITE
            .msg("Une autre création de parcours est en cours : merci de réessayer.")),
    }
}

/// Releases the course-creation lock.
pub fn unlock_creations(conn: &mut Conn) -> Result<()> {
    conn.query_drop(format!("DO RELEASE_LOCK({CREATION_LOCK})"))?;
    Ok(())
}

/// How many orders and chronos reference a course.
pub fn references(conn: &mut Conn, id: u64) -> Result<(u64, u64)> {
    let row: Option<(u64, u64)> = conn.exec_first(
        r"SELECT (SELECT COUNT(*) FROM commandes WHERE produit_id = :id),
                 (SELECT COUNT(*) FROM chronos WHERE produit_id = :id)",
        params! { "id" => id },
    )?;
    Ok(row.unwrap_or((0, 0)))
}

/// Deletes a course (its tracking row, stock, rankings and export logs go
/// with it by cascade). A reference that appeared since the check (MySQL
/// error 1451) is a 409, not a 500.
pub fn delete_course(conn: &mut Conn, id: u64) -> Result<()> {
    match conn.exec_drop("DELETE FROM produits WHERE id = ?", (id,)) {
        Err(mysql::Error::MySqlError(e)) if e.code == 1451 => Err(catalog::COURSE_IN_USE.err()),
        other => Ok(other?),
    }
}

// ---------------------------------------------------------------------------
// Export destinations and logs
// ---------------------------------------------------------------------------

/// One row of `export_destinations`.
#[derive(Debug, Clone, FromRow)]
pub struct DestinationRow {
    /// Id.
    pub id: u64,
    /// Display name.
    pub nom: String,
    /// Webhook URL.
    pub url: String,
    /// `aucun`, `bearer` or `hmac`.
    pub mode_auth: String,
    /// The secret, encrypted (never sent to clients).
    pub secret_chiffre: Option<String>,
    /// Extra headers, JSON object text.
    pub headers: Option<String>,
    /// Whether "all" includes it.
    pub actif: bool,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last change.
    pub updated_at: Option<String>,
}

const DESTINATION_SELECT: &str = r"SELECT id, nom, url, mode_auth, secret_chiffre,
        CAST(headers AS CHAR) AS headers, actif,
        DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s') AS created_at,
        DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%s') AS updated_at
    FROM export_destinations";

/// One page of destinations by name, and their total count.
pub fn list_destinations(
    conn: &mut Conn,
    limit: u64,
    offset: u64,
) -> Result<(Vec<DestinationRow>, u64)> {
    let items = rows::all(
        conn,
        format!("{DESTINATION_SELECT} ORDER BY nom, id LIMIT ? OFFSET ?"),
        (limit, offset),
    )?;
    let total: Option<u64> = conn.query_first("SELECT COUNT(*) FROM export_destinations")?;
    Ok((items, total.unwrap_or(0)))
}

/// Active destinations, by id.
pub fn active_destinations(conn: &mut Conn) -> Result<Vec<DestinationRow>> {
    rows::all(
        conn,
        format!("{DESTINATION_SELECT} WHERE actif = TRUE ORDER BY id"),
        (),
    )
}

/// A destination by id; `lock` takes a locking read.
pub fn find_destination(conn: &mut Conn, id: u64, lock: bool) -> Result<Option<DestinationRow>> {
    let sql = if lock {
        format!("{DESTINATION_SELECT} WHERE id = ? FOR UPDATE")
    } else {
        format!("{DESTINATION_SELECT} WHERE id = ?")
    };
    rows::first(conn, sql, (id,))
}

/// The fields of a destination written by create and update.
pub struct DestinationFields<'a> {
    /// Display name.
    pub nom: &'a str,
    /// Webhook URL.
    pub url: &'a str,
    /// `aucun`, `bearer` or `hmac`.
    pub mode_auth: &'a str,
    /// Encrypted secret.
    pub secret_chiffre: Option<&'a str>,
    /// Extra headers as JSON text.
    pub headers: Option<&'a str>,
    /// Active flag.
    pub actif: bool,
}

fn destination_params(d: &DestinationFields) -> mysql::Params {
    params! {
        "nom" => d.nom,
        "url" => d.url,
        "mode_auth" => d.mode_auth,
        "secret_chiffre" => d.secret_chiffre,
        "headers" => d.headers,
        "actif" => d.actif,
    }
}

/// Inserts a destination.
pub fn insert_destination(conn: &mut Conn, d: &DestinationFields) -> Result<u64> {
    conn.exec_drop(
        r"INSERT INTO export_destinations (nom, url, mode_auth, secret_chiffre, headers, actif)
          VALUES (:nom, :url, :mode_auth, :secret_chiffre, :headers, :actif)",
        destination_params(d),
    )?;
    Ok(conn.last_insert_id())
}

/// Rewrites a destination.
pub fn update_destination(conn: &mut Conn, id: u64, d: &DestinationFields) -> Result<()> {
    conn.exec_drop(
        r"UPDATE export_destinations
          SET nom = :nom, url = :url, mode_auth = :mode_auth, secret_chiffre = :secret_chiffre,
              headers = :headers, actif = :actif
          WHERE id = :id",
        with_id(destination_params(d), id),
    )?;
    Ok(())
}

/// Deletes a destination (its logs go with it).
pub fn delete_destination(conn: &mut Conn, id: u64) -> Result<bool> {
    conn.exec_drop("DELETE FROM export_destinations WHERE id = ?", (id,))?;
    Ok(conn.affected_rows() > 0)
}

/// One export attempt's outcome, for `export_logs`.
pub struct ExportLog<'a> {
    /// Destination.
    pub destination_id: u64,
    /// Course.
    pub produit_id: u64,
    /// HTTP status, when an answer came back.
    pub http_status: Option<u16>,
    /// 2xx answer.
    pub succes: bool,
    /// What went wrong.
    pub erreur: Option<&'a str>,
    /// Duration of the call.
    pub duree_ms: u64,
}

/// Records one export attempt.
pub fn insert_export_log(conn: &mut Conn, l: &ExportLog) -> Result<u64> {
    conn.exec_drop(
        r"INSERT INTO export_logs (destination_id, produit_id, http_status, succes, erreur, duree_ms)
          VALUES (?, ?, ?, ?, ?, ?)",
        (
            l.destination_id,
            l.produit_id,
            l.http_status,
            l.succes,
            l.erreur,
            l.duree_ms.min(i32::MAX as u64),
        ),
    )?;
    Ok(conn.last_insert_id())
}

/// One recorded export attempt, as a destination's detail shows it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ExportLogLine {
    pub id: u64,
    #[serde(rename = "parcours_id")]
    pub produit_id: u64,
    pub http_status: Option<u16>,
    pub succes: bool,
    pub erreur: Option<String>,
    pub duree_ms: u64,
    pub created_at: String,
}

/// The latest export attempts to a destination.
pub fn recent_export_logs(
    conn: &mut Conn,
    destination_id: u64,
    limit: u64,
) -> Result<Vec<ExportLogLine>> {
    rows::all(
        conn,
        r"SELECT id, produit_id, http_status, succes, erreur, duree_ms,
                 DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s') AS created_at
          FROM export_logs WHERE destination_id = ? ORDER BY id DESC LIMIT ?",
        (destination_id, limit),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounding_boxes() {
        let (lo, hi, w) = bounding_box(44.0, 6.0, 111.045);
        assert!((lo - 43.0).abs() < 1e-9 && (hi - 45.0).abs() < 1e-9);
        match w {
            LngWindow::Between(a, b) => {
                // At 45° a degree of longitude is ~78.5 km: the box is wider.
                assert!(a < 6.0 - 1.39 && b > 6.0 + 1.39, "{a} {b}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            bounding_box(10.0, 179.95, 20.0).2,
            LngWindow::Wrapped(a, b) if a > 179.0 && b < -179.0
        ));
        assert!(matches!(
            bounding_box(10.0, -179.95, 20.0).2,
            LngWindow::Wrapped(a, b) if a > 179.0 && b < -179.0
        ));
        assert_eq!(bounding_box(89.95, 0.0, 10.0).2, LngWindow::All);
    }
}
