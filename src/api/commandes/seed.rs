//! Demo orders for `mk-admin seed-demo`: the demo athlete Julien Martin has
//! an order in every status (including one awaiting his final engraving
//! validation, the dashboard's "VALIDATION FINALE" case, and a course bought
//! but not done yet), two other athletes fill the Izoard podium, and the
//! town hall of Briançon ordered ten medals (B2B).
//!
//! Idempotent: an athlete who already has orders, or a B2B client already
//! present, is left alone. Status changes go through the real machine, so
//! history, audit rows, dates and stock are those the product would write.

use super::queries::{self, ChronoRow};
use super::render::frozen_text;
use super::status::{change_status, Shipping, Statut};
use super::{insert_order, B2b, NewOrder};
use crate::api::parcours::slugs;
use crate::db::rows;
use crate::demo::DEMO_PASSWORD;
use crate::error::Result;
use crate::security::jwt::Claims;
use crate::security::{password, Role};
use mysql::prelude::Queryable;
use mysql::Conn;
use serde_json::json;

/// Seeds the demo orders (see the module doc). Missing courses are skipped.
pub fn seed_demo(conn: &mut Conn) -> Result<()> {
    let mut course = |slug: &str| -> Result<Option<u64>> {
        Ok(conn.exec_first("SELECT id FROM produits WHERE slug = ?", (slug,))?)
    };
    let (izoard, galibier, ventoux, tourmalet) = (
        course(slugs::IZOARD)?,
        course(slugs::GALIBIER)?,
        course(slugs::VENTOUX)?,
        course(slugs::TOURMALET)?,
    );
    let Some(izoard) = izoard else {
        println!("  commandes: no demo course (col-izoard) found, no demo orders");
        return Ok(());
    };
    let atelier: Option<u64> = conn.query_first("SELECT id FROM ateliers WHERE code = 'A1'")?;
    let admin: Option<u64> =
        conn.query_first("SELECT id FROM users WHERE email = 'admin@mykollector.test'")?;
    let julien: Option<u64> =
        conn.query_first("SELECT id FROM users WHERE email = 'julien@mykollector.test'")?;
    let (Some(admin), Some(julien)) = (admin, julien) else {
        return Ok(());
    };
    let actor = Claims {
        sub: admin,
        role: Role::SuperAdmin,
        atelier_id: None,
        sid: String::new(),
        iat: 0,
        exp: 0,
    };
    let claire = demo_athlete(conn, "claire.dubois@mykollector.test", "Dubois", "Claire")?;
    let thomas = demo_athlete(conn, "thomas.bernard@mykollector.test", "Bernard", "Thomas")?;

    // Validated chronos (the chronos module may have seeded some already).
    let courses = DemoCourses {
        izoard,
        galibier,
        ventoux,
        tourmalet,
    };
    seed_chronos(conn, [julien, claire, thomas], &courses)?;

    // Julien: every status, spread over his courses.
    if !has_orders(conn, julien)? {
        seed_every_status(conn, &actor, julien, &courses, atelier)?;
    }
    if !has_orders(conn, claire)? {
        seed_order(
            conn,
            &actor,
            claire,
            izoard,
            atelier,
            Some(Statut::Expedie),
            10,
        )?;
    }
    if !has_orders(conn, thomas)? {
        seed_order(
            conn,
            &actor,
            thomas,
            izoard,
            atelier,
            Some(Statut::AttenteGravure),
            4,
        )?;
    }

    // B2B: the town hall of Briançon, ten medals, no chrono.
    seed_b2b_order(conn, izoard, atelier, admin)?;
    println!("  commandes: demo orders ready (julien@mykollector.test has one in every status)");
    Ok(())
}

/// The demo courses found by slug (Izoard is required).
#[derive(Clone, Copy)]
struct DemoCourses {
    izoard: u64,
    galibier: Option<u64>,
    ventoux: Option<u64>,
    tourmalet: Option<u64>,
}

/// The demo athletes' validated chronos: Julien, Claire and Thomas.
fn seed_chronos(
    conn: &mut Conn,
    [julien, claire, thomas]: [u64; 3],
    courses: &DemoCourses,
) -> Result<()> {
    let DemoCourses {
        izoard,
        ventoux,
        tourmalet,
        ..
    } = *courses;
    let mut efforts = vec![
        (julien, izoard, 16_337, "2024-07-14"),
        (claire, izoard, 5_464, "2025-07-02"),
        (thomas, izoard, 4_931, "2025-06-18"),
    ];
    if let Some(v) = ventoux {
        efforts.push((julien, v, 8_144, "2025-05-03"));
    }
    if let Some(t) = tourmalet {
        efforts.push((julien, t, 13_451, "2025-08-09"));
    }
    for (user, produit, secs, date) in efforts {
        ensure_validated_chrono(conn, user, produit, secs, date)?;
    }
    Ok(())
}

/// Julien's orders, one in every status, and one bought before the effort.
fn seed_every_status(
    conn: &mut Conn,
    actor: &Claims,
    julien: u64,
    courses: &DemoCourses,
    atelier: Option<u64>,
) -> Result<()> {
    let DemoCourses {
        izoard,
        galibier,
        ventoux,
        tourmalet,
    } = *courses;
    let other = ventoux.or(tourmalet).unwrap_or(izoard);
    let plan: Vec<(u64, Option<Statut>, i32)> = vec![
        (izoard, None, 2),                        // to validate
        (other, Some(Statut::AttenteGravure), 5), // validated, waiting for a lot
        (other, Some(Statut::EnGravure), 8),
        (izoard, Some(Statut::Grave), 12),
        (
            tourmalet.unwrap_or(izoard),
            Some(Statut::AttenteExpedition),
            15,
        ),
        (other, Some(Statut::Expedie), 20),
        (izoard, Some(Statut::Livre), 40),
        (other, Some(Statut::Sav), 30),
        (izoard, Some(Statut::Annule), 25),
    ];
    for (produit, target, days_ago) in plan {
        seed_order(conn, actor, julien, produit, atelier, target, days_ago)?;
    }
    if let Some(g) = galibier {
        // Bought before the effort: no chrono yet.
        let created = insert_order(
            conn,
            &NewOrder {
                user_id: Some(julien),
                produit_id: g,
                atelier_id: atelier,
                gravure_texte: json!({}),
                ..NewOrder::default()
            },
            Some(julien),
        )?;
        backdate(conn, created.id, 3)?;
    }
    Ok(())
}

/// The town hall of Briançon's B2B order, created once.
fn seed_b2b_order(conn: &mut Conn, izoard: u64, atelier: Option<u64>, admin: u64) -> Result<()> {
    if !rows::any(
        conn,
        "SELECT id FROM commandes WHERE b2b_client_nom = 'Mairie de Briançon' LIMIT 1",
        (),
    )? {
        let fabricant: Option<u64> =
            conn.query_first("SELECT id FROM fabricants WHERE actif = TRUE ORDER BY id LIMIT 1")?;
        let created = insert_order(
            conn,
            &NewOrder {
                produit_id: izoard,
                atelier_id: atelier,
                gravure_texte: json!({}),
                email_client: Some("accueil@mairie-briancon.test".into()),
                b2b: Some(B2b {
                    client_nom: "Mairie de Briançon".into(),
                    client_type: "mairie".into(),
                    fabricant_id: fabricant,
                    quantite: 10,
                }),
                ..NewOrder::default()
            },
            Some(admin),
        )?;
        backdate(conn, created.id, 6)?;
    }
    Ok(())
}

/// An extra demo athlete (for the podium), created once.
fn demo_athlete(conn: &mut Conn, email: &str, nom: &str, prenom: &str) -> Result<u64> {
    let existing: Option<u64> =
        conn.exec_first("SELECT id FROM users WHERE email = ?", (email,))?;
    if let Some(id) = existing {
        return Ok(id);
    }
    conn.exec_drop(
        "INSERT INTO users (email, password, role, nom, prenom, actif) VALUES (?, ?, 'sportif', ?, ?, TRUE)",
        (email, password::hash(DEMO_PASSWORD)?, nom, prenom),
    )?;
    Ok(conn.last_insert_id())
}

fn ensure_validated_chrono(
    conn: &mut Conn,
    user: u64,
    produit: u64,
    secs: u64,
    date: &str,
) -> Result<()> {
    if !rows::any(
        conn,
        "SELECT id FROM chronos WHERE user_id = ? AND produit_id = ? AND statut = 'valide' LIMIT 1",
        (user, produit),
    )? {
        conn.exec_drop(
            r"INSERT INTO chronos (user_id, produit_id, duree_secondes, source, statut,
                                   date_debut, date_fin, date_realisation, auto_valide, valide_at)
              VALUES (?, ?, ?, 'qr', 'valide', CONCAT(?, ' 08:00:00'),
                      CONCAT(?, ' 08:00:00') + INTERVAL ? SECOND, ?, TRUE, CONCAT(?, ' 18:00:00'))",
            (user, produit, secs, date, date, secs, date, date),
        )?;
        let id = conn.last_insert_id();
        crate::api::chronos::classement::record_validation(
            conn,
            produit,
            user,
            id,
            i64::try_from(secs).unwrap_or(i64::MAX),
        )?;
    }
    Ok(())
}

fn has_orders(conn: &mut Conn, user: u64) -> Result<bool> {
    let n: Option<u64> =
        conn.exec_first("SELECT COUNT(*) FROM commandes WHERE user_id = ?", (user,))?;
    Ok(n.unwrap_or(0) > 0)
}

/// One athlete order on a course where the athlete has a validated chrono:
/// `None` leaves it awaiting the athlete's validation, otherwise it is
/// validated and walked to `target` through the status machine.
fn seed_order(
    conn: &mut Conn,
    actor: &Claims,
    user: u64,
    produit: u64,
    atelier: Option<u64>,
    target: Option<Statut>,
    days_ago: i32,
) -> Result<()> {
    let chronos = queries::validated_chronos(conn, user)?;
    let chrono: Option<ChronoRow> = chronos.into_iter().find(|c| c.produit_id == produit);
    let created = insert_order(
        conn,
        &NewOrder {
            user_id: Some(user),
            produit_id: produit,
            chrono_id: chrono.as_ref().map(|c| c.id),
            duree_secondes: chrono.as_ref().map(|c| c.duree_secondes),
            chrono_valide: chrono.is_some(),
            atelier_id: atelier,
            gravure_texte: json!({}),
            ..NewOrder::default()
        },
        Some(user),
    )?;
    backdate(conn, created.id, days_ago)?;
    let (Some(target), Some(chrono)) = (target, chrono) else {
        return Ok(());
    };
    let (nom, prenom) = queries::user_names(conn, user)?.unwrap_or_default();
    let texte = frozen_text(&nom, &prenom, &chrono, &created.numero);
    queries::record_validation(conn, created.id, user, &chrono, &texte)?;
    let path: &[Statut] = match target {
        Statut::AttenteGravure => &[],
        Statut::EnGravure => &[Statut::EnGravure],
        Statut::Grave => &[Statut::EnGravure, Statut::Grave],
        Statut::AttenteExpedition => &[Statut::EnGravure, Statut::Grave, Statut::AttenteExpedition],
        Statut::Expedie => &[
            Statut::EnGravure,
            Statut::Grave,
            Statut::AttenteExpedition,
            Statut::Expedie,
        ],
        Statut::Livre => &[
            Statut::EnGravure,
            Statut::Grave,
            Statut::Expedie,
            Statut::Livre,
        ],
        Statut::Sav => &[
            Statut::EnGravure,
            Statut::Grave,
            Statut::Expedie,
            Statut::Sav,
        ],
        Statut::Annule => &[Statut::Annule],
    };
    let shipping = Shipping {
        transporteur: Some("Colissimo".into()),
        tracking: Some(format!("6A{:011}", 10_000_000_000 + created.id)),
    };
    for step in path {
        let comment = match step {
            Statut::Sav => Some("Médaille reçue rayée, regravure demandée"),
            Statut::Annule => Some("Annulée à la demande du sportif"),
            _ => None,
        };
        let shipping = if *step == Statut::Expedie {
            &shipping
        } else {
            &Shipping::default()
        };
        change_status(conn, created.id, *step, actor, comment, shipping)?;
    }
    Ok(())
}

fn backdate(conn: &mut Conn, id: u64, days_ago: i32) -> Result<()> {
    conn.exec_drop(
        "UPDATE commandes SET date_commande = NOW() - INTERVAL ? DAY WHERE id = ?",
        (days_ago, id),
    )?;
    Ok(())
}
