//! The one error type of the API.
//!
//! Every failure a client can see is an [`Error`]: an HTTP status, a stable
//! English `snake_case` `code` (clients branch on it) and a French `message`
//! (users read it). Internal causes (SQL errors, I/O) are kept apart in
//! `detail`, written to the log with the place they were raised, and never sent
//! to the client. The wire format is always
//! `{"error": true, "code": "...", "message": "..."}`.

pub mod catalog;

use catalog::Code;
use std::borrow::Cow;
use std::fmt;
use std::panic::Location;

/// An API failure, rendered as the uniform JSON error.
#[derive(Debug)]
pub struct Error {
    status: u16,
    code: Cow<'static, str>,
    message: Cow<'static, str>,
    detail: Option<String>,
    retry_after: Option<u64>,
    /// InnoDB rolled the transaction back to break a deadlock (or a lock
    /// wait timed out): running the request again is the normal remedy.
    transient: bool,
    location: &'static Location<'static>,
}

/// Result of every handler and helper that can fail in front of a client.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with any status and code: only the catalogue ([`catalog`])
    /// builds errors, so every code has one status and one default message.
    #[track_caller]
    fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Error {
            status,
            code: code.into(),
            message: message.into(),
            detail: None,
            retry_after: None,
            transient: false,
            location: Location::caller(),
        }
    }

    /// 422: the request is well-formed but a value is not acceptable.
    #[track_caller]
    pub fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        catalog::VALIDATION_ERROR.msg(message)
    }

    /// 403: authenticated, but not allowed.
    #[track_caller]
    #[must_use]
    pub fn forbidden() -> Self {
        catalog::FORBIDDEN.err()
    }

    /// 429 with the number of seconds to wait.
    #[track_caller]
    #[must_use]
    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut e = catalog::RATE_LIMITED.err();
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// 503 while the database cannot be reached.
    #[track_caller]
    pub fn database_unavailable(detail: impl fmt::Display) -> Self {
        catalog::DATABASE_UNAVAILABLE.err().with_detail(detail)
    }

    /// 500: a fault of ours; `detail` goes to the log only.
    #[track_caller]
    pub fn internal(detail: impl fmt::Display) -> Self {
        catalog::INTERNAL_ERROR.err().with_detail(detail)
    }

    /// Attaches a cause for the log; the client never sees it.
    #[must_use]
    pub fn with_detail(mut self, detail: impl fmt::Display) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    /// Moves the place the error is reported at (for helpers that run a
    /// query on behalf of their caller).
    pub fn set_location(&mut self, at: &'static Location<'static>) {
        self.location = at;
    }

    /// HTTP status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Stable machine-readable code.
    #[must_use]
    pub fn code(&self) -> &str {
        &self.code
    }

    /// French message for the user.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Seconds to wait, for 429 and 503 answers.
    #[must_use]
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The uniform JSON body.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": true, "code": self.code, "message": self.message })
    }

    /// One log line: status, code, where it was raised, and the hidden cause.
    #[must_use]
    pub fn log_line(&self) -> String {
        match &self.detail {
            Some(d) => format!("{} {} at {}: {}", self.status, self.code, self.location, d),
            None => format!("{} {} at {}", self.status, self.code, self.location),
        }
    }

    /// Whether the failed transaction may simply be run again (deadlock
    /// victim, lock wait timeout).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        self.transient
    }

    /// Whether this error is our fault (and thus worth a log line).
    #[must_use]
    pub fn is_server_error(&self) -> bool {
        self.status >= 500
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.log_line())
    }
}

impl std::error::Error for Error {}

/// MySQL error codes after which the transaction can be retried as a whole:
/// `ER_LOCK_WAIT_TIMEOUT`, `ER_LOCK_DEADLOCK`, and `ER_AUTOINC_READ_FAILED`,
/// which is how InnoDB reports a deadlock or a lock wait timeout met while
/// taking a table's AUTO-INC lock (two `INSERT … SELECT` into the same table,
/// each holding what the other waits for; seen on notifications).
const TRANSIENT_CODES: [u16; 3] = [1205, 1213, 1467];

impl From<mysql::Error> for Error {
    #[track_caller]
    fn from(e: mysql::Error) -> Self {
        match e {
            mysql::Error::IoError(_) | mysql::Error::DriverError(_) => {
                Error::database_unavailable(e)
            }
            mysql::Error::MySqlError(ref m) if TRANSIENT_CODES.contains(&m.code) => {
                let mut err = Error::internal(&e);
                err.transient = true;
                err
            }
            _ => Error::internal(e),
        }
    }
}

impl From<std::io::Error> for Error {
    #[track_caller]
    fn from(e: std::io::Error) -> Self {
        Error::internal(e)
    }
}

/// Maps database constraint failures to the client-facing error they mean.
pub trait ResultExt<T> {
    /// A duplicate on the unique key `key` (MySQL error 1062) becomes the
    /// catalogue's `code` with `message`.
    fn on_duplicate(self, key: &str, code: &'static Code, message: &'static str) -> Result<T>;
}

impl<T> ResultExt<T> for std::result::Result<T, mysql::Error> {
    #[track_caller]
    fn on_duplicate(self, key: &str, code: &'static Code, message: &'static str) -> Result<T> {
        match self {
            Ok(v) => Ok(v),
            Err(mysql::Error::MySqlError(e)) if e.code == 1062 && e.message.contains(key) => {
                Err(code.msg(message))
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_body_has_the_uniform_shape() {
        let e = catalog::ORDER_NOT_FOUND.err();
        assert_eq!(
            e.to_json().to_string(),
            r#"{"code":"order_not_found","error":true,"message":"Commande introuvable."}"#
        );
        assert_eq!(e.status(), 404);
    }

    #[test]
    fn internal_detail_stays_out_of_the_body() {
        let e = Error::internal("SQL syntax error near 'secret'");
        assert!(!e.to_json().to_string().contains("secret"));
        assert!(e.log_line().contains("secret"));
        assert!(e.log_line().contains("error/mod.rs"));
    }

    #[test]
    fn rate_limit_carries_retry_after() {
        let e = Error::too_many_requests(0);
        assert_eq!(e.status(), 429);
        assert_eq!(e.retry_after(), Some(1));
        assert_eq!(e.code(), "rate_limited");
    }

    #[test]
    fn deadlocks_and_lock_timeouts_are_transient() {
        let server = |code| {
            Error::from(mysql::Error::MySqlError(mysql::MySqlError {
                state: "40001".into(),
                message: "Deadlock found when trying to get lock".into(),
                code,
            }))
        };
        assert!(server(1213).is_transient());
        assert!(server(1205).is_transient());
        assert!(server(1467).is_transient());
        assert!(!server(1062).is_transient());
        assert_eq!(server(1213).status(), 500);
    }

    #[test]
    fn statuses_of_named_constructors() {
        assert_eq!(Error::forbidden().status(), 403);
        assert_eq!(Error::invalid("x").status(), 422);
        assert_eq!(Error::database_unavailable("down").status(), 503);
    }
}
