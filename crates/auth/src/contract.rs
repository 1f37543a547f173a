//! The shared contract test suite of the identity ports. Every adapter
//! (memory, SQLite, PostgreSQL) runs [`run_all`] against a fresh store; a
//! failed assertion panics with the name of the broken rule.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::error::AuthError;
use crate::models::*;
use crate::permissions::PermissionSet;
use crate::ports::AuthPorts;
use chrono::{Duration, DurationRound, Utc};
use studiobrain_kernel::{IdGen, TenantId, UserId, UuidV7Gen};

fn id() -> String {
    UuidV7Gen.new_id()
}

/// Now, truncated to whole microseconds so databases round-trip it exactly.
fn now() -> chrono::DateTime<Utc> {
    Utc::now()
        .duration_trunc(Duration::microseconds(1))
        .unwrap()
}

pub fn tenant() -> Tenant {
    let tenant_id = id();
    Tenant {
        id: TenantId::parse(tenant_id.clone()).unwrap(),
        name: "Studio".into(),
        slug: format!("studio-{tenant_id}"),
        plan: "free".into(),
        settings: serde_json::json!({"theme": "dark"}),
        created_at: now(),
    }
}

pub fn user() -> User {
    let user_id = id();
    User {
        id: UserId::parse(user_id.clone()).unwrap(),
        email: EmailAddress::parse(&format!("{user_id}@example.com")).unwrap(),
        display_name: "Ann".into(),
        password_hash: Some("$argon2id$fake".into()),
        token_version: 0,
        created_at: now(),
        updated_at: now(),
    }
}

pub fn membership(tenant: &Tenant, user: &User, role: Role) -> Membership {
    Membership {
        tenant_id: tenant.id.clone(),
        user_id: user.id.clone(),
        role,
        permission_template_id: None,
        subscription_tier: "free".into(),
        is_active: true,
        created_at: now(),
    }
}

/// A tenant with one member, stored.
async fn seeded(ports: &AuthPorts) -> (Tenant, User) {
    let t = tenant();
    let u = user();
    ports.tenants.insert_tenant(&t).await.unwrap();
    ports.users.insert_user(&u).await.unwrap();
    ports
        .tenants
        .insert_membership(&membership(&t, &u, Role::Owner))
        .await
        .unwrap();
    (t, u)
}

/// Runs every contract test.
pub async fn run_all(ports: &AuthPorts) {
    users(ports).await;
    tenants_and_memberships(ports).await;
    sessions(ports).await;
    api_keys(ports).await;
    invites(ports).await;
    one_time_tokens(ports).await;
    teams_and_templates(ports).await;
    connections(ports).await;
}

pub async fn users(ports: &AuthPorts) {
    let mut u = user();
    ports.users.insert_user(&u).await.unwrap();
    assert_eq!(
        ports.users.get_user(&u.id).await.unwrap(),
        Some(u.clone()),
        "user round-trips"
    );
    assert_eq!(
        ports.users.find_user_by_email(&u.email).await.unwrap(),
        Some(u.clone()),
        "find by e-mail"
    );

    let mut twin = user();
    twin.email = u.email.clone();
    assert!(
        matches!(
            ports.users.insert_user(&twin).await,
            Err(AuthError::AlreadyExists(_))
        ),
        "duplicate e-mail is AlreadyExists"
    );

    u.display_name = "Ann B".into();
    u.token_version = 3;
    ports.users.update_user(&u).await.unwrap();
    assert_eq!(
        ports
            .users
            .get_user(&u.id)
            .await
            .unwrap()
            .unwrap()
            .token_version,
        3,
        "update persists"
    );

    let ghost = user();
    assert!(
        matches!(
            ports.users.update_user(&ghost).await,
            Err(AuthError::NotFound(_))
        ),
        "update unknown"
    );
    ports.users.delete_user(&u.id).await.unwrap();
    assert_eq!(ports.users.get_user(&u.id).await.unwrap(), None, "deleted");
    assert!(
        matches!(
            ports.users.delete_user(&u.id).await,
            Err(AuthError::NotFound(_))
        ),
        "delete twice"
    );
}

pub async fn tenants_and_memberships(ports: &AuthPorts) {
    let (a, owner) = seeded(ports).await;
    let (b, _) = seeded(ports).await;
    assert_eq!(
        ports.tenants.get_tenant(&a.id).await.unwrap(),
        Some(a.clone()),
        "tenant round-trips"
    );

    let mut clash = tenant();
    clash.slug = a.slug.clone();
    assert!(
        matches!(
            ports.tenants.insert_tenant(&clash).await,
            Err(AuthError::AlreadyExists(_))
        ),
        "slug unique"
    );

    let mut renamed = a.clone();
    renamed.name = "Renamed".into();
    ports.tenants.update_tenant(&renamed).await.unwrap();
    assert_eq!(
        ports.tenants.get_tenant(&a.id).await.unwrap().unwrap().name,
        "Renamed"
    );

    // The owner joins tenant B as a viewer too.
    let mut in_b = membership(&b, &owner, Role::Viewer);
    ports.tenants.insert_membership(&in_b).await.unwrap();
    assert!(
        matches!(
            ports.tenants.insert_membership(&in_b).await,
            Err(AuthError::AlreadyExists(_))
        ),
        "membership unique"
    );
    let mine = ports.tenants.memberships_of_user(&owner.id).await.unwrap();
    assert_eq!(mine.len(), 2, "memberships across tenants");
    assert_eq!(mine[0].tenant_id, a.id, "oldest first");

    assert_eq!(
        ports.tenants.list_memberships(&a.id).await.unwrap().len(),
        1,
        "list is per tenant"
    );
    in_b.role = Role::Editor;
    in_b.is_active = false;
    ports.tenants.update_membership(&in_b).await.unwrap();
    let stored = ports
        .tenants
        .get_membership(&b.id, &owner.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.role, stored.is_active),
        (Role::Editor, false),
        "membership update"
    );

    ports
        .tenants
        .delete_membership(&b.id, &owner.id)
        .await
        .unwrap();
    assert_eq!(
        ports
            .tenants
            .get_membership(&b.id, &owner.id)
            .await
            .unwrap(),
        None
    );
    assert!(
        matches!(
            ports.tenants.delete_membership(&b.id, &owner.id).await,
            Err(AuthError::NotFound(_))
        ),
        "delete unknown membership"
    );
}

pub async fn sessions(ports: &AuthPorts) {
    let (t, u) = seeded(ports).await;
    let family = id();
    let token = RefreshToken {
        id: id(),
        family_id: family.clone(),
        user_id: u.id.clone(),
        active_tenant_id: t.id.clone(),
        token_hash: id(),
        expires_at: now() + Duration::days(30),
        used_at: None,
        revoked_at: None,
        created_at: now(),
    };
    ports.sessions.insert_refresh_token(&token).await.unwrap();
    assert_eq!(
        ports
            .sessions
            .find_refresh_token(&token.token_hash)
            .await
            .unwrap(),
        Some(token.clone())
    );
    assert!(
        ports
            .sessions
            .mark_refresh_token_used(&token.id, now())
            .await
            .unwrap(),
        "first use wins"
    );
    assert!(
        !ports
            .sessions
            .mark_refresh_token_used(&token.id, now())
            .await
            .unwrap(),
        "second use loses"
    );

    let sibling = RefreshToken {
        id: id(),
        token_hash: id(),
        used_at: None,
        ..token.clone()
    };
    ports.sessions.insert_refresh_token(&sibling).await.unwrap();
    ports.sessions.revoke_family(&family, now()).await.unwrap();
    let revoked = ports
        .sessions
        .find_refresh_token(&sibling.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(revoked.revoked_at.is_some(), "family revoked");

    let other = RefreshToken {
        id: id(),
        family_id: id(),
        token_hash: id(),
        ..token
    };
    ports.sessions.insert_refresh_token(&other).await.unwrap();
    ports
        .sessions
        .revoke_user_sessions(&u.id, now())
        .await
        .unwrap();
    assert!(
        ports
            .sessions
            .find_refresh_token(&other.token_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some(),
        "user sessions revoked"
    );
}

pub async fn api_keys(ports: &AuthPorts) {
    let (a, alice) = seeded(ports).await;
    let (b, bob) = seeded(ports).await;
    let key = |tenant: &Tenant, user: &User, scope| ApiKey {
        id: id(),
        tenant_id: tenant.id.clone(),
        user_id: user.id.clone(),
        name: "ci".into(),
        prefix: "sb_abcdefg".into(),
        key_hash: id(),
        role: Role::Editor,
        scope,
        created_at: now(),
        revoked_at: None,
    };
    let k1 = key(&a, &alice, ApiKeyScope::Api);
    let k2 = key(&a, &alice, ApiKeyScope::Ai);
    let k3 = key(&b, &bob, ApiKeyScope::Api);
    for k in [&k1, &k2, &k3] {
        ports.api_keys.insert_api_key(k).await.unwrap();
    }
    assert_eq!(
        ports.api_keys.find_api_key(&k3.key_hash).await.unwrap(),
        Some(k3.clone()),
        "find by hash"
    );
    assert_eq!(
        ports
            .api_keys
            .list_api_keys(&a.id, None)
            .await
            .unwrap()
            .len(),
        2,
        "list per tenant"
    );
    assert_eq!(
        ports
            .api_keys
            .list_api_keys(&a.id, Some(&bob.id))
            .await
            .unwrap()
            .len(),
        0,
        "list per user"
    );
    assert!(
        matches!(
            ports.api_keys.revoke_api_key(&a.id, &k3.id, now()).await,
            Err(AuthError::NotFound(_))
        ),
        "another tenant's key is not found"
    );
    ports
        .api_keys
        .revoke_api_key(&a.id, &k1.id, now())
        .await
        .unwrap();
    assert!(
        matches!(
            ports.api_keys.revoke_api_key(&a.id, &k1.id, now()).await,
            Err(AuthError::NotFound(_))
        ),
        "revoking twice is not found"
    );
    ports
        .api_keys
        .revoke_api_keys_of(&a.id, &alice.id, ApiKeyScope::Ai, now())
        .await
        .unwrap();
    assert!(
        ports
            .api_keys
            .find_api_key(&k2.key_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some(),
        "scope revoke"
    );
    assert!(
        ports
            .api_keys
            .find_api_key(&k3.key_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none(),
        "others untouched"
    );
}

pub async fn invites(ports: &AuthPorts) {
    let (t, u) = seeded(ports).await;
    let invite = Invite {
        id: id(),
        tenant_id: t.id.clone(),
        email: EmailAddress::parse("new@example.com").unwrap(),
        role: Role::Editor,
        token_hash: id(),
        invited_by: u.id.clone(),
        expires_at: now() + Duration::days(7),
        accepted_at: None,
        created_at: now(),
    };
    ports.invites.insert_invite(&invite).await.unwrap();
    assert_eq!(
        ports.invites.find_invite(&invite.token_hash).await.unwrap(),
        Some(invite.clone())
    );
    assert!(
        ports
            .invites
            .mark_invite_accepted(&t.id, &invite.id, now())
            .await
            .unwrap(),
        "first accept wins"
    );
    assert!(
        !ports
            .invites
            .mark_invite_accepted(&t.id, &invite.id, now())
            .await
            .unwrap(),
        "second accept loses"
    );
    let (other, _) = seeded(ports).await;
    let second = Invite {
        id: id(),
        token_hash: id(),
        ..invite
    };
    ports.invites.insert_invite(&second).await.unwrap();
    assert!(
        !ports
            .invites
            .mark_invite_accepted(&other.id, &second.id, now())
            .await
            .unwrap(),
        "another tenant cannot accept the invite"
    );
}

pub async fn one_time_tokens(ports: &AuthPorts) {
    let fresh = OneTimeToken {
        token_hash: id(),
        purpose: OneTimePurpose::PasswordReset,
        payload: serde_json::json!({"user_id": "u1"}),
        expires_at: now() + Duration::minutes(30),
        consumed_at: None,
    };
    ports.one_time.insert_one_time(&fresh).await.unwrap();
    let wrong_purpose = ports
        .one_time
        .consume_one_time(&fresh.token_hash, OneTimePurpose::OAuthState, now())
        .await
        .unwrap();
    assert_eq!(wrong_purpose, None, "purpose must match");
    let consumed = ports
        .one_time
        .consume_one_time(&fresh.token_hash, OneTimePurpose::PasswordReset, now())
        .await
        .unwrap()
        .expect("consumed once");
    assert_eq!(consumed.payload, fresh.payload);
    assert_eq!(
        ports
            .one_time
            .consume_one_time(&fresh.token_hash, OneTimePurpose::PasswordReset, now())
            .await
            .unwrap(),
        None,
        "single use"
    );

    let stale = OneTimeToken {
        token_hash: id(),
        expires_at: now() - Duration::seconds(1),
        ..fresh
    };
    ports.one_time.insert_one_time(&stale).await.unwrap();
    assert_eq!(
        ports
            .one_time
            .consume_one_time(&stale.token_hash, OneTimePurpose::PasswordReset, now())
            .await
            .unwrap(),
        None,
        "expired tokens are not consumed"
    );
}

pub async fn teams_and_templates(ports: &AuthPorts) {
    let (a, alice) = seeded(ports).await;
    let (b, _) = seeded(ports).await;
    let team = Team {
        id: id(),
        tenant_id: a.id.clone(),
        name: "Writers".into(),
        description: "Lore team".into(),
        member_ids: vec![alice.id.clone()],
        created_at: now(),
    };
    ports.teams.insert_team(&team).await.unwrap();
    let dup = Team {
        id: id(),
        ..team.clone()
    };
    assert!(
        matches!(
            ports.teams.insert_team(&dup).await,
            Err(AuthError::AlreadyExists(_))
        ),
        "team name unique"
    );
    assert_eq!(
        ports.teams.get_team(&a.id, &team.id).await.unwrap(),
        Some(team.clone())
    );
    assert_eq!(
        ports.teams.get_team(&b.id, &team.id).await.unwrap(),
        None,
        "other tenant sees nothing"
    );
    assert_eq!(
        ports.teams.list_teams(&b.id).await.unwrap(),
        vec![],
        "list per tenant"
    );

    let template = PermissionTemplate {
        id: id(),
        tenant_id: a.id.clone(),
        name: "Reviewers".into(),
        description: String::new(),
        permissions: PermissionSet::parse_all(&["entities:read", "ai:use"]).unwrap(),
        created_at: now(),
    };
    ports
        .teams
        .insert_permission_template(&template)
        .await
        .unwrap();
    assert_eq!(
        ports
            .teams
            .get_permission_template(&a.id, &template.id)
            .await
            .unwrap(),
        Some(template.clone())
    );
    assert_eq!(
        ports
            .teams
            .get_permission_template(&b.id, &template.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        ports
            .teams
            .list_permission_templates(&a.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn connections(ports: &AuthPorts) {
    let (a, alice) = seeded(ports).await;
    let (b, _) = seeded(ports).await;
    let first = ProviderConnection {
        tenant_id: a.id.clone(),
        user_id: alice.id.clone(),
        provider: "google_drive".into(),
        sealed_access_token: "sealed-1".into(),
        sealed_refresh_token: Some("sealed-r".into()),
        expires_at: Some(now() + Duration::hours(1)),
        scopes: vec!["drive.file".into()],
        created_at: now(),
        updated_at: now(),
    };
    ports.connections.upsert_connection(&first).await.unwrap();
    assert_eq!(
        ports
            .connections
            .get_connection(&a.id, &alice.id, "google_drive")
            .await
            .unwrap(),
        Some(first.clone()),
        "connection round-trips"
    );
    let later = now() + Duration::minutes(5);
    let second = ProviderConnection {
        sealed_access_token: "sealed-2".into(),
        sealed_refresh_token: None,
        created_at: later,
        updated_at: later,
        ..first.clone()
    };
    ports.connections.upsert_connection(&second).await.unwrap();
    let stored = ports
        .connections
        .get_connection(&a.id, &alice.id, "google_drive")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.sealed_access_token, "sealed-2", "upsert replaces");
    assert_eq!(stored.sealed_refresh_token, None);
    assert_eq!(
        stored.created_at, first.created_at,
        "upsert keeps the first consent time"
    );
    assert_eq!(
        ports
            .connections
            .get_connection(&b.id, &alice.id, "google_drive")
            .await
            .unwrap(),
        None,
        "per tenant"
    );
    assert_eq!(
        ports
            .connections
            .get_connection(&a.id, &alice.id, "dropbox")
            .await
            .unwrap(),
        None,
        "per provider"
    );
    ports
        .connections
        .delete_connection(&a.id, &alice.id, "google_drive")
        .await
        .unwrap();
    assert!(
        matches!(
            ports
                .connections
                .delete_connection(&a.id, &alice.id, "google_drive")
                .await,
            Err(AuthError::NotFound(_))
        ),
        "delete twice"
    );
}
