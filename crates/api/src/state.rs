//! Shared application state handed to every handler.

use crate::config::Settings;
use crate::storage::Storage;
use crate::throttle::Throttle;
use std::sync::Arc;
use std::time::Instant;
use studiobrain_auth::AuthService;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Identity use cases.
    pub auth: AuthService,
    /// Entity use cases.
    pub entities: Arc<studiobrain_entity::EntityService>,
    /// Search, relationships, graphs, cross-references and AI context.
    pub graph: Arc<studiobrain_graph::GraphService>,
    /// Live sync: reconciler, events, presence, activity, watcher, projects.
    pub live: crate::live::Live,
    /// The store (health checks).
    pub storage: Storage,
    /// Effective settings.
    pub settings: Arc<Settings>,
    /// Process start, for uptime.
    pub started_at: Instant,
    /// Limiter for sign-in, registration and reset requests.
    pub throttle: Arc<Throttle>,
    /// Path templates of every route, to tell 405 from 404.
    pub routes: Arc<crate::routes::fallback::RouteTable>,
    /// JSON bodies of entity reads, rendered once per view.
    pub rendered: Arc<crate::rendered::RenderedReads>,
}
