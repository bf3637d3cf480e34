//! Spec §5.9 — `/api/notifications`: the in-app notifications of the
//! signed-in user.
//!
//! A notification is created by the event it tells about, in the transaction
//! of that event ([`create`], and the one-call hooks of [`events`]), so a
//! rolled-back change notifies nobody. Every route reads and writes only the
//! caller's own rows (`WHERE user_id = ?` on every query): someone else's
//! notification answers 404, like one that does not exist.
//!
//! Decisions where the spec is silent: the list shows unread first, newest
//! first within each group, paginated like every list; `non_lues` gives the
//! unread count for the bell badge; `POST /api/notifications/tout-lu` marks
//! everything read.

pub mod events;

use crate::db::rows::{self, FromRow};
use crate::db::ISO_DATETIME;
use crate::error::{catalog, Result};
use crate::http::list::{ListQuery, Page, Where};
use crate::http::router::{route, Access, Route};
use crate::http::{Ctx, Method, Response};
use mysql::prelude::Queryable;
use mysql::Conn;
use serde::Serialize;
use serde_json::json;

/// Routes of this module.
pub const ROUTES: &[Route] = &[
    route(
        Method::Get,
        "/api/notifications",
        Access::Authenticated,
        list_notifications,
        "Mes notifications (non lues d'abord, paginées)",
    ),
    route(
        Method::Patch,
        "/api/notifications/{id}/lu",
        Access::Authenticated,
        update_notification_lu,
        "Marque une notification comme lue",
    ),
    route(
        Method::Post,
        "/api/notifications/tout-lu",
        Access::Authenticated,
        update_notifications_tout_lu,
        "Marque toutes mes notifications comme lues",
    ),
];

/// Longest title kept (the column's size).
const TITLE_MAX: usize = 200;

/// Creates one notification for `user_id` on `conn` (the caller's
/// transaction); returns its id. `kind` is a stable code (`chrono_valide`…),
/// `link` a path of the front-end the notification leads to.
pub fn create(
    conn: &mut Conn,
    user_id: u64,
    kind: &str,
    title: &str,
    body: Option<&str>,
    link: Option<&str>,
) -> Result<u64> {
    let title: String = title.chars().take(TITLE_MAX).collect();
    conn.exec_drop(
        "INSERT INTO notifications (user_id, type, titre, message, lien) VALUES (?, ?, ?, ?, ?)",
        (user_id, kind, title, body, link),
    )?;
    Ok(conn.last_insert_id())
}

/// One notification as the API shows it.
#[derive(Debug, Serialize, FromRow)]
struct Notification {
    id: u64,
    #[serde(rename = "type")]
    #[mysql(rename = "type")]
    kind: String,
    titre: String,
    message: Option<String>,
    lien: Option<String>,
    lu: bool,
    created_at: String,
}

/// Spec 5.9 `GET /api/notifications`: "Notifications non lues" — all of the
/// caller's, unread first, with the unread count.
fn list_notifications(ctx: &mut Ctx) -> Result<Response> {
    let page = Page::from_query(ctx.req)?;
    let user_id = ctx.user_id()?;
    let conn = ctx.conn()?;
    let mut mine = Where::new();
    mine.bind("n.user_id = ?", user_id);
    let listed = ListQuery {
        table: "notifications n",
        key: "n.id",
        filter_joins: "",
        order_joins: "",
        columns: &format!(
            "n.id, n.type, n.titre, n.message, n.lien, n.lu, \
             DATE_FORMAT(n.created_at, '{ISO_DATETIME}') AS created_at"
        ),
        joins: "",
        order_by: "n.lu, n.created_at DESC, n.id DESC",
    }
    .read(conn, &mine, &page, rows::convert::<Notification>)?;
    let unread: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND lu = FALSE",
        (user_id,),
    )?;
    let mut body = page.answer(&listed).to_value();
    body["non_lues"] = json!(unread.unwrap_or(0));
    Ok(Response::ok(&body))
}

/// Spec 5.9 `PATCH /api/notifications/:id/lu`: "Marquer comme lu".
/// Idempotent; another user's notification is a 404.
fn update_notification_lu(ctx: &mut Ctx) -> Result<Response> {
    let id = ctx.id("id")?;
    let user_id = ctx.user_id()?;
    let tx = ctx.tx()?;
    if !rows::any(
        tx,
        "SELECT id FROM notifications WHERE id = ? AND user_id = ? FOR UPDATE",
        (id, user_id),
    )? {
        return Err(catalog::NOTIFICATION_NOT_FOUND.err());
    }
    tx.exec_drop(
        "UPDATE notifications SET lu = TRUE WHERE id = ? AND user_id = ?",
        (id, user_id),
    )?;
    ctx.audit_entity("notification", id);
    Ok(Response::ok(&json!({ "id": id, "lu": true })))
}

/// `POST /api/notifications/tout-lu`: marks all of the caller's
/// notifications read; says how many changed.
fn update_notifications_tout_lu(ctx: &mut Ctx) -> Result<Response> {
    let user_id = ctx.user_id()?;
    let tx = ctx.tx()?;
    tx.exec_drop(
        "UPDATE notifications SET lu = TRUE WHERE user_id = ? AND lu = FALSE",
        (user_id,),
    )?;
    let changed = tx.affected_rows();
    Ok(Response::ok(&json!({ "marquees": changed })))
}
