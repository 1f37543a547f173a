//! `cargo xtask bench`: builds the release server, starts it on loopback
//! with a fresh SQLite data directory, and drives it with `wrk` (64
//! connections, 2 threads). Prints a Markdown table for `BENCHMARKS.md`.
//!
//! Baseline: `GET /health`, measured in the same run, is the cost of the
//! HTTP stack alone; every other row is reported as a ratio against it.

use anyhow::{Context, bail};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long each wrk run lasts.
const DURATION: &str = "10s";
/// Concurrent connections per wrk run.
const CONNECTIONS: &str = "64";
/// Logins per second in the "logins running" scenario.
const LOGINS_PER_SECOND: u64 = 10;

/// One wrk measurement.
pub(crate) struct Measurement {
    /// Row name.
    pub name: String,
    /// Throughput.
    pub requests_per_sec: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// The server's CPU time (user and system) per request, when its
    /// process was watched ([`Load::server_pid`]): steadier from run to
    /// run than throughput on a machine shared with the load generator.
    pub server_cpu_ms: Option<f64>,
}

/// The server under test; killed and its data removed on drop.
pub(crate) struct Server {
    /// The process.
    pub child: Child,
    /// `host:port`.
    pub addr: String,
    data: PathBuf,
}

impl Server {
    /// Stops the server and hands back its data directory, kept for a
    /// restart.
    pub(crate) fn stop_keeping_data(mut self) -> PathBuf {
        std::mem::take(&mut self.data)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.data.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.data);
        }
    }
}

/// Runs the identity benchmarks and prints the report.
pub fn run() -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("wrk is not installed: apt-get install wrk");
    }
    crate::cargo(&["build", "--release", "-p", "studiobrain-api"])?;
    let server = start_server(&[])?;
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss_kib = rss_kib(server.child.id())?;

    let token = register(&server.addr)?;
    let health = wrk(
        "GET /health",
        &format!("http://{}/health", server.addr),
        None,
    )?;
    let me_url = format!("http://{}/api/auth/me", server.addr);
    let me = wrk("GET /api/auth/me (JWT)", &me_url, Some(&token))?;
    let (me_with_logins, logins_done) = with_logins(&server.addr, || {
        wrk(
            &format!("GET /api/auth/me while {LOGINS_PER_SECOND} logins/s run"),
            &me_url,
            Some(&token),
        )
    })?;

    drop(server);
    let uncached = start_server(&[("STUDIOBRAIN__AUTH__PRINCIPAL_CACHE_MILLIS", "0")])?;
    let uncached_token = register(&uncached.addr)?;
    let me_uncached = wrk(
        "GET /api/auth/me (JWT), principal cache off",
        &format!("http://{}/api/auth/me", uncached.addr),
        Some(&uncached_token),
    )?;
    drop(uncached);

    println!("\n| scenario | req/s | ratio to /health | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    for m in [&health, &me, &me_with_logins, &me_uncached] {
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            m.name,
            m.requests_per_sec,
            m.requests_per_sec / health.requests_per_sec,
            m.p50_ms,
            m.p99_ms
        );
    }
    println!(
        "\nLogins completed during the run: {logins_done}. /api/auth/me throughput with logins running: {:.2} of without.",
        me_with_logins.requests_per_sec / me.requests_per_sec
    );
    println!(
        "Idle resident memory after start: {:.1} MiB",
        idle_rss_kib as f64 / 1024.0
    );
    Ok(())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Starts the release server with extra environment settings.
fn start_server(env: &[(&str, &str)]) -> anyhow::Result<Server> {
    let data = std::env::temp_dir().join(format!("studiobrain-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    start_server_in(data, &[], env, Duration::from_secs(30))
}

/// Creates the owner account of the desktop studio in `data` with the
/// release binary.
pub(crate) fn create_owner(data: &Path, email: &str, password: &str) -> anyhow::Result<()> {
    let mut create_user = Command::new(binary())
        .args([
            "admin",
            "create-user",
            "--email",
            email,
            "--password-stdin",
            "--role",
            "owner",
            "--data-dir",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("creating the owner account")?;
    create_user
        .stdin
        .take()
        .context("stdin")?
        .write_all(password.as_bytes())?;
    if !create_user.wait()?.success() {
        bail!("admin create-user failed");
    }
    Ok(())
}

/// The release binary.
pub(crate) fn binary() -> PathBuf {
    target_dir().join("release/studiobrain")
}

/// Starts the release server on `data` with extra arguments and settings,
/// waiting up to `ready_within` for `/health`.
pub(crate) fn start_server_in(
    data: PathBuf,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &str)],
    ready_within: Duration,
) -> anyhow::Result<Server> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(binary())
        .args(["serve", "--bind", &addr, "--data-dir"])
        .arg(&data)
        .args(args)
        .env("STUDIOBRAIN__AUTH__ALLOW_REGISTRATION", "true")
        .env("STUDIOBRAIN__AUTH__ATTEMPTS_PER_MINUTE", "100000")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the release server")?;
    let server = Server { child, addr, data };
    let deadline = Instant::now() + ready_within;
    while Instant::now() < deadline {
        if http(&server.addr, "GET", "/health", None, None).is_ok() {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    bail!("the server did not answer /health within {ready_within:?}")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub(crate) fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .context("VmRSS missing from /proc status")
}

/// A minimal HTTP/1.1 request over a fresh connection; returns status and body.
pub(crate) fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    // Long enough for a full sync of a large project.
    stream.set_read_timeout(Some(Duration::from_secs(1800)))?;
    let body = body.unwrap_or("");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("malformed HTTP response")?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

const BENCH_PASSWORD: &str = "benchmark password";

fn register(addr: &str) -> anyhow::Result<String> {
    let body = format!(r#"{{"email":"bench@example.com","password":"{BENCH_PASSWORD}"}}"#);
    let (status, response) = http(addr, "POST", "/api/register", None, Some(&body))?;
    if status != 201 {
        bail!("registration answered {status}: {response}");
    }
    json_string(&response, "access_token").context("no access_token in the registration response")
}

/// The string value of `"key":"..."` in a flat JSON object.
pub(crate) fn json_string(json: &str, key: &str) -> Option<String> {
    let start = json.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let end = json[start..].find('"')? + start;
    Some(json[start..end].to_owned())
}

/// Runs `measure` while a background thread performs logins at a steady rate.
fn with_logins<T>(
    addr: &str,
    measure: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<(T, u64)> {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let worker = {
        let (stop, done, addr) = (stop.clone(), done.clone(), addr.to_owned());
        std::thread::spawn(move || {
            let body = format!(r#"{{"email":"bench@example.com","password":"{BENCH_PASSWORD}"}}"#);
            let interval = Duration::from_millis(1000 / LOGINS_PER_SECOND);
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                if matches!(
                    http(&addr, "POST", "/api/auth/login", None, Some(&body)),
                    Ok((200, _))
                ) {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(interval.saturating_sub(started.elapsed()));
            }
        })
    };
    let result = measure();
    stop.store(true, Ordering::Relaxed);
    let _ = worker.join();
    Ok((result?, done.load(Ordering::Relaxed)))
}

/// One wrk run.
pub(crate) struct Load<'a> {
    /// Row name in the report.
    pub name: &'a str,
    /// Target URL.
    pub url: &'a str,
    /// Bearer token, if any.
    pub token: Option<&'a str>,
    /// Concurrent connections.
    pub connections: &'a str,
    /// A wrk Lua script shaping each request, if any.
    pub script: Option<&'a Path>,
    /// The server's process, to measure its CPU time per request.
    pub server_pid: Option<u32>,
}

fn wrk(name: &str, url: &str, token: Option<&str>) -> anyhow::Result<Measurement> {
    run_load(&Load {
        name,
        url,
        token,
        connections: CONNECTIONS,
        script: None,
        server_pid: None,
    })
}

/// Runs wrk for [`DURATION`] and reads throughput and latency percentiles.
pub(crate) fn run_load(load: &Load<'_>) -> anyhow::Result<Measurement> {
    let name = load.name;
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c", load.connections, "-d", DURATION, "--latency"]);
    if let Some(token) = load.token {
        cmd.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    if let Some(script) = load.script {
        cmd.arg("-s").arg(script);
    }
    let cpu_before = load.server_pid.map(cpu_ms).transpose()?;
    let output = cmd.arg(load.url).output().context("running wrk")?;
    let cpu_after = load.server_pid.map(cpu_ms).transpose()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || text.contains("Non-2xx") {
        bail!("wrk run '{name}' failed or saw errors:\n{text}");
    }
    let field = |prefix: &str| -> anyhow::Result<&str> {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .map(str::trim)
            .with_context(|| format!("'{prefix}' missing in wrk output:\n{text}"))
    };
    let requests: f64 = text
        .lines()
        .find_map(|line| line.trim().split_once(" requests in "))
        .with_context(|| format!("the request count is missing in wrk output:\n{text}"))?
        .0
        .parse()?;
    Ok(Measurement {
        name: name.to_owned(),
        requests_per_sec: field("Requests/sec:")?.parse()?,
        p50_ms: millis(field("50%")?)?,
        p99_ms: millis(field("99%")?)?,
        server_cpu_ms: cpu_before
            .zip(cpu_after)
            .map(|(before, after)| (after - before) / requests.max(1.0)),
    })
}

/// CPU time (user and system) a process has used, in milliseconds, from
/// `/proc/<pid>/stat`.
fn cpu_ms(pid: u32) -> anyhow::Result<f64> {
    static TICKS_PER_SECOND: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold
    // spaces: utime and stime are the 12th and 13th of them.
    let after_name = stat
        .rsplit_once(')')
        .context("unexpected /proc stat format")?
        .1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11)
        .zip(fields.get(12))
        .context("unexpected /proc stat format")
        .and_then(|(user, system)| Ok(user.parse::<f64>()? + system.parse::<f64>()?))?;
    let per_second = match TICKS_PER_SECOND.get() {
        Some(ticks) => *ticks,
        None => {
            let output = Command::new("getconf").arg("CLK_TCK").output()?;
            let ticks: f64 = String::from_utf8_lossy(&output.stdout).trim().parse()?;
            *TICKS_PER_SECOND.get_or_init(|| ticks)
        }
    };
    Ok(ticks * 1000.0 / per_second)
}

/// Parses wrk's `1.23ms`, `456.00us` or `1.2s`.
fn millis(raw: &str) -> anyhow::Result<f64> {
    let (number, factor) = if let Some(n) = raw.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = raw.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = raw.strip_suffix('s') {
        (n, 1000.0)
    } else {
        bail!("unknown latency unit in '{raw}'")
    };
    Ok(number.parse::<f64>()? * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wrk_latencies() {
        assert_eq!(millis("250.00us").ok(), Some(0.25));
        assert_eq!(millis("1.50ms").ok(), Some(1.5));
        assert_eq!(millis("2s").ok(), Some(2000.0));
        assert!(millis("3h").is_err());
    }

    #[test]
    fn reads_a_process_cpu_time_in_milliseconds() {
        let pid = std::process::id();
        let started = std::time::Instant::now();
        let before = cpu_ms(pid).expect("cpu time");
        let mut spin = 0_u64;
        let grown = loop {
            for _ in 0..1_000_000 {
                spin = std::hint::black_box(spin.wrapping_add(1));
            }
            let grown = cpu_ms(pid).expect("cpu time") - before;
            if grown >= 30.0 {
                break grown;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "spinning does not show as CPU time"
            );
        };
        // Not more than every core of the machine for the whole time, with
        // a clock tick of slack either side.
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        assert!(
            grown <= elapsed * cores + 20.0,
            "{grown} ms of CPU in {elapsed} ms"
        );
    }

    #[test]
    fn extracts_json_strings() {
        let json = r#"{"access_token":"abc.def","role":"owner"}"#;
        assert_eq!(
            json_string(json, "access_token").as_deref(),
            Some("abc.def")
        );
        assert_eq!(json_string(json, "missing"), None);
    }
}
