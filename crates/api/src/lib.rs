//! The StudioBrain HTTP server: the only composition root. It wires the
//! domain services to their adapters, exposes the contract's routes with
//! actix-web, documents them with OpenAPI, and hosts the `studiobrain` CLI.
//!
//! Entry points: [`startup::Application`] (build, bind, run; shared by the
//! binary and the end-to-end tests) and [`cli`].

pub mod adapters;
pub mod body;
pub mod cli;
pub mod client;
pub mod config;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod live;
pub mod local_secrets;
pub mod middleware;
pub mod openapi;
pub mod redoc;
pub mod rendered;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod storage;
pub mod throttle;
pub mod watch;

pub use config::{Mode, Overrides, Settings};
pub use startup::Application;
