//! Search, relationships and the universe graph of StudioBrain.
//!
//! The entity domain extracts every entity's links when its file is read
//! and the index keeps them beside the entity's row
//! ([`studiobrain_entity::links::LinkIndex`]) and in the database's
//! full-text engine ([`studiobrain_entity::search::SearchIndex`]). This
//! crate answers questions over them:
//! - [`GraphService`] ([`service`]): search and recent changes, one
//!   entity's relationships, the universe graph and an entity's
//!   neighbourhood ([`graph`]);
//! - [`crossref`]: edge queries, romance, faction conflicts, reference
//!   validation;
//! - [`inference`]: relationships inferred from shared locations and
//!   factions and from co-mentions, each with its evidence;
//! - [`context`]: an entity and its neighbours within a token budget, as
//!   structured data and as a Markdown block for AI prompts;
//! - [`embeddings`]: the [`embeddings::Embeddings`] port, its local
//!   deterministic adapter (hashed TF-IDF) and similarity ranking.
//!
//! Names of links are resolved to entities by [`resolve::Resolver`].

pub mod context;
pub mod crossref;
pub mod embeddings;
pub mod error;
pub mod graph;
pub mod inference;
pub mod resolve;
pub mod service;

pub use error::{GraphError, GraphResult};
pub use service::GraphService;
