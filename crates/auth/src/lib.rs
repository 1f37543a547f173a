//! Identity domain of StudioBrain.
//!
//! Users are global accounts; a user belongs to one or more tenants through a
//! [`Membership`] that carries a [`Role`]. Access tokens are short-lived JWTs
//! naming the active tenant; refresh tokens are opaque, stored hashed and
//! rotated on every use. API keys (`sb_...`) are the programmatic credential.
//!
//! The crate has the hexagonal shape of every StudioBrain domain crate:
//! [`models`] (validated values), [`ports`] (storage and delivery traits),
//! [`service`] ([`AuthService`], the use cases) and [`error`].
//!
//! # Embedding
//! ```
//! use std::sync::Arc;
//! use studiobrain_auth::{AuthPorts, AuthService, TokenSettings};
//! # fn build(ports: AuthPorts) {
//! let settings = TokenSettings::new(b"a-signing-secret-of-at-least-32-bytes!".to_vec());
//! let service = AuthService::new(ports, settings);
//! # let _ = service;
//! # }
//! ```
//! In-memory ports for [`AuthPorts`] come from the `studiobrain-memory`
//! crate; SQL ones from `studiobrain-store-sql`.

pub mod error;
pub mod models;
pub mod password;
pub mod permissions;
pub mod ports;
pub mod sealing;
pub mod secrets;
pub mod service;
pub mod tokens;

#[cfg(feature = "contract-tests")]
pub mod contract;

pub use error::AuthError;
pub use models::*;
pub use permissions::{Permission, PermissionSet};
pub use ports::AuthPorts;
pub use service::{AuthService, Credential, Principal, SessionTokens};
pub use tokens::TokenSettings;
