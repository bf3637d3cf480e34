//! The account behind an access token, reloaded on every protected request.
//!
//! A JWT lives 24 hours; a deactivated account or a changed role must not. So
//! the dispatcher reads the user's current role, atelier and status from the
//! database (one indexed primary-key lookup) and uses those, not the token's
//! copy. `/api/auth/me` answers with this same row, so it costs no second
//! query.

use crate::error::{Error, Result};
use crate::security::Role;
use mysql::prelude::Queryable;
use mysql::{Conn, Row};
use serde::Serialize;

/// What clients may see of a user (never the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// User id.
    pub id: u64,
    /// Login email.
    pub email: String,
    /// Current role.
    pub role: Role,
    /// Family name (engraving source of truth).
    pub nom: Option<String>,
    /// First name.
    pub prenom: Option<String>,
    /// Atelier of an operator.
    pub atelier_id: Option<u64>,
    /// Whether the account may log in.
    pub actif: bool,
    /// Whether Strava is linked.
    pub strava_connected: bool,
    /// Last successful login.
    pub derniere_connexion: Option<String>,
}

/// The `users` columns of an [`Account`], for queries that read one.
pub const COLUMNS: &str = "id, email, role, nom, prenom, atelier_id, actif, \
     COALESCE(strava_connected, FALSE) AS strava_connected, \
     DATE_FORMAT(derniere_connexion, '%Y-%m-%dT%H:%i:%s') AS derniere_connexion";

const SELECT_ACCOUNT: &str = concat!(
    "SELECT id, email, role, nom, prenom, atelier_id, actif, ",
    "COALESCE(strava_connected, FALSE) AS strava_connected, ",
    "DATE_FORMAT(derniere_connexion, '%Y-%m-%dT%H:%i:%s') AS derniere_connexion ",
    "FROM users WHERE id = ? AND anonymized_at IS NULL"
);

/// Loads an account by id (None when it does not exist or was anonymised).
pub fn load(conn: &mut Conn, id: u64) -> Result<Option<Account>> {
    let mut row: Option<Row> = conn.exec_first(SELECT_ACCOUNT, (id,))?;
    Ok(row.as_mut().and_then(from_row))
}

/// The live account of a token's subject: 401 when it is gone or disabled.
pub fn load_active(conn: &mut Conn, id: u64) -> Result<Account> {
    load(conn, id)?.filter(|a| a.actif).ok_or_else(|| {
        Error::unauthorized(
            "account_disabled",
            "Ce compte n'existe plus ou a été désactivé.",
        )
    })
}

/// Reads an [`Account`] from a row selected with [`COLUMNS`].
pub fn from_row(row: &mut Row) -> Option<Account> {
    Some(Account {
        id: row.take("id")?,
        email: row.take("email")?,
        role: Role::parse(&row.take::<String, _>("role")?)?,
        nom: row.take("nom")?,
        prenom: row.take("prenom")?,
        atelier_id: row.take("atelier_id")?,
        actif: row.take("actif")?,
        strava_connected: row.take("strava_connected")?,
        derniere_connexion: row.take("derniere_connexion")?,
    })
}
