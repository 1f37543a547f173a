//! The `studiobrain` command line: `serve`, `migrate` and
//! `admin create-user`.

use crate::config::{Mode, Overrides, Settings};
use crate::startup::Application;
use crate::storage::Storage;
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;
use studiobrain_auth::models::Role;
use studiobrain_auth::{AuthService, TokenSettings};
use studiobrain_kernel::TenantId;
use studiobrain_mail::FileOutbox;

/// StudioBrain: the world-bible server.
#[derive(Debug, Parser)]
#[command(name = "studiobrain", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Sub-commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(CommonArgs),
    /// Rebuild the entity index of a tenant's project from its files.
    Reindex(ReindexArgs),
    /// Administrative tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// Options shared by every command.
#[derive(Debug, Clone, Args, Default)]
pub struct CommonArgs {
    /// Configuration file (TOML), layered over config/default.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// desktop (default) or cloud.
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// Data directory (database, secrets, outbox).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://..., postgres://... or memory:.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Options of `serve`.
#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Listen address, e.g. 127.0.0.1:8201.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Active project folder.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Do not run migrations at start.
    #[arg(long)]
    pub no_migrate: bool,
    /// Do not compare the project folder with the database at start.
    #[arg(long)]
    pub skip_startup_scan: bool,
}

/// Options of `reindex`.
#[derive(Debug, Clone, Args)]
pub struct ReindexArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Project folder (desktop mode).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Tenant whose project to reindex (default: the desktop tenant `local`).
    #[arg(long, default_value = "local")]
    pub tenant: String,
}

/// `admin` sub-commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user in the desktop tenant (or --tenant), reading the
    /// password from standard input.
    CreateUser(CreateUserArgs),
}

/// Options of `admin create-user`.
#[derive(Debug, Args)]
pub struct CreateUserArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Login address.
    #[arg(long)]
    pub email: String,
    /// Read the password from standard input (required: passwords are never
    /// taken as arguments).
    #[arg(long, required = true)]
    pub password_stdin: bool,
    /// owner, admin, editor or viewer.
    #[arg(long, default_value = "editor")]
    pub role: String,
    /// Tenant to join (default: the desktop tenant `local`).
    #[arg(long, default_value = "local")]
    pub tenant: String,
}

impl CommonArgs {
    fn settings(&self, extra: Overrides) -> anyhow::Result<Settings> {
        Settings::load(
            self.config.as_deref(),
            Overrides {
                mode: self.mode,
                data_dir: self.data_dir.clone(),
                database_url: self.database_url.clone(),
                ..extra
            },
        )
    }
}

/// Runs the parsed command line.
///
/// # Errors
/// Whatever the command fails with, for `main` to print.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => {
            let settings = args.settings(Overrides::default())?;
            let storage = open_migrated(&settings).await?;
            println!(
                "migrations applied: {}",
                storage.migration_version().await?.unwrap_or_default()
            );
            Ok(())
        }
        Command::Admin(AdminCommand::CreateUser(args)) => create_user(args).await,
        Command::Reindex(args) => reindex(args).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.common.settings(Overrides {
        bind: args.bind.clone(),
        project_dir: args.project.clone(),
        no_migrate: args.no_migrate,
        skip_startup_scan: args.skip_startup_scan,
        ..Overrides::default()
    })?;
    init_tracing(&settings);
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "StudioBrain listening");
    app.run_until_stopped().await?;
    Ok(())
}

async fn create_user(args: CreateUserArgs) -> anyhow::Result<()> {
    let settings = args.common.settings(Overrides::default())?;
    let role = Role::parse(&args.role)?;
    let tenant = TenantId::parse(args.tenant.clone())?;
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\r', '\n']);
    let storage = open_migrated(&settings).await?;
    let outbox = Arc::new(FileOutbox::new(
        settings.server.data_dir.join("outbox"),
        "studiobrain@localhost",
    ));
    // Creating a user signs nothing, so the key here is never used to verify.
    let tokens = TokenSettings::new(studiobrain_auth::secrets::random_token().into_bytes());
    let auth = AuthService::new(storage.auth_ports(outbox), tokens);
    let user = auth
        .create_member_with_password(&tenant, &args.email, password, role)
        .await?;
    println!(
        "created {} ({}) as {role} in tenant {tenant}",
        user.email.as_str(),
        user.id
    );
    Ok(())
}

async fn reindex(args: ReindexArgs) -> anyhow::Result<()> {
    let settings = args.common.settings(Overrides {
        project_dir: args.project.clone(),
        ..Overrides::default()
    })?;
    let tenant = TenantId::parse(args.tenant.clone())?;
    let storage = open_migrated(&settings).await?;
    let started = std::time::Instant::now();
    let report =
        crate::startup::entity_service(crate::startup::vault_provider(&settings), &storage)
            .reindex(&tenant)
            .await?;
    println!(
        "reindexed tenant {tenant}: {} entities in {:.2} s, {} files failed",
        report.indexed,
        started.elapsed().as_secs_f64(),
        report.failed.len()
    );
    for failure in &report.failed {
        println!("  {failure}");
    }
    Ok(())
}

/// Opens the configured store (creating the data directory a SQLite file
/// lives in) and applies pending migrations.
async fn open_migrated(settings: &Settings) -> anyhow::Result<Storage> {
    std::fs::create_dir_all(&settings.server.data_dir).with_context(|| {
        format!(
            "creating data directory {}",
            settings.server.data_dir.display()
        )
    })?;
    let storage = Storage::open(&settings.database.url).await?;
    storage.migrate().await?;
    Ok(storage)
}

/// Pretty logs on a terminal in desktop mode, JSON otherwise (or as
/// configured). `RUST_LOG` filters (default `info`).
fn init_tracing(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match settings.server.log_format.as_str() {
        "json" => true,
        "pretty" => false,
        _ => settings.server.mode == Mode::Cloud || !std::io::stdout().is_terminal(),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    if let Err(err) = result {
        eprintln!("tracing already initialised: {err}");
    }
}
