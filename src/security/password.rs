//! Password hashing with bcrypt, as the spec's `users.password`.

use crate::error::{Error, Result};

/// bcrypt cost: 10 keeps a login near 60 ms on the shared host's CPU while
/// staying at the spec's PHP `password_hash` strength.
const COST: u32 = 10;

/// A hash of a password that is always checked when the account does not
/// exist, so a login answers in the same time whether the email is known.
const DUMMY_HASH: &str = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

/// Minimum length of a new password.
pub const MIN_LENGTH: usize = 8;

/// Hashes a new password after checking it is acceptable.
pub fn hash(password: &str) -> Result<String> {
    check_strength(password)?;
    bcrypt::hash(password, COST).map_err(Error::internal)
}

/// Whether `password` matches `hash` (a malformed hash never matches).
#[must_use]
pub fn verify(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// Spends the time of a real check when the account is unknown.
pub fn verify_dummy(password: &str) {
    let _ = bcrypt::verify(password, DUMMY_HASH);
}

/// Refuses passwords that are too short, too long for bcrypt, or one repeated
/// character.
pub fn check_strength(password: &str) -> Result<()> {
    if password.chars().count() < MIN_LENGTH {
        return Err(Error::invalid(format!(
            "Le mot de passe doit contenir au moins {MIN_LENGTH} caractères."
        )));
    }
    // bcrypt only reads the first 72 bytes: longer passwords would silently
    // share a hash.
    if password.len() > 72 {
        return Err(Error::invalid(
            "Le mot de passe ne doit pas dépasser 72 octets.",
        ));
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err(Error::invalid("Ce mot de passe est trop simple."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$2b$10$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn weak_passwords_refused() {
        assert_eq!(hash("short").unwrap_err().status(), 422);
        assert_eq!(hash("aaaaaaaaaa").unwrap_err().status(), 422);
        assert_eq!(hash(&"ab".repeat(40)).unwrap_err().status(), 422);
    }
}
