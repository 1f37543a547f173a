//! `cargo xtask bench live`: live sync on a generated 10,000-entity
//! project (SQLite, release binary): the first index and the start-up
//! reconcile of the unchanged project (as the server reports them), the
//! time from an external file save to the `entity_updated` event on a
//! socket, how closely 1,000 sockets receive one event, and the memory an
//! idle socket costs. Baseline: `GET /health` round trips in the same run.

use crate::bench::{Server, create_owner, http, json_string, rss_kib, start_server_in};
use anyhow::{Context, bail};
use futures_util::StreamExt;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// Entities in the generated project.
const ENTITIES: usize = 10_000;
/// External saves timed.
const SAVES: usize = 200;
/// Sockets in the fan-out run.
const SOCKETS: usize = 1_000;
const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "benchmark password";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The duration of the last reconcile as `GET /api/sync/status` reports it.
fn reported_reconcile(server: &Server, token: &str) -> anyhow::Result<(String, f64)> {
    let (status, body) = http(&server.addr, "GET", "/api/sync/status", Some(token), None)?;
    if status != 200 {
        bail!("sync status answered {status}: {body}");
    }
    let json: serde_json::Value = serde_json::from_str(&body)?;
    let last = &json["last_result"];
    Ok((
        last["trigger"].as_str().unwrap_or_default().to_owned(),
        last["duration_ms"].as_f64().context("no duration")?,
    ))
}

fn sign_in(server: &Server) -> anyhow::Result<String> {
    let body = format!(r#"{{"email":"{EMAIL}","password":"{PASSWORD}"}}"#);
    let (status, login) = http(&server.addr, "POST", "/api/auth/login", None, Some(&body))?;
    if status != 200 {
        bail!("login answered {status}: {login}");
    }
    json_string(&login, "access_token").context("no access_token")
}

async fn connect(addr: &str, token: &str) -> anyhow::Result<Socket> {
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/api/ws?token={token}")).await?;
    next_text(&mut socket).await?;
    Ok(socket)
}

async fn next_text(socket: &mut Socket) -> anyhow::Result<serde_json::Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), socket.next()).await? {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
            Some(Ok(_)) => {}
            other => bail!("socket ended: {other:?}"),
        }
    }
}

/// Waits for the `entity_updated` event of `id`.
async fn event_of(socket: &mut Socket, id: &str) -> anyhow::Result<()> {
    loop {
        let event = next_text(socket).await?;
        if event["type"] == "entity_updated" && event["entity_id"] == id {
            return Ok(());
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Writes a file like an editor does: a temporary file, then a rename.
fn save(path: &Path, text: &str) -> anyhow::Result<()> {
    let temp = path.with_extension("md.swp");
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path)?;
    Ok(())
}

/// Runs the live-sync benchmark and prints its table.
pub fn run() -> anyhow::Result<()> {
    crate::cargo(&["build", "--release", "-p", "studiobrain-api"])?;
    let root = std::env::temp_dir().join(format!("studiobrain-bench-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (data, project) = (root.join("data"), root.join("project"));
    crate::genvault::generate(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates"),
        &project,
        ENTITIES,
    )?;
    create_owner(&data, EMAIL, PASSWORD)?;
    let args = ["--project".as_ref(), project.as_os_str()];

    let server = start_server_in(data, &args, &[], Duration::from_secs(300))?;
    let token = sign_in(&server).context("signing in after the first index")?;
    let (trigger, first_index) = reported_reconcile(&server, &token)?;
    if trigger != "startup" {
        bail!("expected the start-up reconcile, found {trigger}");
    }
    let data = server.stop_keeping_data();
    let server = start_server_in(data, &args, &[], Duration::from_secs(300))?;
    let token = sign_in(&server).context("signing in after the restart")?;
    let (_, unchanged) = reported_reconcile(&server, &token)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (health, saves, spread, per_socket) = runtime.block_on(async {
        let mut health = Vec::new();
        for _ in 0..SAVES {
            let started = Instant::now();
            http(&server.addr, "GET", "/health", None, None)?;
            health.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let mut socket = connect(&server.addr, &token).await?;
        let file = project.join("Characters/character_7/CH_character_7.md");
        let original = std::fs::read_to_string(&file)?;
        let mut saves = Vec::new();
        for n in 0..SAVES {
            let started = Instant::now();
            save(&file, &format!("{original}\nEdit {n}.\n"))?;
            event_of(&mut socket, "character_7").await?;
            saves.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        drop(socket);

        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = rss_kib(server.child.id())?;
        let mut sockets = Vec::with_capacity(SOCKETS);
        for _ in 0..SOCKETS {
            sockets.push(connect(&server.addr, &token).await?);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = rss_kib(server.child.id())?;
        // Each socket saw the others come online; drain that first.
        let mut waiting = Vec::new();
        for mut socket in sockets {
            waiting.push(tokio::spawn(async move {
                event_of(&mut socket, "character_9").await?;
                Ok::<Instant, anyhow::Error>(Instant::now())
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let body = r#"{"fields":{"mood":"fan-out"}}"#;
        let sent = Instant::now();
        let (status, _) = http(
            &server.addr,
            "PUT",
            "/api/entity/character/character_9",
            Some(&token),
            Some(body),
        )?;
        if status != 200 {
            bail!("update answered {status}");
        }
        let mut arrivals = Vec::new();
        for waiter in waiting {
            arrivals.push(waiter.await??);
        }
        let first = arrivals.iter().min().copied().unwrap_or(sent);
        let last = arrivals.iter().max().copied().unwrap_or(sent);
        let spread = (last - first).as_secs_f64() * 1000.0;
        let last_after_request = (last - sent).as_secs_f64() * 1000.0;
        let per_socket = (after.saturating_sub(before)) as f64 / SOCKETS as f64;
        Ok::<_, anyhow::Error>((health, saves, (spread, last_after_request), per_socket))
    })?;
    drop(server);
    let _ = std::fs::remove_dir_all(&root);

    let mut health = health;
    health.sort_by(f64::total_cmp);
    let mut saves = saves;
    saves.sort_by(f64::total_cmp);
    let baseline = percentile(&health, 0.5);
    println!("\n| measurement | value | ratio to a /health round trip ({baseline:.2} ms) |");
    println!("|---|---:|---:|");
    let row = |name: &str, ms: f64| println!("| {name} | {ms:.1} ms | {:.0} |", ms / baseline);
    row(
        &format!("first index of {ENTITIES} files (start-up reconcile)"),
        first_index,
    );
    row(
        &format!("start-up reconcile of the unchanged {ENTITIES}-entity project"),
        unchanged,
    );
    row(
        "external save → entity_updated on a socket, p50",
        percentile(&saves, 0.5),
    );
    row(
        "external save → entity_updated on a socket, p99",
        percentile(&saves, 0.99),
    );
    row(
        &format!("{SOCKETS} sockets: spread between first and last arrival"),
        spread.0,
    );
    row(
        &format!("{SOCKETS} sockets: request sent → last socket has the event"),
        spread.1,
    );
    println!("\nMemory per idle socket: {per_socket:.1} KiB (RSS growth over {SOCKETS} sockets)");
    Ok(())
}
