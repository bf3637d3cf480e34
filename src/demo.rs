//! Demo data for `mk-admin seed-demo` (the README's local demo): a user of each
//! role with a printed password, and each domain's sample data. Safe to run
//! again: rows are matched on their natural keys and not duplicated.

use crate::config::Config;
use crate::error::Result;
use crate::security::{password, Role};
use mysql::prelude::Queryable;
use mysql::Conn;

/// The password of every demo account (demo data only, printed on purpose).
pub const DEMO_PASSWORD: &str = "demo-mykollector";

/// Seeds everything and prints the credentials.
pub fn seed(conn: &mut Conn, config: &Config) -> Result<()> {
    conn.exec_drop(
        r"INSERT INTO ateliers (code, nom, couleur, actif) VALUES ('A1', 'Atelier A1 — Briançon', '#c8a84b', TRUE)
          ON DUPLICATE KEY UPDATE nom = VALUES(nom)",
        (),
    )?;
    let atelier: Option<u64> = conn.query_first("SELECT id FROM ateliers WHERE code = 'A1'")?;
    let hash = password::hash(DEMO_PASSWORD)?;
    let users = [
        (
            "admin@mykollector.test",
            Role::SuperAdmin,
            "Admin",
            "Super",
            None,
        ),
        (
            "adminfab@mykollector.test",
            Role::AdminFab,
            "Fabre",
            "Alice",
            None,
        ),
        (
            "operateur@mykollector.test",
            Role::OperateurFab,
            "Laser",
            "Oscar",
            atelier,
        ),
        (
            "chrono@mykollector.test",
            Role::AdminChrono,
            "Temps",
            "Chloé",
            None,
        ),
        (
            "julien@mykollector.test",
            Role::Sportif,
            "Martin",
            "Julien",
            None,
        ),
    ];
    println!("Demo accounts (password: {DEMO_PASSWORD}):");
    for (email, role, nom, prenom, atelier_id) in users {
        conn.exec_drop(
            r"INSERT INTO users (email, password, role, nom, prenom, atelier_id, actif)
              VALUES (?, ?, ?, ?, ?, ?, TRUE)
              ON DUPLICATE KEY UPDATE password = VALUES(password), role = VALUES(role), actif = TRUE",
            (email, &hash, role.as_str(), nom, prenom, atelier_id),
        )?;
        println!("  {:<14} {email}", role.as_str());
    }
    crate::api::parcours::seed_demo(conn, config)?;
    crate::api::chronos::seed_demo(conn)?;
    crate::api::stock::seed_demo(conn)?;
    crate::api::commandes::seed_demo(conn)?;
    crate::api::sav::seed_demo(conn)?;
    // Last: its demo lot is made of the orders the other modules seeded.
    crate::api::gravure::seed_demo(conn, config)?;
    Ok(())
}
