//! Validated identifiers shared across domains.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An identifier failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {reason}")]
pub struct InvalidId {
    /// Which kind of id was rejected (`tenant id`, `user id`).
    pub kind: &'static str,
    /// Why it was rejected.
    pub reason: &'static str,
}

/// Checks the shape shared by all opaque ids: 1 to 64 characters of
/// `[A-Za-z0-9_-]`. Keeps ids safe in paths, URLs and logs.
fn check_opaque(kind: &'static str, raw: &str) -> Result<(), InvalidId> {
    if raw.is_empty() || raw.len() > 64 {
        return Err(InvalidId {
            kind,
            reason: "must be 1 to 64 characters",
        });
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(InvalidId {
            kind,
            reason: "may contain only letters, digits, '_' and '-'",
        });
    }
    Ok(())
}

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `raw` and wraps it.
            ///
            /// # Errors
            /// [`InvalidId`] when `raw` is empty, longer than 64 characters, or
            /// holds characters other than `[A-Za-z0-9_-]`.
            pub fn parse(raw: impl Into<String>) -> Result<Self, InvalidId> {
                let raw = raw.into();
                check_opaque($kind, &raw)?;
                Ok(Self(raw))
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(raw: String) -> Result<Self, InvalidId> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

opaque_id!(
    /// The tenant that owns a row. Desktop mode uses the single tenant `local`.
    TenantId,
    "tenant id"
);
opaque_id!(
    /// A user account, global across tenants.
    UserId,
    "user id"
);

impl TenantId {
    /// The tenant every desktop-mode row belongs to.
    pub fn local() -> Self {
        Self("local".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_uuid_and_local() {
        assert!(TenantId::parse("0193a5c2-7d1e-7c3a-9f00-1234567890ab").is_ok());
        assert_eq!(TenantId::local().as_str(), "local");
    }

    #[test]
    fn rejects_path_tricks_and_empty() {
        for bad in ["", "../x", "a/b", "a\\b", "a\0b", &"x".repeat(65)] {
            assert!(UserId::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn serde_rejects_invalid_ids() {
        assert!(serde_json::from_str::<TenantId>("\"../etc\"").is_err());
        let ok: TenantId = serde_json::from_str("\"abc\"").expect("valid id");
        assert_eq!(ok.as_str(), "abc");
    }
}
