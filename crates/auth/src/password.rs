//! Password policy and argon2id hashing. Hashing is deliberately slow, so the
//! async functions run it on the blocking thread pool and never stall the
//! reactor.

use crate::error::AuthError;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest accepted password (bounds hashing cost).
pub const MAX_PASSWORD_LEN: usize = 256;

/// Checks the password policy.
///
/// # Errors
/// [`AuthError::Invalid`] when the password is too short or too long.
pub fn check_policy(password: &str) -> Result<(), AuthError> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(AuthError::Invalid(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(AuthError::Invalid(format!(
            "password must be at most {MAX_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

/// Hashes `password` with argon2id and a random salt, off the reactor.
///
/// # Errors
/// [`AuthError::Unexpected`] if hashing fails or the worker panics.
pub async fn hash(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|err| AuthError::Unexpected(anyhow::anyhow!("password hashing failed: {err}")))
    })
    .await
    .map_err(|err| AuthError::Unexpected(err.into()))?
}

/// Checks `password` against a stored PHC string, off the reactor. When
/// `stored` is `None` (unknown user), a dummy hash is verified instead so that
/// the response time does not reveal whether the account exists.
///
/// # Errors
/// [`AuthError::Unexpected`] if the worker panics.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || {
        let (phc, known) = match stored {
            Some(phc) => (phc, true),
            None => (dummy_hash().to_owned(), false),
        };
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        known && matches
    })
    .await
    .map_err(|err| AuthError::Unexpected(err.into()))
}

/// An argon2id hash of a random string, computed once; used to equalise
/// timing for unknown accounts.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(crate::secrets::random_token().as_bytes())
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let phc = hash("correct horse".into()).await.expect("hash");
        assert!(phc.starts_with("$argon2id$"));
        assert!(
            verify("correct horse".into(), Some(phc.clone()))
                .await
                .expect("verify")
        );
        assert!(
            !verify("wrong horse".into(), Some(phc))
                .await
                .expect("verify")
        );
        assert!(!verify("anything".into(), None).await.expect("verify"));
    }

    #[test]
    fn policy_bounds_length() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("long enough").is_ok());
        assert!(check_policy(&"x".repeat(257)).is_err());
    }
}
