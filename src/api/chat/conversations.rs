//! Conversations: the caller's list, with the unread count of each, and the
//! creation of a conversation with its participants.

use crate::db::rows::{self, FromRow};
use crate::db::ISO_DATETIME;
use crate::error::{Error, Result};
use crate::http::list::Page;
use crate::http::{Ctx, Response};
use crate::security::jwt::Claims;
use crate::security::Role;
use crate::text;
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;

/// Most participants of one conversation.
const MAX_PARTICIPANTS: usize = 50;

/// One participant as the API shows it.
#[derive(Debug, Serialize)]
struct Participant {
    id: u64,
    prenom: Option<String>,
    nom: Option<String>,
    role: String,
}

/// One conversation of the list: its row, and who takes part.
#[derive(Debug, Serialize)]
struct Conversation {
    #[serde(flatten)]
    row: ConversationRow,
    participants: Vec<Participant>,
}

/// The columns of a conversation as the list reads them.
#[derive(Debug, FromRow, Serialize)]
struct ConversationRow {
    id: u64,
    titre: Option<String>,
    atelier_id: Option<u64>,
    updated_at: String,
    non_lus: u64,
    dernier_message: Option<String>,
}

/// Spec 5.9 `GET /api/chat/conversations`: "Liste des conversations" — the
/// caller's, most recently active first, each with its unread count (the
/// others' messages after the caller's read marker).
pub fn list_conversations(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let user_id = ctx.user_id()?;
    let conn = ctx.conn()?;
    let rows: Vec<ConversationRow> = rows::all(
        conn,
        format!(
            r"SELECT c.id, c.titre, c.atelier_id,
                 DATE_FORMAT(c.updated_at, '{ISO_DATETIME}') AS updated_at,
                 (SELECT COUNT(*) FROM chat_messages m
                   WHERE m.conversation_id = c.id AND m.id > COALESCE(p.dernier_lu_id, 0)
                     AND NOT (m.user_id <=> p.user_id)) AS non_lus,
                 (SELECT m.contenu FROM chat_messages m
                   WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1) AS dernier_message
            FROM chat_participants p JOIN chat_conversations c ON c.id = p.conversation_id
           WHERE p.user_id = ?
           ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?"
        ),
        (user_id, page.per_page, page.offset()),
    )?;
    let total: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM chat_participants WHERE user_id = ?",
        (user_id,),
    )?;
    let ids: Vec<u64> = rows.iter().map(|r| r.id).collect();
    let mut members = participants_of(conn, &ids)?;
    let items: Vec<Conversation> = rows
        .into_iter()
        .map(|row| Conversation {
            participants: members.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect();
    Ok(Response::ok(&page.wrap(items, total.unwrap_or(0))))
}

/// The participants of each conversation of `ids`.
fn participants_of(
    conn: &mut Conn,
    ids: &[u64],
) -> Result<std::collections::HashMap<u64, Vec<Participant>>> {
    /// A participant with the conversation it takes part in.
    #[derive(FromRow)]
    struct Member {
        conversation_id: u64,
        id: u64,
        prenom: Option<String>,
        nom: Option<String>,
        role: String,
    }
    let mut out: std::collections::HashMap<u64, Vec<Participant>> =
        std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let rows: Vec<Member> = rows::all(
        conn,
        format!(
            r"SELECT cp.conversation_id, u.id, u.prenom, u.nom, u.role
                FROM chat_participants cp JOIN users u ON u.id = cp.user_id
               WHERE cp.conversation_id IN ({marks}) ORDER BY cp.conversation_id, u.id"
        ),
        ids.to_vec(),
    )?;
    for m in rows {
        out.entry(m.conversation_id).or_default().push(Participant {
            id: m.id,
            prenom: m.prenom,
            nom: m.nom,
            role: m.role,
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    titre: Option<String>,
    participants: Vec<u64>,
}

/// Spec 5.9 `POST /api/chat/conversations`: "Créer une conversation" — the
/// caller plus the named fab+ users. An operator may only name its own
/// atelier's staff and the admins; any other id is refused the same way as
/// an unknown one.
pub fn create_conversation(ctx: &mut Ctx) -> Result<Response> {
    let body: CreateBody = ctx.json()?;
    let claims = ctx.claims()?.clone();
    let titre = text::bounded(
        body.titre.as_deref(),
        200,
        "Le titre ne peut pas dépasser 200 caractères.",
    )?
    .map(str::to_string);
    let mut members: BTreeSet<u64> = body.participants.into_iter().collect();
    members.remove(&claims.sub);
    if members.is_empty() || members.len() > MAX_PARTICIPANTS {
        return Err(Error::invalid(format!(
            "Indiquez de 1 à {MAX_PARTICIPANTS} participants (en plus de vous)."
        )));
    }
    let tx = ctx.tx()?;
    for &member in &members {
        if !may_talk_with(tx, &claims, member)? {
            return Err(Error::invalid(format!(
                "Le participant {member} n'existe pas ou ne peut pas rejoindre cette conversation."
            )));
        }
    }
    let atelier_id = claims
        .atelier_id
        .filter(|_| claims.role == Role::OperateurFab);
    tx.exec_drop(
        "INSERT INTO chat_conversations (titre, atelier_id, cree_par) VALUES (?, ?, ?)",
        (&titre, atelier_id, claims.sub),
    )?;
    let id = tx.last_insert_id();
    members.insert(claims.sub);
    tx.exec_batch(
        "INSERT INTO chat_participants (conversation_id, user_id) VALUES (?, ?)",
        members.iter().map(|m| (id, *m)),
    )?;
    ctx.audit_entity("chat_conversation", id);
    Ok(Response::created(&json!({
        "id": id,
        "titre": titre,
        "atelier_id": atelier_id,
        "participants": members,
    })))
}

/// Whether `actor` may add user `member`: an active fab+ user, and for an
/// operator, one of its atelier's staff or an admin.
fn may_talk_with(conn: &mut Conn, actor: &Claims, member: u64) -> Result<bool> {
    let row: Option<(String, Option<u64>)> = conn.exec_first(
        r"SELECT role, atelier_id FROM users
           WHERE id = ? AND actif = TRUE AND role IN ('operateur_fab', 'admin_fab', 'super_admin')",
        (member,),
    )?;
    let Some((role, atelier_id)) = row else {
        return Ok(false);
    };
    Ok(actor.role != Role::OperateurFab
        || role != "operateur_fab"
        || (actor.atelier_id.is_some() && actor.atelier_id == atelier_id))
}
