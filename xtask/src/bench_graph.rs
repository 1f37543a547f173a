//! `cargo xtask bench graph [--entities N] [--only sqlite|postgres|universe]`:
//! search and the graph on a
//! generated project of N entities (default 100,000; five links each,
//! prose with a natural fall-off of word frequencies), on SQLite (desktop
//! mode) and on PostgreSQL (cloud mode, `STUDIOBRAIN_TEST_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/test`), served by the
//! release binary and driven by wrk with 2 connections (latency, not
//! throughput). Also: the universe graph of a 10,000-entity project
//! (50,000 links), and what search and link indexing add to one entity
//! write, measured on the store with and without them in the same run.
//! Baseline: `GET /health` in the same run.

use crate::bench::{Load, Measurement, http, json_string, run_load, start_server_in};
use crate::genvault::word;
use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use studiobrain_entity::EntityId;
use studiobrain_entity::ports::EntityIndex;
use studiobrain_entity::service::mirror_file;
use studiobrain_entity::template::{Template, TemplateLayer};
use studiobrain_kernel::TenantId;
use studiobrain_store_sql::SqlStore;

/// Entities of the universe project: with five links each, 50,000 edges.
const UNIVERSE_ENTITIES: usize = 10_000;
/// Writes timed per variant of the write-cost measurement.
const WRITES: usize = 1_000;
const EMAIL: &str = "graph-bench@example.com";
const PASSWORD: &str = "benchmark password";

/// The rows measured on one backend.
struct Backend {
    name: &'static str,
    index_seconds: f64,
    rows: Vec<Measurement>,
    write_with: Duration,
    write_without: Duration,
}

/// The search, neighbourhood and baseline loads against `base`.
fn loads(base: &str, token: &str) -> anyhow::Result<Vec<Measurement>> {
    let load = |name: String, path: String| {
        run_load(&Load {
            name: &name,
            url: &format!("{base}{path}"),
            token: Some(token),
            connections: "2",
            script: None,
            server_pid: None,
        })
    };
    Ok(vec![
        load("GET /health".into(), "/health".into())?,
        load(
            format!(
                "search, two mid-frequency words ({} {})",
                word(100),
                word(1000)
            ),
            format!("/api/search?q={}+{}&limit=20", word(100), word(1000)),
        )?,
        load(
            format!("search, two common words ({} {})", word(5), word(30)),
            format!("/api/search?q={}+{}&limit=20", word(5), word(30)),
        )?,
        load(
            "GET /api/graph/entity/character/character_42?depth=2".into(),
            "/api/graph/entity/character/character_42?depth=2".into(),
        )?,
    ])
}

/// Logs in `EMAIL` (creating the account when `register`) and returns
/// the token and tenant.
fn sign_in(addr: &str, register: bool) -> anyhow::Result<(String, String)> {
    let body = format!(r#"{{"email":"{EMAIL}","password":"{PASSWORD}"}}"#);
    let (path, expected) = if register {
        ("/api/auth/register", 201)
    } else {
        ("/api/auth/login", 200)
    };
    let (status, answer) = http(addr, "POST", path, None, Some(&body))?;
    if status != expected {
        bail!("{path} answered {status}: {answer}");
    }
    let token = json_string(&answer, "access_token").context("no access_token")?;
    let tenant = json_string(&answer, "tenant_id").context("no tenant_id")?;
    Ok((token, tenant))
}

/// Times [`WRITES`] upserts of generated characters on `store` (ids with
/// `prefix`), with links unless `bare`.
async fn time_writes(
    store: &SqlStore,
    tenant: &TenantId,
    template: &Template,
    sample: &[u8],
    prefix: &str,
    bare: bool,
) -> anyhow::Result<Duration> {
    let now = chrono::Utc::now();
    let started = Instant::now();
    for i in 0..WRITES {
        let id = EntityId::parse(&format!("{prefix}_{i}"))?;
        let mut entity = mirror_file(
            template,
            &id,
            &format!("Characters/{id}/CH_{id}.md"),
            sample,
            1,
            now,
            now,
        );
        if bare {
            entity.links.clear();
        }
        store.upsert(tenant, &entity).await?;
    }
    Ok(started.elapsed() / WRITES as u32)
}

/// What search and link indexing add to one write: upserts with them, then
/// with the full-text maintenance dropped and no links, on `url`.
fn write_cost(
    url: &str,
    tenant: &TenantId,
    project: &Path,
    postgres: bool,
) -> anyhow::Result<(Duration, Duration)> {
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates/Standard");
    let source = std::fs::read_to_string(templates.join("CHARACTER_TEMPLATE.md"))?;
    let template = Template::parse("CHARACTER_TEMPLATE.md", &source, TemplateLayer::Standard)?;
    let sample = std::fs::read(project.join("Characters/character_7/CH_character_7.md"))?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let store = SqlStore::connect(url).await?;
        let with = time_writes(&store, tenant, &template, &sample, "write_with", false).await?;
        let raw = Database::connect(url).await?;
        let drop = if postgres {
            "ALTER TABLE entities DROP COLUMN search_vector"
        } else {
            "DROP TRIGGER entity_search_insert; DROP TRIGGER entity_search_update; \
             DROP TRIGGER entity_search_delete"
        };
        raw.execute_unprepared(drop).await?;
        let without =
            time_writes(&store, tenant, &template, &sample, "write_without", true).await?;
        Ok((with, without))
    })
}

/// SQLite, desktop mode, the project served in place.
fn sqlite(root: &Path, project: &Path) -> anyhow::Result<Backend> {
    let data = root.join("sqlite-data");
    crate::bench::create_owner(&data, EMAIL, PASSWORD)?;
    let started = Instant::now();
    let server = start_server_in(
        data,
        &["--project".as_ref(), project.as_os_str()],
        &[],
        Duration::from_secs(1800),
    )?;
    let index_seconds = started.elapsed().as_secs_f64();
    let (token, _) = sign_in(&server.addr, false)?;
    let rows = loads(&format!("http://{}", server.addr), &token)?;
    let data = server.stop_keeping_data();
    let url = format!("sqlite://{}?mode=rw", data.join("studiobrain.db").display());
    let (write_with, write_without) = write_cost(&url, &TenantId::local(), project, false)?;
    let _ = std::fs::remove_dir_all(&data);
    Ok(Backend {
        name: "SQLite",
        index_seconds,
        rows,
        write_with,
        write_without,
    })
}

/// Runs `psql` on `url` with one command.
fn psql(url: &str, command: &str) -> anyhow::Result<()> {
    let status = Command::new("psql")
        .args([url, "-q", "-c", command])
        .status()
        .context("running psql")?;
    if !status.success() {
        bail!("psql failed: {command}");
    }
    Ok(())
}

/// PostgreSQL, cloud mode: a fresh database, a registered studio whose
/// folder receives the project, indexed by `sync-from-files`.
fn postgres(root: &Path, project: &Path, server_url: &str) -> anyhow::Result<Backend> {
    let name = format!("sb_bench_graph_{}", std::process::id());
    let (base, _) = server_url
        .rsplit_once('/')
        .context("the URL must end with a database")?;
    let url = format!("{base}/{name}");
    psql(server_url, &format!("CREATE DATABASE {name}"))?;
    let result = (|| {
        let data = root.join("pg-data");
        let server = start_server_in(
            data.clone(),
            &[
                "--mode".as_ref(),
                "cloud".as_ref(),
                "--database-url".as_ref(),
                url.as_ref(),
            ],
            &[(
                "STUDIOBRAIN__AUTH__JWT_SECRET",
                "bench-secret-bench-secret-bench-secret-00",
            )],
            Duration::from_secs(120),
        )?;
        let (token, tenant) = sign_in(&server.addr, true)?;
        let folder = data.join("tenants").join(&tenant);
        for entry in std::fs::read_dir(project)? {
            let entry = entry?;
            let to = folder.join(entry.file_name());
            if !to.exists() {
                std::fs::rename(entry.path(), to)?;
            }
        }
        let started = Instant::now();
        let (status, answer) = http(
            &server.addr,
            "POST",
            "/api/markdown/sync-from-files",
            Some(&token),
            Some("{}"),
        )?;
        if status != 200 {
            bail!("sync-from-files answered {status}: {answer}");
        }
        let index_seconds = started.elapsed().as_secs_f64();
        // What autovacuum and the checkpointer reach on their own some
        // minutes after an import, done now so that they do not run during
        // the measurements.
        psql(&url, "VACUUM ANALYZE")?;
        psql(&url, "CHECKPOINT")?;
        let rows = loads(&format!("http://{}", server.addr), &token)?;
        let data = server.stop_keeping_data();
        let tenant = TenantId::parse(tenant)?;
        let (write_with, write_without) = write_cost(
            &url,
            &tenant,
            &data.join("tenants").join(tenant.as_str()),
            true,
        )?;
        let _ = std::fs::remove_dir_all(&data);
        Ok(Backend {
            name: "PostgreSQL",
            index_seconds,
            rows,
            write_with,
            write_without,
        })
    })();
    psql(
        server_url,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )?;
    result
}

/// The universe graph of a 10,000-entity project on SQLite.
fn universe(root: &Path, templates: &Path) -> anyhow::Result<(Measurement, String)> {
    let project = root.join("universe-project");
    crate::genvault::generate(templates, &project, UNIVERSE_ENTITIES)?;
    let data = root.join("universe-data");
    crate::bench::create_owner(&data, EMAIL, PASSWORD)?;
    let server = start_server_in(
        data,
        &["--project".as_ref(), project.as_os_str()],
        &[],
        Duration::from_secs(600),
    )?;
    let (token, _) = sign_in(&server.addr, false)?;
    let path = "/api/graph/universe?max_nodes=10000";
    let (status, answer) = http(&server.addr, "GET", path, Some(&token), None)?;
    if status != 200 {
        bail!("{path} answered {status}");
    }
    let count = |key: &str| -> String {
        answer
            .split(&format!("\"{key}\":"))
            .nth(1)
            .and_then(|rest| rest.split([',', '}']).next())
            .unwrap_or("?")
            .to_owned()
    };
    let shape = format!(
        "{} nodes, {} edges",
        count("total_nodes"),
        count("total_edges")
    );
    let measured = run_load(&Load {
        name: "GET /api/graph/universe?max_nodes=10000",
        url: &format!("http://{}{path}", server.addr),
        token: Some(&token),
        connections: "2",
        script: None,
        server_pid: None,
    })?;
    Ok((measured, shape))
}

/// Runs the benchmark and prints the report.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut entities = 100_000usize;
    let mut only: Option<String> = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--entities" => entities = iter.next().context("--entities needs a number")?.parse()?,
            "--only" => only = Some(iter.next().context("--only needs a part")?.clone()),
            other => bail!("unknown argument {other}"),
        }
    }
    if let Some(part) = only.as_deref()
        && !["sqlite", "postgres", "universe"].contains(&part)
    {
        bail!("unknown part {part}: sqlite, postgres or universe");
    }
    let runs = |part: &str| only.as_deref().is_none_or(|o| o == part);
    crate::cargo(&["build", "--release", "-p", "studiobrain-api"])?;
    let root = std::env::temp_dir().join(format!("studiobrain-bench-graph-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
    let project: PathBuf = root.join("project");
    let mut backends = Vec::new();
    if runs("sqlite") || runs("postgres") {
        eprintln!("generating {entities} entities");
        crate::genvault::generate(&templates, &project, entities)?;
    }
    if runs("sqlite") {
        backends.push(sqlite(&root, &project)?);
    }
    if runs("postgres") {
        let pg = std::env::var("STUDIOBRAIN_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        backends.push(postgres(&root, &project, &pg)?);
    }
    let universe = if runs("universe") {
        Some(universe(&root, &templates)?)
    } else {
        None
    };
    let _ = std::fs::remove_dir_all(&root);

    for backend in &backends {
        println!(
            "\n### {} ({entities} entities, indexed in {:.1} s)\n",
            backend.name, backend.index_seconds
        );
        println!("| scenario | req/s | p50 ms | p99 ms | p99 / baseline p99 |");
        println!("|---|---:|---:|---:|---:|");
        for m in &backend.rows {
            println!(
                "| {} | {:.0} | {:.2} | {:.2} | {:.1} |",
                m.name,
                m.requests_per_sec,
                m.p50_ms,
                m.p99_ms,
                m.p99_ms / backend.rows[0].p99_ms
            );
        }
        let with = backend.write_with.as_secs_f64() * 1000.0;
        let without = backend.write_without.as_secs_f64() * 1000.0;
        println!(
            "\nOne entity upsert (committed): {with:.3} ms with search and link indexing, \
             {without:.3} ms without; indexing adds {:.3} ms ({:.2}x).",
            with - without,
            with / without
        );
    }
    if let Some((universe, shape)) = universe {
        println!(
            "\n{} ({shape}, SQLite): {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms",
            universe.name, universe.requests_per_sec, universe.p50_ms, universe.p99_ms
        );
    }
    Ok(())
}
