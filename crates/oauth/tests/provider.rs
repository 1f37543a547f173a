//! `HttpOAuthProvider` against fake authorization servers.

use secrecy::SecretString;
use std::collections::HashMap;
use studiobrain_auth::error::AuthError;
use studiobrain_auth::ports::OAuthProvider;
use studiobrain_oauth::{HttpOAuthProvider, ProviderSettings, http_client};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// Matches a form-encoded body that has `key` set to exactly `value`.
struct FormParam(&'static str, String);

impl Match for FormParam {
    fn matches(&self, request: &Request) -> bool {
        oauth2::url::form_urlencoded::parse(&request.body)
            .any(|(key, value)| key == self.0 && value == self.1.as_str())
    }
}

fn form(key: &'static str, value: &str) -> FormParam {
    FormParam(key, value.to_owned())
}

fn settings(server: &MockServer) -> ProviderSettings {
    ProviderSettings {
        client_id: "client-1".to_owned(),
        client_secret: SecretString::from("s3cret"),
        auth_url: format!("{}/authorize", server.uri()),
        token_url: format!("{}/token", server.uri()),
        userinfo_url: format!("{}/userinfo", server.uri()),
        redirect_url: "https://app.example.com/auth/callback".to_owned(),
        scopes: ["openid", "email", "profile"].map(String::from).to_vec(),
        extra_auth_params: Vec::new(),
    }
}

fn provider(server: &MockServer) -> HttpOAuthProvider {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = http_client().expect("http client");
    HttpOAuthProvider::new("google", settings(server), http).expect("valid settings")
}

async fn mount_token_ok(server: &MockServer, verifier: &str) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(form("grant_type", "authorization_code"))
        .and(form("code", "the-code"))
        .and(form("code_verifier", verifier))
        .and(form("client_id", "client-1"))
        .and(form("client_secret", "s3cret"))
        .and(form(
            "redirect_uri",
            "https://app.example.com/auth/callback",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "at",
            "token_type": "Bearer",
            "expires_in": 3600,
        })))
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_userinfo(server: &MockServer, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .and(header("authorization", "Bearer at"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn authorization_url_carries_state_and_s256_challenge() {
    let server = MockServer::start().await;
    let provider = provider(&server);
    assert_eq!(provider.id(), "google");

    let request = provider.authorization_request().expect("request");
    let url = oauth2::url::Url::parse(&request.url).expect("absolute URL");
    assert!(
        request
            .url
            .starts_with(&format!("{}/authorize?", server.uri()))
    );
    let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], "client-1");
    assert_eq!(
        query["redirect_uri"],
        "https://app.example.com/auth/callback"
    );
    assert_eq!(query["scope"], "openid email profile");
    assert_eq!(query["state"], request.state);
    assert_eq!(query["code_challenge_method"], "S256");
    assert!(!query["code_challenge"].is_empty());
    assert_ne!(query["code_challenge"], request.pkce_verifier);
    assert!(request.pkce_verifier.len() >= 43);

    let again = provider.authorization_request().expect("request");
    assert_ne!(again.state, request.state);
    assert_ne!(again.pkce_verifier, request.pkce_verifier);
}

#[tokio::test]
async fn exchanges_the_code_and_reads_the_user() {
    let server = MockServer::start().await;
    let provider = provider(&server);
    let verifier = provider
        .authorization_request()
        .expect("request")
        .pkce_verifier;
    mount_token_ok(&server, &verifier).await;
    mount_userinfo(
        &server,
        serde_json::json!({
            "sub": "1234567890",
            "email": "Ann@Example.com",
            "email_verified": true,
            "name": "Ann Example",
        }),
    )
    .await;

    let identity = provider
        .exchange_code("the-code", &verifier)
        .await
        .expect("identity");
    assert_eq!(identity.provider, "google");
    assert_eq!(identity.subject, "1234567890");
    assert_eq!(identity.email.as_str(), "ann@example.com");
    assert!(identity.email_verified);
    assert_eq!(identity.display_name.as_deref(), Some("Ann Example"));
}

#[tokio::test]
async fn missing_email_verified_means_unverified() {
    let server = MockServer::start().await;
    let provider = provider(&server);
    mount_token_ok(&server, "v").await;
    mount_userinfo(
        &server,
        serde_json::json!({"sub": "abc", "email": "bob@contoso.com"}),
    )
    .await;

    let identity = provider
        .exchange_code("the-code", "v")
        .await
        .expect("identity");
    assert!(!identity.email_verified);
    assert_eq!(identity.display_name, None);
}

#[tokio::test]
async fn invalid_grant_is_unauthenticated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(serde_json::json!({"error": "invalid_grant"})),
        )
        .mount(&server)
        .await;

    let result = provider(&server).exchange_code("stale", "v").await;
    assert!(
        matches!(result, Err(AuthError::Unauthenticated)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_broken_token_endpoint_is_unexpected() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(500).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;

    let result = provider(&server).exchange_code("the-code", "v").await;
    assert!(
        matches!(result, Err(AuthError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_misconfigured_client_is_unexpected() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "invalid_client"})),
        )
        .mount(&server)
        .await;

    let result = provider(&server).exchange_code("the-code", "v").await;
    assert!(
        matches!(result, Err(AuthError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_unreachable_provider_is_unexpected() {
    let server = MockServer::start().await;
    let provider = provider(&server);
    drop(server);

    let result = provider.exchange_code("the-code", "v").await;
    assert!(
        matches!(result, Err(AuthError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_malformed_email_is_unauthenticated() {
    let server = MockServer::start().await;
    let provider = provider(&server);
    mount_token_ok(&server, "v").await;
    mount_userinfo(
        &server,
        serde_json::json!({"sub": "abc", "email": "not-an-address", "email_verified": true}),
    )
    .await;

    let result = provider.exchange_code("the-code", "v").await;
    assert!(
        matches!(result, Err(AuthError::Unauthenticated)),
        "{result:?}"
    );
}

#[tokio::test]
async fn garbage_userinfo_is_unexpected() {
    let server = MockServer::start().await;
    let provider = provider(&server);
    mount_token_ok(&server, "v").await;
    Mock::given(method("GET"))
        .and(path("/userinfo"))
        .respond_with(ResponseTemplate::new(200).set_body_string("not json"))
        .mount(&server)
        .await;

    let result = provider.exchange_code("the-code", "v").await;
    assert!(
        matches!(result, Err(AuthError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    let provider = provider(&server);
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", server.uri())),
        )
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;

    let result = provider.exchange_code("the-code", "v").await;
    assert!(
        matches!(result, Err(AuthError::Unexpected(_))),
        "{result:?}"
    );
}

#[test]
fn malformed_urls_are_rejected() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut settings = ProviderSettings::google("cid", "s".into(), "https://app/cb");
    settings.token_url = "not a url".to_owned();
    let result = HttpOAuthProvider::new("google", settings, http_client().expect("client"));
    assert!(result.is_err());
}

#[tokio::test]
async fn drive_consent_asks_for_offline_access_and_returns_the_tokens() {
    use studiobrain_auth::ports::ConsentProvider;
    use studiobrain_oauth::GOOGLE_DRIVE_FILE_SCOPE;

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("code=consent-code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "drive-access",
            "refresh_token": "drive-refresh",
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": GOOGLE_DRIVE_FILE_SCOPE,
        })))
        .mount(&server)
        .await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let drive_settings = ProviderSettings {
        auth_url: format!("{}/authorize", server.uri()),
        token_url: format!("{}/token", server.uri()),
        ..ProviderSettings::google_drive(
            "client-1",
            SecretString::from("s3cret"),
            "https://app.example.com/drive/cb",
        )
    };
    let drive = HttpOAuthProvider::new(
        "google_drive",
        drive_settings,
        http_client().expect("client"),
    )
    .expect("valid");

    let request = ConsentProvider::authorization_request(&drive).expect("request");
    for param in ["access_type=offline", "prompt=consent", "drive.file"] {
        assert!(request.url.contains(param), "{param} in {}", request.url);
    }
    let tokens = drive
        .exchange_for_tokens("consent-code", &request.pkce_verifier)
        .await
        .expect("tokens");
    assert_eq!(tokens.access_token, "drive-access");
    assert_eq!(tokens.refresh_token.as_deref(), Some("drive-refresh"));
    assert_eq!(tokens.scopes, vec![GOOGLE_DRIVE_FILE_SCOPE.to_owned()]);
    let expires = tokens.expires_at.expect("expiry");
    assert!(expires > chrono::Utc::now() + chrono::Duration::minutes(59));
    assert!(
        !format!("{tokens:?}").contains("drive-access"),
        "tokens never print"
    );
}
