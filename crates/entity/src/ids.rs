//! Entity ids and type names: validated before any file is touched.

use crate::error::EntityError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest accepted entity id.
pub const MAX_ID_LEN: usize = 128;

/// An entity id: `^[a-z0-9][a-z0-9_-]{0,127}$`. Safe as a path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntityId(String);

impl EntityId {
    /// Validates `raw`.
    ///
    /// # Errors
    /// [`EntityError::Invalid`] unless `raw` matches `^[a-z0-9][a-z0-9_-]{0,127}$`.
    pub fn parse(raw: &str) -> Result<Self, EntityError> {
        let valid = !raw.is_empty()
            && raw.len() <= MAX_ID_LEN
            && raw
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(EntityError::Invalid(format!(
                "invalid entity id '{}': use 1 to {MAX_ID_LEN} lower-case letters, digits, '_' or '-', starting with a letter or digit",
                raw.escape_debug()
            )))
        }
    }

    /// A snake_case id generated from a display name (`"Rex Marshall"` →
    /// `rex_marshall`); `None` when the name has no letters or digits.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut id = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                id.push(c);
            } else if !id.is_empty() && !id.ends_with('_') {
                id.push('_');
            }
        }
        let id: String = id.trim_end_matches('_').chars().take(MAX_ID_LEN).collect();
        Self::parse(id.trim_end_matches('_')).ok()
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EntityId {
    type Error = EntityError;
    fn try_from(raw: String) -> Result<Self, EntityError> {
        Self::parse(&raw)
    }
}

impl From<EntityId> for String {
    fn from(id: EntityId) -> String {
        id.0
    }
}

/// An entity type name as templates define it (`character`, `style_bible`,
/// `3d_level`): `^[a-z0-9][a-z0-9_]{0,63}$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntityType(String);

impl EntityType {
    /// Validates `raw`.
    ///
    /// # Errors
    /// [`EntityError::Invalid`] for anything but `^[a-z0-9][a-z0-9_]{0,63}$`.
    pub fn parse(raw: &str) -> Result<Self, EntityError> {
        let valid = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(EntityError::Invalid(format!(
                "invalid entity type '{}'",
                raw.escape_debug()
            )))
        }
    }

    /// The type as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EntityType {
    type Error = EntityError;
    fn try_from(raw: String) -> Result<Self, EntityError> {
        Self::parse(&raw)
    }
}

impl From<EntityType> for String {
    fn from(t: EntityType) -> String {
        t.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_path_tricks() {
        for bad in [
            "",
            "..",
            "../x",
            "a/b",
            "a\\b",
            "a\0b",
            "/abs",
            "Rex",
            "_x",
            "-x",
            &"a".repeat(129),
        ] {
            assert!(EntityId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(EntityId::parse("rex_marshall-2").is_ok());
    }

    #[test]
    fn ids_are_generated_from_names() {
        assert_eq!(
            EntityId::from_name("Rex Marshall")
                .map(String::from)
                .as_deref(),
            Some("rex_marshall")
        );
        assert_eq!(
            EntityId::from_name("  Zoë's  Café! ")
                .map(String::from)
                .as_deref(),
            Some("zo_s_caf")
        );
        assert_eq!(EntityId::from_name("!!!"), None);
    }

    #[test]
    fn types_are_snake_case() {
        assert!(EntityType::parse("style_bible").is_ok());
        assert!(EntityType::parse("3d_level").is_ok());
        assert!(EntityType::parse("_x").is_err());
        assert!(EntityType::parse("Style").is_err());
        assert!(EntityType::parse("a-b").is_err());
    }
}
