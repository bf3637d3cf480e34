//! The account behind an access token, reloaded on every protected request.
//!
//! A JWT lives 24 hours; a deactivated account or a changed role must not. So
//! the dispatcher reads the user's current role, atelier and status from the
//! database (one indexed primary-key lookup) and uses those, not the token's
//! copy. `/api/auth/me` answers with this same row, so it costs no second
//! query. The same query also tells whether the token's login session is
//! still live (not logged out, not revoked after a refresh-token reuse), so
//! logout ends the access token too without a second round trip.

use crate::error::{catalog, Result};
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

/// The column list of [`COLUMNS`] as a literal, so `concat!` can build the
/// queries below from it.
macro_rules! account_columns {
    () => {
        "id, email, role, nom, prenom, atelier_id, actif, \
         COALESCE(strava_connected, FALSE) AS strava_connected, \
         DATE_FORMAT(derniere_connexion, '%Y-%m-%dT%H:%i:%s') AS derniere_connexion"
    };
}

/// The `users` columns of an [`Account`], for queries that read one.
pub const COLUMNS: &str = account_columns!();

const SELECT_ACCOUNT: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM users WHERE id = ? AND anonymized_at IS NULL"
);

/// [`SELECT_ACCOUNT`] plus whether one session of the login family `sid` is
/// neither revoked nor expired (indexed by `idx_sessions_family`).
const SELECT_ACCOUNT_IN_SESSION: &str = concat!(
    "SELECT ",
    account_columns!(),
    ", EXISTS (SELECT 1 FROM sessions s WHERE s.family_id = ? AND s.user_id = users.id ",
    "AND s.revoked_at IS NULL AND s.expires_at > NOW()) AS session_live ",
    "FROM users WHERE id = ? AND anonymized_at IS NULL"
);

/// Loads an account by id (None when it does not exist or was anonymised).
pub fn load(conn: &mut Conn, id: u64) -> Result<Option<Account>> {
    let mut row: Option<Row> = conn.exec_first(SELECT_ACCOUNT, (id,))?;
    Ok(row.as_mut().and_then(from_row))
}

/// The live account of a token's subject in its login session `sid`: 401
/// when the account is gone or disabled, or the session was closed.
pub fn load_active(conn: &mut Conn, id: u64, sid: &str) -> Result<Account> {
    let mut row: Option<Row> = conn.exec_first(SELECT_ACCOUNT_IN_SESSION, (sid, id))?;
    let session_live = row.as_mut().and_then(|r| r.take::<bool, _>("session_live"));
    let account = row.as_mut().and_then(from_row).filter(|a| a.actif);
    match (account, session_live) {
        (Some(account), Some(true)) => Ok(account),
        (Some(_), _) => Err(catalog::SESSION_REVOKED.err()),
        (None, _) => Err(catalog::ACCOUNT_DISABLED.err()),
    }
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
