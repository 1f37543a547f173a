//! Verification of OpenID Connect ID tokens against a provider's JSON Web
//! Key Set, fetched over HTTP and cached.

use anyhow::Context as _;
use async_trait::async_trait;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use std::time::{Duration, Instant};
use studiobrain_auth::error::{AuthError, AuthResult};
use studiobrain_auth::models::{EmailAddress, ExternalIdentity};
use studiobrain_auth::ports::IdTokenVerifier;
use tokio::sync::Mutex;

/// Where Google publishes the keys that sign its ID tokens.
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";

/// The `iss` values Google puts in its ID tokens.
pub const GOOGLE_ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];

/// Shortest time between two fetches of the key set.
const REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// An [`IdTokenVerifier`] for RS256 ID tokens: the signing key is picked by
/// `kid` from the provider's JWKS, which is fetched on first use and again
/// (at most once a minute) whenever a token names an unknown `kid`.
pub struct JwksIdTokenVerifier {
    provider: String,
    jwks_url: String,
    validation: Validation,
    http: reqwest::Client,
    cache: Mutex<KeyCache>,
}

/// The last key set fetched and when.
#[derive(Default)]
struct KeyCache {
    keys: JwkSet,
    fetched_at: Option<Instant>,
}

/// The ID token claims we read (`exp`, `iss` and `aud` are checked by the
/// validation).
#[derive(Deserialize)]
struct Claims {
    sub: String,
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    name: Option<String>,
}

impl JwksIdTokenVerifier {
    /// A verifier reporting identities of `provider`, trusting the keys at
    /// `jwks_url` and accepting tokens issued by one of `issuers` for
    /// `audience` (our OAuth client id).
    pub fn new(
        provider: &str,
        jwks_url: &str,
        issuers: Vec<String>,
        audience: String,
        http: reqwest::Client,
    ) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.set_issuer(&issuers);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Self {
            provider: provider.to_owned(),
            jwks_url: jwks_url.to_owned(),
            validation,
            http,
            cache: Mutex::new(KeyCache::default()),
        }
    }

    /// Google's ID tokens for our client id `audience`, as provider `google`.
    pub fn google(audience: String, http: reqwest::Client) -> Self {
        Self::new(
            "google",
            GOOGLE_JWKS_URL,
            GOOGLE_ISSUERS.map(String::from).to_vec(),
            audience,
            http,
        )
    }

    /// The key named `kid`, re-fetching the key set if it is unknown and the
    /// last fetch is more than a minute old. `None` if no such key exists.
    async fn key(&self, kid: &str) -> AuthResult<Option<DecodingKey>> {
        let mut cache = self.cache.lock().await;
        if cache.keys.find(kid).is_none()
            && cache
                .fetched_at
                .is_none_or(|at| at.elapsed() >= REFETCH_INTERVAL)
        {
            cache.keys = self.fetch_keys().await?;
            cache.fetched_at = Some(Instant::now());
        }
        cache
            .keys
            .find(kid)
            .map(DecodingKey::from_jwk)
            .transpose()
            .map_err(|_| AuthError::Unauthenticated)
    }

    /// Downloads the key set.
    async fn fetch_keys(&self) -> AuthResult<JwkSet> {
        let keys = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .context("JWKS request failed")?
            .error_for_status()
            .context("JWKS endpoint refused the request")?
            .json()
            .await
            .context("JWKS endpoint answered garbage")?;
        Ok(keys)
    }
}

#[async_trait]
impl IdTokenVerifier for JwksIdTokenVerifier {
    async fn verify_id_token(&self, id_token: &str) -> AuthResult<ExternalIdentity> {
        let header = decode_header(id_token).map_err(|_| AuthError::Unauthenticated)?;
        // Reject other algorithms before they can trigger a key fetch.
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Unauthenticated);
        }
        let kid = header.kid.ok_or(AuthError::Unauthenticated)?;
        let key = self.key(&kid).await?.ok_or(AuthError::Unauthenticated)?;
        let claims = decode::<Claims>(id_token, &key, &self.validation)
            .map_err(|_| AuthError::Unauthenticated)?
            .claims;
        let email = claims
            .email
            .as_deref()
            .and_then(|raw| EmailAddress::parse(raw).ok())
            .ok_or(AuthError::Unauthenticated)?;
        Ok(ExternalIdentity {
            provider: self.provider.clone(),
            subject: claims.sub,
            email,
            email_verified: claims.email_verified,
            display_name: claims.name.filter(|name| !name.trim().is_empty()),
        })
    }
}
