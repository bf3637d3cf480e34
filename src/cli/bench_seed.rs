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
//! Orders follow a workshop's life rather than a uniform draw: per atelier,
//! the newest [`WAITING`] orders wait for engraving (a third of them still
//! for the athlete's validation of the text), the next ones are being
//! engraved, engraved, shipped, and every older order is delivered. So the
//! operators' list (`statut=attente_gravure&atelier_id=X`) matches a few
//! hundred rows whatever the volume, as in production; `--worst-case` puts
//! half of all orders in atelier A, all waiting. The workshop tables the
//! list routes read grow with the orders: one lot per 50 engraved orders,
//! a stock journal line per engraved order, an audit row and a
//! notification per order, SAV tickets (~1 %) and defects (~0.7 %); at
//! least 60 lots, tickets and defects per atelier.
//!
//! It runs once per database: bench rows are recognised by their slug
//! (`bench-…`) and email (`bench.athlete.…`), and a second run is refused.
//! It refuses `APP_ENV=production` too: the athletes share a known password.

use crate::error::{Error, Result};
use crate::security::password;
use mysql::prelude::Queryable;
use mysql::{params, Conn};
use std::fmt::Write as _;
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

/// Orders waiting for engraving per atelier (the newest ones), a third of
/// them not yet validated by the athlete.
pub const WAITING: u64 = 300;

/// The bench ateliers: code and name. Orders go round-robin over them.
const ATELIERS: [(&str, &str); 4] = [
    ("BENCH-A", "Atelier bench A — Briançon"),
    ("BENCH-B", "Atelier bench B — Tarbes"),
    ("BENCH-C", "Atelier bench C — Annecy"),
    ("BENCH-D", "Atelier bench D — Pau"),
];

/// How much to insert.
#[derive(Debug, Clone, Copy)]
pub struct Volumes {
    /// Courses (`produits` + `segment_tracking_config`).
    pub courses: u64,
    /// Athletes (`users`, role sportif).
    pub athletes: u64,
    /// Chronos (about 90 % validated, the rest pending or annulled).
    pub chronos: u64,
    /// Orders (`commandes`), spread over four ateliers like a running
    /// workshop: in each atelier the newest few hundred are in the pipeline
    /// (waiting for the athlete's validation or for engraving, then engraved,
    /// shipped), every older one delivered (2 % annulled, 0.5 % in SAV).
    pub orders: u64,
    /// The worst case of the operators' order list: half of all orders in
    /// atelier A, every one of them waiting for engraving.
    pub worst_case: bool,
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
    let statuses: Vec<(String, String, u64)> = conn.query(
        r"SELECT a.code, c.statut, COUNT(*) FROM commandes c JOIN ateliers a ON a.id = c.atelier_id
          WHERE a.code LIKE 'BENCH-%' AND c.statut <> 'livre'
          GROUP BY a.code, c.statut ORDER BY a.code, c.statut",
    )?;
    let mut line = String::new();
    for (atelier, statut, n) in statuses {
        let _ = write!(line, " {atelier}/{statut}={n}");
    }
    println!("seed-bench: orders not delivered, per atelier:{line}");
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
    step("commandes", v.orders, || {
        insert_orders(conn, v.orders, v.worst_case)
    })?;
    step("lots, stock, SAV, defects, logs", 0, || {
        insert_workshop(conn)
    })?;
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
/// the seeded numbers. Ateliers go round-robin (worst case: every other
/// order in atelier A); each order's status follows from its rank among its
/// atelier's orders, newest first (see the module documentation).
fn insert_orders(conn: &mut Conn, orders: u64, worst_case: bool) -> Result<()> {
    let ateliers = insert_ateliers(conn)?;
    if !plan_orders(conn, orders, worst_case)? {
        return Ok(());
    }
    let statut = status_by_recency(worst_case);
    for (lo, hi) in batches(orders) {
        insert_order_batch(conn, &ateliers, &statut, lo, hi)?;
    }
    // New orders of these courses must continue after the seeded numbers.
    conn.query_drop(
        r"INSERT INTO commande_sequences (annee, code, dernier)
          SELECT annee, code, MAX(seq) FROM mk_bench_orders GROUP BY annee, code
          ON DUPLICATE KEY UPDATE dernier = GREATEST(dernier, VALUES(dernier))",
    )?;
    Ok(())
}

/// The plan of `orders` orders in `mk_bench_orders`, each on a validated
/// chrono, numbered per course and year and ranked per atelier; false when
/// there is no validated chrono to order.
fn plan_orders(conn: &mut Conn, orders: u64, worst_case: bool) -> Result<bool> {
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
    // The plan, numbered per (course, year) and ranked per atelier in one
    // statement: the window functions must see every order at once.
    conn.query_drop(
        r"CREATE TEMPORARY TABLE mk_bench_orders (
            n INT UNSIGNED NOT NULL PRIMARY KEY, chrono_id INT NOT NULL, user_id INT NOT NULL,
            produit_id INT NOT NULL, code CHAR(3) NOT NULL, duree INT NOT NULL,
            date_fin DATETIME NOT NULL, date_commande DATETIME NOT NULL,
            annee SMALLINT NOT NULL, seq INT NOT NULL, atelier_k TINYINT UNSIGNED NOT NULL,
            recent INT UNSIGNED NOT NULL, total INT UNSIGNED NOT NULL)",
    )?;
    // Worst case: even rows go to atelier A (k = 0), odd rows round-robin
    // over B, C and D.
    let atelier_k = if worst_case {
        "IF(s.n MOD 2 = 0, 0, 1 + (s.n DIV 2) MOD 3)"
    } else {
        "s.n MOD 4"
    };
    conn.exec_drop(
        format!(
            r"INSERT INTO mk_bench_orders
                (n, chrono_id, user_id, produit_id, code, duree, date_fin, date_commande, annee,
                 seq, atelier_k, recent, total)
              SELECT t.n, t.chrono_id, t.user_id, t.produit_id, t.code, t.duree, t.date_fin,
                t.date_commande, YEAR(t.date_commande),
                ROW_NUMBER() OVER (PARTITION BY t.produit_id, YEAR(t.date_commande)
                                   ORDER BY t.date_commande, t.n),
                t.atelier_k,
                ROW_NUMBER() OVER (PARTITION BY t.atelier_k ORDER BY t.date_commande DESC, t.n DESC) - 1,
                COUNT(*) OVER (PARTITION BY t.atelier_k)
              FROM (
                SELECT s.n, v.chrono_id, v.user_id, v.produit_id, bc.code, v.duree, v.date_fin,
                  LEAST(NOW(), v.date_fin + INTERVAL (CRC32(CONCAT('cmd', s.n)) MOD 72) HOUR)
                    AS date_commande,
                  {atelier_k} AS atelier_k
                FROM mk_bench_seq s
                JOIN mk_bench_valid v ON v.k = CRC32(CONCAT('chr', s.n)) MOD :valid
                JOIN mk_bench_courses bc ON bc.produit_id = v.produit_id
                WHERE s.n < :orders
              ) t"
        ),
        params! { "valid" => valid, "orders" => orders },
    )?;
    Ok(true)
}

/// The SQL of an order's status, from its rank among its atelier's orders
/// (`o.recent`, newest first) and the atelier's size (`o.total`).
fn status_by_recency(worst_case: bool) -> String {
    // Status by recency within the atelier: WAITING waiting for engraving,
    // then 40 being engraved, 40 engraved, 40 waiting for shipping, 180
    // shipped, the rest delivered (every 50th annulled, every 200th in SAV).
    // A small atelier (under 1,250 orders) has proportionally shorter
    // queues, so some of its orders are delivered too. Worst case: atelier
    // A's orders all wait.
    let worst = if worst_case {
        "o.atelier_k = 0 OR "
    } else {
        ""
    };
    format!(
        r"CASE
            WHEN {worst}o.recent < LEAST({WAITING}, o.total * 6 DIV 25) THEN 'attente_gravure'
            WHEN o.recent < LEAST({WAITING} + 40, o.total * 7 DIV 25) THEN 'en_gravure'
            WHEN o.recent < LEAST({WAITING} + 80, o.total * 8 DIV 25) THEN 'grave'
            WHEN o.recent < LEAST({WAITING} + 120, o.total * 9 DIV 25) THEN 'attente_expedition'
            WHEN o.recent < LEAST({WAITING} + 300, o.total * 12 DIV 25) THEN 'expedie'
            WHEN CRC32(CONCAT('st', o.n)) MOD 50 = 7 THEN 'annule'
            WHEN CRC32(CONCAT('st', o.n)) MOD 200 = 11 THEN 'sav'
            ELSE 'livre'
          END"
    )
}

/// Orders `lo..hi` of the plan, with the statuses, dates and history their
/// place in the plan gives them.
fn insert_order_batch(
    conn: &mut Conn,
    ateliers: &[u64; 4],
    statut: &str,
    lo: u64,
    hi: u64,
) -> Result<()> {
    conn.exec_drop(
        format!(
            r"INSERT INTO commandes
            (numero, user_id, chrono_id, produit_id, atelier_id, statut, chrono_valide,
             duree_secondes, date_commande, date_gravure, date_expedition, date_livraison,
             tracking, transporteur, historique, gravure_texte, validation_sportif,
             date_validation_sportif)
          SELECT x.numero, x.user_id, x.chrono_id, x.produit_id,
            ELT(1 + x.atelier_k, :a0, :a1, :a2, :a3), x.statut, TRUE, x.duree,
            x.date_commande,
            IF(x.statut IN ('grave', 'attente_expedition', 'expedie', 'livre', 'sav'),
               x.date_commande + INTERVAL 3 DAY, NULL),
            IF(x.statut IN ('expedie', 'livre', 'sav'), x.date_commande + INTERVAL 4 DAY, NULL),
            IF(x.statut IN ('livre', 'sav'), x.date_commande + INTERVAL 6 DAY, NULL),
            IF(x.statut IN ('expedie', 'livre', 'sav'), CONCAT('6A', LPAD(x.n, 11, '0')), NULL),
            IF(x.statut IN ('expedie', 'livre', 'sav'), 'Colissimo', NULL),
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
              {statut} AS statut,
              NOT ({statut} = 'attente_gravure' AND o.n MOD 3 = 0) AS validated,
              JSON_OBJECT('from', NULL, 'to', 'attente_gravure', 'by', NULL,
                'at', DATE_FORMAT(o.date_commande, '%Y-%m-%dT%H:%i:%s'), 'comment', 'Création')
                AS created
            FROM mk_bench_orders o WHERE o.n >= :lo AND o.n < :hi
          ) x
          JOIN users u ON u.id = x.user_id"
        ),
        params! {
            "a0" => ateliers[0], "a1" => ateliers[1], "a2" => ateliers[2], "a3" => ateliers[3],
            "lo" => lo, "hi" => hi,
        },
    )?;
    Ok(())
}

/// The four bench ateliers (created or renamed), their ids in code order.
fn insert_ateliers(conn: &mut Conn) -> Result<[u64; 4]> {
    for (code, nom) in ATELIERS {
        conn.exec_drop(
            r"INSERT INTO ateliers (code, nom, actif) VALUES (?, ?, TRUE)
              ON DUPLICATE KEY UPDATE nom = VALUES(nom)",
            (code, nom),
        )?;
    }
    let ids: Vec<u64> =
        conn.query("SELECT id FROM ateliers WHERE code LIKE 'BENCH-_' ORDER BY code")?;
    ids.try_into()
        .map_err(|_| Error::internal("bench ateliers missing after insert"))
}

/// What the workshop's list routes read, in proportion to the orders:
/// lots of (up to) 50 engraved orders per atelier (with `commande_lot` and
/// `commandes.lot_id`), one stock per (course, atelier) ordered with one
/// journal line per engraved order, SAV tickets (~1 % of shipped orders),
/// defects (~0.7 %) and at least [`PAGE_FLOOR_PER_ATELIER`] of each per
/// atelier, one audit row per order (its creation) and one notification per
/// order for its athlete.
fn insert_workshop(conn: &mut Conn) -> Result<()> {
    insert_lots(conn)?;
    insert_stock_and_aftersales(conn)?;
    insert_activity(conn)
}

/// Lots of 50 engraved orders per atelier, with `commande_lot` and
/// `commandes.lot_id`; an atelier with too few engraved orders for
/// [`PAGE_FLOOR_PER_ATELIER`] such lots gets smaller ones, so that its lot
/// list is more than a page at any volume.
fn insert_lots(conn: &mut Conn) -> Result<()> {
    conn.query_drop(
        r"INSERT INTO templates_gravure (nom, fichier_path, fichier_nom_original, actif)
          VALUES ('Bench template', 'templates/bench.dxf', 'bench.dxf', TRUE)",
    )?;
    let template: Option<u64> = conn.query_first("SELECT LAST_INSERT_ID()")?;
    let template = template.ok_or_else(|| Error::internal("bench template missing"))?;
    conn.query_drop(
        r"CREATE TEMPORARY TABLE mk_bench_lotted (
            commande_id INT NOT NULL PRIMARY KEY, atelier_id INT NOT NULL, g INT NOT NULL,
            pos INT NOT NULL, KEY (atelier_id, g))",
    )?;
    conn.exec_drop(
        r"INSERT INTO mk_bench_lotted (commande_id, atelier_id, g, pos)
          SELECT id, atelier_id, rn DIV lot_size, rn MOD lot_size
          FROM (SELECT id, atelier_id,
                  ROW_NUMBER() OVER (PARTITION BY atelier_id ORDER BY date_gravure, id) - 1 AS rn,
                  GREATEST(1, LEAST(50, COUNT(*) OVER (PARTITION BY atelier_id) DIV ?)) AS lot_size
                FROM commandes WHERE date_gravure IS NOT NULL AND atelier_id IS NOT NULL) e",
        (PAGE_FLOOR_PER_ATELIER,),
    )?;
    conn.exec_drop(
        r"INSERT INTO lots (numero, template_gravure_id, atelier_id, statut, nb_commandes,
                            agent_statut, date_gravure, created_at)
          SELECT CONCAT('LOT-BENCH-', l.atelier_id, '-', LPAD(l.g, 5, '0')), ?, l.atelier_id,
            'termine', COUNT(*), 'genere', MIN(c.date_gravure), MIN(c.date_gravure) - INTERVAL 1 HOUR
          FROM mk_bench_lotted l JOIN commandes c ON c.id = l.commande_id
          GROUP BY l.atelier_id, l.g",
        (template,),
    )?;
    conn.query_drop(
        r"INSERT INTO commande_lot (lot_id, commande_id, position)
          SELECT lo.id, l.commande_id, l.pos
          FROM mk_bench_lotted l
          JOIN lots lo ON lo.numero = CONCAT('LOT-BENCH-', l.atelier_id, '-', LPAD(l.g, 5, '0'))",
    )?;
    conn.query_drop(
        r"UPDATE commandes c JOIN commande_lot cl ON cl.commande_id = c.id SET c.lot_id = cl.lot_id",
    )?;
    conn.query_drop("DROP TEMPORARY TABLE mk_bench_lotted")?;
    Ok(())
}

/// Each atelier's lots, SAV tickets and defects at the least (its latest
/// shipped, engraved orders get the tickets and defects): more than a page
/// (50), so that the list-scaling table compares full pages at 1,000 orders
/// too, not 12 items against 50.
const PAGE_FLOOR_PER_ATELIER: u64 = 60;

/// One stock per (course, atelier) ordered, one journal line per engraved
/// order, SAV tickets and defects.
fn insert_stock_and_aftersales(conn: &mut Conn) -> Result<()> {
    conn.query_drop(
        r"INSERT INTO stocks (produit_id, atelier_id, quantite, seuil_alerte)
          SELECT produit_id, atelier_id, 5 + CRC32(CONCAT('stk', produit_id, '-', atelier_id)) MOD 200, 10
          FROM commandes WHERE atelier_id IS NOT NULL GROUP BY produit_id, atelier_id",
    )?;
    conn.query_drop(
        r"INSERT INTO stock_mouvements
            (stock_id, atelier_id, type, quantite, quantite_apres, motif, commande_id, created_at)
          SELECT s.id, s.atelier_id, 'gravure', -1, s.quantite, CONCAT('Gravure ', c.numero), c.id,
            c.date_gravure
          FROM commandes c JOIN stocks s ON s.produit_id = c.produit_id AND s.atelier_id = c.atelier_id
          WHERE c.date_gravure IS NOT NULL",
    )?;
    conn.exec_drop(
        r"INSERT INTO sav_tickets (numero, commande_id, motif, statut, description, created_at)
          SELECT CONCAT('SAV-BENCH-', id), id,
            ELT(1 + id MOD 5, 'rayure', 'erreur_texte', 'medaille_endommagee', 'colis_perdu', 'reclamation'),
            IF(statut = 'sav', 'ouvert', ELT(1 + id MOD 3, 'en_cours', 'resolu', 'ferme')),
            'Ticket du jeu de données bench', date_expedition + INTERVAL 5 DAY
          FROM (SELECT id, statut, date_expedition,
                  ROW_NUMBER() OVER (PARTITION BY atelier_id ORDER BY date_expedition DESC, id DESC)
                    AS recent
                FROM commandes WHERE date_expedition IS NOT NULL) c
          WHERE statut = 'sav' OR id MOD 100 = 3 OR recent <= ?",
        (PAGE_FLOOR_PER_ATELIER,),
    )?;
    conn.exec_drop(
        r"INSERT INTO defauts (commande_id, lot_id, atelier_id, type_id, description, gravite, statut,
                               created_at)
          SELECT c.id, c.lot_id, c.atelier_id, t.id, 'Défaut du jeu de données bench',
            ELT(1 + c.id MOD 3, 'mineur', 'majeur', 'critique'),
            ELT(1 + c.id MOD 3, 'ouvert', 'traite', 'clos'), c.date_gravure
          FROM (SELECT id, lot_id, atelier_id, date_gravure,
                  ROW_NUMBER() OVER (PARTITION BY atelier_id ORDER BY date_gravure DESC, id DESC)
                    AS recent
                FROM commandes WHERE date_gravure IS NOT NULL) c
          JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k,
                  COUNT(*) OVER () AS n FROM types_defauts) t ON t.k = c.id MOD t.n
          WHERE c.id MOD 150 = 5 OR c.recent <= ?",
        (PAGE_FLOOR_PER_ATELIER,),
    )?;
    Ok(())
}

/// One audit row per order (its creation) and one notification per order
/// for its athlete.
fn insert_activity(conn: &mut Conn) -> Result<()> {
    conn.query_drop(
        r"INSERT INTO logs_audit (user_id, user_email, role, methode, route, statut_http, niveau,
                                  type, entite, entite_id, ip, user_agent, duree_ms, created_at)
          SELECT c.user_id, u.email, 'sportif', 'POST', '/api/commandes', 201, 'INFO',
            'commandes', 'commande', c.id, '127.0.0.1', 'bench', 12, c.date_commande
          FROM commandes c JOIN users u ON u.id = c.user_id",
    )?;
    conn.query_drop(
        r"INSERT INTO notifications (user_id, type, titre, lien, lu, created_at)
          SELECT user_id, 'commande_statut', CONCAT('Commande ', numero), '/chrono/', statut = 'livre',
            COALESCE(date_expedition, date_commande)
          FROM commandes",
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
            worst_case: false,
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
