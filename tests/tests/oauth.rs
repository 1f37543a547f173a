//! OAuth sign-in end to end: the real server against a local fake provider
//! (wiremock) that issues codes, tokens and user info.

#![allow(clippy::unwrap_used)]

use secrecy::SecretString;
use serde_json::{Value, json};
use studiobrain_tests::{Backend, TestApp, text};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn fake_google() -> MockServer {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=good-code"))
        .and(body_string_contains("code_verifier="))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "provider-access-token", "token_type": "Bearer", "expires_in": 3600
        })))
        .mount(&provider)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"})))
        .mount(&provider)
        .await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .and(header("authorization", "Bearer provider-access-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sub": "g-123", "email": "Gina@Example.com", "email_verified": true, "name": "Gina"
        })))
        .mount(&provider)
        .await;
    provider
}

async fn app_with_google(provider: &MockServer) -> TestApp {
    let base = provider.uri();
    TestApp::spawn_with(Backend::Memory, |s| {
        let google = &mut s.auth.oauth.google;
        google.client_id = "client-id".into();
        google.client_secret = SecretString::from("client-secret");
        google.redirect_url = "http://127.0.0.1/api/auth/oauth/google/callback".into();
        google.auth_url = format!("{base}/authorize");
        google.token_url = format!("{base}/token");
        google.userinfo_url = format!("{base}/userinfo");
        google.jwks_url = format!("{base}/jwks");
    })
    .await
    .unwrap()
}

/// Follows the server's redirect to the provider and returns the `state`.
async fn start_flow(app: &TestApp, provider: &MockServer) -> String {
    let start = app.get("/api/auth/oauth/google", None).await;
    assert_eq!(start.status(), 302);
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/authorize?", provider.uri())),
        "{location}"
    );
    for param in [
        "response_type=code",
        "client_id=client-id",
        "code_challenge=",
        "code_challenge_method=S256",
    ] {
        assert!(location.contains(param), "{param} in {location}");
    }
    let url = reqwest::Url::parse(&location).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[tokio::test]
async fn sign_in_with_google_creates_the_account_and_state_is_single_use() {
    let provider = fake_google().await;
    let app = app_with_google(&provider).await;
    let providers: Value = app
        .get("/api/auth/oauth/providers", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(providers["providers"], json!(["google"]));

    let state = start_flow(&app, &provider).await;
    let callback = format!("/api/auth/oauth/google/callback?code=good-code&state={state}");
    let signed_in = app.get(&callback, None).await;
    assert_eq!(signed_in.status(), 200);
    assert!(
        signed_in
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("sb_access="))
    );
    let body: Value = signed_in.json().await.unwrap();
    assert_eq!(
        text(&body, "role"),
        "owner",
        "a first sign-in creates an account with its own studio"
    );
    let me: Value = app
        .get("/api/auth/me", Some(text(&body, "access_token")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(text(&me, "email"), "gina@example.com");

    assert_eq!(
        app.get(&callback, None).await.status(),
        401,
        "a state works once"
    );
    let forged = app
        .get(
            "/api/auth/oauth/google/callback?code=good-code&state=forged",
            None,
        )
        .await;
    assert_eq!(forged.status(), 401);

    // A second sign-in reaches the same account.
    let again = start_flow(&app, &provider).await;
    let second: Value = app
        .get(
            &format!("/api/auth/oauth/google/callback?code=good-code&state={again}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(text(&second, "user_id"), text(&body, "user_id"));
}

#[tokio::test]
async fn a_rejected_code_and_a_provider_error_do_not_sign_in() {
    let provider = fake_google().await;
    let app = app_with_google(&provider).await;
    let state = start_flow(&app, &provider).await;
    let bad = app
        .get(
            &format!("/api/auth/oauth/google/callback?code=stolen&state={state}"),
            None,
        )
        .await;
    assert_eq!(bad.status(), 401);
    let declined = app
        .get("/api/auth/oauth/google/callback?error=access_denied", None)
        .await;
    assert_eq!(declined.status(), 401);
    let missing = app.get("/api/auth/oauth/google/callback", None).await;
    assert_eq!(missing.status(), 400);
    let garbage = app
        .post(
            "/api/auth/web/google-sso",
            None,
            json!({"id_token": "not-a-jwt"}),
        )
        .await;
    assert_eq!(garbage.status(), 401);
}

#[tokio::test]
async fn unconfigured_providers_answer_503_naming_the_setting() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let providers: Value = app
        .get("/api/auth/oauth/providers", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(providers["providers"], json!([]));
    for route in [
        "/api/auth/oauth/google",
        "/api/auth/oauth/microsoft/callback?code=c&state=s",
    ] {
        let response = app.get(route, None).await;
        assert_eq!(response.status(), 503, "{route}");
        let body: Value = response.json().await.unwrap();
        assert!(text(&body, "detail").contains("client_id"), "{body}");
    }
    let sso = app
        .post("/api/auth/web/google-sso", None, json!({"id_token": "x"}))
        .await;
    assert_eq!(sso.status(), 503);
    assert_eq!(
        app.get("/api/auth/oauth/google/drive", None).await.status(),
        401,
        "drive consent needs auth"
    );
}

async fn app_with_drive(provider: &MockServer) -> TestApp {
    let base = provider.uri();
    Mock::given(method("POST"))
        .and(path("/drive-token"))
        .and(body_string_contains("code=drive-code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "drive-access", "refresh_token": "drive-refresh",
            "token_type": "Bearer", "expires_in": 3600,
            "scope": "https://www.googleapis.com/auth/drive.file"
        })))
        .mount(provider)
        .await;
    TestApp::spawn_with(Backend::Memory, |s| {
        let drive = &mut s.auth.oauth.google_drive;
        drive.client_id = "drive-client".into();
        drive.client_secret = SecretString::from("drive-secret");
        drive.redirect_url = "http://127.0.0.1/api/auth/oauth/google/drive/callback".into();
        drive.auth_url = format!("{base}/authorize");
        drive.token_url = format!("{base}/drive-token");
    })
    .await
    .unwrap()
}

/// Starts the Drive consent as `token` and returns the state.
async fn start_consent(app: &TestApp, token: &str) -> String {
    let start = app.get("/api/auth/oauth/google/drive", Some(token)).await;
    assert_eq!(start.status(), 302);
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    for param in [
        "access_type=offline",
        "prompt=consent",
        "drive.file",
        "code_challenge=",
    ] {
        assert!(location.contains(param), "{param} in {location}");
    }
    let url = reqwest::Url::parse(&location).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[tokio::test]
async fn drive_consent_stores_sealed_tokens_for_the_member_who_started_it() {
    let provider = MockServer::start().await;
    let app = app_with_drive(&provider).await;
    let owner = app.register("drive@studio.example").await;
    let token = text(&owner, "access_token");
    let stranger = app.register("other@elsewhere.example").await;

    // A state started by one member does not complete for another.
    let stolen = start_consent(&app, token).await;
    let hijack = app
        .get(
            &format!("/api/auth/oauth/google/drive/callback?code=drive-code&state={stolen}"),
            Some(text(&stranger, "access_token")),
        )
        .await;
    assert_eq!(hijack.status(), 401);

    let state = start_consent(&app, token).await;
    let done = app
        .get(
            &format!("/api/auth/oauth/google/drive/callback?code=drive-code&state={state}"),
            Some(token),
        )
        .await;
    assert_eq!(done.status(), 200);
    let body: Value = done.json().await.unwrap();
    assert_eq!(body["connected"], json!(true));
    assert_eq!(body["offline_access"], json!(true));
    assert!(
        !body.to_string().contains("drive-access"),
        "tokens are never shown"
    );

    let principal = app.state.auth.authenticate(token).await.unwrap();
    let stored = app
        .state
        .auth
        .connection(&principal, "google_drive")
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored.sealed_access_token.contains("drive-access"),
        "sealed at rest"
    );
    let opened = app
        .state
        .auth
        .provider_tokens(&principal, "google_drive")
        .await
        .unwrap();
    assert_eq!(opened.access_token, "drive-access");
    assert_eq!(opened.refresh_token.as_deref(), Some("drive-refresh"));

    let viewer = app
        .add_member(token, "viewer@studio.example", "viewer")
        .await;
    let refused = app
        .get(
            "/api/auth/oauth/google/drive",
            Some(text(&viewer, "access_token")),
        )
        .await;
    assert_eq!(refused.status(), 403, "viewers cannot connect services");
}

#[tokio::test]
async fn drive_consent_without_configuration_answers_503() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let owner = app.register("nodrive@studio.example").await;
    let response = app
        .get(
            "/api/auth/oauth/google/drive",
            Some(text(&owner, "access_token")),
        )
        .await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert!(
        text(&body, "detail").contains("auth.oauth.google_drive.client_id"),
        "{body}"
    );
}
