//! Access tokens: HS256 JWTs with a pinned algorithm and strict validation
//! (no leeway; `exp`, `nbf`, `iss`, `aud` and `sub` required and checked).

use crate::error::AuthError;
use crate::models::Role;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use studiobrain_kernel::{TenantId, UserId};

/// Shortest signing secret accepted.
pub const MIN_SECRET_LEN: usize = 32;

/// Issuer written into and required from every token.
pub const DEFAULT_ISSUER: &str = "studiobrain";
/// Audience written into and required from every token.
pub const DEFAULT_AUDIENCE: &str = "studiobrain-api";

/// The signed claims of an access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// Active tenant id.
    pub tid: String,
    /// Role in the active tenant when the token was issued.
    pub role: Role,
    /// The user's token version; a bump revokes the token.
    pub ver: i64,
    /// Refresh-token family (the sign-in session) the token belongs to.
    pub sid: String,
    /// Always `access`.
    pub typ: String,
    /// Issued at (seconds).
    pub iat: i64,
    /// Not before (seconds).
    pub nbf: i64,
    /// Expires (seconds).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
}

/// Lifetimes and signing key of the tokens the service issues.
#[derive(Clone)]
pub struct TokenSettings {
    secret: Vec<u8>,
    /// Issuer claim.
    pub issuer: String,
    /// Audience claim.
    pub audience: String,
    /// Access-token lifetime (15 minutes by default).
    pub access_ttl: Duration,
    /// Refresh-token lifetime (30 days by default).
    pub refresh_ttl: Duration,
}

impl std::fmt::Debug for TokenSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSettings")
            .field("secret", &"[redacted]")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .finish()
    }
}

impl TokenSettings {
    /// Default lifetimes and claims with the given HS256 secret.
    pub fn new(secret: Vec<u8>) -> Self {
        Self {
            secret,
            issuer: DEFAULT_ISSUER.to_owned(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            access_ttl: Duration::minutes(15),
            refresh_ttl: Duration::days(30),
        }
    }

    /// Signs an access token.
    ///
    /// # Errors
    /// [`AuthError::Unexpected`] if signing fails.
    pub fn issue(&self, grant: AccessGrant<'_>, now: DateTime<Utc>) -> Result<String, AuthError> {
        let claims = AccessClaims {
            sub: grant.user_id.to_string(),
            tid: grant.tenant_id.to_string(),
            role: grant.role,
            ver: grant.token_version,
            sid: grant.session_id.to_owned(),
            typ: "access".to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: (now + self.access_ttl).timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&self.secret),
        )
        .map_err(|err| AuthError::Unexpected(anyhow::anyhow!("signing failed: {err}")))
    }

    /// Verifies signature, algorithm and every time and identity claim.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for any invalid token.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<AccessClaims>(
            token,
            &DecodingKey::from_secret(&self.secret),
            &validation,
        )
        .map_err(|_| AuthError::Unauthenticated)?;
        if data.claims.typ != "access" {
            return Err(AuthError::Unauthenticated);
        }
        Ok(data.claims)
    }
}

/// What an access token grants.
#[derive(Debug, Clone, Copy)]
pub struct AccessGrant<'a> {
    /// The user.
    pub user_id: &'a UserId,
    /// The active tenant.
    pub tenant_id: &'a TenantId,
    /// Role in that tenant.
    pub role: Role,
    /// The user's current token version.
    pub token_version: i64,
    /// The refresh-token family.
    pub session_id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn settings() -> TokenSettings {
        TokenSettings::new(b"0123456789abcdef0123456789abcdef".to_vec())
    }

    fn token_at(settings: &TokenSettings, now: DateTime<Utc>) -> String {
        let user = UserId::parse("u1").expect("id");
        let tenant = TenantId::parse("t1").expect("id");
        settings
            .issue(
                AccessGrant {
                    user_id: &user,
                    tenant_id: &tenant,
                    role: Role::Editor,
                    token_version: 0,
                    session_id: "s1",
                },
                now,
            )
            .expect("issue")
    }

    #[test]
    fn round_trip() {
        let s = settings();
        let claims = s.verify(&token_at(&s, Utc::now())).expect("valid");
        assert_eq!(claims.sub, "u1");
        assert_eq!(claims.role, Role::Editor);
    }

    #[test]
    fn rejects_tampered_signature() {
        let s = settings();
        let mut token = token_at(&s, Utc::now());
        let last = token.pop().expect("non-empty");
        token.push(if last == 'A' { 'B' } else { 'A' });
        assert!(s.verify(&token).is_err());
    }

    #[test]
    fn rejects_alg_none() {
        let s = settings();
        let token = token_at(&s, Utc::now());
        let payload = token.split('.').nth(1).expect("payload");
        let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(s.verify(&format!("{header}.{payload}.")).is_err());
    }

    #[test]
    fn rejects_other_key() {
        let other = TokenSettings::new(b"another-secret-another-secret-xx".to_vec());
        assert!(settings().verify(&token_at(&other, Utc::now())).is_err());
    }

    #[test]
    fn rejects_wrong_audience_and_issuer() {
        let s = settings();
        let mut wrong_aud = settings();
        wrong_aud.audience = "someone-else".into();
        assert!(s.verify(&token_at(&wrong_aud, Utc::now())).is_err());
        let mut wrong_iss = settings();
        wrong_iss.issuer = "evil".into();
        assert!(s.verify(&token_at(&wrong_iss, Utc::now())).is_err());
    }

    #[test]
    fn rejects_expired_without_leeway() {
        let s = settings();
        let issued = Utc::now() - s.access_ttl - Duration::seconds(2);
        assert!(s.verify(&token_at(&s, issued)).is_err());
    }

    #[test]
    fn rejects_future_nbf() {
        let s = settings();
        assert!(
            s.verify(&token_at(&s, Utc::now() + Duration::minutes(5)))
                .is_err()
        );
    }

    #[test]
    fn rejects_opaque_refresh_token() {
        assert!(settings().verify(&crate::secrets::random_token()).is_err());
    }
}
