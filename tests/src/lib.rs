//! Test harness for the end-to-end tests: starts the real server
//! ([`studiobrain_api::Application`]) on port 0, with a fresh data directory
//! and a fresh database per test, and gives tests an HTTP client.
//!
//! PostgreSQL tests read `STUDIOBRAIN_TEST_POSTGRES_URL`; without it they
//! are skipped with a message, except under CI (`CI` set), where a missing
//! URL fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Client, Response};
use secrecy::SecretString;
use serde_json::{Value, json};
use studiobrain_api::{Application, Mode, Overrides, Settings};

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Client without a cookie store (bearer-token tests).
    pub client: Client,
    /// The data directory (outbox files live here).
    pub data_dir: tempfile::TempDir,
    /// The running server's shared state.
    pub state: studiobrain_api::state::AppState,
    /// The database it runs on.
    pub database_url: String,
    _database: Option<pg::TestDatabase>,
}

/// Which storage a test app runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// In-memory adapters.
    Memory,
    /// A SQLite file in the data directory.
    Sqlite,
    /// A fresh PostgreSQL database (cloud mode).
    Postgres,
}

/// A 32+ byte signing secret for cloud-mode tests.
pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123";

impl TestApp {
    /// Starts a server on `backend`; `None` when PostgreSQL is requested
    /// but not configured outside CI. `customise` may adjust settings.
    pub async fn spawn_with(
        backend: Backend,
        customise: impl FnOnce(&mut Settings),
    ) -> Option<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let data_dir = tempfile::tempdir().expect("tempdir");
        let (mode, url, database) = match backend {
            Backend::Memory => (Mode::Desktop, "memory:".to_owned(), None),
            Backend::Sqlite => {
                let path = data_dir.path().join("studiobrain.db");
                (
                    Mode::Desktop,
                    format!("sqlite://{}?mode=rwc", path.display()),
                    None,
                )
            }
            Backend::Postgres => {
                let db = pg::TestDatabase::create().await?;
                (Mode::Cloud, db.url.clone(), Some(db))
            }
        };
        let app = Self::start(mode, data_dir.path(), &url, customise).await;
        Some(Self {
            data_dir,
            _database: database,
            ..app
        })
    }

    /// Builds and runs a server; the caller owns the data directory and the
    /// database.
    async fn start(
        mode: Mode,
        data_dir: &std::path::Path,
        url: &str,
        customise: impl FnOnce(&mut Settings),
    ) -> Self {
        let mut settings = Settings::load(
            None,
            Overrides {
                bind: Some("127.0.0.1:0".to_owned()),
                mode: Some(mode),
                data_dir: Some(data_dir.to_path_buf()),
                database_url: Some(url.to_owned()),
                ..Overrides::default()
            },
        )
        .expect("settings");
        settings.auth.jwt_secret = SecretString::from(TEST_SECRET);
        settings.auth.allow_registration = Some(true);
        customise(&mut settings);
        let app = Application::build(settings).await.expect("server builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            data_dir: tempfile::tempdir().expect("tempdir"),
            state,
            database_url: url.to_owned(),
            _database: None,
        }
    }

    /// A second server process sharing this one's database and data
    /// directory (as servers behind a load balancer share them). Its own
    /// `data_dir` field is an unused empty folder: reach the shared files
    /// through the first server.
    pub async fn spawn_peer(&self) -> Self {
        let mode = self.state.settings.server.mode;
        Self::start(mode, self.data_dir.path(), &self.database_url, |_| {}).await
    }

    /// `ws://` URL of `path`.
    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.address.replacen("http://", "ws://", 1))
    }

    /// Starts a server on `backend` with the default test settings.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request")
    }

    /// Sends `method` with a JSON body and an optional bearer token.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path)).json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request")
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.send(reqwest::Method::POST, path, token, body).await
    }

    /// Registers a new tenant with its owner; returns the token response.
    pub async fn register(&self, email: &str) -> Value {
        let response = self
            .post(
                "/api/register",
                None,
                json!({"email": email, "password": "correct horse battery", "tenant_name": email}),
            )
            .await;
        assert_eq!(response.status(), 201, "registration of {email}");
        response.json().await.expect("json")
    }

    /// Invites `email` with `role` into the tenant of `admin_token`, accepts
    /// the invite, and returns the new member's token response.
    pub async fn add_member(&self, admin_token: &str, email: &str, role: &str) -> Value {
        let invite: Value = self
            .post(
                "/api/auth/create-invite",
                Some(admin_token),
                json!({"email": email, "role": role}),
            )
            .await
            .json()
            .await
            .expect("invite json");
        let token = invite["token"].as_str().expect("invite token");
        let response = self
            .post(
                "/api/auth/register-with-invite",
                None,
                json!({"token": token, "password": "member password 1"}),
            )
            .await;
        assert_eq!(response.status(), 201, "invite acceptance");
        response.json().await.expect("json")
    }

    /// Every e-mail written to the file outbox, oldest first.
    pub fn outbox(&self) -> Vec<String> {
        let dir = self.data_dir.path().join("outbox");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("readable"))
            .collect()
    }
}

impl TestApp {
    /// The desktop project folder (the `local` tenant's).
    pub fn project(&self) -> std::path::PathBuf {
        self.data_dir.path().join("projects/sample")
    }

    /// Adds a member of the desktop studio with `role` and returns their
    /// access token.
    pub async fn local_member(&self, email: &str, role: studiobrain_auth::models::Role) -> String {
        self.state
            .auth
            .create_member_with_password(
                &studiobrain_kernel::TenantId::local(),
                email,
                "member password",
                role,
            )
            .await
            .expect("member created");
        let login: Value = self
            .post(
                "/api/auth/login",
                None,
                json!({"email": email, "password": "member password"}),
            )
            .await
            .json()
            .await
            .expect("json");
        text(&login, "access_token").to_owned()
    }
}

/// Asserts the status of `response` and returns its JSON body.
pub async fn json_of(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.expect("json body")
}

/// The string value of `key` in a JSON object.
pub fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {value}"))
}

pub mod pg {
    //! Fresh PostgreSQL databases for tests.

    use sea_orm::{ConnectionTrait, Database};

    /// A database created for one test and dropped when it ends.
    pub struct TestDatabase {
        /// Connection URL of the fresh database.
        pub url: String,
        server: String,
        name: String,
    }

    impl TestDatabase {
        /// Creates a randomly named database on the configured server.
        pub async fn create() -> Option<Self> {
            let Ok(server) = std::env::var("STUDIOBRAIN_TEST_POSTGRES_URL") else {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "STUDIOBRAIN_TEST_POSTGRES_URL must be set in CI: PostgreSQL tests may not be skipped"
                );
                eprintln!("skipped: STUDIOBRAIN_TEST_POSTGRES_URL not set");
                return None;
            };
            let name = format!("sb_e2e_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&server)
                .await
                .expect("connect to PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
            admin.close().await.ok();
            let url = match server.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => panic!("STUDIOBRAIN_TEST_POSTGRES_URL must end with a database name"),
            };
            Some(Self { url, server, name })
        }
    }

    impl Drop for TestDatabase {
        fn drop(&mut self) {
            let server = self.server.clone();
            let name = self.name.clone();
            // Drop on a separate thread with its own runtime: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let admin = Database::connect(&server).await.ok()?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}
