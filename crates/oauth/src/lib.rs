//! OAuth 2.0 / OpenID Connect adapters of StudioBrain's identity ports.
//!
//! - [`HttpOAuthProvider`] implements [`studiobrain_auth::ports::OAuthProvider`]:
//!   the authorization-code flow with PKCE (S256) against any provider whose
//!   endpoints are given in [`ProviderSettings`] (Google and Microsoft have
//!   ready-made constructors), reading the user from the `userinfo` endpoint.
//! - [`JwksIdTokenVerifier`] implements
//!   [`studiobrain_auth::ports::IdTokenVerifier`]: RS256 ID tokens checked
//!   against the provider's published, cached JSON Web Key Set.
//! - [`http_client`] builds the `reqwest` client both adapters expect.
//!
//! Every request goes through `reqwest` with rustls; install the rustls
//! crypto provider (`rustls::crypto::ring::default_provider().install_default()`)
//! once at start-up, before building any client.

mod http;
mod id_token;
mod provider;
mod settings;

pub use http::http_client;
pub use id_token::{GOOGLE_ISSUERS, GOOGLE_JWKS_URL, JwksIdTokenVerifier};
pub use provider::HttpOAuthProvider;
pub use settings::{GOOGLE_DRIVE_FILE_SCOPE, ProviderSettings};
