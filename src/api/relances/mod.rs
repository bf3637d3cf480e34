//! Spec §10.3, §5.10 — `/api/relance/*`: reminder e-mails to athletes whose
//! chrono waits for validation.
//!
//! A threshold (`relance_seuils`: type, days, subject, text) is written by
//! the super admin with the variables {{prenom}} {{col}} {{chrono}} {{jours}};
//! any other `{{…}}` is refused when saved, so no reminder ever leaves with
//! a hole in it. The hourly cron ([`run_reminders`]) and the "vérifier
//! maintenant" button (`POST /api/relance/verifier`) claim with the same
//! code; the button's mails leave after its request has committed.
//!
//! Once per threshold: the row of `relances_envoyees` is inserted with
//! `INSERT IGNORE` against its unique key (seuil, chrono) in the same
//! transaction as the outbox mail; two overlapping runs cannot both insert
//! it, so no check-then-insert race can send a reminder twice.
//!
//! Supported type: `chrono_attente_validation` (the chrono's end, or its
//! creation, is older than `jours` days and it is still waiting).

use crate::config::Config;
use crate::db::rows::{self, FromRow};
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use crate::mail::{outbox, templates};
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/relance/seuils",
        Access::Roles(roles::SUPER_ADMIN),
        list_seuils,
        "Seuils de relance email",
    ),
    route(
        Method::Post,
        "/api/relance/seuils",
        Access::Roles(roles::SUPER_ADMIN),
        create_seuil,
        "Crée un seuil de relance",
    ),
    route(
        Method::Patch,
        "/api/relance/seuils/{id}",
        Access::Roles(roles::SUPER_ADMIN),
        update_seuil,
        "Modifie un seuil de relance",
    ),
    route(
        Method::Delete,
        "/api/relance/seuils/{id}",
        Access::Roles(roles::SUPER_ADMIN),
        delete_seuil,
        "Supprime un seuil de relance",
    ),
    route(
        Method::Post,
        "/api/relance/verifier",
        Access::Roles(roles::SUPER_ADMIN),
        create_verification,
        "Vérifier maintenant : envoie les relances dues et dit lesquelles",
    ),
];

/// The variables a reminder may use.
pub const VARIABLES: &[&str] = &["prenom", "col", "chrono", "jours"];
/// The threshold types the cron knows.
pub const TYPES: &[&str] = &["chrono_attente_validation"];

/// One threshold.
#[derive(Debug, Serialize, FromRow)]
struct Seuil {
    id: u64,
    #[serde(rename = "type")]
    #[mysql(rename = "type")]
    kind: String,
    jours: u32,
    sujet: String,
    message_template: String,
    actif: bool,
}

const SEUIL_COLUMNS: &str = "id, type, jours, sujet, message_template, actif";

fn seuil_not_found() -> Error {
    catalog::SEUIL_NOT_FOUND.err()
}

/// `GET /api/relance/seuils`: every threshold, by type then days.
fn list_seuils(ctx: &mut Ctx) -> Result<Response> {
    let items: Vec<Seuil> = rows::all(
        ctx.conn()?,
        format!("SELECT {SEUIL_COLUMNS} FROM relance_seuils ORDER BY type, jours"),
        (),
    )?;
    Ok(Response::ok(&json!({ "items": items })))
}

fn find_seuil(conn: &mut Conn, id: u64) -> Result<Seuil> {
    rows::first(
        conn,
        format!("SELECT {SEUIL_COLUMNS} FROM relance_seuils WHERE id = ?"),
        (id,),
    )?
    .ok_or_else(seuil_not_found)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeuilBody {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    jours: Option<u32>,
    sujet: Option<String>,
    message_template: Option<String>,
    actif: Option<bool>,
}

/// Refuses a subject or text with a `{{…}}` that is not a known variable,
/// naming it.
pub fn check_template(what: &str, template: &str) -> Result<()> {
    match crate::text::markers(template)
        .into_iter()
        .find(|m| !VARIABLES.contains(m))
    {
        Some(unknown) => Err(Error::invalid(format!(
            "{what} utilise la variable inconnue {{{{{unknown}}}}} : seules {{{{prenom}}}}, {{{{col}}}}, {{{{chrono}}}} et {{{{jours}}}} sont possibles."
        ))),
        None => Ok(()),
    }
}

/// Checks every field of a threshold (all present once merged).
fn check_seuil(s: &Seuil) -> Result<()> {
    if !TYPES.contains(&s.kind.as_str()) {
        return Err(Error::invalid(format!(
            "Type de relance inconnu : valeurs possibles {}.",
            TYPES.join(", ")
        )));
    }
    if !(1..=3650).contains(&s.jours) {
        return Err(Error::invalid("jours doit être compris entre 1 et 3650."));
    }
    if s.sujet.trim().is_empty() || s.sujet.chars().count() > 255 {
        return Err(Error::invalid(
            "Le sujet est obligatoire (255 caractères au plus).",
        ));
    }
    if s.message_template.trim().is_empty() || s.message_template.chars().count() > 10_000 {
        return Err(Error::invalid(
            "Le message est obligatoire (10 000 caractères au plus).",
        ));
    }
    check_template("Le sujet", &s.sujet)?;
    check_template("Le message", &s.message_template)
}

/// Saves `s` (insert when `s.id` is 0); a second threshold with the same
/// type and days is a 409.
fn save_seuil(tx: &mut Conn, s: &Seuil) -> Result<u64> {
    if rows::any(
        tx,
        "SELECT id FROM relance_seuils WHERE type = ? AND jours = ? AND id <> ?",
        (&s.kind, s.jours, s.id),
    )? {
        return Err(catalog::SEUIL_EXISTS.err());
    }
    let values = (
        &s.kind,
        s.jours,
        s.sujet.trim(),
        &s.message_template,
        s.actif,
    );
    if s.id == 0 {
        tx.exec_drop(
            "INSERT INTO relance_seuils (type, jours, sujet, message_template, actif) VALUES (?, ?, ?, ?, ?)",
            values,
        )?;
        return Ok(tx.last_insert_id());
    }
    tx.exec_drop(
        "UPDATE relance_seuils SET type = ?, jours = ?, sujet = ?, message_template = ?, actif = ? WHERE id = ?",
        (values.0, values.1, values.2, values.3, values.4, s.id),
    )?;
    Ok(s.id)
}

/// `POST /api/relance/seuils`.
fn create_seuil(ctx: &mut Ctx) -> Result<Response> {
    let b: SeuilBody = ctx.json()?;
    let seuil = Seuil {
        id: 0,
        kind: b.kind.unwrap_or_else(|| "chrono_attente_validation".into()),
        jours: b
            .jours
            .ok_or_else(|| Error::invalid("jours est obligatoire."))?,
        sujet: b.sujet.unwrap_or_default(),
        message_template: b.message_template.unwrap_or_default(),
        actif: b.actif.unwrap_or(true),
    };
    check_seuil(&seuil)?;
    let tx = ctx.tx()?;
    let id = save_seuil(tx, &seuil)?;
    let saved = find_seuil(tx, id)?;
    ctx.audit_entity("relance_seuil", id);
    Ok(Response::created(&saved))
}

/// `PATCH /api/relance/seuils/:id`: the given fields change, the others stay.
fn update_seuil(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let b: SeuilBody = ctx.json()?;
    let tx = ctx.tx()?;
    let current: Option<u64> = tx.exec_first(
        "SELECT id FROM relance_seuils WHERE id = ? FOR UPDATE",
        (id,),
    )?;
    current.ok_or_else(seuil_not_found)?;
    let old = find_seuil(tx, id)?;
    let seuil = Seuil {
        id,
        kind: b.kind.unwrap_or(old.kind),
        jours: b.jours.unwrap_or(old.jours),
        sujet: b.sujet.unwrap_or(old.sujet),
        message_template: b.message_template.unwrap_or(old.message_template),
        actif: b.actif.unwrap_or(old.actif),
    };
    check_seuil(&seuil)?;
    save_seuil(tx, &seuil)?;
    let saved = find_seuil(tx, id)?;
    ctx.audit_entity("relance_seuil", id);
    Ok(Response::ok(&saved))
}

/// `DELETE /api/relance/seuils/:id` (its sent-reminder records go with it).
fn delete_seuil(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let tx = ctx.tx()?;
    tx.exec_drop("DELETE FROM relance_seuils WHERE id = ?", (id,))?;
    if tx.affected_rows() == 0 {
        return Err(seuil_not_found());
    }
    ctx.audit_entity("relance_seuil", id);
    Ok(Response::no_content())
}

/// One reminder sent by a run.
#[derive(Debug, Serialize)]
pub struct Sent {
    /// The threshold.
    pub seuil_id: u64,
    /// Its days.
    pub jours: u32,
    /// The waiting chrono.
    pub chrono_id: u64,
    /// The athlete.
    pub user_id: u64,
    /// The athlete's address.
    pub email: String,
    /// The outbox row of the mail.
    pub mail_id: u64,
}

/// A chrono due for a reminder under one threshold.
#[derive(FromRow)]
struct Due {
    seuil_id: u64,
    jours: u32,
    sujet: String,
    message_template: String,
    chrono_id: u64,
    user_id: u64,
    email: String,
    prenom: Option<String>,
    col: String,
    duree_secondes: Option<u64>,
}

/// Most reminders one run sends (the rest goes at the next run).
const RUN_LIMIT: u32 = 500;

/// Sends every reminder that is due (the cron's run): claimed and written
/// to the outbox in one transaction, then sent; a mail that fails stays in
/// the outbox for its retries.
pub fn run_reminders(config: &Config, conn: &mut Conn) -> Result<Vec<Sent>> {
    let sent = crate::db::transaction(conn, claim_due)?;
    deliver(config, conn, &sent)?;
    Ok(sent)
}

/// Claims, inside the caller's transaction, every reminder that is due: for
/// each active threshold, each chrono waiting for validation for longer than
/// its days and not yet reminded for it; each claimed reminder's mail is
/// written to the outbox. A reminder another run claimed first is skipped.
fn claim_due(conn: &mut Conn) -> Result<Vec<Sent>> {
    let due: Vec<Due> = rows::all(
        conn,
        r"SELECT s.id AS seuil_id, s.jours, s.sujet, s.message_template, c.id AS chrono_id,
                 u.id AS user_id, u.email, u.prenom, p.nom AS col, c.duree_secondes
            FROM relance_seuils s
            JOIN chronos c ON c.statut = 'attente_validation'
                          AND COALESCE(c.date_fin, c.created_at) <= NOW() - INTERVAL s.jours DAY
            JOIN users u ON u.id = c.user_id AND u.actif = TRUE AND u.anonymized_at IS NULL
            JOIN produits p ON p.id = c.produit_id
           WHERE s.actif = TRUE AND s.type = 'chrono_attente_validation'
             AND NOT EXISTS (SELECT 1 FROM relances_envoyees r
                              WHERE r.seuil_id = s.id AND r.chrono_id = c.id)
           ORDER BY s.id, c.id LIMIT ?",
        (RUN_LIMIT,),
    )?;
    let mut claimed = Vec::new();
    for reminder in due {
        if let Some(sent) = claim(conn, reminder)? {
            claimed.push(sent);
        }
    }
    Ok(claimed)
}

/// Inserts the "sent" record (unless another run did) and the reminder's
/// mail. `None` when it was already claimed.
fn claim(conn: &mut Conn, due: Due) -> Result<Option<Sent>> {
    conn.exec_drop(
        "INSERT IGNORE INTO relances_envoyees (seuil_id, user_id, chrono_id) VALUES (?, ?, ?)",
        (due.seuil_id, due.user_id, due.chrono_id),
    )?;
    if conn.affected_rows() != 1 {
        return Ok(None);
    }
    let chrono = due.duree_secondes.map(crate::time::hms).unwrap_or_default();
    let jours = due.jours.to_string();
    let vars = [
        ("prenom", due.prenom.as_deref().unwrap_or("")),
        ("col", due.col.as_str()),
        ("chrono", chrono.as_str()),
        ("jours", jours.as_str()),
    ];
    let mail = templates::reminder(&due.email, &due.sujet, &due.message_template, &vars);
    let mail_id = outbox::enqueue(conn, &mail)?;
    Ok(Some(Sent {
        seuil_id: due.seuil_id,
        jours: due.jours,
        chrono_id: due.chrono_id,
        user_id: due.user_id,
        email: due.email,
        mail_id,
    }))
}

/// Sends the claimed reminders' mails (each failure stays in the outbox).
fn deliver(config: &Config, conn: &mut Conn, sent: &[Sent]) -> Result<()> {
    for reminder in sent {
        outbox::deliver(config, conn, reminder.mail_id)?;
    }
    Ok(())
}

/// The hourly cron task.
pub fn cron_reminders(config: &Config, conn: &mut Conn) -> Result<String> {
    let sent = run_reminders(config, conn)?;
    Ok(format!("{} reminder(s) sent", sent.len()))
}

/// `POST /api/relance/verifier`: "Vérifier maintenant" (spec 16) — runs the
/// reminders now and lists what was sent.
/// The claims are the request's transaction (a retried request answers
/// every reminder it claimed); the mails go once it has committed.
fn create_verification(ctx: &mut Ctx) -> Result<Response> {
    let sent = claim_due(ctx.conn()?)?;
    ctx.audit_details(json!({ "envoyees": sent.len() }));
    let body = json!({ "envoyees": sent.len(), "relances": sent });
    ctx.after_commit(move |config, conn| deliver(config, conn, &sent));
    Ok(Response::ok(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_variables_are_accepted() {
        assert!(check_template("x", "Bonjour {{prenom}}, {{col}} {{ chrono }} {{jours}}").is_ok());
        let e = check_template("Le message", "Bonjour {{nom}}").unwrap_err();
        assert_eq!(e.status(), 422);
        assert!(e.message().contains("{{nom}}"), "{}", e.message());
    }
}
