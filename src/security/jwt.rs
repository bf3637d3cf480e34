//! Access tokens: HS256 JWTs carrying the user id, role, atelier and login
//! session, valid `JWT_EXPIRY` seconds (24 h by default).
//!
//! The session (`sid`) is the refresh-token family the login started: the
//! dispatcher checks it is still live on every protected request, so logging
//! out (or a detected refresh-token theft) ends the access token at once
//! instead of when it expires (issue 13 item 9). A token without `sid`
//! (issued before this field existed) is refused as invalid.
//!
//! Only HS256 is accepted: a token announcing `alg: none` or any other
//! algorithm is refused before its signature is even considered.
//!
//! `jsonwebtoken` signs through a pluggable crypto provider. Its stock
//! `rust_crypto` provider would link RSA, ECDSA and `EdDSA` too (about 0.5 MB
//! of code the binary never runs, loaded by every CGI request) and a second
//! copy of `sha2`/`hmac`; ours, [`HS256_ONLY`], is HMAC-SHA256 from the
//! crates the rest of the binary already uses.

use crate::error::{catalog, Error, Result};
use crate::security::Role;
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{new_error, ErrorKind};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What an access token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: u64,
    /// Role at issue time.
    pub role: Role,
    /// Atelier of a workshop operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atelier_id: Option<u64>,
    /// Login session: the `sessions.family_id` of the refresh tokens this
    /// login issued.
    pub sid: String,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Expires at (seconds since the epoch).
    pub exp: u64,
}

/// The crypto provider of every token this module signs or checks.
static HS256_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: |algorithm, key| Ok(Box::new(Hs256::new(*algorithm, key.as_bytes())?)),
    verifier_factory: |algorithm, key| {
        Ok(Box::new(Hs256::new(*algorithm, key.try_get_as_bytes()?)?))
    },
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes [`HS256_ONLY`] the process's provider (once; later calls find it set).
fn use_hs256_only() {
    // Err means a provider is already installed, and only this module installs one.
    let _ = HS256_ONLY.install_default();
}

/// HMAC-SHA256 keyed with the token secret: signer and verifier.
struct Hs256(Hmac<Sha256>);

impl Hs256 {
    fn new(algorithm: Algorithm, secret: &[u8]) -> jsonwebtoken::errors::Result<Self> {
        if algorithm != Algorithm::HS256 {
            return Err(new_error(ErrorKind::InvalidAlgorithm));
        }
        Hmac::new_from_slice(secret)
            .map(Self)
            .map_err(|_| new_error(ErrorKind::InvalidKeyFormat))
    }

    fn mac_of(&self, message: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(message);
        mac
    }
}

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(self.mac_of(message).finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, message: &[u8], tag: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        // verify_slice compares in constant time.
        self.mac_of(message)
            .verify_slice(tag)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

/// Seconds since the Unix epoch.
#[must_use]
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Signs an access token for a user's login session `sid`.
pub fn issue(
    secret: &str,
    lifetime: Duration,
    user_id: u64,
    role: Role,
    atelier_id: Option<u64>,
    sid: &str,
) -> Result<String> {
    let iat = now_secs();
    let claims = Claims {
        sub: user_id,
        role,
        atelier_id,
        sid: sid.to_string(),
        iat,
        exp: iat + lifetime.as_secs(),
    };
    use_hs256_only();
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(Error::internal)
}

/// Checks a token's algorithm, signature and expiry.
pub fn verify(secret: &str, token: &str) -> Result<Claims> {
    use_hs256_only();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    // `sub` is a number here, so serde (not the spec-claims check) requires it.
    validation.set_required_spec_claims(&["exp"]);
    decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|e| match e.kind() {
        ErrorKind::ExpiredSignature => catalog::TOKEN_EXPIRED.err(),
        _ => catalog::TOKEN_INVALID.err(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn b64(s: &str) -> String {
        // Unpadded base64url, enough for the forged tokens below.
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = s.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn issue_then_verify() {
        let t = issue(
            SECRET,
            Duration::from_secs(60),
            7,
            Role::OperateurFab,
            Some(3),
            "f00d",
        )
        .unwrap();
        let c = verify(SECRET, &t).unwrap();
        assert_eq!(
            (c.sub, c.role, c.atelier_id, c.sid.as_str()),
            (7, Role::OperateurFab, Some(3), "f00d")
        );
    }

    #[test]
    fn wrong_secret_and_tampering_refused() {
        let t = issue(
            SECRET,
            Duration::from_secs(60),
            7,
            Role::Sportif,
            None,
            "f00d",
        )
        .unwrap();
        assert_eq!(
            verify("another-secret-another-secret-xx", &t)
                .unwrap_err()
                .code(),
            "token_invalid"
        );
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = b64(&format!(
            r#"{{"sub":7,"role":"super_admin","iat":1,"exp":{}}}"#,
            now_secs() + 60
        ));
        parts[1] = &forged;
        assert_eq!(
            verify(SECRET, &parts.join(".")).unwrap_err().code(),
            "token_invalid"
        );
    }

    #[test]
    fn alg_none_refused() {
        let header = b64(r#"{"alg":"none","typ":"JWT"}"#);
        let body = b64(&format!(
            r#"{{"sub":1,"role":"super_admin","iat":1,"exp":{}}}"#,
            now_secs() + 60
        ));
        assert_eq!(
            verify(SECRET, &format!("{header}.{body}."))
                .unwrap_err()
                .status(),
            401
        );
    }

    #[test]
    fn the_provider_signs_and_checks_hs256_only() {
        for algorithm in [Algorithm::HS384, Algorithm::HS512, Algorithm::RS256] {
            let refused = Hs256::new(algorithm, SECRET.as_bytes()).err();
            assert_eq!(
                refused.map(jsonwebtoken::errors::Error::into_kind),
                Some(ErrorKind::InvalidAlgorithm),
                "{algorithm:?}"
            );
        }
        use_hs256_only();
        let other = encode(
            &Header::new(Algorithm::HS512),
            &serde_json::json!({ "sub": 1 }),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        );
        assert_eq!(
            other.map_err(jsonwebtoken::errors::Error::into_kind).err(),
            Some(ErrorKind::InvalidAlgorithm)
        );
    }

    #[test]
    fn token_without_session_refused() {
        let claims = serde_json::json!({
            "sub": 1, "role": "sportif", "iat": 1, "exp": now_secs() + 60
        });
        use_hs256_only();
        let t = encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert_eq!(verify(SECRET, &t).unwrap_err().code(), "token_invalid");
    }

    #[test]
    fn expired_refused() {
        let header = Header::new(Algorithm::HS256);
        let claims = Claims {
            sub: 1,
            role: Role::Sportif,
            atelier_id: None,
            sid: "f00d".into(),
            iat: 1,
            exp: now_secs() - 5,
        };
        use_hs256_only();
        let t = encode(
            &header,
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert_eq!(verify(SECRET, &t).unwrap_err().code(), "token_expired");
    }
}
