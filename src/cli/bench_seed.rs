//! `mk-admin seed-bench`: volume data for benchmarks. Courses spread over the
//! French Alps and Pyrenees with their tracking configuration, athletes,
//! chronos, rankings and orders, in the proportions of a busy season.
//!
//! Every table is filled with set-based SQL: `INSERT … SELECT` over a
//! generated sequence of integers, in batches of [`BATCH`] rows, so 100 000
//! chronos take seconds, not the minutes of row-by-row inserts. Values are
//! spread with `CRC32` of the row number: deterministic, no random state.
//! Course popularity is skewed (the first courses get most chronos), as in
//! real life, so one ranking is large.
//!
//! It runs once per database: bench rows are recognised by their slug
//! (`bench-…`) and email (`bench.athlete.…`), and a second run is refused.
//! It refuses `APP_ENV=production` too: the athletes share a known password.

use crate::error::{Error, Result};
use crate::security::password;
use mysql::prelude::Queryable;
use mysql::{params, Conn};
use std::time::Instant;

/// Rows per `INSERT … SELECT` statement: big enough for set-based speed,
/// small enough for the undo log and the server's lock memory.
pub const BATCH: u64 = 20_000;

/// The password of every bench athlete (bench data only, printed on purpose).
pub const PASSWORD: &str = "bench-mykollector";

/// Prefix of bench course slugs: the marker of a seeded database.
const SLUG_PREFIX: &str = "bench-";
/// Bench athletes' email addresses: `bench.athlete.<n>@mykollector.test`.
const EMAIL_PATTERN: &str = "bench.athlete.%@mykollector.test";

/// Course codes are 3 letters drawn from the row number: 26³ codes, minus
/// the pseudo-codes of lot and SAV numbers and the codes already taken.
pub const MAX_COURSES: u64 = 10_000;
/// Upper bound of every other volume (the generated sequence's size).
pub const MAX_ROWS: u64 = 1_000_000;

/// How much to insert.
#[derive(Debug, Clone, Copy)]
pub struct Volumes {
    /// Courses (`produits` + `segment_tracking_config`).
    pub courses: u64,
    /// Athletes (`users`, role sportif).
    pub athletes: u64,
    /// Chronos (about 90 % validated, the rest pending or annulled).
    pub chronos: u64,
    /// Orders (`commandes`), about 30 % validated by the athlete.
    pub orders: u64,
}

impl Volumes {
    /// Checks the bounds, with a message for the command line.
    pub fn check(&self) -> std::result::Result<(), String> {
        if !(1..=MAX_COURSES).contains(&self.courses) {
            return Err(format!("--courses must be between 1 and {MAX_COURSES}"));
        }
        for (name, v) in [
            ("--athletes", self.athletes),
            ("--chronos", self.chronos),
            ("--orders", self.orders),
        ] {
            if !(1..=MAX_ROWS).contains(&v) {
                return Err(format!("{name} must be between 1 and {MAX_ROWS}"));
            }
        }
        Ok(())
    }
}

/// Why `seed` did not run.
#[derive(Debug)]
pub enum Refusal {
    /// Bench rows are already there.
    AlreadySeeded(u64),
    /// A database error.
    Db(Error),
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal::Db(e)
    }
}

impl From<mysql::Error> for Refusal {
    fn from(e: mysql::Error) -> Self {
        Refusal::Db(e.into())
    }
}

/// Inserts the volumes and prints one line per step with its duration.
pub fn seed(conn: &mut Conn, v: &Volumes) -> std::result::Result<(), Refusal> {
    let already: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM produits WHERE slug LIKE CONCAT(?, '%')",
        (SLUG_PREFIX,),
    )?;
    let athletes: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM users WHERE email LIKE ?",
        (EMAIL_PATTERN,),
    )?;
    let already = already.unwrap_or(0) + athletes.unwrap_or(0);
    if already > 0 {
        return Err(Refusal::AlreadySeeded(already));
    }
    let total = Instant::now();
    // Bulk load, as mysqldump does it: every row is consistent by
    // construction, so the server need not look up each foreign key and
    // unique secondary key row by row. Session settings only.
    conn.query_drop("SET SESSION foreign_key_checks = 0")?;
    let seeded = seed_tables(conn, v);
    conn.query_drop("SET SESSION foreign_key_checks = 1")?;
    seeded?;
    let counts: Option<(u64, u64, u64, u64, u64)> = conn.query_first(
        r"SELECT
            (SELECT COUNT(*) FROM produits WHERE slug LIKE 'bench-%'),
            (SELECT COUNT(*) FROM users WHERE email LIKE 'bench.athlete.%@mykollector.test'),
            (SELECT COUNT(*) FROM chronos),
            (SELECT COUNT(*) FROM classements),
            (SELECT COUNT(*) FROM commandes)",
    )?;
    if let Some((p, u, c, r, o)) = counts {
        println!(
            "seed-bench: {p} courses, {u} athletes (password: {PASSWORD}), {c} chronos, \
             {r} ranking rows, {o} orders in {:.1} s",
            total.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Every step, in dependency order; temporary tables dropped at the end.
fn seed_tables(conn: &mut Conn, v: &Volumes) -> Result<()> {
    let max = v.chronos.max(v.orders).max(v.athletes).max(26 * 26 * 26);
    step("sequence", max, || fill_sequence(conn, max))?;
    let courses = step("courses + tracking config", v.courses, || {
        insert_courses(conn, v.courses)
    })?;
    step("athletes", v.athletes, || insert_athletes(conn, v.athletes))?;
    step("chronos", v.chronos, || {
        insert_chronos(conn, v.chronos, v.athletes, courses)
    })?;
    step("classements", 0, || insert_rankings(conn))?;
    step("commandes", v.orders, || insert_orders(conn, v.orders))?;
    for table in [
        "mk_bench_seq",
        "mk_bench_courses",
        "mk_bench_athletes",
        "mk_bench_valid",
        "mk_bench_orders",
    ] {
        conn.query_drop(format!("DROP TEMPORARY TABLE IF EXISTS {table}"))?;
    }
    Ok(())
}

/// Runs one step and prints its duration.
fn step<T>(name: &str, rows: u64, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    let out = f()?;
    let rows = if rows > 0 {
        format!("{rows} rows, ")
    } else {
        String::new()
    };
    println!(
        "  {name:<28} {rows}{:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}

/// The batches `[lo, hi)` covering `0..n`.
fn batches(n: u64) -> impl Iterator<Item = (u64, u64)> {
    (0..n.div_ceil(BATCH)).map(move |i| (i * BATCH, ((i + 1) * BATCH).min(n)))
}

/// `mk_bench_seq(n)` holds 0..max: the cross product of one ten-row derived
/// table per decimal digit (portable: no MariaDB sequence engine, no
/// recursive CTE depth limit).
fn fill_sequence(conn: &mut Conn, max: u64) -> Result<()> {
    const DIGITS: &str = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 \
         UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 \
         UNION ALL SELECT 8 UNION ALL SELECT 9)";
    conn.query_drop(
        "CREATE TEMPORARY TABLE mk_bench_seq (n INT UNSIGNED NOT NULL PRIMARY KEY) ENGINE=InnoDB",
    )?;
    let levels = (max.max(2) - 1).ilog10() + 1;
    let tables: Vec<String> = (0..levels).map(|i| format!("{DIGITS} d{i}")).collect();
    let sum: Vec<String> = (0..levels)
        .map(|i| format!("d{i}.d * {}", 10u64.pow(i)))
        .collect();
    conn.exec_drop(
        format!(
            "INSERT INTO mk_bench_seq (n) SELECT n FROM (SELECT {} AS n FROM {}) s WHERE n < ?",
            sum.join(" + "),
            tables.join(" CROSS JOIN ")
        ),
        (max,),
    )?;
    Ok(())
}

/// Courses with a unique slug and 3-letter code, coordinates in the Alps
/// (three in four) or the Pyrenees, then their tracking configuration with
/// the defaults. Returns how many courses were created.
fn insert_courses(conn: &mut Conn, courses: u64) -> Result<u64> {
    conn.exec_drop(
        r"INSERT INTO produits
            (slug, code, nom, categorie, altitude, distance_km, denivele, difficulte,
             sous_titre, description, actif, sommet_lat, sommet_lng, depart_lat, depart_lng,
             rayon_km, strava_keywords)
          SELECT CONCAT('bench-', LOWER(x.code), '-', x.n), x.code,
            CONCAT(ELT(1 + x.n MOD 16, 'Col du Galibier', 'Col de l''Izoard', 'Col de la Bonette',
                   'Alpe d''Huez', 'Col du Tourmalet', 'Col d''Aubisque', 'Col de la Madeleine',
                   'Col du Lautaret', 'Col de Vars', 'Col d''Agnel', 'Col du Glandon',
                   'Col de Peyresourde', 'Hautacam', 'Col de la Croix de Fer', 'Col du Mont-Cenis',
                   'Plateau de Beille'), ' ', x.code),
            ELT(1 + x.n MOD 3, 'cyclisme', 'trail', 'rando'),
            1200 + CRC32(CONCAT('alt', x.n)) MOD 1600,
            ROUND(5 + (CRC32(CONCAT('km', x.n)) MOD 3500) / 100, 2),
            300 + CRC32(CONCAT('dplus', x.n)) MOD 1700,
            ELT(1 + x.n MOD 4, 'facile', 'moyen', 'difficile', 'très difficile'),
            'Parcours de démonstration pour les mesures de charge',
            'Jeu de données volumineux créé par mk-admin seed-bench.',
            TRUE,
            x.lat, x.lng,
            x.lat - 0.03 - x.f3 / 10, x.lng + (x.f3 - 0.5) / 20,
            1.0, 'bench'
          FROM (
            SELECT c.n, c.code, c.f3,
              IF(c.n MOD 4 = 0, 42.6 + 0.5 * c.f1, 44.0 + 2.2 * c.f1) AS lat,
              IF(c.n MOD 4 = 0, -1.4 + 4.0 * c.f2, 5.9 + 1.7 * c.f2) AS lng
            FROM (
              SELECT n,
                CONCAT(CHAR(65 + n DIV 676 MOD 26 USING ascii), CHAR(65 + n DIV 26 MOD 26 USING ascii),
                       CHAR(65 + n MOD 26 USING ascii)) AS code,
                (CRC32(CONCAT('lat', n)) MOD 100000) / 100000 AS f1,
                (CRC32(CONCAT('lng', n)) MOD 100000) / 100000 AS f2,
                (CRC32(CONCAT('dep', n)) MOD 100000) / 100000 AS f3
              FROM mk_bench_seq WHERE n < 17576
            ) c
          ) x
          WHERE x.code NOT IN ('LOT', 'SAV')
            AND NOT EXISTS (SELECT 1 FROM produits p WHERE p.code = x.code)
          ORDER BY x.n
          LIMIT ?",
        (courses,),
    )?;
    conn.query_drop(
        r"INSERT INTO segment_tracking_config (produit_id)
          SELECT id FROM produits WHERE slug LIKE 'bench-%'",
    )?;
    // Dense 0..courses numbering, so a chrono can pick a course by index.
    conn.query_drop(
        r"CREATE TEMPORARY TABLE mk_bench_courses (
            k INT UNSIGNED NOT NULL PRIMARY KEY, produit_id INT NOT NULL, code CHAR(3) NOT NULL,
            UNIQUE KEY (produit_id))",
    )?;
    conn.query_drop(
        r"INSERT INTO mk_bench_courses (k, produit_id, code)
          SELECT ROW_NUMBER() OVER (ORDER BY id) - 1, id, code
          FROM produits WHERE slug LIKE 'bench-%'",
    )?;
    let n: Option<u64> = conn.query_first("SELECT COUNT(*) FROM mk_bench_courses")?;
    Ok(n.unwrap_or(0))
}

/// Athletes (role sportif) with French names and one shared bcrypt hash.
fn insert_athletes(conn: &mut Conn, athletes: u64) -> Result<()> {
    let hash = password::hash(PASSWORD)?;
    for (lo, hi) in batches(athletes) {
        conn.exec_drop(
            r"INSERT INTO users (email, password, role, nom, prenom, actif, date_inscription)
              SELECT CONCAT('bench.athlete.', n, '@mykollector.test'), :hash, 'sportif',
                ELT(1 + CRC32(CONCAT('nom', n)) MOD 20, 'Martin', 'Bernard', 'Dubois', 'Thomas',
                    'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent',
                    'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier'),
                ELT(1 + CRC32(CONCAT('prenom', n)) MOD 20, 'Julien', 'Camille', 'Thomas', 'Léa',
                    'Nicolas', 'Manon', 'Maxime', 'Chloé', 'Antoine', 'Élodie', 'Hugo', 'Sarah',
                    'Lucas', 'Inès', 'Pierre', 'Margaux', 'Romain', 'Pauline', 'Mathieu', 'Clara'),
                TRUE,
                NOW() - INTERVAL (CRC32(CONCAT('inscr', n)) MOD 1000) DAY
              FROM mk_bench_seq WHERE n >= :lo AND n < :hi",
            params! { "hash" => &hash, "lo" => lo, "hi" => hi },
        )?;
    }
    conn.query_drop(
        r"CREATE TEMPORARY TABLE mk_bench_athletes (
            k INT UNSIGNED NOT NULL PRIMARY KEY, user_id INT NOT NULL)",
    )?;
    conn.query_drop(
        r"INSERT INTO mk_bench_athletes (k, user_id)
          SELECT ROW_NUMBER() OVER (ORDER BY id) - 1, id
          FROM users WHERE email LIKE 'bench.athlete.%@mykollector.test'",
    )?;
    Ok(())
}

/// Chronos over the last two years: about 90 % validated, 5 % pending, 4 %
/// annulled. The course index is `courses · u²` for a uniform `u`: the
/// first courses are the popular ones.
fn insert_chronos(conn: &mut Conn, chronos: u64, athletes: u64, courses: u64) -> Result<()> {
    for (lo, hi) in batches(chronos) {
        conn.exec_drop(
            r"INSERT INTO chronos
                (user_id, produit_id, duree_secondes, ajustement_sec, source, statut,
                 date_debut, date_fin, date_realisation, auto_valide, valide_at, motif_rejet)
              SELECT a.user_id, c.produit_id, t.duree, 0, t.source, t.statut,
                t.debut, t.debut + INTERVAL t.duree SECOND, DATE_FORMAT(t.debut, '%Y-%m-%d'),
                t.statut = 'valide' AND t.source IN ('qr', 'strava'),
                IF(t.statut = 'valide', t.debut + INTERVAL t.duree SECOND, NULL),
                IF(t.statut = 'annule', 'Chrono incohérent (jeu de données bench)', NULL)
              FROM (
                SELECT n,
                  CRC32(CONCAT('ath', n)) MOD :athletes AS ak,
                  FLOOR(POW((CRC32(CONCAT('crs', n)) MOD 1000000) / 1000000, 2) * :courses) AS ck,
                  1200 + CRC32(CONCAT('dur', n)) MOD 12000 AS duree,
                  ELT(1 + n MOD 4, 'qr', 'manuel', 'strava', 'gpx') AS source,
                  CASE WHEN n MOD 20 = 7 THEN 'attente_validation'
                       WHEN n MOD 25 = 3 THEN 'annule'
                       ELSE 'valide' END AS statut,
                  NOW() - INTERVAL 1 DAY - INTERVAL (CRC32(CONCAT('deb', n)) MOD 63072000) SECOND AS debut
                FROM mk_bench_seq WHERE n >= :lo AND n < :hi
              ) t
              JOIN mk_bench_athletes a ON a.k = t.ak
              JOIN mk_bench_courses c ON c.k = t.ck",
            params! { "athletes" => athletes, "courses" => courses, "lo" => lo, "hi" => hi },
        )?;
    }
    Ok(())
}

/// `classements`: the best validated time per (course, athlete), with the id
/// of the chrono that set it (the oldest one on a tie), as the chronos module
/// maintains it on every validation. One window pass over the chronos.
fn insert_rankings(conn: &mut Conn) -> Result<()> {
    conn.query_drop(
        r"INSERT INTO classements (produit_id, user_id, chrono_id, meilleur_temps_sec)
          SELECT produit_id, user_id, id, duree_secondes
          FROM (
            SELECT ch.produit_id, ch.user_id, ch.id, ch.duree_secondes,
              ROW_NUMBER() OVER (PARTITION BY ch.produit_id, ch.user_id
                                 ORDER BY ch.duree_secondes, ch.id) AS place
            FROM chronos ch JOIN mk_bench_courses bc ON bc.produit_id = ch.produit_id
            WHERE ch.statut = 'valide' AND ch.duree_secondes IS NOT NULL
          ) b
          WHERE place = 1",
    )?;
    Ok(())
}

/// Orders of validated chronos, numbered `MKO-<year>-<code>-<seq>` per course
/// and year like `commandes::next_numero`, whose counters are then moved past
/// the seeded numbers. About 30 % are validated by the athlete and spread
/// over the later statuses; the rest wait for validation (4 % annulled).
fn insert_orders(conn: &mut Conn, orders: u64) -> Result<()> {
    let ateliers = bench_ateliers(conn)?;
    if !plan_orders(conn, orders)? {
        return Ok(());
    }
    for (lo, hi) in batches(orders) {
        insert_order_batch(conn, ateliers, lo, hi)?;
    }
    // New orders of these courses must continue after the seeded numbers.
    conn.query_drop(
        r"INSERT INTO commande_sequences (annee, code, dernier)
          SELECT annee, code, MAX(seq) FROM mk_bench_orders GROUP BY annee, code
          ON DUPLICATE KEY UPDATE dernier = GREATEST(dernier, VALUES(dernier))",
    )?;
    Ok(())
}

/// The two bench ateliers (created if missing), the orders alternate between.
fn bench_ateliers(conn: &mut Conn) -> Result<(u64, u64)> {
    for (code, nom) in [
        ("BENCH-A", "Atelier bench A — Briançon"),
        ("BENCH-B", "Atelier bench B — Tarbes"),
    ] {
        conn.exec_drop(
            r"INSERT INTO ateliers (code, nom, actif) VALUES (?, ?, TRUE)
              ON DUPLICATE KEY UPDATE nom = VALUES(nom)",
            (code, nom),
        )?;
    }
    let ateliers: Vec<u64> =
        conn.query("SELECT id FROM ateliers WHERE code IN ('BENCH-A', 'BENCH-B') ORDER BY code")?;
    let [atelier_a, atelier_b] = ateliers[..] else {
        return Err(Error::internal("bench ateliers missing after insert"));
    };
    Ok((atelier_a, atelier_b))
}

/// The plan of `orders` orders in `mk_bench_orders`, each on a validated
/// chrono and numbered per course and year; false when there is no
/// validated chrono to order.
fn plan_orders(conn: &mut Conn, orders: u64) -> Result<bool> {
    conn.query_drop(
        r"CREATE TEMPORARY TABLE mk_bench_valid (
            k INT UNSIGNED NOT NULL PRIMARY KEY, chrono_id INT NOT NULL, user_id INT NOT NULL,
            produit_id INT NOT NULL, duree INT NOT NULL, date_fin DATETIME NOT NULL)",
    )?;
    conn.query_drop(
        r"INSERT INTO mk_bench_valid (k, chrono_id, user_id, produit_id, duree, date_fin)
          SELECT ROW_NUMBER() OVER (ORDER BY ch.id) - 1, ch.id, ch.user_id, ch.produit_id,
            ch.duree_secondes, ch.date_fin
          FROM chronos ch JOIN mk_bench_courses bc ON bc.produit_id = ch.produit_id
          WHERE ch.statut = 'valide'",
    )?;
    let valid: Option<u64> = conn.query_first("SELECT COUNT(*) FROM mk_bench_valid")?;
    let valid = valid.unwrap_or(0);
    if valid == 0 {
        return Ok(false);
    }
    // The plan, numbered per (course, year) in one statement: the window
    // function must see every order of a course at once.
    conn.query_drop(
        r"CREATE TEMPORARY TABLE mk_bench_orders (
            n INT UNSIGNED NOT NULL PRIMARY KEY, chrono_id INT NOT NULL, user_id INT NOT NULL,
            produit_id INT NOT NULL, code CHAR(3) NOT NULL, duree INT NOT NULL,
            date_fin DATETIME NOT NULL, date_commande DATETIME NOT NULL,
            annee SMALLINT NOT NULL, seq INT NOT NULL)",
    )?;
    conn.exec_drop(
        r"INSERT INTO mk_bench_orders
            (n, chrono_id, user_id, produit_id, code, duree, date_fin, date_commande, annee, seq)
          SELECT t.n, t.chrono_id, t.user_id, t.produit_id, t.code, t.duree, t.date_fin,
            t.date_commande, YEAR(t.date_commande),
            ROW_NUMBER() OVER (PARTITION BY t.produit_id, YEAR(t.date_commande)
                               ORDER BY t.date_commande, t.n)
          FROM (
            SELECT s.n, v.chrono_id, v.user_id, v.produit_id, bc.code, v.duree, v.date_fin,
              LEAST(NOW(), v.date_fin + INTERVAL (CRC32(CONCAT('cmd', s.n)) MOD 72) HOUR)
                AS date_commande
            FROM mk_bench_seq s
            JOIN mk_bench_valid v ON v.k = CRC32(CONCAT('chr', s.n)) MOD :valid
            JOIN mk_bench_courses bc ON bc.produit_id = v.produit_id
            WHERE s.n < :orders
          ) t",
        params! { "valid" => valid, "orders" => orders },
    )?;
    Ok(true)
}

/// Orders `lo..hi` of the plan, with the statuses, dates and history their
/// place in the plan gives them.
fn insert_order_batch(conn: &mut Conn, ateliers: (u64, u64), lo: u64, hi: u64) -> Result<()> {
    let (atelier_a, atelier_b) = ateliers;
    conn.exec_drop(
        r"INSERT INTO commandes
            (numero, user_id, chrono_id, produit_id, atelier_id, statut, chrono_valide,
             duree_secondes, date_commande, date_gravure, date_expedition, date_livraison,
             tracking, transporteur, historique, gravure_texte, validation_sportif,
             date_validation_sportif)
          SELECT x.numero, x.user_id, x.chrono_id, x.produit_id,
            IF(x.n MOD 2 = 0, :atelier_a, :atelier_b), x.statut, TRUE, x.duree,
            x.date_commande,
            IF(x.statut IN ('grave', 'attente_expedition', 'expedie', 'livre'),
               x.date_commande + INTERVAL 3 DAY, NULL),
            IF(x.statut IN ('expedie', 'livre'), x.date_commande + INTERVAL 4 DAY, NULL),
            IF(x.statut = 'livre', x.date_commande + INTERVAL 6 DAY, NULL),
            IF(x.statut IN ('expedie', 'livre'), CONCAT('6A', LPAD(x.n, 11, '0')), NULL),
            IF(x.statut IN ('expedie', 'livre'), 'Colissimo', NULL),
            IF(x.statut = 'attente_gravure',
               JSON_ARRAY(x.created),
               JSON_ARRAY(x.created, JSON_OBJECT('from', 'attente_gravure', 'to', x.statut,
                 'by', NULL, 'at', DATE_FORMAT(x.date_commande + INTERVAL 1 DAY, '%Y-%m-%dT%H:%i:%s'),
                 'comment', 'Jeu de données bench'))),
            JSON_OBJECT('nom', UPPER(u.nom), 'prenom', u.prenom,
              'chrono', TIME_FORMAT(SEC_TO_TIME(x.duree), '%H:%i:%s'),
              'date', DATE_FORMAT(x.date_fin, '%d/%m/%Y'), 'numero', x.numero),
            x.validated,
            IF(x.validated, x.date_commande + INTERVAL 1 DAY, NULL)
          FROM (
            SELECT o.*,
              CONCAT('MKO-', o.annee, '-', o.code, '-', IF(o.seq < 1000, LPAD(o.seq, 3, '0'), o.seq))
                AS numero,
              CRC32(CONCAT('val', o.n)) MOD 10 < 3 AS validated,
              CASE
                WHEN CRC32(CONCAT('val', o.n)) MOD 10 < 3 THEN
                  ELT(1 + o.n MOD 7, 'attente_gravure', 'en_gravure', 'grave',
                      'attente_expedition', 'expedie', 'livre', 'livre')
                WHEN o.n MOD 25 = 0 THEN 'annule'
                ELSE 'attente_gravure'
              END AS statut,
              JSON_OBJECT('from', NULL, 'to', 'attente_gravure', 'by', NULL,
                'at', DATE_FORMAT(o.date_commande, '%Y-%m-%dT%H:%i:%s'), 'comment', 'Création')
                AS created
            FROM mk_bench_orders o WHERE o.n >= :lo AND o.n < :hi
          ) x
          JOIN users u ON u.id = x.user_id",
        params! {
            "atelier_a" => atelier_a, "atelier_b" => atelier_b, "lo" => lo, "hi" => hi,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_the_range_once() {
        let b: Vec<_> = batches(45_000).collect();
        assert_eq!(b, vec![(0, 20_000), (20_000, 40_000), (40_000, 45_000)]);
        assert_eq!(batches(0).count(), 0);
        assert_eq!(batches(BATCH).collect::<Vec<_>>(), vec![(0, BATCH)]);
    }

    #[test]
    fn volumes_are_bounded() {
        let ok = Volumes {
            courses: 1000,
            athletes: 20_000,
            chronos: 100_000,
            orders: 50_000,
        };
        assert!(ok.check().is_ok());
        assert!(Volumes { courses: 0, ..ok }.check().is_err());
        assert!(Volumes {
            courses: MAX_COURSES + 1,
            ..ok
        }
        .check()
        .is_err());
        assert!(Volumes {
            chronos: MAX_ROWS + 1,
            ..ok
        }
        .check()
        .is_err());
    }
}
