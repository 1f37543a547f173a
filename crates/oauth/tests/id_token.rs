//! `JwksIdTokenVerifier` against a fake JWKS endpoint, with tokens signed by
//! a fixed 2048-bit test key (never used anywhere else).

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use std::time::{SystemTime, UNIX_EPOCH};
use studiobrain_auth::error::AuthError;
use studiobrain_auth::ports::IdTokenVerifier;
use studiobrain_oauth::{JwksIdTokenVerifier, http_client};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KID: &str = "test-key-1";
const AUDIENCE: &str = "client-1.apps.googleusercontent.com";
const ISSUER: &str = "https://accounts.google.com";

/// Base64url modulus of [`PRIVATE_KEY_PEM`]; its exponent is 65537 (`AQAB`).
const MODULUS: &str = "ukjLLnqQCXwmPdn0BADnsRufpTAircFT6T98on48HSY8HLkOx8cQ8lYhx-vLFcgzmO4wyn6mRC6LjB_QEYqQBWaalKP9NiSD3OZJPw0-XyAig2tk8NaZb7dv7bx5y0P8oHZJ-lpB1iofNW062PWff4VTOx3OaiXwAYTnosj4iewbT81q1En6q2oTQeLg8Iaemms9fiyvHOIXFh8moOmgFCHQgSOQ4mJP-Tt-C81Zkjoiyyrr3tT8Xwftdl1enN1eNwkSg8gzWCGj06xrzX5sCfJGiJtfGR5SWI3S66RcoS_yn3asR6W95m8D7TeADFtQ8f-0e_kFePh7-_4ALM4a-Q";

const PRIVATE_KEY_PEM: &str = "\
-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEAukjLLnqQCXwmPdn0BADnsRufpTAircFT6T98on48HSY8HLkO
x8cQ8lYhx+vLFcgzmO4wyn6mRC6LjB/QEYqQBWaalKP9NiSD3OZJPw0+XyAig2tk
8NaZb7dv7bx5y0P8oHZJ+lpB1iofNW062PWff4VTOx3OaiXwAYTnosj4iewbT81q
1En6q2oTQeLg8Iaemms9fiyvHOIXFh8moOmgFCHQgSOQ4mJP+Tt+C81Zkjoiyyrr
3tT8Xwftdl1enN1eNwkSg8gzWCGj06xrzX5sCfJGiJtfGR5SWI3S66RcoS/yn3as
R6W95m8D7TeADFtQ8f+0e/kFePh7+/4ALM4a+QIDAQABAoIBAFwnK6BEEGIo0PAz
FHQwkG18eVbp/5XOODkAZ6Mo6IsRAZbB825f62G+uzpfypjtb5z9ZBSgX5cGIZGB
oVg0IDgTwG+8ykQQ/0x1fZGb9xlu17QEmixMNR5fdBb68JNeACjPK5yWLtCICOVQ
slZm9+7JIVnyzkyTlO3jdgWA/vaXBlKgL9lPgT/uEv5Cr61+UD/+Z4pADwbQoIMh
f/vy22iNiKjpRN7iQzj+I6vR77SRCrp1Mau75huPyMt0WT1ngFhgrpmhcMxyn8O+
TCGGWyggIHha1J5PlF5N6bDzih1zy/XwC7YKiPulTmwci4871qUd3IG3s4gleHT/
IQNMYGMCgYEA7HkciWQIehyvomdbVzkZ6Zd/B5SQ5lhl0exAuC/s5/Rw6KEj+Z2N
lrv3HNhGNQu2kwL4vz3ovV7t/sL2Qr8CmiqDWuzDV4ZML1zjdaDkbc8ohZlIlL/2
XO83XPdsY6IveTSXslOnnKQqss367IkpBcb5o6XzXXJtE6TAlUp63TMCgYEAyaq5
f+Ntd8wTV1uktATpFjImHQrHpEeuIuNM0ujYbuYTm2iDWWiVhXEid87796Kja68y
diarNL5Vmfrr/Ddscw7jFRtG1hR5h3mppmtvmsnbmTB1BFJC2ArWWCWRfOISG3ZU
EYrcOCYMIHA7iFZMm9oohB3VMfZTXwD1AEQEryMCgYAM6BtXoF8aEyC+83c3zoUM
i9lCF6jE+cQs7gEmTG9Yxa239Lua7y+AL6gwKdnDIW2InpvnDED8vQauZgO85uIE
eheLSerrhwf3edFsZSiymaDzkcc1XzjaH7Bc4aBH291Nd0JkWE6IrSkrczSj3mSf
zRlpBjC/Q/SSIubj/xmvowKBgG8RBcT3foyh6m0MXfN/WNgOmosYKsfBaphwUxk9
gCXjtRy8PMr7HI43tuIBLyg9fH+MJ+CGf3g283IwjdOEusfLhSlUsnipIh2I1fR/
6yF21ujRlUDiBUpy/YXievQqlgpl6vsWXR7XZYpgBYma7epQBkxtGcPAhD4oisaw
r1u9AoGAd4E0eOaCor9KMNjwBKN9Es1CFg+JjF70DVPKw8JEfLUzPD3FdG9HZSum
RM43kbtd9uuNaO4msFvNdh7VaiKMLDJBoaIi2Nm7/CF0dskZWVkWE6Uz5OodNzTo
fu8u54cMCj/KAmo8a8ARX8zCrrjU9paKTfQmvetC7vH1O57EeN8=
-----END RSA PRIVATE KEY-----
";

fn jwks() -> serde_json::Value {
    serde_json::json!({"keys": [{
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": KID,
        "n": MODULUS,
        "e": "AQAB",
    }]})
}

async fn jwks_server(expected_fetches: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/certs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks()))
        .expect(expected_fetches)
        .mount(&server)
        .await;
    server
}

fn verifier(server: &MockServer) -> JwksIdTokenVerifier {
    let _ = rustls::crypto::ring::default_provider().install_default();
    JwksIdTokenVerifier::new(
        "google",
        &format!("{}/certs", server.uri()),
        vec![ISSUER.to_owned(), "accounts.google.com".to_owned()],
        AUDIENCE.to_owned(),
        http_client().expect("http client"),
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn claims() -> serde_json::Value {
    serde_json::json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "110169484474386276334",
        "email": "Ann@Example.com",
        "email_verified": true,
        "name": "Ann Example",
        "iat": now(),
        "exp": now() + 600,
    })
}

fn sign_with_kid(claims: &serde_json::Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(PRIVATE_KEY_PEM.as_bytes()).expect("test key");
    encode(&header, claims, &key).expect("signed token")
}

fn sign(claims: &serde_json::Value) -> String {
    sign_with_kid(claims, KID)
}

async fn assert_rejected(token: &str) {
    let server = jwks_server(1).await;
    let result = verifier(&server).verify_id_token(token).await;
    assert!(
        matches!(result, Err(AuthError::Unauthenticated)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_valid_token_verifies() {
    let server = jwks_server(1).await;
    let identity = verifier(&server)
        .verify_id_token(&sign(&claims()))
        .await
        .expect("valid token");
    assert_eq!(identity.provider, "google");
    assert_eq!(identity.subject, "110169484474386276334");
    assert_eq!(identity.email.as_str(), "ann@example.com");
    assert!(identity.email_verified);
    assert_eq!(identity.display_name.as_deref(), Some("Ann Example"));
}

#[tokio::test]
async fn keys_are_cached_and_unknown_kids_refetch_at_most_once_a_minute() {
    let server = jwks_server(1).await;
    let verifier = verifier(&server);
    let token = sign(&claims());
    verifier.verify_id_token(&token).await.expect("first");
    verifier.verify_id_token(&token).await.expect("second");
    let unknown = verifier
        .verify_id_token(&sign_with_kid(&claims(), "rotated"))
        .await;
    assert!(
        matches!(unknown, Err(AuthError::Unauthenticated)),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn missing_email_verified_means_unverified() {
    let mut claims = claims();
    claims
        .as_object_mut()
        .expect("object")
        .remove("email_verified");
    let server = jwks_server(1).await;
    let identity = verifier(&server)
        .verify_id_token(&sign(&claims))
        .await
        .expect("valid token");
    assert!(!identity.email_verified);
}

#[tokio::test]
async fn the_short_google_issuer_is_accepted() {
    let mut claims = claims();
    claims["iss"] = "accounts.google.com".into();
    let server = jwks_server(1).await;
    verifier(&server)
        .verify_id_token(&sign(&claims))
        .await
        .expect("valid token");
}

#[tokio::test]
async fn a_wrong_audience_is_rejected() {
    let mut claims = claims();
    claims["aud"] = "someone-else".into();
    assert_rejected(&sign(&claims)).await;
}

#[tokio::test]
async fn a_wrong_issuer_is_rejected() {
    let mut claims = claims();
    claims["iss"] = "https://evil.example.com".into();
    assert_rejected(&sign(&claims)).await;
}

#[tokio::test]
async fn an_expired_token_is_rejected() {
    let mut claims = claims();
    claims["exp"] = (now() - 5).into();
    assert_rejected(&sign(&claims)).await;
}

#[tokio::test]
async fn a_token_without_exp_is_rejected() {
    let mut claims = claims();
    claims.as_object_mut().expect("object").remove("exp");
    assert_rejected(&sign(&claims)).await;
}

#[tokio::test]
async fn a_malformed_email_is_rejected() {
    let mut claims = claims();
    claims["email"] = "nobody".into();
    assert_rejected(&sign(&claims)).await;
}

#[tokio::test]
async fn a_tampered_signature_is_rejected() {
    let token = sign(&claims());
    let (signed, signature) = token.rsplit_once('.').expect("three parts");
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{signed}.{flipped}{}", &signature[1..]);
    assert_rejected(&tampered).await;
}

#[tokio::test]
async fn a_tampered_payload_is_rejected() {
    let token = sign(&claims());
    let mut other = claims();
    other["sub"] = "attacker".into();
    let forged_payload = sign(&other).split('.').nth(1).expect("payload").to_owned();
    let parts: Vec<&str> = token.split('.').collect();
    assert_rejected(&format!("{}.{forged_payload}.{}", parts[0], parts[2])).await;
}

#[tokio::test]
async fn an_unknown_kid_is_rejected() {
    assert_rejected(&sign_with_kid(&claims(), "unknown")).await;
}

#[tokio::test]
async fn an_hs256_token_is_rejected_without_fetching_keys() {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(KID.to_owned());
    let token = encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(MODULUS.as_bytes()),
    )
    .expect("signed token");
    let server = jwks_server(0).await;
    let result = verifier(&server).verify_id_token(&token).await;
    assert!(
        matches!(result, Err(AuthError::Unauthenticated)),
        "{result:?}"
    );
}

#[tokio::test]
async fn garbage_is_rejected_without_fetching_keys() {
    let server = jwks_server(0).await;
    let result = verifier(&server).verify_id_token("not.a.jwt").await;
    assert!(
        matches!(result, Err(AuthError::Unauthenticated)),
        "{result:?}"
    );
}

#[tokio::test]
async fn unreachable_keys_are_unexpected() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/certs"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let result = verifier(&server).verify_id_token(&sign(&claims())).await;
    assert!(
        matches!(result, Err(AuthError::Unexpected(_))),
        "{result:?}"
    );
}
