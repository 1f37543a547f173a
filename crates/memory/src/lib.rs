//! In-memory adapters of StudioBrain's ports: fast, dependency-free stores
//! for tests and for embedding the domain crates without a database.
//! They honour the same contracts as the SQL adapters (each runs the shared
//! contract suites).

pub mod entities;
pub mod identity;
pub mod outbox;

pub use entities::MemoryEntityIndex;
pub use identity::MemoryIdentityStore;
pub use outbox::RecordingOutbox;
