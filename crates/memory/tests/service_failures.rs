//! The identity service under scripted port failures (mockall mocks from
//! the `mock` feature, memory adapters for the rest): a use case that cannot
//! finish leaves nothing half-written.

use std::sync::Arc;
use studiobrain_auth::error::AuthError;
use studiobrain_auth::models::Role;
use studiobrain_auth::ports::{AuthPorts, MockInviteRepository, MockOutbox, MockUserRepository};
use studiobrain_auth::service::RegisterInput;
use studiobrain_auth::{AuthService, TokenSettings};
use studiobrain_memory::{MemoryIdentityStore, RecordingOutbox};

fn settings() -> TokenSettings {
    TokenSettings::new(b"0123456789abcdef0123456789abcdef".to_vec())
}

fn not_configured() -> Result<(), AuthError> {
    Err(AuthError::NotConfigured("e-mail is not configured".into()))
}

#[tokio::test]
async fn an_invite_is_not_stored_when_mail_cannot_be_sent() {
    let store = Arc::new(MemoryIdentityStore::new());
    let working = AuthService::new(
        AuthPorts::from_store(store.clone(), Arc::new(RecordingOutbox::default())),
        settings(),
    );
    let owner = working
        .register(RegisterInput {
            email: "owner@x.example".into(),
            password: "long password".into(),
            ..Default::default()
        })
        .await
        .expect("registered");

    let mut outbox = MockOutbox::new();
    outbox.expect_ready().returning(not_configured);
    outbox.expect_send().never();
    let mut invites = MockInviteRepository::new();
    invites.expect_insert_invite().never();
    let mut ports = AuthPorts::from_store(store, Arc::new(outbox));
    ports.invites = Arc::new(invites);
    let service = AuthService::new(ports, settings());

    let principal = service
        .authenticate(&owner.session.access_token)
        .await
        .expect("principal");
    let result = service
        .create_invite(&principal, "new@x.example", Role::Editor)
        .await;
    assert!(
        matches!(result, Err(AuthError::NotConfigured(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn forgot_password_fails_the_same_way_for_every_address_without_mail() {
    let mut outbox = MockOutbox::new();
    outbox.expect_ready().returning(not_configured);
    outbox.expect_send().never();
    let mut users = MockUserRepository::new();
    users.expect_find_user_by_email().never();
    let mut ports = AuthPorts::from_store(Arc::new(MemoryIdentityStore::new()), Arc::new(outbox));
    ports.users = Arc::new(users);
    let service = AuthService::new(ports, settings());

    for email in ["known@x.example", "not-an-address"] {
        let result = service.forgot_password(email).await;
        assert!(
            matches!(result, Err(AuthError::NotConfigured(_))),
            "{email}: {result:?}"
        );
    }
}
