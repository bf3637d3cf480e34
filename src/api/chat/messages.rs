//! Messages of a conversation: the polling read, sending, and attachments
//! (at most 5 MB, kept under `STORAGE_PATH/chat/` with random names and
//! served only to the conversation's participants).

use super::{conversation_not_found, ensure_participant};
use crate::api::chronos::upload;
use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::list::query_u64;
use crate::http::multipart::Form;
use crate::http::{Ctx, Response};
use crate::security::tokens;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Most messages one poll returns; `suite: true` says more are waiting.
const POLL_LIMIT: u64 = 100;
/// Longest message text, in characters.
const MAX_CONTENT_CHARS: usize = 5000;
/// The storage sub-directory of attachments.
const AREA: &str = "chat";

/// One row of the polling query: the participant (always present when the
/// caller takes part), then the message (absent when nothing is new).
type PollRow = (
    u64,
    Option<u64>,
    Option<u64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u64>,
    Option<String>,
);

/// Spec 5.9 `GET /api/chat/:id/messages?since=`: "Messages depuis (polling
/// 5s)". `since` is the id of the last message the client has (0 or absent:
/// from the start). One indexed query answers both "is the caller a
/// participant" and "what is new"; when nothing is new the answer is an
/// empty list and nothing is written. New messages move the caller's read
/// marker.
pub fn list_messages(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let since = query_u64(ctx.req, "since")?.unwrap_or(0);
    let user_id = ctx.user_id()?;
    let conn = ctx.conn()?;
    let rows: Vec<PollRow> = conn.exec(
        r"SELECT p.user_id, m.id, m.user_id, u.prenom, u.nom, m.contenu,
                 m.piece_jointe_nom, m.piece_jointe_mime, m.piece_jointe_taille,
                 DATE_FORMAT(m.created_at, '%Y-%m-%dT%H:%i:%s.%f')
            FROM chat_participants p
            LEFT JOIN chat_messages m ON m.conversation_id = p.conversation_id AND m.id > ?
            LEFT JOIN users u ON u.id = m.user_id
           WHERE p.conversation_id = ? AND p.user_id = ?
           ORDER BY m.id LIMIT ?",
        (since, id, user_id, POLL_LIMIT),
    )?;
    if rows.is_empty() {
        return Err(conversation_not_found());
    }
    let items: Vec<Value> = rows
        .into_iter()
        .filter_map(|r| message_json(id, r))
        .collect();
    let last = items.last().and_then(|m| m["id"].as_u64());
    if let Some(last) = last {
        conn.exec_drop(
            r"UPDATE chat_participants
                 SET dernier_lu_id = GREATEST(COALESCE(dernier_lu_id, 0), ?), dernier_lu_at = NOW(3)
               WHERE conversation_id = ? AND user_id = ?",
            (last, id, user_id),
        )?;
    }
    Ok(Response::ok(&json!({
        "items": items,
        "dernier_id": last.unwrap_or(since),
        "suite": items.len() as u64 == POLL_LIMIT,
    })))
}

/// A polled row as a message, `None` for the participant-only row of an
/// empty poll.
fn message_json(conversation_id: u64, r: PollRow) -> Option<Value> {
    let (_, id, auteur, prenom, nom, contenu, pj_nom, pj_mime, pj_taille, created_at) = r;
    let id = id?;
    let piece_jointe = pj_nom.map(|nom| {
        json!({
            "nom": nom,
            "mime": pj_mime,
            "taille": pj_taille,
            "url": format!("/api/chat/{conversation_id}/pieces-jointes/{id}"),
        })
    });
    Some(json!({
        "id": id,
        "auteur": auteur.map(|a| json!({ "id": a, "prenom": prenom, "nom": nom })),
        "contenu": contenu.unwrap_or_default(),
        "piece_jointe": piece_jointe,
        "created_at": created_at,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    contenu: String,
}

/// An attachment being sent.
struct Attachment<'a> {
    relative: String,
    nom: String,
    mime: &'static str,
    data: &'a [u8],
}

/// Spec 5.9 `POST /api/chat/:id/messages`: "Envoyer un message".
pub fn create_message(ctx: &mut Ctx) -> Result<Response> {
    let body: MessageBody = ctx.json()?;
    let contenu = clean_content(Some(&body.contenu), true)?;
    let message = insert_message(ctx, &contenu, None)?;
    Ok(Response::created(&message))
}

/// Spec 5.9 `POST /api/chat/:id/pieces-jointes`: "Pièce jointe (max 5 Mo)" —
/// multipart with `fichier` (JPG, PNG, PDF or GPX, checked by content) and an
/// optional `contenu`. Over 5 MB is a 413, like every upload of the API.
pub fn create_piece_jointe(ctx: &mut Ctx) -> Result<Response> {
    let form = Form::parse(ctx.req)?;
    let file = form.file("fichier")?;
    let ext = upload::detect(file.filename.as_deref(), &file.data)?;
    let contenu = clean_content(form.field("contenu").as_deref(), false)?;
    let relative = format!("{AREA}/{}.{ext}", tokens::random_hex(16));
    let nom: String = file
        .filename
        .as_deref()
        .map_or_else(|| format!("piece-jointe.{ext}"), str::to_string)
        .chars()
        .take(255)
        .collect();
    let attachment = Attachment {
        mime: upload::content_type(&relative),
        relative,
        nom,
        data: &file.data,
    };
    let message = insert_message(ctx, &contenu, Some(&attachment))?;
    Ok(Response::created(&message))
}

/// Trims a message text; `required` refuses an empty one.
fn clean_content(text: Option<&str>, required: bool) -> Result<String> {
    let text = text.map_or("", str::trim);
    if required && text.is_empty() {
        return Err(Error::invalid("Le message est vide."));
    }
    if text.chars().count() > MAX_CONTENT_CHARS {
        return Err(Error::invalid(format!(
            "Un message ne peut pas dépasser {MAX_CONTENT_CHARS} caractères."
        )));
    }
    Ok(text.to_string())
}

/// Checks participation, then, in the request's transaction: locks the
/// conversation (ids commit in order, see the module header), stores the
/// attachment, inserts the message, moves the sender's read marker and
/// notifies the other participants.
fn insert_message(ctx: &mut Ctx, contenu: &str, attachment: Option<&Attachment>) -> Result<Value> {
    let id = ctx.id("id")?;
    let user_id = ctx.user_id()?;
    let storage = ctx.config.storage_path.clone();
    let tx = ctx.tx()?;
    ensure_participant(tx, id, user_id)?;
    tx.exec_drop(
        "UPDATE chat_conversations SET updated_at = NOW() WHERE id = ?",
        (id,),
    )?;
    if let Some(a) = attachment {
        upload::store(&storage, &a.relative, a.data)?;
    }
    let inserted = tx.exec_drop(
        r"INSERT INTO chat_messages
            (conversation_id, user_id, contenu, piece_jointe_path, piece_jointe_nom,
             piece_jointe_mime, piece_jointe_taille)
          VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            id,
            user_id,
            contenu,
            attachment.map(|a| a.relative.as_str()),
            attachment.map(|a| a.nom.as_str()),
            attachment.map(|a| a.mime),
            attachment.map(|a| a.data.len()),
        ),
    );
    if let Err(e) = inserted {
        if let Some(a) = attachment {
            let _ = std::fs::remove_file(storage.join(&a.relative));
        }
        return Err(e.into());
    }
    let message_id = tx.last_insert_id();
    tx.exec_drop(
        "UPDATE chat_participants SET dernier_lu_id = ?, dernier_lu_at = NOW(3) WHERE conversation_id = ? AND user_id = ?",
        (message_id, id, user_id),
    )?;
    notify_participants(tx, id, user_id)?;
    ctx.audit_entity("chat_message", message_id);
    let row: Option<(Option<String>, Option<String>, String)> = ctx.tx()?.exec_first(
        r"SELECT u.prenom, u.nom, DATE_FORMAT(m.created_at, '%Y-%m-%dT%H:%i:%s.%f')
            FROM chat_messages m LEFT JOIN users u ON u.id = m.user_id WHERE m.id = ?",
        (message_id,),
    )?;
    let (prenom, nom, created_at) = row.ok_or_else(|| Error::internal("message just inserted"))?;
    Ok(message_json(
        id,
        (
            user_id,
            Some(message_id),
            Some(user_id),
            prenom,
            nom,
            Some(contenu.to_string()),
            attachment.map(|a| a.nom.clone()),
            attachment.map(|a| a.mime.to_string()),
            attachment.map(|a| a.data.len() as u64),
            Some(created_at),
        ),
    )
    .unwrap_or(Value::Null))
}

/// "Message received" (spec 5.9): each other participant gets one
/// notification per conversation until they read it, not one per message
/// (a lively chat would bury every other notification).
fn notify_participants(tx: &mut Conn, conversation_id: u64, sender: u64) -> Result<()> {
    let link = format!("/fab/#chat/{conversation_id}");
    tx.exec_drop(
        r"INSERT INTO notifications (user_id, type, titre, lien)
          SELECT p.user_id, 'message_recu', 'Nouveau message dans le chat', ?
            FROM chat_participants p
           WHERE p.conversation_id = ? AND p.user_id <> ?
             AND NOT EXISTS (SELECT 1 FROM notifications n
                              WHERE n.user_id = p.user_id AND n.lu = FALSE
                                AND n.type = 'message_recu' AND n.lien = ?)",
        (&link, conversation_id, sender, &link),
    )?;
    Ok(())
}

/// `GET /api/chat/:id/pieces-jointes/:message_id`: the file of a message,
/// to participants only (anyone else: 404).
pub fn show_piece_jointe(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let message_id = ctx.id("message_id")?;
    let user_id = ctx.user_id()?;
    let storage = ctx.config.storage_path.clone();
    let row: Option<(String, String, String)> = ctx.conn()?.exec_first(
        r"SELECT m.piece_jointe_path, m.piece_jointe_nom, m.piece_jointe_mime
            FROM chat_messages m
            JOIN chat_participants p ON p.conversation_id = m.conversation_id AND p.user_id = ?
           WHERE m.id = ? AND m.conversation_id = ? AND m.piece_jointe_path IS NOT NULL",
        (user_id, message_id, id),
    )?;
    let missing = || catalog::PIECE_JOINTE_NOT_FOUND.err();
    let (relative, nom, mime) = row.ok_or_else(missing)?;
    let path = resolve(&storage, &relative).ok_or_else(missing)?;
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    Ok(Response::file(&mime, &nom, bytes))
}

/// The absolute path of a stored attachment, if `relative` is one of ours
/// (`chat/<hex>.<ext>`): a path leaving the area is never followed.
fn resolve(storage: &Path, relative: &str) -> Option<PathBuf> {
    upload::resolve_in(storage, AREA, relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_attachment_paths_resolve() {
        let root = Path::new("/srv/storage");
        assert_eq!(
            resolve(root, "chat/0a1b.png"),
            Some(PathBuf::from("/srv/storage/chat/0a1b.png"))
        );
        for bad in [
            "chat/../x.png",
            "preuves/0a.png",
            "chat/0a.html",
            "chat/.png",
            "chat/0a/../../etc.pdf",
        ] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }
}
