//! End-to-end identity tests: the real server on port 0, driven over HTTP.
//! The main flows run on memory, SQLite and PostgreSQL (cloud mode).

#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{Value, json};
use studiobrain_kernel::TenantId;
use studiobrain_tests::{Backend, TestApp, text};

/// Registration, login, me, refresh rotation and logout.
async fn session_lifecycle(app: &TestApp) {
    let owner = app.register("ann@example.com").await;
    assert_eq!(text(&owner, "role"), "owner");
    assert_eq!(text(&owner, "token_type"), "bearer");

    let login = app
        .post(
            "/api/auth/web/login",
            None,
            json!({"email": "ANN@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let cookies: Vec<String> = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("sb_access=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
    let body: Value = login.json().await.unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5, "exactly the contract's login JSON: {body}");
    for key in ["access_token", "token_type", "tenant_id", "user_id", "role"] {
        assert!(body.get(key).is_some(), "{key} in {body}");
    }

    let access = text(&body, "access_token");
    let me: Value = app
        .get("/api/auth/me", Some(access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(text(&me, "email"), "ann@example.com");
    assert_eq!(text(&me, "tenant_id"), text(&owner, "tenant_id"));

    // Refresh rotates; the used token cannot be replayed, and replay revokes the family.
    let first = text(&owner, "refresh_token");
    let rotated = app
        .post("/api/auth/refresh", None, json!({"refresh_token": first}))
        .await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let replay = app
        .post("/api/auth/refresh", None, json!({"refresh_token": first}))
        .await;
    assert_eq!(replay.status(), 401, "reuse of a rotated refresh token");
    let successor = app
        .post(
            "/api/auth/refresh",
            None,
            json!({"refresh_token": text(&rotated, "refresh_token")}),
        )
        .await;
    assert_eq!(successor.status(), 401, "reuse revoked the whole family");

    // Logout revokes outstanding access tokens.
    let token = text(&rotated, "access_token");
    assert_eq!(app.get("/api/auth/me", Some(token)).await.status(), 200);
    assert_eq!(
        app.post("/api/auth/logout", Some(token), json!({}))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get("/api/auth/me", Some(token)).await.status(),
        401,
        "logout revokes access tokens"
    );
    assert_eq!(
        app.get("/api/auth/me", Some(access)).await.status(),
        401,
        "every session of the user"
    );
}

/// Tenant isolation: tenant A's token on tenant B's user, team, API key and
/// invite answers 404.
async fn tenant_isolation(app: &TestApp) {
    let a = app.register("alice@a.example").await;
    let b = app.register("bob@b.example").await;
    let (ta, tb) = (text(&a, "access_token"), text(&b, "access_token"));

    let team: Value = app
        .post("/api/teams", Some(tb), json!({"name": "B team"}))
        .await
        .json()
        .await
        .unwrap();
    let key: Value = app
        .post("/api/api-keys", Some(tb), json!({"name": "b key"}))
        .await
        .json()
        .await
        .unwrap();
    let b_user = text(&b, "user_id");

    assert_eq!(
        app.get(&format!("/api/users/{b_user}"), Some(ta))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.send(
            Method::PUT,
            &format!("/api/users/{b_user}"),
            Some(ta),
            json!({"display_name": "x"})
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.send(
            Method::DELETE,
            &format!("/api/users/{b_user}"),
            Some(ta),
            json!({})
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/api/teams/{}", text(&team, "id")), Some(ta))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.send(
            Method::DELETE,
            &format!("/api/api-keys/{}", text(&key, "id")),
            Some(ta),
            json!({})
        )
        .await
        .status(),
        404
    );
    let teams: Value = app.get("/api/teams", Some(ta)).await.json().await.unwrap();
    assert_eq!(teams, json!([]), "lists never show another tenant's rows");
    let users: Value = app.get("/api/users", Some(ta)).await.json().await.unwrap();
    assert_eq!(users.as_array().unwrap().len(), 1);

    // An invite of tenant B cannot be accepted into tenant A, and A cannot switch to B.
    let select = app
        .post(
            "/api/auth/web/select-tenant",
            Some(ta),
            json!({"tenant_id": text(&b, "tenant_id")}),
        )
        .await;
    assert_eq!(select.status(), 404);
}

#[tokio::test]
async fn session_lifecycle_on_memory() {
    session_lifecycle(&TestApp::spawn(Backend::Memory).await.unwrap()).await;
}

#[tokio::test]
async fn session_lifecycle_on_sqlite() {
    session_lifecycle(&TestApp::spawn(Backend::Sqlite).await.unwrap()).await;
}

#[tokio::test]
async fn session_lifecycle_on_postgres_cloud_mode() {
    if let Some(app) = TestApp::spawn(Backend::Postgres).await {
        session_lifecycle(&app).await;
    }
}

#[tokio::test]
async fn tenant_isolation_on_sqlite() {
    tenant_isolation(&TestApp::spawn(Backend::Sqlite).await.unwrap()).await;
}

#[tokio::test]
async fn tenant_isolation_on_postgres_cloud_mode() {
    if let Some(app) = TestApp::spawn(Backend::Postgres).await {
        tenant_isolation(&app).await;
    }
}

#[tokio::test]
async fn invites_roles_and_viewer_writes() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let owner = app.register("owner@studio.example").await;
    let admin_token = text(&owner, "access_token");

    let viewer = app
        .add_member(admin_token, "viewer@studio.example", "viewer")
        .await;
    assert_eq!(text(&viewer, "role"), "viewer");
    assert_eq!(text(&viewer, "tenant_id"), text(&owner, "tenant_id"));
    let viewer_token = text(&viewer, "access_token");
    let write = app
        .post("/api/teams", Some(viewer_token), json!({"name": "nope"}))
        .await;
    assert_eq!(write.status(), 403, "a viewer cannot write");
    assert_eq!(
        app.get("/api/teams", Some(viewer_token)).await.status(),
        200,
        "but can read"
    );
    assert_eq!(
        app.get("/api/users", Some(viewer_token)).await.status(),
        403,
        "admin route"
    );

    // Invites are single use.
    let invite: Value = app
        .post(
            "/api/auth/create-invite",
            Some(admin_token),
            json!({"email": "ed@studio.example", "role": "editor"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let token = text(&invite, "token");
    assert_eq!(
        app.get(&format!("/api/auth/validate-invite/{token}"), None)
            .await
            .status(),
        200
    );
    let body = json!({"token": token, "password": "editor password"});
    assert_eq!(
        app.post("/api/auth/register-with-invite", None, body.clone())
            .await
            .status(),
        201
    );
    assert_eq!(
        app.post("/api/auth/register-with-invite", None, body)
            .await
            .status(),
        404,
        "single use"
    );
    assert_eq!(
        app.get(&format!("/api/auth/validate-invite/{token}"), None)
            .await
            .status(),
        404
    );
    assert!(
        app.outbox()
            .iter()
            .any(|mail| mail.contains("To: ed@studio.example")),
        "invite e-mailed"
    );
}

#[tokio::test]
async fn password_reset_through_the_file_outbox() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let owner = app.register("reset@studio.example").await;

    let known = app
        .post(
            "/api/auth/forgot-password",
            None,
            json!({"email": "reset@studio.example"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/auth/forgot-password",
            None,
            json!({"email": "ghost@studio.example"}),
        )
        .await;
    assert_eq!(
        known.status(),
        unknown.status(),
        "does not reveal whether the address exists"
    );
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());

    let mails = app.outbox();
    assert_eq!(mails.len(), 1, "only the real account got mail");
    let token = mails[0]
        .lines()
        .skip_while(|line| !line.starts_with("Reset token"))
        .nth(1)
        .expect("token line")
        .trim()
        .to_owned();
    let reset = json!({"token": token, "new_password": "brand new password"});
    assert_eq!(
        app.post("/api/auth/reset-password", None, reset.clone())
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post("/api/auth/reset-password", None, reset)
            .await
            .status(),
        400,
        "single use"
    );
    assert_eq!(
        app.get("/api/auth/me", Some(text(&owner, "access_token")))
            .await
            .status(),
        401,
        "a password reset revokes outstanding tokens"
    );
    let login = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "reset@studio.example", "password": "brand new password"}),
        )
        .await;
    assert_eq!(login.status(), 200);
}

#[tokio::test]
async fn password_change_and_deactivation_revoke_tokens() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let owner = app.register("boss@studio.example").await;
    let boss = text(&owner, "access_token");
    let member = app
        .add_member(boss, "worker@studio.example", "editor")
        .await;
    let worker = text(&member, "access_token");

    let changed = app
        .post(
            "/api/auth/set-password",
            Some(worker),
            json!({"current_password": "member password 1", "new_password": "member password 2"}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let fresh: Value = changed.json().await.unwrap();
    assert_eq!(
        app.get("/api/auth/me", Some(worker)).await.status(),
        401,
        "old token revoked"
    );
    let worker = text(&fresh, "access_token");
    assert_eq!(
        app.get("/api/auth/me", Some(worker)).await.status(),
        200,
        "new session works"
    );

    let member_path = format!("/api/users/{}", text(&member, "user_id"));
    let blank_name = app
        .send(
            Method::PUT,
            &member_path,
            Some(boss),
            json!({"display_name": " \t\u{c} "}),
        )
        .await;
    assert_eq!(
        blank_name.status(),
        400,
        "a blank display name is refused, not ignored"
    );

    let deactivate = app
        .send(
            Method::PUT,
            &member_path,
            Some(boss),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(deactivate.status(), 200);
    assert_eq!(
        app.get("/api/auth/me", Some(worker)).await.status(),
        401,
        "deactivation revokes"
    );
    let login = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "worker@studio.example", "password": "member password 2"}),
        )
        .await;
    assert_eq!(login.status(), 401, "deactivated members cannot sign in");
}

#[tokio::test]
async fn forged_and_misused_tokens_are_refused() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let owner = app.register("forge@studio.example").await;
    let token = text(&owner, "access_token");
    let (header, rest) = token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();

    let tampered = format!(
        "{header}.{payload}.{}",
        signature.chars().rev().collect::<String>()
    );
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    for bad in [
        tampered.as_str(),
        alg_none.as_str(),
        text(&owner, "refresh_token"),
        "garbage",
    ] {
        let response = app.get("/api/auth/me", Some(bad)).await;
        assert_eq!(response.status(), 401, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert!(body["detail"].is_string());
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    app.register("same@studio.example").await;
    let wrong = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "same@studio.example", "password": "not it at all"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/auth/login",
            None,
            json!({"email": "nobody@studio.example", "password": "not it at all"}),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());
}

#[tokio::test]
async fn login_is_rate_limited_and_forwarded_for_is_not_trusted() {
    let app = TestApp::spawn_with(Backend::Memory, |s| s.auth.attempts_per_minute = 3)
        .await
        .unwrap();
    let attempt = |n: usize| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .json(&json!({"email": format!("u{n}@x.example"), "password": "whatever pw"}))
            .send()
    };
    for n in 0..3 {
        assert_eq!(attempt(n).await.unwrap().status(), 401);
    }
    let limited = attempt(3).await.unwrap();
    assert_eq!(
        limited.status(),
        429,
        "a spoofed X-Forwarded-For does not reset the per-address limit"
    );
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body: Value = limited.json().await.unwrap();
    assert!(body["detail"].is_string());
}

#[tokio::test]
async fn cookie_writes_need_an_allowed_origin() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    app.register("cookie@studio.example").await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = browser
        .post(app.url("/api/auth/web/login"))
        .json(&json!({"email": "cookie@studio.example", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let session = browser
        .get(app.url("/api/auth/web/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200, "the cookie authenticates");

    let foreign = browser
        .post(app.url("/api/teams"))
        .header("origin", "https://evil.example")
        .json(&json!({"name": "csrf"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let allowed = browser
        .post(app.url("/api/teams"))
        .header("origin", "http://localhost:3000")
        .json(&json!({"name": "ok"}))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 201);
}

#[tokio::test]
async fn api_keys_act_with_at_most_the_creators_role() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let owner = app.register("keys@studio.example").await;
    let admin = text(&owner, "access_token");
    let editor = app
        .add_member(admin, "editor@studio.example", "editor")
        .await;
    let editor_token = text(&editor, "access_token");

    let too_high = app
        .post(
            "/api/api-keys",
            Some(editor_token),
            json!({"name": "k", "role": "admin"}),
        )
        .await;
    assert_eq!(too_high.status(), 403);
    let created = app
        .post(
            "/api/api-keys",
            Some(editor_token),
            json!({"name": "ci", "role": "viewer"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let secret = text(&created, "api_key");
    assert!(secret.starts_with("sb_"));

    let me: Value = app
        .get("/api/auth/me", Some(secret))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(text(&me, "email"), "editor@studio.example");
    assert_eq!(
        app.post("/api/teams", Some(secret), json!({"name": "t"}))
            .await
            .status(),
        403,
        "viewer key"
    );
    let listed: Value = app
        .get("/api/api-keys", Some(editor_token))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("api_key").is_none()),
        "secret shown once"
    );

    let revoke = app
        .send(
            Method::DELETE,
            &format!("/api/api-keys/{}", text(&created, "id")),
            Some(editor_token),
            json!({}),
        )
        .await;
    assert_eq!(revoke.status(), 204);
    assert_eq!(
        app.get("/api/auth/me", Some(secret)).await.status(),
        401,
        "revoked"
    );

    // The AI-scoped key works only on AI routes.
    let ai = app
        .post(
            &format!("/api/users/{}/api-key/regenerate", text(&editor, "user_id")),
            Some(editor_token),
            json!({}),
        )
        .await;
    assert_eq!(ai.status(), 201);
    let ai: Value = ai.json().await.unwrap();
    assert_eq!(text(&ai, "scope"), "ai");
    assert_eq!(
        app.get("/api/auth/me", Some(text(&ai, "api_key")))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn permission_templates_narrow_roles() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let owner = app.register("tpl@studio.example").await;
    let admin = text(&owner, "access_token");
    let editor = app
        .add_member(admin, "narrow@studio.example", "editor")
        .await;
    let template: Value = app
        .post(
            "/api/permission-templates",
            Some(admin),
            json!({"name": "Readers", "permissions": ["entities:read"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let bogus = app
        .post(
            "/api/permission-templates",
            Some(admin),
            json!({"name": "X", "permissions": ["root"]}),
        )
        .await;
    assert_eq!(bogus.status(), 400);

    // Gives the template to a member, then answers whether that member
    // may still create a team.
    let narrowed_may_create_team = async |member: &Value, team: &str| {
        let assign = app
            .send(
                Method::PUT,
                &format!("/api/users/{}", text(member, "user_id")),
                Some(admin),
                json!({"permission_template_id": text(&template, "id")}),
            )
            .await;
        assert_eq!(assign.status(), 200);
        let created = app
            .post(
                "/api/teams",
                Some(text(member, "access_token")),
                json!({"name": team}),
            )
            .await;
        created.status().as_u16()
    };
    assert_eq!(
        app.post(
            "/api/teams",
            Some(text(&editor, "access_token")),
            json!({"name": "before"})
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        narrowed_may_create_team(&editor, "after").await,
        403,
        "the template is enforced, not just stored"
    );
    // An owner who carries the template keeps every permission: the only
    // owner cannot lock the tenant out of its own management.
    assert_eq!(
        narrowed_may_create_team(&owner, "owner after").await,
        201,
        "owners are not narrowed"
    );
}

#[tokio::test]
async fn foreign_ids_in_bodies_are_refused() {
    let app = TestApp::spawn(Backend::Memory).await.unwrap();
    let owner = app.register("ids@studio.example").await;
    let token = text(&owner, "access_token");
    let user = text(&owner, "user_id");
    for body in [json!({"tenant_id": "other"}), json!({"id": "someone"})] {
        let response = app
            .send(
                Method::PUT,
                &format!("/api/users/{user}"),
                Some(token),
                body,
            )
            .await;
        assert_eq!(response.status(), 400, "unknown keys are refused");
    }
    let tenant = app
        .send(
            Method::PUT,
            "/api/tenants/me",
            Some(token),
            json!({"id": "x", "name": "n"}),
        )
        .await;
    assert_eq!(tenant.status(), 400);
    let own = app
        .send(
            Method::PUT,
            "/api/tenants/me",
            Some(token),
            json!({"name": "Renamed studio"}),
        )
        .await;
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn http_errors_are_json() {
    let app = TestApp::spawn_with(Backend::Memory, |s| s.server.json_limit_bytes = 1024)
        .await
        .unwrap();
    let cases = [
        (app.get("/no/such/route", None).await, 404),
        (
            app.send(Method::DELETE, "/health", None, json!({})).await,
            405,
        ),
        (
            app.client
                .post(app.url("/api/auth/login"))
                .header("content-type", "application/json")
                .body("{not json")
                .send()
                .await
                .unwrap(),
            400,
        ),
        (
            app.post("/api/auth/login", None, json!({"email": 5})).await,
            422,
        ),
        (
            app.post(
                "/api/auth/login",
                None,
                json!({"email": "x".repeat(4096), "password": "p"}),
            )
            .await,
            413,
        ),
    ];
    for (response, status) in cases {
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert!(body["detail"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn desktop_mode_bootstraps_a_local_owner_and_disables_registration() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.auth.allow_registration = None)
        .await
        .unwrap();
    let members = app
        .state
        .auth
        .ports()
        .tenants
        .list_memberships(&TenantId::local())
        .await
        .unwrap();
    assert_eq!(members.len(), 1, "the local owner exists after first run");
    let register = app
        .post(
            "/api/register",
            None,
            json!({"email": "x@y.example", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(register.status(), 403);
    assert!(
        app.data_dir
            .path()
            .join("projects/sample/_Templates")
            .is_dir(),
        "sample project laid out"
    );
}

#[tokio::test]
async fn cloud_mode_without_smtp_answers_503_for_every_address() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    app.register("mail@studio.example").await;
    for email in ["mail@studio.example", "ghost@studio.example"] {
        let response = app
            .post("/api/auth/forgot-password", None, json!({"email": email}))
            .await;
        assert_eq!(response.status(), 503, "{email}");
        let body: Value = response.json().await.unwrap();
        assert!(text(&body, "detail").contains("smtp.host"), "{body}");
    }
}

#[tokio::test]
async fn health_cors_and_request_ids() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let detailed: Value = app
        .get("/health/detailed", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detailed["status"], "ok");
    assert_eq!(detailed["mode"], "desktop");
    assert_eq!(detailed["database"]["backend"], "sqlite");
    assert_eq!(detailed["database"]["reachable"], json!(true));
    assert!(
        text(&detailed["database"], "migration_version").starts_with('m'),
        "{detailed}"
    );

    assert_eq!(app.get("/api/services/status", None).await.status(), 401);
    let owner = app.register("ops@studio.example").await;
    let services: Value = app
        .get("/api/services/status", Some(text(&owner, "access_token")))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = services["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| text(s, "name"))
        .collect();
    assert_eq!(names, ["database", "email", "oauth"]);

    let traced = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(
        traced.headers()["x-request-id"],
        "trace-me-42",
        "a plain client id is echoed"
    );
    let generated = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "bad id\twith tab")
        .send()
        .await
        .unwrap();
    assert_ne!(generated.headers()["x-request-id"], "bad id\twith tab");

    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/teams"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("http://localhost:3000").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let foreign = preflight("https://evil.example").await.unwrap();
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
