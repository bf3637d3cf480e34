//! The account behind an access token, reloaded on every protected request.
//!
//! A JWT lives 24 hours; a deactivated account or a changed role must not. So
//! the dispatcher reads the user's current role, atelier and status from the
//! database (one indexed primary-key lookup) and uses those, not the token's
//! copy. `/api/auth/me` answers with this same row, so it costs no second
//! query. The same query also tells whether the token's login session is
//! still live (not logged out, not revoked after a refresh-token reuse), so
//! logout ends the access token too without a second round trip.

use crate::db::rows::{self, FromRow};
use crate::error::{catalog, Result};
use crate::security::Role;
use mysql::prelude::Queryable;
use mysql::{Conn, FromValueError, Row, Value};
use serde::Serialize;

/// What clients may see of a user (never the password hash).
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct Account {
    /// User id.
    pub id: u64,
    /// Login email.
    pub email: String,
    /// Current role.
    #[mysql(deserialize_with = "role_from_value")]
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
        "id, email, role, nom, prenom, atelier_id, COALESCE(actif, FALSE) AS actif, \
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

/// `users.role` as a [`Role`]; a value we do not know does not convert.
fn role_from_value(value: Value) -> std::result::Result<Role, FromValueError> {
    let role = match &value {
        Value::Bytes(bytes) => std::str::from_utf8(bytes).ok().and_then(Role::parse),
        _ => None,
    };
    role.ok_or(FromValueError(value))
}

/// Loads an account by id (None when it does not exist or was anonymised).
pub fn load(conn: &mut Conn, id: u64) -> Result<Option<Account>> {
    rows::first(conn, SELECT_ACCOUNT, (id,))
}

/// The live account of a token's subject in its login session `sid`: 401
/// when the account is gone or disabled, or the session was closed.
pub fn load_active(conn: &mut Conn, id: u64, sid: &str) -> Result<Account> {
    let row: Option<Row> = conn.exec_first(SELECT_ACCOUNT_IN_SESSION, (sid, id))?;
    let Some(mut row) = row else {
        return Err(catalog::ACCOUNT_DISABLED.err());
    };
    let session_live: bool = rows::col(&mut row, "session_live")?;
    let account: Account = rows::convert(row)?;
    match (account.actif, session_live) {
        (true, true) => Ok(account),
        (true, false) => Err(catalog::SESSION_REVOKED.err()),
        (false, _) => Err(catalog::ACCOUNT_DISABLED.err()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_roles_convert_and_unknown_ones_do_not() {
        for role in Role::ALL {
            assert_eq!(role_from_value(Value::from(role.as_str())).unwrap(), role);
        }
        assert!(role_from_value(Value::from("pirate")).is_err());
        assert!(role_from_value(Value::NULL).is_err());
    }
}
