//! Project automation, run as `cargo xtask <command>`:
//!
//! - `ci`: everything CI checks (format, lints, layering, the whole test suite).
//! - `layering`: the architecture invariant that domain crates never depend
//!   on a framework, database or vendor SDK (checked with `cargo tree -i`).
//! - `bench [identity|entities|live|graph]`: load benchmarks of the release server
//!   (see `BENCHMARKS.md`).
//! - `gen-vault --entities N --out DIR`: a generated project for benchmarks.
//! - `fuzz`: schemathesis against the release server's own `/openapi.json`
//!   (needs `pip install schemathesis`).

mod bench;
mod bench_entities;
mod bench_graph;
mod bench_live;
mod fuzz;
mod genvault;

use anyhow::{Context, bail};
use std::process::Command;

/// Domain crates: they may depend on the kernel and small utility crates only.
const DOMAIN_CRATES: &[&str] = &[
    "studiobrain-kernel",
    "studiobrain-auth",
    "studiobrain-markdown",
    "studiobrain-entity",
    "studiobrain-sync",
    "studiobrain-graph",
];

/// Crates a domain crate must never pull in, directly or transitively.
const FORBIDDEN_IN_DOMAIN: &[&str] = &[
    "actix-web",
    "sea-orm",
    "sqlx",
    "reqwest",
    "notify",
    "notify-debouncer-full",
    "actix-ws",
    "async-stripe",
    "google-drive3",
];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("layering") => layering(),
        Some("bench") => match args.get(1).map(String::as_str) {
            Some("entities") => bench_entities::run(),
            Some("live") => bench_live::run(),
            Some("graph") => bench_graph::run(&args[2..]),
            Some("identity") | None => bench::run(),
            Some(other) => bail!("unknown benchmark {other}: identity, entities, live or graph"),
        },
        Some("gen-vault") => genvault::run(&args[1..]),
        Some("fuzz") => fuzz::run(),
        _ => {
            eprintln!("usage: cargo xtask <ci|layering|bench|gen-vault|fuzz>");
            bail!("unknown or missing command")
        }
    }
}

/// Runs `cargo <args>` and fails if it fails.
fn cargo(args: &[&str]) -> anyhow::Result<()> {
    cargo_with(args, &[])
}

/// [`cargo`] with extra environment variables.
fn cargo_with(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(env!("CARGO"))
        .args(args)
        .envs(env.iter().copied())
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

fn ci() -> anyhow::Result<()> {
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;
    // The API documentation builds without broken links or markup.
    cargo_with(
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    layering()?;
    cargo(&["test", "--workspace"])
}

/// Fails if any domain crate depends on a forbidden crate.
fn layering() -> anyhow::Result<()> {
    let mut violations = Vec::new();
    for domain in DOMAIN_CRATES {
        for forbidden in FORBIDDEN_IN_DOMAIN {
            let output = Command::new(env!("CARGO"))
                .args(["tree", "--edges", "normal", "-p", domain, "-i", forbidden])
                .output()
                .context("running cargo tree")?;
            // `cargo tree -i` prints the inverted tree when the crate is a
            // dependency and fails ("did not match any packages") otherwise.
            let stdout = String::from_utf8_lossy(&output.stdout);
            if output.status.success() && !stdout.trim().is_empty() {
                violations.push(format!("{domain} depends on {forbidden}:\n{stdout}"));
            }
        }
    }
    if violations.is_empty() {
        eprintln!("layering: domain crates are free of frameworks and vendor SDKs");
        Ok(())
    } else {
        bail!("layering violations:\n{}", violations.join("\n"))
    }
}
