//! SQL of the auth module: users, sessions (refresh tokens), reset tokens.

use crate::db::rows;
use crate::error::Result;
use crate::security::account::{self, Account};
use crate::security::Role;
use mysql::prelude::Queryable;
use mysql::{params, Conn, Row};

/// An account with its password hash (login and password changes only).
#[derive(Debug, Clone)]
pub struct UserRow {
    pub account: Account,
    pub password_hash: String,
}

fn find_user(conn: &mut Conn, by_email: bool, value: mysql::Value) -> Result<Option<UserRow>> {
    let sql = if by_email {
        format!(
            "SELECT {}, password FROM users WHERE email = ? AND anonymized_at IS NULL",
            account::COLUMNS
        )
    } else {
        format!(
            "SELECT {}, password FROM users WHERE id = ? AND anonymized_at IS NULL",
            account::COLUMNS
        )
    };
    let row: Option<Row> = conn.exec_first(sql, (value,))?;
    row.map(|mut row| {
        let password_hash = rows::col(&mut row, "password")?;
        Ok(UserRow {
            account: rows::convert(row)?,
            password_hash,
        })
    })
    .transpose()
}

/// A user by email (already lower-cased).
pub fn find_user_by_email(conn: &mut Conn, email: &str) -> Result<Option<UserRow>> {
    find_user(conn, true, email.into())
}

/// A user by id.
pub fn find_user_by_id(conn: &mut Conn, id: u64) -> Result<Option<UserRow>> {
    find_user(conn, false, id.into())
}

/// Whether a `super_admin` exists; `lock` takes a locking read so concurrent
/// setups serialise.
pub fn super_admin_exists(conn: &mut Conn, lock: bool) -> Result<bool> {
    let sql = if lock {
        "SELECT COUNT(*) FROM users WHERE role = 'super_admin' FOR UPDATE"
    } else {
        "SELECT COUNT(*) FROM users WHERE role = 'super_admin'"
    };
    let n: Option<u64> = conn.query_first(sql)?;
    Ok(n.unwrap_or(0) > 0)
}

/// A user to create.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub nom: Option<&'a str>,
    pub prenom: Option<&'a str>,
    pub atelier_id: Option<u64>,
}

/// Inserts a user; returns its id.
pub fn insert_user(conn: &mut Conn, u: &NewUser) -> std::result::Result<u64, mysql::Error> {
    conn.exec_drop(
        r"INSERT INTO users (email, password, role, nom, prenom, atelier_id, actif)
          VALUES (:email, :password, :role, :nom, :prenom, :atelier_id, TRUE)",
        params! {
            "email" => u.email,
            "password" => u.password_hash,
            "role" => u.role.as_str(),
            "nom" => u.nom,
            "prenom" => u.prenom,
            "atelier_id" => u.atelier_id,
        },
    )?;
    Ok(conn.last_insert_id())
}

/// Records a successful login.
pub fn touch_last_login(conn: &mut Conn, id: u64) -> Result<()> {
    conn.exec_drop(
        "UPDATE users SET derniere_connexion = NOW() WHERE id = ?",
        (id,),
    )?;
    Ok(())
}

/// Stores a refresh token's hash; returns the session id.
pub fn insert_session(
    conn: &mut Conn,
    user_id: u64,
    token_hash: &str,
    family_id: &str,
    lifetime_secs: u64,
    ip: &str,
    user_agent: &str,
) -> Result<u64> {
    conn.exec_drop(
        r"INSERT INTO sessions (user_id, token_hash, family_id, expires_at, ip, user_agent)
          VALUES (?, ?, ?, NOW() + INTERVAL ? SECOND, ?, ?)",
        (
            user_id,
            token_hash,
            family_id,
            lifetime_secs,
            ip,
            user_agent,
        ),
    )?;
    Ok(conn.last_insert_id())
}

/// A stored refresh token.
pub struct SessionRow {
    pub id: u64,
    pub user_id: u64,
    pub family_id: String,
    pub revoked: bool,
    pub expired: bool,
}

/// A session by its token hash.
pub fn find_session(conn: &mut Conn, token_hash: &str) -> Result<Option<SessionRow>> {
    let row: Option<(u64, u64, String, bool, bool)> = conn.exec_first(
        r"SELECT id, user_id, family_id, revoked_at IS NOT NULL, expires_at <= NOW()
          FROM sessions WHERE token_hash = ?",
        (token_hash,),
    )?;
    Ok(
        row.map(|(id, user_id, family_id, revoked, expired)| SessionRow {
            id,
            user_id,
            family_id,
            revoked,
            expired,
        }),
    )
}

/// Revokes one session if it is still live; false if it already was revoked.
pub fn revoke_session(conn: &mut Conn, id: u64) -> Result<bool> {
    conn.exec_drop(
        "UPDATE sessions SET revoked_at = NOW() WHERE id = ? AND revoked_at IS NULL",
        (id,),
    )?;
    Ok(conn.affected_rows() == 1)
}

/// Records which session replaced a rotated one.
pub fn link_replacement(conn: &mut Conn, old: u64, new: u64) -> Result<()> {
    conn.exec_drop(
        "UPDATE sessions SET replaced_by = ? WHERE id = ?",
        (new, old),
    )?;
    Ok(())
}

/// Revokes every session of a rotation family.
pub fn revoke_family(conn: &mut Conn, family_id: &str) -> Result<u64> {
    conn.exec_drop(
        "UPDATE sessions SET revoked_at = NOW() WHERE family_id = ? AND revoked_at IS NULL",
        (family_id,),
    )?;
    Ok(conn.affected_rows())
}

/// Revokes one of the user's sessions by token hash.
pub fn revoke_user_session(conn: &mut Conn, user_id: u64, token_hash: &str) -> Result<u64> {
    conn.exec_drop(
        r"UPDATE sessions SET revoked_at = NOW()
          WHERE user_id = ? AND token_hash = ? AND revoked_at IS NULL",
        (user_id, token_hash),
    )?;
    Ok(conn.affected_rows())
}

/// Revokes all of a user's sessions.
pub fn revoke_user_sessions(conn: &mut Conn, user_id: u64) -> Result<u64> {
    conn.exec_drop(
        "UPDATE sessions SET revoked_at = NOW() WHERE user_id = ? AND revoked_at IS NULL",
        (user_id,),
    )?;
    Ok(conn.affected_rows())
}

/// Stores a password-reset token hash valid for one hour.
pub fn store_reset_token(conn: &mut Conn, user_id: u64, token_hash: &str) -> Result<()> {
    conn.exec_drop(
        "UPDATE users SET reset_token = ?, reset_expires = NOW() + INTERVAL 1 HOUR WHERE id = ?",
        (token_hash, user_id),
    )?;
    Ok(())
}

/// Uses up a live reset token; returns its user.
pub fn consume_reset_token(conn: &mut Conn, token_hash: &str) -> Result<Option<u64>> {
    let id: Option<u64> = conn.exec_first(
        r"SELECT id FROM users
          WHERE reset_token = ? AND reset_expires > NOW() AND actif = TRUE FOR UPDATE",
        (token_hash,),
    )?;
    if let Some(id) = id {
        conn.exec_drop(
            "UPDATE users SET reset_token = NULL, reset_expires = NULL WHERE id = ?",
            (id,),
        )?;
    }
    Ok(id)
}

/// Replaces a user's password hash.
pub fn set_password(conn: &mut Conn, user_id: u64, hash: &str) -> Result<()> {
    conn.exec_drop(
        "UPDATE users SET password = ? WHERE id = ?",
        (hash, user_id),
    )?;
    Ok(())
}

/// Updates the names that are given.
pub fn update_names(
    conn: &mut Conn,
    id: u64,
    nom: Option<&str>,
    prenom: Option<&str>,
) -> Result<()> {
    conn.exec_drop(
        r"UPDATE users SET nom = COALESCE(:nom, nom), prenom = COALESCE(:prenom, prenom)
          WHERE id = :id",
        params! { "nom" => nom, "prenom" => prenom, "id" => id },
    )?;
    Ok(())
}
