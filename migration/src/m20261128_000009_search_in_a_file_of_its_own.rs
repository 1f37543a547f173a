//! SQLite: the full-text index moves into a database file of its own.
//!
//! Until now the batches that bring `entity_search` up to date ran on the
//! one writer of the main database: while FTS5 tokenised 512 rows and
//! merged its segments (0.1 s, now and then 0.8 s) every entity write
//! waited (BENCHMARKS.md, "Ninth session"). The index now lives in a file
//! beside the database that the store attaches as `search`, written by a
//! connection of its own under that file's own lock, so batches run beside
//! the entity writer (the store's `search_index` module creates and checks
//! that file; it is rebuilt from `entities` whenever it is missing or
//! behind).
//!
//! A trigger cannot write into an attached file, so the queue stays here,
//! with a sequence number: a row queued again takes a new one, and the
//! indexer deletes only what it indexed (sequence up to the one it read).
//! `entity_search_state` names this database (`generation`, random) and
//! records how far the index is known to be durable (`indexed_through`):
//! an index file of another database, or one that lost its last batches,
//! is rebuilt. PostgreSQL keeps its generated `search_vector`: nothing
//! changes there.

use crate::m20261127_000008_search_in_batches::{SQLITE_BATCHED, on_sqlite};
use sea_orm_migration::prelude::*;

/// Moves the SQLite full-text index out of the main database.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The queue with sequence numbers, the state row, and triggers that
/// queue a changed row anew. Nothing is queued: the store finds the new
/// index file without this database's generation and builds it from the
/// rows.
const SQLITE_QUEUE_ONLY: &str = "
DROP TRIGGER entity_search_insert;
DROP TRIGGER entity_search_delete;
DROP TRIGGER entity_search_update;
DROP TABLE entity_search;
DROP TABLE entity_search_pending;
CREATE TABLE entity_search_pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_rowid INTEGER NOT NULL UNIQUE
);
CREATE TABLE entity_search_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BLOB NOT NULL,
    indexed_through INTEGER NOT NULL
);
INSERT INTO entity_search_state (id, generation, indexed_through) VALUES (1, randomblob(16), 0);
CREATE TRIGGER entity_search_insert AFTER INSERT ON entities BEGIN
    DELETE FROM entity_search_pending WHERE entity_rowid = new.rowid;
    INSERT INTO entity_search_pending (entity_rowid) VALUES (new.rowid);
END;
CREATE TRIGGER entity_search_delete AFTER DELETE ON entities BEGIN
    DELETE FROM entity_search_pending WHERE entity_rowid = old.rowid;
    INSERT INTO entity_search_pending (entity_rowid) VALUES (old.rowid);
END;
CREATE TRIGGER entity_search_update AFTER UPDATE OF name, search_text, body ON entities BEGIN
    DELETE FROM entity_search_pending WHERE entity_rowid = new.rowid;
    INSERT INTO entity_search_pending (entity_rowid) VALUES (new.rowid);
END;
";

/// This migration's queue, state and triggers, dropped before going back
/// to migration 008 ([`SQLITE_BATCHED`]: the contentless index in the
/// main database, built from every row, and a queue without sequence
/// numbers).
const SQLITE_DROP_QUEUE: &str = "
DROP TRIGGER entity_search_insert;
DROP TRIGGER entity_search_delete;
DROP TRIGGER entity_search_update;
DROP TABLE entity_search_state;
DROP TABLE entity_search_pending;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_sqlite(manager, SQLITE_QUEUE_ONLY).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_sqlite(manager, SQLITE_DROP_QUEUE).await?;
        on_sqlite(manager, SQLITE_BATCHED).await
    }
}
