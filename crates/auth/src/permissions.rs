//! Fine-grained permissions. A role grants a fixed set; a permission template
//! assigned to a membership narrows it (the effective set is the
//! intersection), so a template can never raise a member above their role.

use crate::error::AuthError;
use crate::models::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One capability checked by the API before a use case runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// Read entities, assets and project data.
    #[serde(rename = "entities:read")]
    EntitiesRead,
    /// Create and edit entities and assets.
    #[serde(rename = "entities:write")]
    EntitiesWrite,
    /// Delete entities and assets.
    #[serde(rename = "entities:delete")]
    EntitiesDelete,
    /// Use AI generation features.
    #[serde(rename = "ai:use")]
    AiUse,
    /// Manage templates, rules and layouts.
    #[serde(rename = "templates:manage")]
    TemplatesManage,
    /// Invite, edit and deactivate users; manage teams and API keys of others.
    #[serde(rename = "users:manage")]
    UsersManage,
    /// Change tenant settings.
    #[serde(rename = "settings:manage")]
    SettingsManage,
    /// Manage billing and subscriptions.
    #[serde(rename = "billing:manage")]
    BillingManage,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 8] = [
        Permission::EntitiesRead,
        Permission::EntitiesWrite,
        Permission::EntitiesDelete,
        Permission::AiUse,
        Permission::TemplatesManage,
        Permission::UsersManage,
        Permission::SettingsManage,
        Permission::BillingManage,
    ];

    /// Wire name, e.g. `entities:write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::EntitiesRead => "entities:read",
            Permission::EntitiesWrite => "entities:write",
            Permission::EntitiesDelete => "entities:delete",
            Permission::AiUse => "ai:use",
            Permission::TemplatesManage => "templates:manage",
            Permission::UsersManage => "users:manage",
            Permission::SettingsManage => "settings:manage",
            Permission::BillingManage => "billing:manage",
        }
    }

    /// Parses a wire name.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for an unknown name.
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw)
            .ok_or_else(|| AuthError::Invalid(format!("unknown permission '{raw}'")))
    }
}

/// An ordered set of permissions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    /// The permissions a role grants (product notes 5.2).
    pub fn for_role(role: Role) -> Self {
        use Permission::*;
        let granted: &[Permission] = match role {
            Role::Owner => &Permission::ALL,
            Role::Admin => &[
                EntitiesRead,
                EntitiesWrite,
                EntitiesDelete,
                AiUse,
                TemplatesManage,
                UsersManage,
                SettingsManage,
            ],
            Role::Editor => &[EntitiesRead, EntitiesWrite, EntitiesDelete, AiUse],
            Role::Viewer => &[EntitiesRead],
        };
        Self(granted.iter().copied().collect())
    }

    /// Parses a list of wire names.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] naming the first unknown permission.
    pub fn parse_all<S: AsRef<str>>(raw: &[S]) -> Result<Self, AuthError> {
        raw.iter()
            .map(|name| Permission::parse(name.as_ref()))
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Permissions present in both sets.
    pub fn intersect(&self, other: &PermissionSet) -> PermissionSet {
        Self(self.0.intersection(&other.0).copied().collect())
    }

    /// Whether `permission` is in the set.
    pub fn contains(&self, permission: Permission) -> bool {
        self.0.contains(&permission)
    }

    /// Wire names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|p| p.as_str()).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_reads_only() {
        let viewer = PermissionSet::for_role(Role::Viewer);
        assert!(viewer.contains(Permission::EntitiesRead));
        assert!(!viewer.contains(Permission::EntitiesWrite));
    }

    #[test]
    fn template_narrows_but_never_raises() {
        let template =
            PermissionSet::parse_all(&["entities:read", "billing:manage"]).expect("valid");
        let effective = PermissionSet::for_role(Role::Editor).intersect(&template);
        assert_eq!(effective.names(), vec!["entities:read"]);
    }

    #[test]
    fn unknown_permission_is_rejected() {
        assert!(PermissionSet::parse_all(&["entities:explode"]).is_err());
    }
}
