//! `DELETE /api/user/data`: the right to be forgotten, as one transaction.
//! Proof files and chat attachments are deleted only after the commit, so a
//! rolled-back request never loses files whose rows still point at them.

use crate::error::Result;
use crate::http::{Ctx, Response};
use mysql::prelude::Queryable;
use mysql::Conn;
use serde_json::json;
use std::path::{Path, PathBuf};

/// What replaces the athlete's names in orders kept for accounting.
const ANONYMOUS: &str = "ANONYME";
/// Text left in place of the athlete's chat messages.
const REMOVED_MESSAGE: &str = "[message supprimé à la demande de son auteur]";

/// Spec 5.10 "RGPD – droit à l'oubli".
pub fn delete_user_data(ctx: &mut Ctx) -> Result<Response> {
    let user_id = ctx.user_id()?;
    let tx = ctx.tx()?;
    let (email, strava_id): (String, Option<String>) = tx
        .exec_first(
            "SELECT email, strava_id FROM users WHERE id = ? FOR UPDATE",
            (user_id,),
        )?
        .ok_or_else(crate::error::Error::forbidden)?;
    let files = stored_files(tx, user_id)?;
    let orders = anonymise_orders(tx, user_id)?;
    strip_chronos_and_messages(tx, user_id)?;
    remove_personal_rows(tx, user_id, &email, strava_id.as_deref())?;
    anonymise_audit_rows(tx, user_id, &email)?;
    anonymise_account(tx, user_id)?;
    let storage = ctx.config.storage_path.clone();
    let file_count = files.len();
    ctx.after_commit(move |_, _| {
        remove_files(&storage, &files);
        Ok(())
    });
    ctx.audit_entity("user", user_id);
    ctx.audit_details(json!({
        "action": "droit_oubli",
        "commandes_anonymisees": orders,
        "fichiers_supprimes": file_count,
    }));
    Ok(Response::ok(&json!({
        "anonymise": true,
        "commandes_conservees": orders,
        "fichiers_supprimes": file_count,
        "message": "Vos données personnelles ont été effacées. Les commandes sont conservées \
                    sans votre nom pour la comptabilité ; ce compte ne peut plus se connecter.",
    })))
}

/// Storage-relative paths of the athlete's proofs and chat attachments.
fn stored_files(tx: &mut Conn, user_id: u64) -> Result<Vec<String>> {
    Ok(tx.exec(
        "SELECT preuve_url FROM chronos WHERE user_id = ? AND preuve_url IS NOT NULL \
         UNION ALL SELECT piece_jointe_path FROM chat_messages \
         WHERE user_id = ? AND piece_jointe_path IS NOT NULL",
        (user_id, user_id),
    )?)
}

/// Orders stay (accounting) with the engraved names, the customer email and
/// the delivery address removed.
fn anonymise_orders(tx: &mut Conn, user_id: u64) -> Result<u64> {
    tx.exec_drop(
        "UPDATE commandes SET \
           gravure_texte = JSON_REPLACE(gravure_texte, '$.nom', ?, '$.prenom', ?), \
           email_client = NULL, adresse_livraison = NULL \
         WHERE user_id = ?",
        (ANONYMOUS, ANONYMOUS, user_id),
    )?;
    Ok(tx.affected_rows())
}

fn strip_chronos_and_messages(tx: &mut Conn, user_id: u64) -> Result<()> {
    tx.exec_drop(
        "UPDATE chronos SET preuve_url = NULL, gps_arrivee = NULL, gpx_meta = NULL \
         WHERE user_id = ?",
        (user_id,),
    )?;
    tx.exec_drop(
        "UPDATE chat_messages SET contenu = ?, piece_jointe_path = NULL, \
           piece_jointe_nom = NULL, piece_jointe_mime = NULL, piece_jointe_taille = NULL \
         WHERE user_id = ?",
        (REMOVED_MESSAGE, user_id),
    )?;
    Ok(())
}

/// Rows that only exist for the athlete: sessions (revoked by deletion),
/// login links, notifications, Strava authorisations in progress, pending
/// Strava webhook events, and the e-mails and sign-in links addressed to them.
fn remove_personal_rows(
    tx: &mut Conn,
    user_id: u64,
    email: &str,
    strava_id: Option<&str>,
) -> Result<()> {
    for sql in [
        "DELETE FROM sessions WHERE user_id = ?",
        "DELETE FROM login_tokens WHERE user_id = ?",
        "DELETE FROM notifications WHERE user_id = ?",
        "DELETE FROM strava_oauth_states WHERE user_id = ?",
    ] {
        tx.exec_drop(sql, (user_id,))?;
    }
    for sql in [
        "DELETE FROM mail_outbox WHERE recipient = ?",
        "DELETE FROM signin_tokens WHERE email = ?",
        // Per-address counters (`forgot:<email>`, `signin:email:<email>`…):
        // an e-mail address never holds a colon.
        "DELETE FROM rate_limits WHERE SUBSTRING_INDEX(cle, ':', -1) = ?",
    ] {
        tx.exec_drop(sql, (email,))?;
    }
    if let Some(owner) = strava_id.and_then(|s| s.parse::<u64>().ok()) {
        tx.exec_drop("DELETE FROM strava_events WHERE owner_id = ?", (owner,))?;
    }
    Ok(())
}

/// The audit trail keeps what happened, not who the athlete was: email,
/// address, browser and free-form details go.
fn anonymise_audit_rows(tx: &mut Conn, user_id: u64, email: &str) -> Result<()> {
    tx.exec_drop(
        "UPDATE logs_audit SET user_email = NULL, ip = NULL, user_agent = NULL, details = NULL \
         WHERE user_id = ? OR user_email = ?",
        (user_id, email),
    )?;
    Ok(())
}

/// The account stays (foreign keys of orders and chronos) but can never sign
/// in again: deactivated, no password hash can match `!`, and its email is
/// replaced by an address of the reserved `.invalid` domain.
fn anonymise_account(tx: &mut Conn, user_id: u64) -> Result<()> {
    tx.exec_drop(
        "UPDATE users SET email = CONCAT('anonyme-', id, '@anonyme.invalid'), password = '!', \
           nom = NULL, prenom = NULL, strava_connected = FALSE, strava_id = NULL, \
           strava_access_token = NULL, strava_refresh_token = NULL, strava_token_expires = NULL, \
           strava_scope = NULL, \
           presta_customer_id = NULL, reset_token = NULL, reset_expires = NULL, \
           actif = FALSE, anonymized_at = NOW(), derniere_connexion = NULL \
         WHERE id = ?",
        (user_id,),
    )?;
    Ok(())
}

/// Deletes the files; paths that leave `STORAGE_PATH` are ignored.
fn remove_files(storage: &Path, files: &[String]) {
    for rel in files {
        let rel = PathBuf::from(rel);
        let safe = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if safe {
            let _ = std::fs::remove_file(storage.join(rel));
        }
    }
}
