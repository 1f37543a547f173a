//! Sealing secrets at rest (OAuth tokens of outside services):
//! XChaCha20-Poly1305 with a random 192-bit nonce per seal and the owning
//! row's identity as associated data, so a sealed value copied to another
//! row does not open.

use crate::error::AuthError;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;

/// Length of a sealing key in bytes.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD_NO_PAD;

/// Seals and opens secrets with one key.
#[derive(Clone)]
pub struct SecretSealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretSealer([redacted])")
    }
}

impl SecretSealer {
    /// A sealer with a 32-byte key.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for a key of another length.
    pub fn new(key: &[u8]) -> Result<Self, AuthError> {
        let key: [u8; KEY_LEN] = key
            .try_into()
            .map_err(|_| AuthError::Invalid(format!("a sealing key must be {KEY_LEN} bytes")))?;
        Ok(Self {
            cipher: XChaCha20Poly1305::new(&Key::from(key)),
        })
    }

    /// A sealer from a base64-encoded 32-byte key.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for malformed base64 or a wrong length.
    pub fn from_base64(encoded: &str) -> Result<Self, AuthError> {
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| AuthError::Invalid("the sealing key is not valid base64".into()))?;
        Self::new(&key)
    }

    /// A fresh random key, base64-encoded.
    pub fn generate_key() -> String {
        let mut key = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        base64::engine::general_purpose::STANDARD.encode(key)
    }

    /// Encrypts `secret`, bound to `context` (e.g. the owning row's key).
    ///
    /// # Errors
    /// [`AuthError::Unexpected`] if encryption fails.
    pub fn seal(&self, secret: &str, context: &str) -> Result<String, AuthError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| AuthError::Unexpected(anyhow::anyhow!("sealing failed")))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(B64.encode(out))
    }

    /// Decrypts a value sealed with the same key and `context`.
    ///
    /// # Errors
    /// [`AuthError::Unexpected`] for a value that is malformed, was sealed
    /// with another key or context, or was tampered with.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, AuthError> {
        let broken =
            || AuthError::Unexpected(anyhow::anyhow!("a sealed secret could not be opened"));
        let raw = B64.decode(sealed).map_err(|_| broken())?;
        if raw.len() <= NONCE_LEN {
            return Err(broken());
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| broken())?;
        let plain = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> SecretSealer {
        SecretSealer::from_base64(&SecretSealer::generate_key()).expect("valid key")
    }

    #[test]
    fn round_trips_and_never_repeats_ciphertext() {
        let s = sealer();
        let a = s.seal("ya29.token", "t/u/google_drive").expect("sealed");
        let b = s.seal("ya29.token", "t/u/google_drive").expect("sealed");
        assert_ne!(a, b, "random nonces");
        assert!(!a.contains("ya29"));
        assert_eq!(s.open(&a, "t/u/google_drive").expect("opens"), "ya29.token");
    }

    #[test]
    fn refuses_other_context_other_key_and_tampering() {
        let s = sealer();
        let sealed = s.seal("secret", "row-1").expect("sealed");
        assert!(s.open(&sealed, "row-2").is_err(), "bound to its row");
        assert!(sealer().open(&sealed, "row-1").is_err(), "bound to its key");
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(
            s.open(&String::from_utf8(tampered).expect("ascii"), "row-1")
                .is_err()
        );
        assert!(SecretSealer::new(&[0u8; 16]).is_err());
    }
}
