//! `cargo xtask bench entities`: a generated project of 10,000 entities on
//! SQLite, served by the release binary and driven with wrk: one entity
//! (at saturation, and paced to about the target rate to measure its
//! latency there), a filtered list, sustained creates and one-field
//! updates. Reports the
//! cold start (scan and index of every file) and memory after indexing,
//! and the server's CPU time per request of each scenario (steadier than
//! throughput on a machine shared with wrk). Baseline: `GET /health`
//! measured in the same run.

use crate::bench::{
    Load, Measurement, create_owner, http, json_string, rss_kib, run_load, start_server_in,
};
use anyhow::{Context, bail};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Entities in the generated project.
const ENTITIES: usize = 10_000;
const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "benchmark password";

/// A wrk script that paces each connection: 1 ms between a response and
/// the connection's next request. 32 connections so paced offer about
/// 20,000 requests a second (the one-entity target), so the latency is
/// measured at that rate rather than at saturation, where 64 connections
/// on the two cores wrk shares with the server queue behind each other
/// (`/health` itself has a p99 near 5 ms there).
const PACED_SCRIPT: &str = "function delay()\n  return 1\nend\n";

/// A wrk script: POSTs entities with names unique per thread and request.
fn create_script(token: &str) -> String {
    format!(
        r#"local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
local n = 0
request = function()
  n = n + 1
  local body = string.format('{{"name":"Bench %d %d"}}', thread_id, n)
  return wrk.format("POST", "/api/entity/item", {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}, body)
end
"#
    )
}

/// A wrk script: sets one field of a random existing character. Each wrk
/// thread seeds its own random sequence: with the same sequence, both
/// threads would write the same entity at once and wait for each other.
fn update_script(token: &str, characters: usize) -> String {
    format!(
        r#"local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
function init(args)
  math.randomseed(thread_id * 7919)
end
request = function()
  local id = math.random(0, {last})
  local body = string.format('{{"fields":{{"mood":"m%d"}}}}', math.random(1, 2000000000))
  return wrk.format("PUT", "/api/entity/character/character_" .. id, {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}, body)
end
"#,
        last = characters - 1
    )
}

/// Length of the sustained-write run that watches the WAL.
const WAL_SECONDS: u64 = 60;

/// Runs creates and reads together for [`WAL_SECONDS`] while sampling the
/// sizes of SQLite write-ahead logs (the database's, the full-text index
/// file's); returns the largest size seen of each.
fn largest_wals<const N: usize>(
    wals: [&std::path::Path; N],
    base: &str,
    token: &str,
    create: &std::path::Path,
) -> anyhow::Result<[u64; N]> {
    let duration = format!("{WAL_SECONDS}s");
    let spawn = |args: Vec<String>| {
        Command::new("wrk")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
    };
    let mut writer = spawn(vec![
        "-t1".into(),
        "-c4".into(),
        "-d".into(),
        duration.clone(),
        "-s".into(),
        create.to_string_lossy().into_owned(),
        format!("{base}/api/entity/item"),
    ])?;
    let mut reader = spawn(vec![
        "-t1".into(),
        "-c16".into(),
        "-d".into(),
        duration,
        "-H".into(),
        format!("Authorization: Bearer {token}"),
        format!("{base}/api/entity/character?status=active&limit=50"),
    ])?;
    let mut largest = [0; N];
    let deadline = Instant::now() + Duration::from_secs(WAL_SECONDS + 5);
    while Instant::now() < deadline && writer.try_wait()?.is_none() {
        for (wal, largest) in wals.iter().zip(&mut largest) {
            *largest = (*largest).max(std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    writer.wait()?;
    reader.wait()?;
    Ok(largest)
}

/// Runs the entity benchmarks and prints the report.
pub fn run() -> anyhow::Result<()> {
    crate::cargo(&["build", "--release", "-p", "studiobrain-api"])?;
    let root =
        std::env::temp_dir().join(format!("studiobrain-bench-entities-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (data, project) = (root.join("data"), root.join("project"));
    crate::genvault::generate(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates"),
        &project,
        ENTITIES,
    )?;

    create_owner(&data, EMAIL, PASSWORD)?;

    let started = Instant::now();
    let server = start_server_in(
        data,
        &["--project".as_ref(), project.as_os_str()],
        &[],
        Duration::from_secs(300),
    )?;
    let cold_start = started.elapsed();
    let rss = rss_kib(server.child.id())?;
    let body = format!(r#"{{"email":"{EMAIL}","password":"{PASSWORD}"}}"#);
    let (status, login) = http(&server.addr, "POST", "/api/auth/login", None, Some(&body))?;
    if status != 200 {
        bail!("login answered {status}: {login}");
    }
    let token = json_string(&login, "access_token").context("no access_token")?;
    let (status, listed) = http(
        &server.addr,
        "GET",
        "/api/entity/character?limit=1",
        Some(&token),
        None,
    )?;
    if status != 200 || json_string(&listed, "entity_type").is_none() {
        bail!("the generated project was not indexed: {status} {listed}");
    }

    let base = format!("http://{}", server.addr);
    let scripts = root.join("scripts");
    std::fs::create_dir_all(&scripts)?;
    let (create, update) = (scripts.join("create.lua"), scripts.join("update.lua"));
    let paced = scripts.join("paced.lua");
    std::fs::write(&paced, PACED_SCRIPT)?;
    std::fs::write(&create, create_script(&token))?;
    std::fs::write(&update, update_script(&token, ENTITIES / 16))?;
    let server_pid = Some(server.child.id());
    let load = |name: &'static str,
                url: String,
                connections: &'static str,
                script: Option<&std::path::Path>| {
        run_load(&Load {
            name,
            url: &url,
            token: Some(&token),
            connections,
            script,
            server_pid,
        })
    };
    let rows: Vec<Measurement> = vec![
        run_load(&Load {
            name: "GET /health",
            url: &format!("{base}/health"),
            token: None,
            connections: "64",
            script: None,
            server_pid,
        })?,
        load(
            "GET /api/entity/character/{id}",
            format!("{base}/api/entity/character/character_42"),
            "64",
            None,
        )?,
        load(
            "GET /api/entity/character/{id}, paced (32 connections, 1 ms apart)",
            format!("{base}/api/entity/character/character_42"),
            "32",
            Some(&paced),
        )?,
        load(
            "GET /api/entity/character?status=active&limit=50",
            format!("{base}/api/entity/character?status=active&limit=50"),
            "64",
            None,
        )?,
        load(
            "POST /api/entity/item (create)",
            format!("{base}/api/entity/item"),
            "8",
            Some(&create),
        )?,
        load(
            "PUT /api/entity/character/{id} (one field)",
            format!("{base}/api/entity/character"),
            "8",
            Some(&update),
        )?,
    ];
    let [wal, index_wal] = largest_wals(
        [
            &root.join("data/studiobrain.db-wal"),
            &root.join("data/studiobrain.db-search-wal"),
        ],
        &base,
        &token,
        &create,
    )?;
    drop(server);
    let _ = std::fs::remove_dir_all(&root);

    println!(
        "\n| scenario | req/s | ratio to /health | p50 ms | p99 ms | server CPU ms/req | CPU ratio to /health |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let health_cpu = rows[0].server_cpu_ms.unwrap_or(f64::NAN);
    for m in &rows {
        let cpu = m.server_cpu_ms.unwrap_or(f64::NAN);
        println!(
            "| {} | {:.0} | {:.3} | {:.2} | {:.2} | {:.3} | {:.1} |",
            m.name,
            m.requests_per_sec,
            m.requests_per_sec / rows[0].requests_per_sec,
            m.p50_ms,
            m.p99_ms,
            cpu,
            cpu / health_cpu
        );
    }
    println!(
        "\nCold start with {ENTITIES} files (scan, parse, index, then ready): {:.2} s",
        cold_start.as_secs_f64()
    );
    println!(
        "Resident memory after indexing: {:.1} MiB",
        rss as f64 / 1024.0
    );
    println!(
        "Largest SQLite WAL during {WAL_SECONDS} s of sustained creates with concurrent reads: {:.1} MiB (full-text index file: {:.1} MiB)",
        wal as f64 / (1024.0 * 1024.0),
        index_wal as f64 / (1024.0 * 1024.0)
    );
    Ok(())
}
