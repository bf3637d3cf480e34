//! Demo chronos: a few athletes with validated times on the demo cols (so
//! the rankings have names in them), and one chrono of Julien awaiting
//! validation, as on wireframe 11.1.

use super::queries;
use crate::api::parcours::slugs;
use crate::db::rows;
use crate::error::Result;
use crate::security::{password, Role};
use mysql::prelude::Queryable;
use mysql::{params, Conn};

/// Extra demo athletes (email, prénom, nom).
const ATHLETES: &[(&str, &str, &str)] = &[
    ("thomas.dubois@mykollector.test", "Thomas", "Dubois"),
    ("claire.moreau@mykollector.test", "Claire", "Moreau"),
    ("michel.lefebvre@mykollector.test", "Michel", "Lefebvre"),
    ("lea.fontaine@mykollector.test", "Léa", "Fontaine"),
    ("antoine.roux@mykollector.test", "Antoine", "Roux"),
    ("camille.girard@mykollector.test", "Camille", "Girard"),
];

/// (athlete email, course slug, time, date, statut, source).
const CHRONOS: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "thomas.dubois@mykollector.test",
        slugs::IZOARD,
        "01:22:11",
        "2025-07-12",
        "valide",
        "qr",
    ),
    (
        "claire.moreau@mykollector.test",
        slugs::IZOARD,
        "01:31:04",
        "2025-07-19",
        "valide",
        "qr",
    ),
    (
        "michel.lefebvre@mykollector.test",
        slugs::IZOARD,
        "01:44:33",
        "2025-08-02",
        "valide",
        "gpx",
    ),
    (
        "julien@mykollector.test",
        slugs::IZOARD,
        "01:52:17",
        "2024-07-14",
        "valide",
        "qr",
    ),
    (
        "lea.fontaine@mykollector.test",
        slugs::IZOARD,
        "01:58:40",
        "2025-06-28",
        "valide",
        "manuel",
    ),
    (
        "antoine.roux@mykollector.test",
        slugs::IZOARD,
        "02:40:12",
        "2025-09-06",
        "valide",
        "qr",
    ),
    (
        "julien@mykollector.test",
        slugs::IZOARD,
        "02:04:51",
        "2024-06-30",
        "valide",
        "qr",
    ),
    (
        "thomas.dubois@mykollector.test",
        slugs::GALIBIER,
        "01:49:20",
        "2025-07-05",
        "valide",
        "qr",
    ),
    (
        "camille.girard@mykollector.test",
        slugs::GALIBIER,
        "02:02:37",
        "2025-08-16",
        "valide",
        "manuel",
    ),
    (
        "julien@mykollector.test",
        slugs::GALIBIER,
        "02:15:44",
        "2025-05-03",
        "attente_validation",
        "manuel",
    ),
    (
        "claire.moreau@mykollector.test",
        slugs::VENTOUX,
        "01:38:09",
        "2025-06-14",
        "valide",
        "qr",
    ),
    (
        "julien@mykollector.test",
        slugs::VENTOUX,
        "01:58:30",
        "2025-04-26",
        "valide",
        "qr",
    ),
    (
        "antoine.roux@mykollector.test",
        slugs::VENTOUX,
        "02:21:02",
        "2025-05-17",
        "valide",
        "gpx",
    ),
    (
        "michel.lefebvre@mykollector.test",
        slugs::TOURMALET,
        "01:27:45",
        "2025-07-26",
        "valide",
        "qr",
    ),
    (
        "lea.fontaine@mykollector.test",
        slugs::TOURMALET,
        "01:41:13",
        "2025-08-09",
        "valide",
        "qr",
    ),
];

/// Seeds the demo athletes and chronos, then their rankings. Courses are
/// looked up by slug (seeded by the parcours module); a missing one is
/// skipped. Safe to run again: a chrono is matched on athlete, course, date
/// and time.
pub fn seed_demo(conn: &mut Conn) -> Result<()> {
    let hash = password::hash(crate::demo::DEMO_PASSWORD)?;
    for (email, prenom, nom) in ATHLETES {
        conn.exec_drop(
            r"INSERT INTO users (email, password, role, nom, prenom, actif)
              VALUES (?, ?, ?, ?, ?, TRUE)
              ON DUPLICATE KEY UPDATE id = id",
            (email, &hash, Role::Sportif.as_str(), nom, prenom),
        )?;
    }
    let mut seeded = 0;
    let mut pairs = Vec::new();
    for (email, slug, temps, date, statut, source) in CHRONOS {
        let user: Option<u64> =
            conn.exec_first("SELECT id FROM users WHERE email = ?", (email,))?;
        let course: Option<u64> =
            conn.exec_first("SELECT id FROM produits WHERE slug = ?", (slug,))?;
        let (Some(user_id), Some(produit_id)) = (user, course) else {
            continue;
        };
        let secs = crate::time::parse_hms(temps).unwrap_or(3600);
        if !rows::any(
            conn,
            r"SELECT id FROM chronos
              WHERE user_id = ? AND produit_id = ? AND date_realisation = ? AND duree_secondes = ?",
            (user_id, produit_id, date, secs),
        )? {
            conn.exec_drop(
                r"INSERT INTO chronos
                    (user_id, produit_id, duree_secondes, ajustement_sec, source, statut,
                     date_debut, date_fin, date_realisation, valide_par, valide_at)
                  VALUES (:user, :produit, :secs, 0, :source, :statut,
                          TIMESTAMP(:date, '08:30:00'), TIMESTAMP(:date, '08:30:00') + INTERVAL :secs SECOND,
                          :date, IF(:statut = 'valide', :user, NULL),
                          IF(:statut = 'valide', TIMESTAMP(:date, '18:00:00'), NULL))",
                params! {
                    "user" => user_id, "produit" => produit_id, "secs" => secs,
                    "source" => source, "statut" => statut, "date" => date,
                },
            )?;
            seeded += 1;
        }
        pairs.push((produit_id, user_id));
    }
    for (produit_id, user_id) in pairs {
        queries::recompute_best(conn, produit_id, user_id)?;
    }
    println!("Demo chronos: {seeded} added (rankings on the demo cols; password of the extra athletes: the demo one).");
    Ok(())
}
