//! SQL of the chronos module: chronos, the courses they run on, and the
//! `classements` table (best validated time per athlete and course).

use crate::db::rows::{self, FromRow};
use crate::error::Result;
use crate::http::list::{ListQuery, Listed, Page, Where};
use crate::time;
use mysql::prelude::{FromValue, Queryable};
use mysql::{params, Conn, FromRowError, FromValueError, Row};
use serde::Serialize;
use serde_json::Value;

/// What the chronos module needs of a course.
#[derive(Debug, Clone)]
pub struct Course {
    pub id: u64,
    pub nom: String,
    pub slug: String,
    pub actif: bool,
    pub message_desactivation: Option<String>,
    pub depart: Option<(f64, f64)>,
    pub sommet: Option<(f64, f64)>,
    pub rayon_km: Option<f64>,
    pub start_radius_m: Option<i32>,
}

/// A course by id, with its start-zone radius from `segment_tracking_config`.
pub fn find_course(conn: &mut Conn, id: u64) -> Result<Option<Course>> {
    let row: Option<CourseColumns> = rows::first(
        conn,
        r"SELECT p.id, p.nom, p.slug, COALESCE(p.actif, TRUE) AS actif, p.message_desactivation,
                 p.depart_lat, p.depart_lng, p.sommet_lat, p.sommet_lng, p.rayon_km,
                 s.high_accuracy_start_distance_m
          FROM produits p
          LEFT JOIN segment_tracking_config s ON s.produit_id = p.id
          WHERE p.id = ?",
        (id,),
    )?;
    Ok(row.map(Course::from))
}

/// The columns [`find_course`] selects, typed.
#[derive(FromRow)]
struct CourseColumns {
    id: u64,
    nom: String,
    slug: String,
    actif: bool,
    message_desactivation: Option<String>,
    depart_lat: Option<f64>,
    depart_lng: Option<f64>,
    sommet_lat: Option<f64>,
    sommet_lng: Option<f64>,
    rayon_km: Option<f64>,
    high_accuracy_start_distance_m: Option<i32>,
}

impl From<CourseColumns> for Course {
    fn from(c: CourseColumns) -> Course {
        Course {
            id: c.id,
            nom: c.nom,
            slug: c.slug,
            actif: c.actif,
            message_desactivation: c.message_desactivation,
            depart: c.depart_lat.zip(c.depart_lng),
            sommet: c.sommet_lat.zip(c.sommet_lng),
            rayon_km: c.rayon_km,
            start_radius_m: c.high_accuracy_start_distance_m,
        }
    }
}

/// Spec 10.5 gives the validation of manual entries to `admin_chrono`: a time
/// the athlete typed, or a GPX track the athlete recorded and chose to send,
/// is checked by a person before it is ranked. The athlete's own validation
/// only applies to a time the server measured (QR start/stop) or found on
/// Strava.
pub fn needs_moderation(source: &str) -> bool {
    matches!(source, "manuel" | "gpx")
}

/// What the athlete reads about the check of a chrono it cannot validate
/// itself; `None` for chronos it validates.
fn verification_label(source: &str, statut: &str) -> Option<&'static str> {
    if !needs_moderation(source) {
        return None;
    }
    Some(match statut {
        "valide" => "vérifié",
        "annule" => "refusé",
        _ => "en attente de vérification",
    })
}

/// A chrono as the API shows it.
#[derive(Debug, Clone, FromRow)]
pub struct ChronoRow {
    pub id: u64,
    pub user_id: u64,
    pub produit_id: u64,
    pub parcours_nom: String,
    pub parcours_slug: String,
    pub duree_secondes: Option<i64>,
    pub ajustement_sec: i64,
    pub source: String,
    pub statut: String,
    pub date_debut: Option<String>,
    pub date_fin: Option<String>,
    pub date_realisation: Option<String>,
    pub preuve_url: Option<String>,
    pub gps_arrivee: Option<String>,
    pub motif_rejet: Option<String>,
    pub valide_at: Option<String>,
    pub created_at: Option<String>,
    pub gpx_meta: Option<String>,
    pub ecoule_secondes: Option<i64>,
}

const CHRONO_COLUMNS: &str = r"c.id, c.user_id, c.produit_id, p.nom AS parcours_nom, p.slug AS parcours_slug,
    c.duree_secondes, COALESCE(c.ajustement_sec, 0) AS ajustement_sec,
    COALESCE(c.source, '') AS source, COALESCE(c.statut, '') AS statut,
    DATE_FORMAT(c.date_debut, '%Y-%m-%dT%H:%i:%s') AS date_debut,
    DATE_FORMAT(c.date_fin, '%Y-%m-%dT%H:%i:%s') AS date_fin,
    c.date_realisation, c.preuve_url, c.gps_arrivee, c.motif_rejet,
    DATE_FORMAT(c.valide_at, '%Y-%m-%dT%H:%i:%s') AS valide_at,
    DATE_FORMAT(c.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at,
    CAST(c.gpx_meta AS CHAR) AS gpx_meta,
    IF(c.statut = 'en_cours', TIMESTAMPDIFF(SECOND, c.date_debut, NOW()), NULL) AS ecoule_secondes";

/// The athlete of a chrono, as the validation queue shows it.
#[derive(Debug, Clone, FromRow)]
pub struct Athlete {
    pub prenom: Option<String>,
    pub nom: Option<String>,
    pub email: String,
}

/// A chrono of the validation queue: the chrono and its athlete, read from
/// one row.
#[derive(Debug, Clone)]
pub struct PendingChrono {
    pub chrono: ChronoRow,
    pub athlete: Athlete,
}

impl FromRow for PendingChrono {
    fn from_row_opt(row: Row) -> std::result::Result<Self, FromRowError> {
        let (chrono, athlete) = rows::parts(row)?;
        Ok(PendingChrono { chrono, athlete })
    }
}

impl PendingChrono {
    /// The chrono's JSON with its athlete under `sportif`.
    #[must_use]
    pub fn view(&self) -> PendingView<'_> {
        PendingView {
            chrono: self.chrono.view(),
            sportif: SportifView {
                id: self.chrono.user_id,
                prenom: self.athlete.prenom.as_deref(),
                nom: self.athlete.nom.as_deref(),
                email: &self.athlete.email,
            },
        }
    }
}

/// See [`PendingChrono::view`].
#[derive(Debug, Serialize)]
pub struct PendingView<'a> {
    #[serde(flatten)]
    chrono: ChronoView<'a>,
    sportif: SportifView<'a>,
}

/// The athlete of a pending chrono.
#[derive(Debug, Serialize)]
struct SportifView<'a> {
    id: u64,
    prenom: Option<&'a str>,
    nom: Option<&'a str>,
    email: &'a str,
}

impl ChronoRow {
    /// The JSON of a chrono, serialised straight from the row. The proof
    /// file's storage path is never shown: only whether there is one.
    #[must_use]
    pub fn view(&self) -> ChronoView<'_> {
        ChronoView {
            id: self.id,
            produit_id: self.produit_id,
            parcours_nom: &self.parcours_nom,
            parcours_slug: &self.parcours_slug,
            source: &self.source,
            statut: &self.statut,
            duree_secondes: self.duree_secondes,
            temps: self.duree_secondes.map(|d| time::hms(d.unsigned_abs())),
            ajustement_sec: self.ajustement_sec,
            date_debut: self.date_debut.as_deref(),
            date_fin: self.date_fin.as_deref(),
            date_realisation: self.date_realisation.as_deref(),
            gps_arrivee: self.gps_arrivee.as_deref(),
            preuve: self.preuve_url.is_some(),
            motif_rejet: self.motif_rejet.as_deref(),
            valide_at: self.valide_at.as_deref(),
            created_at: self.created_at.as_deref(),
            gpx_meta: self.gpx_meta.as_deref().map(rows::StoredJson),
            verification: verification_label(&self.source, &self.statut),
            ecoule_secondes: self.ecoule_secondes,
        }
    }

    /// [`Self::view`] as a JSON tree, for the answers that extend it.
    #[must_use]
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.view()).unwrap_or(Value::Null)
    }
}

/// See [`ChronoRow::view`]; `ecoule_secondes` only while the chrono runs.
#[derive(Debug, Serialize)]
pub struct ChronoView<'a> {
    id: u64,
    produit_id: u64,
    parcours_nom: &'a str,
    parcours_slug: &'a str,
    source: &'a str,
    statut: &'a str,
    duree_secondes: Option<i64>,
    temps: Option<String>,
    ajustement_sec: i64,
    date_debut: Option<&'a str>,
    date_fin: Option<&'a str>,
    date_realisation: Option<&'a str>,
    gps_arrivee: Option<&'a str>,
    preuve: bool,
    motif_rejet: Option<&'a str>,
    valide_at: Option<&'a str>,
    created_at: Option<&'a str>,
    gpx_meta: Option<rows::StoredJson<'a>>,
    verification: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ecoule_secondes: Option<i64>,
}

/// One chrono with its course name.
pub fn find_chrono(conn: &mut Conn, id: u64) -> Result<Option<ChronoRow>> {
    let sql = format!(
        "SELECT {CHRONO_COLUMNS} FROM chronos c JOIN produits p ON p.id = c.produit_id WHERE c.id = ?"
    );
    let row: Option<Row> = conn.exec_first(sql, (id,))?;
    row.map(rows::convert).transpose()
}

/// The state of a chrono, read with a row lock (inside the transaction) so
/// concurrent stops, validations and decisions on it serialise.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct Locked {
    pub user_id: u64,
    pub produit_id: u64,
    /// `en_cours`, `attente_validation`, `valide` or `annule`.
    #[mysql(deserialize_with = "statut_from_value")]
    pub statut: &'static str,
    pub duree_secondes: Option<i64>,
    pub ajustement_sec: i64,
    /// Seconds since `date_debut`, by the database clock.
    pub ecoule_secondes: Option<i64>,
    /// Entered by the athlete (manual, GPX): only `admin_chrono` validates it.
    #[mysql(rename = "source", deserialize_with = "moderated_from_value")]
    pub moderated: bool,
}

/// The statuses of a chrono, as stored.
pub const STATUTS: &[&str] = &["en_cours", "attente_validation", "valide", "annule"];

/// `chronos.statut` as one of [`STATUTS`]; anything else counts as `annule`.
fn statut_from_value(value: mysql::Value) -> std::result::Result<&'static str, FromValueError> {
    let text = String::from_value_opt(value)?;
    Ok(STATUTS.iter().find(|s| **s == text).unwrap_or(&"annule"))
}

/// Whether `chronos.source` is one [`needs_moderation`].
fn moderated_from_value(value: mysql::Value) -> std::result::Result<bool, FromValueError> {
    Ok(needs_moderation(&String::from_value_opt(value)?))
}

/// Locks chrono `id` and reads its state.
pub fn lock_chrono(tx: &mut Conn, id: u64) -> Result<Option<Locked>> {
    rows::first(
        tx,
        r"SELECT user_id, produit_id, statut, duree_secondes,
                 COALESCE(ajustement_sec, 0) AS ajustement_sec,
                 TIMESTAMPDIFF(SECOND, date_debut, NOW()) AS ecoule_secondes,
                 COALESCE(source, 'qr') AS source
          FROM chronos WHERE id = ? FOR UPDATE",
        (id,),
    )
}

/// Locks the athlete's user row: serialises its starts, so two concurrent
/// starts cannot both find no running chrono.
pub fn lock_user(tx: &mut Conn, user_id: u64) -> Result<()> {
    let _: Option<u64> =
        tx.exec_first("SELECT id FROM users WHERE id = ? FOR UPDATE", (user_id,))?;
    Ok(())
}

/// The athlete's running chrono on a course, if any.
pub fn running_chrono(conn: &mut Conn, user_id: u64, produit_id: u64) -> Result<Option<u64>> {
    Ok(conn.exec_first(
        r"SELECT id FROM chronos
          WHERE user_id = ? AND produit_id = ? AND statut = 'en_cours'
          ORDER BY id DESC LIMIT 1",
        (user_id, produit_id),
    )?)
}

/// Starts a chrono now (database clock); returns its id.
pub fn insert_started(tx: &mut Conn, user_id: u64, produit_id: u64) -> Result<u64> {
    tx.exec_drop(
        r"INSERT INTO chronos (user_id, produit_id, source, statut, date_debut, date_realisation, ajustement_sec)
          VALUES (?, ?, 'qr', 'en_cours', NOW(), DATE_FORMAT(NOW(), '%Y-%m-%d'), 0)",
        (user_id, produit_id),
    )?;
    Ok(tx.last_insert_id())
}

/// Stops a running chrono: the finish is `date_debut + raw` so the stored
/// times and the duration agree to the second.
pub fn stop(tx: &mut Conn, id: u64, raw: i64, ajustement: i64, gps: Option<&str>) -> Result<()> {
    tx.exec_drop(
        r"UPDATE chronos
          SET statut = 'attente_validation', date_fin = date_debut + INTERVAL :raw SECOND,
              duree_secondes = :duree, ajustement_sec = :adj, gps_arrivee = :gps
          WHERE id = :id AND statut = 'en_cours'",
        params! { "raw" => raw, "duree" => raw + ajustement, "adj" => ajustement, "gps" => gps, "id" => id },
    )?;
    Ok(())
}

/// Marks a pending chrono valid, with its final duration and adjustment.
pub fn validate(tx: &mut Conn, id: u64, duree: i64, ajustement: i64, by: u64) -> Result<()> {
    tx.exec_drop(
        r"UPDATE chronos
          SET statut = 'valide', duree_secondes = :duree, ajustement_sec = :adj,
              valide_par = :by, valide_at = NOW(), motif_rejet = NULL
          WHERE id = :id",
        params! { "duree" => duree, "adj" => ajustement, "by" => by, "id" => id },
    )?;
    Ok(())
}

/// Whether an order names chrono `id` (an order keeps its chrono).
pub fn is_on_order(conn: &mut Conn, id: u64) -> Result<bool> {
    rows::any(
        conn,
        "SELECT id FROM commandes WHERE chrono_id = ? LIMIT 1",
        (id,),
    )
}

/// Deletes chrono `id` (its reminders and ranking line go with it: ON DELETE
/// CASCADE).
pub fn delete(tx: &mut Conn, id: u64) -> Result<()> {
    tx.exec_drop("DELETE FROM chronos WHERE id = ?", (id,))?;
    Ok(())
}

/// Rejects (annuls) a chrono.
pub fn reject(tx: &mut Conn, id: u64, by: u64, motif: Option<&str>) -> Result<()> {
    tx.exec_drop(
        r"UPDATE chronos
          SET statut = 'annule', valide_par = ?, valide_at = NOW(), motif_rejet = ?
          WHERE id = ?",
        (by, motif, id),
    )?;
    Ok(())
}

/// A chrono that arrives finished (manual entry or GPX), awaiting validation.
#[derive(Debug, Clone, Default)]
pub struct NewFinished<'a> {
    pub user_id: u64,
    pub produit_id: u64,
    /// `manuel` or `gpx`.
    pub source: &'a str,
    pub duree_secondes: i64,
    pub date_realisation: Option<&'a str>,
    /// Unix start and finish times, for GPX tracks.
    pub epoch_debut: Option<i64>,
    pub epoch_fin: Option<i64>,
    pub preuve_url: Option<&'a str>,
    pub gps_arrivee: Option<&'a str>,
    pub gpx_meta: Option<String>,
}

/// Inserts a finished chrono in `attente_validation`; returns its id. Unix
/// times become DATETIMEs in the database's time zone, like `NOW()`, and
/// the date of the effort defaults to the start's local date.
pub fn insert_finished(tx: &mut Conn, c: &NewFinished) -> Result<u64> {
    tx.exec_drop(
        r"INSERT INTO chronos
            (user_id, produit_id, duree_secondes, ajustement_sec, source, statut,
             date_debut, date_fin, date_realisation, preuve_url, gps_arrivee, gpx_meta)
          VALUES
            (:user_id, :produit_id, :duree, 0, :source, 'attente_validation',
             FROM_UNIXTIME(:debut), FROM_UNIXTIME(:fin),
             COALESCE(:date_realisation, DATE_FORMAT(FROM_UNIXTIME(:debut), '%Y-%m-%d')),
             :preuve, :gps, :meta)",
        params! {
            "user_id" => c.user_id,
            "produit_id" => c.produit_id,
            "duree" => c.duree_secondes,
            "source" => c.source,
            "debut" => c.epoch_debut,
            "fin" => c.epoch_fin,
            "date_realisation" => c.date_realisation,
            "preuve" => c.preuve_url,
            "gps" => c.gps_arrivee,
            "meta" => c.gpx_meta.as_deref(),
        },
    )?;
    Ok(tx.last_insert_id())
}

/// Whether the athlete already has this GPX effort (same course, same
/// start time, same duration) that was not annulled.
pub fn gpx_already_imported(
    conn: &mut Conn,
    user_id: u64,
    produit_id: u64,
    epoch_debut: i64,
    duree: i64,
) -> Result<bool> {
    let n: Option<u64> = conn.exec_first(
        r"SELECT COUNT(*) FROM chronos
          WHERE user_id = ? AND produit_id = ? AND source = 'gpx' AND statut <> 'annule'
            AND date_debut = FROM_UNIXTIME(?) AND duree_secondes = ?",
        (user_id, produit_id, epoch_debut, duree),
    )?;
    Ok(n.unwrap_or(0) > 0)
}

/// Whether `date` (`YYYY-MM-DD`) is after today (database clock).
pub fn is_future_date(conn: &mut Conn, date: &str) -> Result<bool> {
    let future: Option<bool> = conn.exec_first("SELECT DATE(?) > CURDATE()", (date,))?;
    Ok(future.unwrap_or(false))
}

/// The database clock as Unix time.
pub fn now_epoch(conn: &mut Conn) -> Result<i64> {
    let now: Option<i64> = conn.query_first("SELECT UNIX_TIMESTAMP()")?;
    Ok(now.unwrap_or(0))
}

/// A page of chronos matching `filter`, ordered by `order_by` (fixed SQL
/// over `c`'s columns, ending with `c.id`), with the athlete's identity
/// when `with_athlete` (for [`PendingChrono`]).
fn page_of<T: FromRow>(
    conn: &mut Conn,
    with_athlete: bool,
    filter: &Where,
    order_by: &str,
    page: &Page,
) -> Result<Listed<T>> {
    let (columns, joins) = if with_athlete {
        (
            format!("{CHRONO_COLUMNS}, u.prenom, u.nom, u.email"),
            "JOIN produits p ON p.id = c.produit_id JOIN users u ON u.id = c.user_id",
        )
    } else {
        (
            CHRONO_COLUMNS.to_string(),
            "JOIN produits p ON p.id = c.produit_id",
        )
    };
    ListQuery {
        table: "chronos c",
        key: "c.id",
        filter_joins: "",
        order_joins: "",
        columns: &columns,
        joins,
        order_by,
    }
    .read(conn, filter, page, rows::convert)
}

/// The athlete's chronos, all statuses (or one), newest first.
pub fn history(
    conn: &mut Conn,
    user_id: u64,
    statut: Option<&str>,
    page: &Page,
) -> Result<Listed<ChronoRow>> {
    let mut filter = Where::new();
    filter
        .bind("c.user_id = ?", user_id)
        .bind_opt("c.statut = ?", statut);
    page_of(conn, false, &filter, "c.created_at DESC, c.id DESC", page)
}

/// The athlete's validated chronos on a course, best first.
pub fn validated_on_course(
    conn: &mut Conn,
    user_id: u64,
    produit_id: u64,
    page: &Page,
) -> Result<Listed<ChronoRow>> {
    let mut filter = Where::new();
    filter
        .bind("c.user_id = ?", user_id)
        .bind("c.produit_id = ?", produit_id)
        .fixed("c.statut = 'valide'");
    page_of(conn, false, &filter, "c.duree_secondes ASC, c.id ASC", page)
}

/// Chronos awaiting validation, oldest first, optionally of one source or
/// course, with the athlete's identity.
pub fn pending(
    conn: &mut Conn,
    source: Option<&str>,
    produit_id: Option<u64>,
    page: &Page,
) -> Result<Listed<PendingChrono>> {
    let mut filter = Where::new();
    filter
        .fixed("c.statut = 'attente_validation'")
        .bind_opt("c.source = ?", source)
        .bind_opt("c.produit_id = ?", produit_id);
    page_of(conn, true, &filter, "c.created_at ASC, c.id ASC", page)
}

/// The proof path of a chrono.
pub fn proof_path(conn: &mut Conn, id: u64) -> Result<Option<Option<String>>> {
    let row: Option<Option<String>> =
        conn.exec_first("SELECT preuve_url FROM chronos WHERE id = ?", (id,))?;
    Ok(row)
}

// ---------------------------------------------------------------------------
// classements
// ---------------------------------------------------------------------------

/// Keeps the athlete's best time on the course: the new validated chrono
/// replaces the stored one only if strictly faster (the older of two equal
/// times keeps the place). `chrono_id` is assigned first, while
/// `meilleur_temps_sec` still holds the old best.
pub fn upsert_best(
    tx: &mut Conn,
    produit_id: u64,
    user_id: u64,
    chrono_id: u64,
    secs: i64,
) -> Result<()> {
    tx.exec_drop(
        r"INSERT INTO classements (produit_id, user_id, chrono_id, meilleur_temps_sec)
          VALUES (:produit, :user, :chrono, :secs)
          ON DUPLICATE KEY UPDATE
            chrono_id = IF(:secs < meilleur_temps_sec, :chrono, chrono_id),
            meilleur_temps_sec = LEAST(meilleur_temps_sec, :secs)",
        params! { "produit" => produit_id, "user" => user_id, "chrono" => chrono_id, "secs" => secs },
    )?;
    Ok(())
}

/// Rebuilds the athlete's row from its validated chronos (after one of them
/// was annulled): the best remaining one, or no row at all. Read first, then
/// a plain INSERT: an `INSERT … SELECT` would hold the table's AUTO-INC lock
/// while waiting for row locks, and deadlock with concurrent validations.
pub fn recompute_best(tx: &mut Conn, produit_id: u64, user_id: u64) -> Result<()> {
    let best: Option<(u64, i64)> = tx.exec_first(
        r"SELECT id, duree_secondes FROM chronos
          WHERE produit_id = ? AND user_id = ? AND statut = 'valide' AND duree_secondes IS NOT NULL
          ORDER BY duree_secondes ASC, id ASC LIMIT 1",
        (produit_id, user_id),
    )?;
    tx.exec_drop(
        "DELETE FROM classements WHERE produit_id = ? AND user_id = ?",
        (produit_id, user_id),
    )?;
    if let Some((chrono_id, secs)) = best {
        tx.exec_drop(
            r"INSERT INTO classements (produit_id, user_id, chrono_id, meilleur_temps_sec)
              VALUES (?, ?, ?, ?)",
            (produit_id, user_id, chrono_id, secs),
        )?;
    }
    Ok(())
}

/// One line of a ranking.
#[derive(Debug, Clone, FromRow)]
pub struct RankLine {
    pub user_id: u64,
    pub prenom: Option<String>,
    pub nom: Option<String>,
    pub anonymized: bool,
    pub secs: i64,
    pub date_realisation: Option<String>,
}

/// The `limit` best times of a course (index `idx_classements_rang`).
pub fn top(conn: &mut Conn, produit_id: u64, limit: u64) -> Result<Vec<RankLine>> {
    rows::all(
        conn,
        r"SELECT k.user_id, u.prenom, u.nom, u.anonymized_at IS NOT NULL AS anonymized,
                 k.meilleur_temps_sec AS secs, c.date_realisation
          FROM classements k
          JOIN users u ON u.id = k.user_id
          JOIN chronos c ON c.id = k.chrono_id
          WHERE k.produit_id = ?
          ORDER BY k.meilleur_temps_sec ASC, k.chrono_id ASC
          LIMIT ?",
        (produit_id, limit),
    )
}

/// Number of ranked athletes on a course.
pub fn ranked_count(conn: &mut Conn, produit_id: u64) -> Result<u64> {
    let n: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM classements WHERE produit_id = ?",
        (produit_id,),
    )?;
    Ok(n.unwrap_or(0))
}

/// The athlete's best time on a course, if ranked.
pub fn best_of(conn: &mut Conn, produit_id: u64, user_id: u64) -> Result<Option<i64>> {
    Ok(conn.exec_first(
        "SELECT meilleur_temps_sec FROM classements WHERE produit_id = ? AND user_id = ?",
        (produit_id, user_id),
    )?)
}

/// Number of athletes strictly faster than `secs` on a course: an index
/// range count on `idx_classements_rang`, so a rank costs the same with a
/// hundred or a hundred thousand chronos.
pub fn faster_count(conn: &mut Conn, produit_id: u64, secs: i64) -> Result<u64> {
    let n: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM classements WHERE produit_id = ? AND meilleur_temps_sec < ?",
        (produit_id, secs),
    )?;
    Ok(n.unwrap_or(0))
}
