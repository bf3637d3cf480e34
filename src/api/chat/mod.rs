//! Spec §5.9, §11.6 — `/api/chat/*`: the internal chat of the workshop
//! (fab+ users: operators, workshop admins, the super admin).
//!
//! - [`conversations`]: list (with unread counts) and create.
//! - [`messages`]: the 5-second polling read, send, attachments.
//!
//! Invariants:
//! - Only participants see anything of a conversation: every query joins
//!   `chat_participants` on the caller, and a non-participant gets the same
//!   404 as for a conversation that does not exist.
//! - An operator only talks with its own atelier's staff and with the
//!   admins (the atelier scope of DECISIONS.md).
//! - `?since=` is a message id, not a timestamp: two messages can share a
//!   millisecond, ids cannot. Sending a message first locks the conversation
//!   row, so within one conversation ids are committed in increasing order
//!   and a poller that saw message N never misses a later-committed N-1.

pub mod conversations;
pub mod messages;

use crate::error::catalog;
use crate::error::{Error, Result};
use crate::http::router::{route, Access, Route, UPLOAD_BODY_LIMIT};
use crate::http::Method;
use crate::security::roles;
use mysql::prelude::Queryable;
use mysql::Conn;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/chat/conversations",
        Access::Roles(roles::OPERATEUR_PLUS),
        conversations::list_conversations,
        "Liste de mes conversations (messages non lus par conversation)",
    ),
    route(
        Method::Post,
        "/api/chat/conversations",
        Access::Roles(roles::OPERATEUR_PLUS),
        conversations::create_conversation,
        "Crée une conversation avec des participants",
    ),
    route(
        Method::Get,
        "/api/chat/{id}/messages",
        Access::Roles(roles::OPERATEUR_PLUS),
        messages::list_messages,
        "Messages après ?since=<id du dernier message reçu> (polling 5 s)",
    ),
    route(
        Method::Post,
        "/api/chat/{id}/messages",
        Access::Roles(roles::OPERATEUR_PLUS),
        messages::create_message,
        "Envoie un message",
    ),
    route(
        Method::Post,
        "/api/chat/{id}/pieces-jointes",
        Access::Roles(roles::OPERATEUR_PLUS),
        messages::create_piece_jointe,
        "Envoie une pièce jointe (max 5 Mo)",
    )
    .body_limit(UPLOAD_BODY_LIMIT),
    route(
        Method::Get,
        "/api/chat/{id}/pieces-jointes/{message_id}",
        Access::Roles(roles::OPERATEUR_PLUS),
        messages::show_piece_jointe,
        "Télécharge une pièce jointe (participants seulement)",
    ),
];

/// The 404 of a conversation the caller does not take part in (or that
/// does not exist: the two are never told apart).
#[must_use]
pub fn conversation_not_found() -> Error {
    catalog::CONVERSATION_NOT_FOUND.err()
}

/// 404 unless `user_id` takes part in conversation `id`.
fn ensure_participant(conn: &mut Conn, id: u64, user_id: u64) -> Result<()> {
    let found: Option<u64> = conn.exec_first(
        "SELECT user_id FROM chat_participants WHERE conversation_id = ? AND user_id = ?",
        (id, user_id),
    )?;
    found.map(|_| ()).ok_or_else(conversation_not_found)
}
