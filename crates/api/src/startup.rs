//! Building and running the server. [`Application::build`] is shared by the
//! binary and the end-to-end tests, so tests start exactly what production
//! starts (on port 0).

use crate::config::{Mode, Settings};
use crate::error::ApiError;
use crate::live::Live;
use crate::middleware::{contain_panics, json_errors, trace_requests};
use crate::openapi::{ApiDoc, ErrorResponses};
use crate::routes::{self, fallback::RouteTable};
use crate::state::AppState;
use crate::storage::Storage;
use crate::throttle::Throttle;
use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, error::JsonPayloadError, web};
use anyhow::Context;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};
use studiobrain_auth::{AuthService, TokenSettings};
use studiobrain_entity::EntityService;
use studiobrain_graph::GraphService;
use studiobrain_kernel::{Actor, TenantId};
use studiobrain_memory::LocalEventBus;
use studiobrain_sync::{Scope, Trigger};
use studiobrain_vault_fs::FsVaultProvider;
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

/// The project folders of the settings: the desktop project (desktop
/// mode) and every tenant's folder under the data directory.
pub fn vault_provider(settings: &Settings) -> Arc<FsVaultProvider> {
    let server = &settings.server;
    Arc::new(FsVaultProvider::new(
        (server.mode == Mode::Desktop).then(|| server.project_dir.clone()),
        server.data_dir.join("tenants"),
        crate::seed::project_layout(),
    ))
}

/// The entity use cases over `vaults` and `storage`, with the shipped
/// templates and layouts.
pub fn entity_service(vaults: Arc<FsVaultProvider>, storage: &Storage) -> EntityService {
    EntityService::new(
        vaults,
        storage.entity_index(),
        Arc::new(crate::seed::shipped_templates()),
    )
    .with_shipped_layouts(crate::seed::shipped_layouts())
}

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

/// Registers every documented route.
///
/// actix-web tries routes in the order they are registered, matching each
/// pattern with parameters by a regular expression, so the hottest reads
/// come first: reading an entity otherwise paid for some forty patterns
/// before its own. Only GET routes are moved ahead (their method guard
/// keeps them from answering the POSTs to `/api/entity/<name>` below), and
/// the schema's static segment stays ahead of the entity's id.
fn api_routes(cfg: &mut ServiceConfig<'_>) {
    use routes::*;
    cfg.service(entities::entity_schema)
        .service(entities::list_entities)
        .service(entities::get_entity)
        .service(ws::websocket)
        .service(activity::presence)
        .service(activity::editing)
        .service(activity::recent_activity)
        .service(activity::activity_history)
        .service(activity::dashboard)
        .service(desktop::list_projects)
        .service(desktop::create_project)
        .service(desktop::delete_project)
        .service(desktop::activate_project)
        .service(desktop::scan_project)
        .service(desktop::watcher_status)
        .service(desktop::watcher_start)
        .service(desktop::watcher_stop)
        .service(sync::sync_status)
        .service(sync::check_changes)
        .service(sync::import_changes)
        .service(sync::save_to_markdown)
        .service(sync::from_markdown)
        .service(sync::refresh_all)
        .service(sync::file_watcher_status)
        .service(sync::sync_all_types)
        .service(sync::validate_all)
        .service(sync::sync_type)
        .service(sync::sync_from_files)
        .service(search::search)
        .service(search::search_all)
        .service(search::recent)
        .service(search::relationships)
        .service(search::universe)
        .service(search::entity_graph)
        .service(crossref::query_references)
        .service(crossref::reference_context)
        .service(crossref::romance)
        .service(crossref::faction_war)
        .service(crossref::validate)
        .service(crossref::hybrid_relationships)
        .service(crossref::semantic_connections)
        .service(crossref::structured_relationships)
        .service(crossref::enhanced_context)
        .service(entities::smart_merge)
        .service(entity_tools::compare_entity)
        .service(entity_tools::import_entity)
        .service(entities::create_entity)
        .service(entities::update_entity)
        .service(entities::delete_entity)
        .service(recycle_bin::list_recycled)
        .service(recycle_bin::empty_recycle_bin)
        .service(recycle_bin::restore_entity)
        .service(recycle_bin::purge_entity)
        .service(markdown_ops::validate_frontmatter)
        .service(markdown_ops::export_markdown)
        .service(markdown_ops::import_preview)
        .service(markdown_ops::smart_import)
        .service(maintenance::rename_entity)
        .service(maintenance::fix_validation)
        .service(markdown_ops::format_markdown)
        .service(entity_tools::check_entity_id)
        .service(rules::list_rules)
        .service(rules::reload_rules)
        .service(rules::rules_index)
        .service(rules::get_settings)
        .service(rules::put_settings)
        .service(rules::validate)
        .service(rules::rules_of_type)
        .service(rules::get_markdown)
        .service(rules::put_markdown)
        .service(rules::put_system_prompt)
        .service(rules::add_rule)
        .service(rules::update_rule)
        .service(rules::delete_rule)
        .service(templates::list_templates)
        .service(templates::entity_types)
        .service(templates::reload_templates)
        .service(templates::get_template)
        .service(templates::update_template)
        .service(templates::get_instructions)
        .service(templates::update_instructions)
        .service(schemas::list_schemas)
        .service(schemas::get_schema)
        .service(layouts::list_layouts)
        .service(layouts::get_layout)
        .service(layouts::update_layout)
        .service(layouts::reset_layout)
        .service(layouts::delete_layout)
        .service(health::health)
        .service(health::api_health)
        .service(health::detailed)
        .service(health::services_status)
        .service(web_auth::web_login)
        .service(web_auth::google_sso)
        .service(web_auth::session)
        .service(web_auth::select_tenant)
        .service(account::register)
        .service(account::login)
        .service(account::refresh)
        .service(account::logout)
        .service(account::me)
        .service(account::set_password)
        .service(account::forgot_password)
        .service(account::reset_password)
        .service(account::create_invite)
        .service(account::validate_invite)
        .service(account::register_with_invite)
        .service(oauth::providers)
        .service(oauth::google_start)
        .service(oauth::google_callback)
        .service(oauth::microsoft_start)
        .service(oauth::microsoft_callback)
        .service(oauth::drive_start)
        .service(oauth::drive_callback)
        .service(users::list_users)
        .service(users::current_user)
        .service(users::get_user)
        .service(users::update_user)
        .service(users::delete_user)
        .service(users::change_user_password)
        .service(users::get_ai_key)
        .service(users::regenerate_ai_key)
        .service(users::get_subscription)
        .service(users::set_subscription)
        .service(users::send_invite)
        .service(teams::create_team)
        .service(teams::list_teams)
        .service(teams::get_team)
        .service(teams::create_permission_template)
        .service(teams::list_permission_templates)
        .service(api_keys::create_api_key)
        .service(api_keys::list_api_keys)
        .service(api_keys::create_api_key_unprefixed)
        .service(api_keys::list_api_keys_unprefixed)
        .service(api_keys::revoke_api_key)
        .service(tenants::register_tenant)
        .service(tenants::create_tenant)
        .service(tenants::current_tenant)
        .service(tenants::update_tenant);
}

/// The ReDoc page and, when bundled, its script.
fn redoc_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::redoc::redoc_page);
    #[cfg(redoc_bundled)]
    cfg.service(crate::redoc::redoc_script);
}

/// The OpenAPI document of every route, with the shared error responses.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut api = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .split_for_parts()
        .1;
    ErrorResponses.modify(&mut api);
    api
}

/// Reading a JSON body: malformed JSON is 400, too large 413, a wrong
/// content type 415, all with `{"detail"}`. The shape of a well-formed body
/// is checked by [`crate::body::JsonBody`].
fn json_error(err: JsonPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    let (status, detail) = match &err {
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {limit} bytes"),
        ),
        JsonPayloadError::ContentType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected Content-Type: application/json".to_owned(),
        ),
        other => (
            StatusCode::BAD_REQUEST,
            format!("malformed JSON body: {other}"),
        ),
    };
    ApiError::new(status, detail).into()
}

fn path_error(err: actix_web::error::PathError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("invalid path parameter: {err}"),
    )
    .into()
}

fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("invalid query: {err}"),
    )
    .into()
}

impl Application {
    /// Validates the settings, opens and migrates the store, bootstraps the
    /// desktop owner, and binds the listener.
    ///
    /// # Errors
    /// A setting the mode requires is missing, the database is unreachable,
    /// or the address cannot be bound.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        settings.validate()?;
        let projects = crate::live::desktop_projects(&settings)?;
        if let Some(projects) = &projects {
            settings.server.project_dir = projects.active().path;
        }
        let server_settings = &settings.server;
        std::fs::create_dir_all(&server_settings.data_dir).with_context(|| {
            format!(
                "creating data directory {}",
                server_settings.data_dir.display()
            )
        })?;

        let secret = match settings.auth.jwt_secret.expose_secret() {
            s if !s.is_empty() => s.as_bytes().to_vec(),
            _ => crate::local_secrets::jwt_secret(&server_settings.data_dir)?.into_bytes(),
        };
        let storage = Storage::open(&settings.database.url).await?;
        if settings.database.run_migrations {
            storage.migrate().await.context("running migrations")?;
        }
        // Before the start-up index, which writes the most.
        storage.start_maintenance();

        let listener = TcpListener::bind(&server_settings.bind)
            .with_context(|| format!("binding {}", server_settings.bind))?;
        let port = listener.local_addr()?.port();
        let public_url = if server_settings.public_url.is_empty() {
            format!("http://{}", listener.local_addr()?)
        } else {
            server_settings.public_url.clone()
        };

        let mut tokens = TokenSettings::new(secret);
        tokens.access_ttl = chrono::Duration::minutes(settings.auth.access_token_minutes);
        tokens.refresh_ttl = chrono::Duration::days(settings.auth.refresh_token_days);
        let outbox = crate::adapters::outbox(&settings)?;
        let auth = AuthService::new(storage.auth_ports(outbox), tokens)
            .with_public_url(&public_url)
            .with_auth_cache_ttl(chrono::Duration::milliseconds(
                settings.auth.principal_cache_millis,
            ));
        let auth = crate::adapters::identity_providers(auth, &settings)?;

        let bus = LocalEventBus::new(settings.sync.socket_queue);
        let (events, records) = crate::live::event_bus(&settings, &storage, &bus).await?;
        let vaults = vault_provider(&settings);
        let entities = Arc::new(entity_service(vaults.clone(), &storage).with_events(events));
        let live = Live::new(&settings, &storage, entities.clone(), bus, vaults, projects);
        let graph = Arc::new(GraphService::new(
            entities.clone(),
            storage.link_index(),
            storage.search_index(),
            crate::adapters::embeddings(&settings)?,
        ));
        if server_settings.mode == Mode::Desktop {
            if let Some(password) = auth
                .bootstrap_local_owner(&settings.auth.local_owner_email)
                .await?
            {
                // Printed once to the console, never logged or stored in clear.
                println!(
                    "\nStudioBrain first run: sign in at {public_url}/docs as {} with the one-time password:\n\n    {password}\n\nChange it with POST /api/auth/set-password.\n",
                    settings.auth.local_owner_email
                );
            }
            if settings.sync.startup_scan {
                // Catch up with edits made while the server was stopped.
                let report = live
                    .reconciler
                    .reconcile(
                        &TenantId::local(),
                        Scope::All,
                        Trigger::Startup,
                        &Actor::FileWatcher,
                    )
                    .await?;
                tracing::info!(
                    scanned = report.summary.scanned,
                    created = report.summary.created,
                    updated = report.summary.updated,
                    deleted = report.summary.deleted,
                    renamed = report.summary.renamed,
                    millis = report.summary.duration_ms,
                    "project reconciled"
                );
                for failure in &report.failures {
                    tracing::warn!(%failure, "entity file does not parse");
                }
            }
        }
        live.start(&settings, records);

        let api = openapi();
        let state = AppState {
            auth,
            entities,
            graph,
            live,
            storage,
            throttle: Arc::new(Throttle::new(
                settings.auth.attempts_per_minute,
                Duration::from_secs(60),
            )),
            routes: Arc::new(RouteTable::from_openapi(&api)),
            rendered: Arc::default(),
            settings: Arc::new(settings),
            started_at: Instant::now(),
        };
        let server = Self::serve(listener, state.clone(), api)?;
        Ok(Self {
            port,
            server,
            state,
        })
    }

    fn serve(
        listener: TcpListener,
        state: AppState,
        api: utoipa::openapi::OpenApi,
    ) -> anyhow::Result<Server> {
        let shutdown = state.settings.server.shutdown_timeout_secs;
        let data = web::Data::new(state);
        let server = HttpServer::new(move || {
            let settings = &data.settings.server;
            let cors = settings
                .cors_origins
                .iter()
                .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
                .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
                .allowed_headers(["authorization", "content-type", "if-match", "x-request-id"])
                .expose_headers(["etag", "x-request-id", "retry-after"])
                .supports_credentials()
                .max_age(600);
            let app = App::new()
                .into_utoipa_app()
                .openapi(ApiDoc::openapi())
                .configure(api_routes)
                .into_app();
            app.app_data(data.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(settings.json_limit_bytes)
                        .error_handler(json_error),
                )
                .app_data(web::PayloadConfig::default().limit(settings.json_limit_bytes))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api.clone()))
                .service(web::redirect("/docs", "/docs/"))
                .configure(redoc_routes)
                .default_service(web::to(routes::fallback::not_matched))
                .wrap(from_fn(json_errors))
                .wrap(cors)
                .wrap(from_fn(contain_panics))
                .wrap(from_fn(trace_requests))
        })
        .shutdown_timeout(shutdown)
        .listen(listener)?
        .run();
        Ok(server)
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests inspect it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests get the configured
    /// grace period; then closes the database's connections.
    ///
    /// # Errors
    /// I/O errors of the server.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Err(failure) = self.state.storage.close().await {
            tracing::warn!(
                error = format!("{failure:#}"),
                "closing the database failed"
            );
        }
        served
    }
}
