//! The events users care about (spec 5.9), each turned into notifications
//! (and, for the athlete's order, an e-mail) by one call from the handler
//! that makes the change, on its transaction.
//!
//! Workshop events (lot engraved, defect, low stock) go to the staff of the
//! atelier concerned: its operators and admins, plus the workshop admins who
//! have no atelier (they oversee all of them).

use super::create;
use crate::error::Result;
use crate::http::Ctx;
use crate::mail::{outbox, templates};
use mysql::prelude::Queryable;
use mysql::Conn;

/// A chrono was validated (`valide`) or rejected (`annule`) by an admin.
pub fn chrono_decided(conn: &mut Conn, user_id: u64, chrono_id: u64, statut: &str) -> Result<()> {
    let col: Option<String> = conn.exec_first(
        "SELECT p.nom FROM chronos c JOIN produits p ON p.id = c.produit_id WHERE c.id = ?",
        (chrono_id,),
    )?;
    let col = col.unwrap_or_default();
    let (kind, title) = if statut == "valide" {
        (
            "chrono_valide",
            format!("Votre chrono sur {col} est validé"),
        )
    } else {
        (
            "chrono_rejete",
            format!("Votre chrono sur {col} a été refusé"),
        )
    };
    create(conn, user_id, kind, &title, None, Some("/chrono/"))?;
    Ok(())
}

/// An order was shipped: the athlete gets a notification and the e-mail with
/// the tracking number (sent after commit, retried by the cron). B2B orders
/// have no athlete: nobody to tell.
pub fn order_shipped(ctx: &mut Ctx, commande_id: u64) -> Result<()> {
    type Row = (
        String,
        Option<u64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = ctx.tx()?.exec_first(
        r"SELECT c.numero, c.user_id, COALESCE(u.email, c.email_client), u.prenom, c.transporteur, c.tracking
          FROM commandes c LEFT JOIN users u ON u.id = c.user_id WHERE c.id = ?",
        (commande_id,),
    )?;
    let Some((numero, user_id, email, prenom, transporteur, tracking)) = row else {
        return Ok(());
    };
    let tracking = tracking.unwrap_or_default();
    if let Some(user_id) = user_id {
        create(
            ctx.tx()?,
            user_id,
            "commande_expediee",
            &format!("Votre médaille est en route ({numero})"),
            Some(&format!("Numéro de suivi : {tracking}")),
            Some("/chrono/"),
        )?;
    }
    if let Some(email) = email.filter(|_| !tracking.is_empty()) {
        let mail = templates::shipped(
            &email,
            prenom.as_deref().unwrap_or(""),
            &numero,
            transporteur.as_deref(),
            &tracking,
        );
        outbox::send_after_commit(ctx, &mail)?;
    }
    Ok(())
}

/// Notifies the staff of `atelier_id` (see the module header), except
/// `except` (the user who caused the event).
fn notify_atelier(
    conn: &mut Conn,
    atelier_id: Option<u64>,
    except: Option<u64>,
    kind: &str,
    title: &str,
    link: &str,
) -> Result<()> {
    conn.exec_drop(
        r"INSERT INTO notifications (user_id, type, titre, lien)
          SELECT id, ?, ?, ? FROM users
           WHERE actif = TRUE AND id <> COALESCE(?, 0)
             AND ((role IN ('operateur_fab', 'admin_fab') AND atelier_id = ?)
                  OR (role = 'admin_fab' AND atelier_id IS NULL))",
        (kind, title, link, except, atelier_id),
    )?;
    Ok(())
}

/// A lot changed status; when it is engraved (`grave`), its atelier hears
/// that the medals are ready to ship.
pub fn lot_status_changed(conn: &mut Conn, lot_id: u64, to: &str) -> Result<()> {
    if to != "grave" {
        return Ok(());
    }
    let lot: Option<(String, Option<u64>)> = conn.exec_first(
        "SELECT numero, atelier_id FROM lots WHERE id = ?",
        (lot_id,),
    )?;
    let Some((numero, atelier_id)) = lot else {
        return Ok(());
    };
    notify_atelier(
        conn,
        atelier_id,
        None,
        "lot_pret",
        &format!("Lot {numero} gravé : prêt pour l'expédition"),
        "/fab/",
    )
}

/// A quality defect was reported: the atelier's staff (but not the
/// reporter) hear about it.
pub fn defect_reported(
    conn: &mut Conn,
    defaut_id: u64,
    atelier_id: Option<u64>,
    reporter: u64,
) -> Result<()> {
    notify_atelier(
        conn,
        atelier_id,
        Some(reporter),
        "defaut_signale",
        &format!("Défaut qualité signalé (n° {defaut_id})"),
        "/fab/",
    )
}

/// A stock movement took a line from above its alert threshold to at or
/// below it: the atelier hears once per crossing, not at every movement.
pub fn stock_level_changed(conn: &mut Conn, stock_id: u64, before: i64, after: i64) -> Result<()> {
    let line: Option<(Option<u64>, String, i64)> = conn.exec_first(
        r"SELECT s.atelier_id, p.nom, s.seuil_alerte
            FROM stocks s JOIN produits p ON p.id = s.produit_id WHERE s.id = ?",
        (stock_id,),
    )?;
    let Some((atelier_id, nom, seuil)) = line else {
        return Ok(());
    };
    if !(after <= seuil && before > seuil) {
        return Ok(());
    }
    notify_atelier(
        conn,
        atelier_id,
        None,
        "stock_alerte",
        &crate::api::stock::alert_message(&nom, after, seuil),
        "/fab/",
    )
}
