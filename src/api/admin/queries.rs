//! SQL of the admin module: users as administrators see them, and the audit
//! log.

use crate::db::rows::{self, FromRow};
use crate::error::Result;
use crate::http::list::{ListQuery, Listed, Page, Where};
use crate::security::account::Account;
use crate::security::Role;
use mysql::prelude::Queryable;
use mysql::{Conn, Row};
use serde::Serialize;

// ---------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------

/// A user as the admin screens show it: the [`Account`] every route sees,
/// plus what only admins manage (never the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct AdminUser {
    #[serde(flatten)]
    pub account: Account,
    pub atelier_nom: Option<String>,
    pub fabricant_id: Option<u64>,
    pub created_at: Option<String>,
}

/// The admin-only columns of a user row; the account part is read by
/// [`Account`]'s own `FromRow`.
#[derive(FromRow)]
struct AdminColumns {
    atelier_nom: Option<String>,
    fabricant_id: Option<u64>,
    created_at: Option<String>,
}

impl FromRow for AdminUser {
    fn from_row_opt(row: Row) -> std::result::Result<Self, mysql::FromRowError> {
        let extra = AdminColumns::from_row_opt(row.clone())?;
        let account = Account::from_row_opt(row)?;
        Ok(AdminUser {
            account,
            atelier_nom: extra.atelier_nom,
            fabricant_id: extra.fabricant_id,
            created_at: extra.created_at,
        })
    }
}

const USER_COLUMNS: &str = r"u.id, u.email, u.role, u.nom, u.prenom, u.atelier_id,
       a.nom AS atelier_nom, u.fabricant_id, COALESCE(u.actif, FALSE) AS actif,
       COALESCE(u.strava_connected, FALSE) AS strava_connected,
       DATE_FORMAT(u.derniere_connexion, '%Y-%m-%dT%H:%i:%s') AS derniere_connexion,
       DATE_FORMAT(u.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at";
const USER_SELECT: &str = r"SELECT u.id, u.email, u.role, u.nom, u.prenom, u.atelier_id,
       a.nom AS atelier_nom, u.fabricant_id, COALESCE(u.actif, FALSE) AS actif,
       COALESCE(u.strava_connected, FALSE) AS strava_connected,
       DATE_FORMAT(u.derniere_connexion, '%Y-%m-%dT%H:%i:%s') AS derniere_connexion,
       DATE_FORMAT(u.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at
  FROM users u LEFT JOIN ateliers a ON a.id = u.atelier_id";

/// One page of users matching `filter` (anonymised accounts are never
/// listed), newest first.
pub fn list_users(conn: &mut Conn, filter: &Where, page: &Page) -> Result<Listed<AdminUser>> {
    ListQuery {
        table: "users u",
        key: "u.id",
        filter_joins: "",
        order_joins: "",
        columns: USER_COLUMNS,
        joins: "LEFT JOIN ateliers a ON a.id = u.atelier_id",
        order_by: "u.id DESC",
    }
    .read(conn, filter, page, rows::convert)
}

/// A user by id (anonymised accounts count as gone); `lock` takes a locking
/// read, for updates inside the request's transaction.
pub fn find_user(conn: &mut Conn, id: u64, lock: bool) -> Result<Option<AdminUser>> {
    let lock_sql = if lock { " FOR UPDATE" } else { "" };
    rows::first(
        conn,
        format!("{USER_SELECT} WHERE u.id = ? AND u.anonymized_at IS NULL{lock_sql}"),
        (id,),
    )
}

/// Sets the fabricant of a user just created (`auth::create_user` does not
/// know that column).
pub fn set_fabricant(conn: &mut Conn, id: u64, fabricant_id: Option<u64>) -> Result<()> {
    conn.exec_drop(
        "UPDATE users SET fabricant_id = ? WHERE id = ?",
        (fabricant_id, id),
    )?;
    Ok(())
}

/// The editable columns of a user, all written at once.
pub struct UserUpdate<'a> {
    pub role: Role,
    pub nom: Option<&'a str>,
    pub prenom: Option<&'a str>,
    pub atelier_id: Option<u64>,
    pub fabricant_id: Option<u64>,
    pub actif: bool,
}

/// Writes the editable columns of a user.
pub fn update_user(conn: &mut Conn, id: u64, u: &UserUpdate) -> Result<()> {
    conn.exec_drop(
        r"UPDATE users SET role = ?, nom = ?, prenom = ?, atelier_id = ?, fabricant_id = ?,
                 actif = ?
          WHERE id = ?",
        (
            u.role.as_str(),
            u.nom,
            u.prenom,
            u.atelier_id,
            u.fabricant_id,
            u.actif,
            id,
        ),
    )?;
    Ok(())
}

/// Replaces a user's password hash and cancels any pending reset link.
pub fn set_password(conn: &mut Conn, id: u64, hash: &str) -> Result<()> {
    conn.exec_drop(
        "UPDATE users SET password = ?, reset_token = NULL, reset_expires = NULL WHERE id = ?",
        (hash, id),
    )?;
    Ok(())
}

/// Marks a user inactive (the row stays: orders and chronos reference it).
pub fn deactivate_user(conn: &mut Conn, id: u64) -> Result<()> {
    conn.exec_drop(
        "UPDATE users SET actif = FALSE, reset_token = NULL, reset_expires = NULL WHERE id = ?",
        (id,),
    )?;
    Ok(())
}

/// Revokes every live refresh token of a user; returns how many.
pub fn revoke_sessions(conn: &mut Conn, user_id: u64) -> Result<u64> {
    conn.exec_drop(
        "UPDATE sessions SET revoked_at = NOW() WHERE user_id = ? AND revoked_at IS NULL",
        (user_id,),
    )?;
    Ok(conn.affected_rows())
}

// ---------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------

/// One row of `logs_audit`, with the acting user's current email, as the
/// log viewer shows it (`details` written back as JSON).
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct LogRow {
    pub id: u64,
    pub created_at: String,
    pub user_id: Option<u64>,
    pub user_email: Option<String>,
    pub role: Option<String>,
    pub methode: Option<String>,
    pub route: Option<String>,
    pub statut_http: Option<u16>,
    pub niveau: String,
    #[mysql(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub entite: Option<String>,
    pub entite_id: Option<u64>,
    #[serde(serialize_with = "rows::stored_json")]
    pub details: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub duree_ms: Option<u64>,
}

// The user's current email wins; `l.user_email` keeps the address typed at a
// failed login, where there is no user.
const LOG_COLUMNS: &str = r"l.id, DATE_FORMAT(l.created_at, '%Y-%m-%dT%H:%i:%s') AS created_at,
       l.user_id, COALESCE(u.email, l.user_email) AS user_email, l.role, l.methode, l.route,
       l.statut_http, l.niveau, l.type, l.entite, l.entite_id, CAST(l.details AS CHAR) AS details,
       l.ip, l.user_agent, l.duree_ms";

/// How the audit log is read: every filter is on `logs_audit`.
const LOGS: ListQuery<'static> = ListQuery {
    table: "logs_audit l",
    key: "l.id",
    filter_joins: "",
    order_joins: "",
    columns: LOG_COLUMNS,
    joins: "LEFT JOIN users u ON u.id = l.user_id",
    order_by: "l.created_at DESC, l.id DESC",
};

/// One page of the audit rows matching `filter`, newest first.
pub fn list_logs(conn: &mut Conn, filter: &Where, page: &Page) -> Result<Listed<LogRow>> {
    LOGS.read(conn, filter, page, rows::convert)
}

/// Every audit row matching `filter`, newest first, up to `limit` (the CSV
/// export).
pub fn export_logs(conn: &mut Conn, filter: &Where, limit: u64) -> Result<Vec<LogRow>> {
    let mut params = filter.params();
    params.extend([limit.into(), 0u64.into()]);
    rows::all(conn, LOGS.page_sql(filter), params)
}
