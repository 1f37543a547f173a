//! `cargo xtask fuzz`: schemathesis (`st`, from PyPI) generates requests
//! from the release server's own `/openapi.json` and checks every answer:
//! no server error, a documented status, the documented content type, and
//! a body that matches the documented schema. The server runs in desktop
//! mode on its sample project; requests carry an API key of its owner, and
//! per-entity paths name one of the sample characters, so the routes reach
//! real data.
//!
//! Left out: routes that end the session the run depends on (logout,
//! password changes, API keys), the WebSocket, and the routes that need an
//! outside service this run does not configure (OAuth sign-in, smart merge
//! and import), which answer 503 by design.

use crate::bench::{create_owner, http, json_string, start_server_in};
use anyhow::{Context, bail};
use std::process::Command;
use std::time::Duration;

const EMAIL: &str = "fuzz@example.com";
const PASSWORD: &str = "fuzzing password";

/// Routes the run leaves out (see the module documentation).
const EXCLUDED_PATHS: &str =
    "(^/api/ws|api-key|logout|password|/oauth/|google-sso|smart-merge|import/smart)";

/// What every answer is checked for.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

/// Runs schemathesis against a fresh release server; fails when it finds
/// a failing answer.
pub fn run() -> anyhow::Result<()> {
    if Command::new("st").arg("--version").output().is_err() {
        bail!("schemathesis is not installed: pip install schemathesis");
    }
    crate::cargo(&["build", "--release", "-p", "studiobrain-api"])?;
    let root = std::env::temp_dir().join(format!("studiobrain-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let data = root.join("data");
    create_owner(&data, EMAIL, PASSWORD)?;
    let server = start_server_in(data, &[], &[], Duration::from_secs(60))?;

    let login = format!(r#"{{"email":"{EMAIL}","password":"{PASSWORD}"}}"#);
    let (_, session) = http(&server.addr, "POST", "/api/auth/login", None, Some(&login))?;
    let token = json_string(&session, "access_token").context("no access_token")?;
    let (_, key) = http(
        &server.addr,
        "POST",
        "/api/api-keys",
        Some(&token),
        Some(r#"{"name":"fuzz"}"#),
    )?;
    let api_key = json_string(&key, "api_key").context("no api_key")?;
    let (_, listed) = http(
        &server.addr,
        "GET",
        "/api/entity/character?limit=1",
        Some(&api_key),
        None,
    )?;
    let character = json_string(&listed, "entity_id").context("no sample character")?;

    let config = root.join("schemathesis.toml");
    std::fs::write(
        &config,
        format!("[parameters]\n\"path.type\" = \"character\"\n\"path.id\" = \"{character}\"\n"),
    )?;
    // Run inside the scratch folder: schemathesis keeps its cache in the
    // working directory, which must not be the checkout.
    let status = Command::new("st")
        .current_dir(&root)
        .arg("--config-file")
        .arg(&config)
        .args([
            "run",
            &format!("http://{}/openapi.json", server.addr),
            "--header",
            &format!("Authorization: Bearer {api_key}"),
            "--checks",
            CHECKS,
            "--exclude-path-regex",
            EXCLUDED_PATHS,
            "--max-examples",
            "30",
            "--request-timeout",
            "30",
            "--generation-deterministic",
        ])
        .status()
        .context("running schemathesis")?;
    drop(server);
    let _ = std::fs::remove_dir_all(&root);
    if !status.success() {
        bail!("schemathesis found failing answers (above)");
    }
    Ok(())
}
