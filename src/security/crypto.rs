//! Secrets at rest and message signatures.
//!
//! Third-party secrets (export webhook tokens, later Strava and PrestaShop
//! tokens) are stored encrypted with AES-256-GCM. The key is the SHA-256 of
//! `ENCRYPTION_KEY`, so any length of secret in `.env` gives a full 256-bit
//! key. Each value gets a fresh random 96-bit nonce and is stored as lower-case
//! hex of `nonce || ciphertext+tag`: the column stays plain text, and a
//! database dump alone reveals nothing.
//!
//! HMAC-SHA256 (RFC 2104) comes from the `hmac` crate (0.13 shares `sha2`'s
//! `digest` 0.11).

use crate::error::{Error, Result};
use crate::security::tokens::to_hex;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Length of the random nonce prefixed to every ciphertext.
const NONCE_LEN: usize = 12;

fn cipher(encryption_key: &str) -> Aes256Gcm {
    let key: [u8; 32] = Sha256::digest(encryption_key.as_bytes()).into();
    Aes256Gcm::new(&key.into())
}

/// Encrypts `plaintext` with the key derived from `encryption_key`; returns
/// hex of `nonce || ciphertext`.
pub fn encrypt(encryption_key: &str, plaintext: &str) -> Result<String> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(Error::internal)?;
    let sealed = cipher(encryption_key)
        .encrypt(&Nonce::from(nonce), plaintext.as_bytes())
        .map_err(|_| Error::internal("AES-GCM encryption failed"))?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(to_hex(&out))
}

/// Decrypts a value made by [`encrypt`]. A wrong key, a truncated or altered
/// value is an internal error (the data or the configuration is broken, not
/// the request).
///
/// # Panics
///
/// Never: the nonce is split off at exactly its length.
pub fn decrypt(encryption_key: &str, stored: &str) -> Result<String> {
    let bytes = from_hex(stored.trim())
        .filter(|b| b.len() > NONCE_LEN)
        .ok_or_else(|| Error::internal("encrypted value is not hex nonce||ciphertext"))?;
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at NONCE_LEN");
    let plain = cipher(encryption_key)
        .decrypt(&Nonce::from(nonce), sealed)
        .map_err(|_| {
            Error::internal("AES-GCM decryption failed (wrong ENCRYPTION_KEY or altered value)")
        })?;
    String::from_utf8(plain).map_err(Error::internal)
}

/// HMAC-SHA256 of `data` under `key` (RFC 2104).
///
/// # Panics
///
/// Never: HMAC takes keys of any length.
#[must_use]
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key)
        .expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 as lower-case hex.
#[must_use]
pub fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> String {
    to_hex(&hmac_sha256(key, data))
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_fresh_nonces() {
        let a = encrypt("clé de test", "jeton-secret").unwrap();
        let b = encrypt("clé de test", "jeton-secret").unwrap();
        assert_ne!(a, b, "each value gets its own nonce");
        assert!(!a.contains("jeton"));
        assert_eq!(a.len(), 2 * (NONCE_LEN + "jeton-secret".len() + 16));
        assert_eq!(decrypt("clé de test", &a).unwrap(), "jeton-secret");
        assert_eq!(decrypt("clé de test", &b).unwrap(), "jeton-secret");
    }

    #[test]
    fn wrong_key_or_altered_value_fails() {
        let a = encrypt("clé A", "secret").unwrap();
        assert!(decrypt("clé B", &a).is_err());
        let mut altered = a.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        assert!(decrypt("clé A", &String::from_utf8(altered).unwrap()).is_err());
        assert!(decrypt("clé A", "zz").is_err());
        assert!(decrypt("clé A", &a[..20]).is_err());
    }

    #[test]
    fn hmac_rfc4231_vectors() {
        // Test case 1.
        assert_eq!(
            hmac_sha256_hex(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2.
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hmac_sha256_hex(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
