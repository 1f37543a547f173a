//! A short-lived cache of authenticated principals, keyed by the presented
//! credential. Requests of the same client within the TTL skip the
//! database and the token's signature check (the key is the whole token,
//! signature included, verified when it was cached); an entry never
//! outlives the token's expiry. Every use case that changes what authentication reads (token
//! versions, memberships, API keys) clears the cache, so within one process
//! a revocation takes effect at once; other processes sharing the database
//! see it within the TTL (default one second).

use super::Principal;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// Most entries kept; the cache is emptied when full.
const MAX_ENTRIES: usize = 10_000;

/// Credential → (principal, expiry).
#[derive(Debug)]
pub(crate) struct PrincipalCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Principal, DateTime<Utc>)>>,
}

impl PrincipalCache {
    /// A cache whose entries live `ttl`; a zero TTL disables it.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Principal, DateTime<Utc>)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached principal for `credential`, if fresh at `now`.
    pub(crate) fn get(&self, credential: &str, now: DateTime<Utc>) -> Option<Principal> {
        if self.ttl <= Duration::zero() {
            return None;
        }
        let entries = self.entries();
        entries
            .get(credential)
            .filter(|(_, expires)| *expires > now)
            .map(|(principal, _)| principal.clone())
    }

    /// Remembers `principal` for `credential` until `now + ttl`, or until
    /// `expires` (the credential's own expiry) when that comes first.
    pub(crate) fn insert(
        &self,
        credential: &str,
        principal: &Principal,
        now: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
    ) {
        if self.ttl <= Duration::zero() {
            return;
        }
        let until = expires.map_or(now + self.ttl, |expires| expires.min(now + self.ttl));
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(credential.to_owned(), (principal.clone(), until));
    }

    /// Forgets everything (after a change to users, memberships or keys).
    pub(crate) fn clear(&self) {
        self.entries().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{EmailAddress, Membership, Role, User};
    use crate::permissions::PermissionSet;
    use crate::service::{Credential, MemberView};
    use std::sync::Arc;
    use studiobrain_kernel::{TenantId, UserId};

    fn principal() -> Principal {
        let now = Utc::now();
        let user = User {
            id: UserId::parse("u1").expect("id"),
            email: EmailAddress::parse("a@b.example").expect("email"),
            display_name: "A".into(),
            password_hash: None,
            token_version: 0,
            created_at: now,
            updated_at: now,
        };
        let membership = Membership {
            tenant_id: TenantId::local(),
            user_id: user.id.clone(),
            role: Role::Editor,
            permission_template_id: None,
            subscription_tier: "free".into(),
            is_active: true,
            created_at: now,
        };
        Principal {
            user_id: user.id.clone(),
            tenant_id: TenantId::local(),
            role: Role::Editor,
            permissions: PermissionSet::for_role(Role::Editor),
            credential: Credential::Session {
                session_id: "s".into(),
            },
            member: Arc::new(MemberView { user, membership }),
        }
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = PrincipalCache::new(Duration::seconds(1));
        let now = Utc::now();
        cache.insert("token", &principal(), now, None);
        assert!(
            cache
                .get("token", now + Duration::milliseconds(999))
                .is_some()
        );
        assert!(cache.get("token", now + Duration::seconds(1)).is_none());
        assert!(cache.get("other", now).is_none());
    }

    #[test]
    fn an_entry_ends_with_its_credential() {
        let cache = PrincipalCache::new(Duration::seconds(5));
        let now = Utc::now();
        let expires = now + Duration::seconds(2);
        cache.insert("token", &principal(), now, Some(expires));
        assert!(
            cache
                .get("token", expires - Duration::milliseconds(1))
                .is_some()
        );
        assert!(cache.get("token", expires).is_none());
        // A credential that outlives the TTL still ends with the TTL.
        cache.insert("late", &principal(), now, Some(now + Duration::hours(1)));
        assert!(cache.get("late", now + Duration::seconds(5)).is_none());
    }

    #[test]
    fn clear_forgets_everything_and_zero_ttl_disables() {
        let cache = PrincipalCache::new(Duration::seconds(5));
        let now = Utc::now();
        cache.insert("token", &principal(), now, None);
        cache.clear();
        assert!(cache.get("token", now).is_none());

        let disabled = PrincipalCache::new(Duration::zero());
        disabled.insert("token", &principal(), now, None);
        assert!(disabled.get("token", now).is_none());
    }
}
