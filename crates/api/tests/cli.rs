//! The `studiobrain` binary as a user runs it: help, refusing unsafe cloud
//! settings, `admin create-user` then signing in, and graceful shutdown on
//! SIGTERM with an in-flight request.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::Instant;

mod common;

use common::{run, serve};

#[test]
fn help_lists_the_commands() {
    let output = run(&["--help"], None);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for command in ["serve", "migrate", "reindex", "admin"] {
        assert!(text.contains(command), "{command} in --help");
    }
    let create = run(&["admin", "create-user", "--help"], None);
    assert!(String::from_utf8_lossy(&create.stdout).contains("--password-stdin"));
}

#[test]
fn cloud_mode_refuses_to_start_without_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let no_db = run(&["serve", "--mode", "cloud", "--data-dir", data], None);
    assert!(!no_db.status.success());
    assert!(String::from_utf8_lossy(&no_db.stderr).contains("--database-url"));

    let no_secret = run(
        &[
            "serve",
            "--mode",
            "cloud",
            "--data-dir",
            data,
            "--database-url",
            "postgres://127.0.0.1:1/none",
        ],
        None,
    );
    assert!(!no_secret.status.success());
    assert!(String::from_utf8_lossy(&no_secret.stderr).contains("STUDIOBRAIN__AUTH__JWT_SECRET"));
}

#[tokio::test]
async fn created_user_signs_in_and_sigterm_lets_requests_finish() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = tempfile::tempdir().unwrap();
    // A data directory that does not exist yet: the CLI creates it.
    let dir = root.path().join("fresh");
    let data = dir.to_str().unwrap();
    let created = run(
        &[
            "admin",
            "create-user",
            "--data-dir",
            data,
            "--email",
            "cli@studio.example",
            "--password-stdin",
            "--role",
            "admin",
        ],
        Some("cli password 123\n"),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let reindexed = run(&["reindex", "--data-dir", data], None);
    let report = String::from_utf8_lossy(&reindexed.stdout).into_owned();
    assert!(
        reindexed.status.success(),
        "{}",
        String::from_utf8_lossy(&reindexed.stderr)
    );
    let count: u64 = report
        .split_whitespace()
        .nth(3)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count in {report}"));
    assert!(count >= 12, "the sample world is indexed: {report}");
    assert!(report.contains(", 0 files failed"), "{report}");

    let (server, port) = serve(&dir);
    let client = reqwest::Client::new();
    let login = |password: &'static str| {
        client
            .post(format!("http://127.0.0.1:{port}/api/auth/login"))
            .json(&serde_json::json!({"email": "cli@studio.example", "password": password}))
            .send()
    };
    let started = Instant::now();
    let response = login("cli password 123").await.unwrap();
    let login_time = started.elapsed();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["role"], "admin");

    // A login takes a while (argon2); SIGTERM arrives a third of the way in.
    let in_flight = tokio::spawn(login("cli password 123"));
    tokio::time::sleep(login_time / 3).await;
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let finished = in_flight.await.unwrap().unwrap();
    assert_eq!(finished.status(), 200, "the in-flight request completed");
    let mut server = server;
    let status = server.0.wait().unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
}
