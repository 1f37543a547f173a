//! SQLite: the full-text index is brought up to date in batches instead of
//! inside every write.
//!
//! Until now triggers kept `entity_search` (external content over
//! `entities`) current in the writing transaction: a write of one field
//! tokenised the row's old texts (to delete them) and its new ones, body
//! included, and FTS5 wrote a segment per transaction. That was most of
//! the SQLite writer's work per update (see BENCHMARKS.md, "Sixth
//! session"). Now the triggers only queue the changed row's id in
//! `entity_search_pending`, and the store indexes the queue in one
//! transaction when it has grown and before every full-text query reads
//! the index, so searches still see every committed write (the store's
//! `search_backlog` module). An entity written many times between two
//! batches is indexed once.
//!
//! The index is contentless with `contentless_delete=1` (SQLite 3.43): a
//! row is deleted by its id alone, without its old texts, which the batch
//! no longer has. Snippets were already cut from `entities`, never read
//! from the index. PostgreSQL keeps its generated `search_vector`:
//! nothing changes there.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

/// Queues changed rows for the index in batches (SQLite).
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Migration 007's external-content index and its triggers, dropped.
const SQLITE_DROP_INDEX_IN_EVERY_WRITE: &str = "
DROP TRIGGER entity_search_insert;
DROP TRIGGER entity_search_delete;
DROP TRIGGER entity_search_update;
DROP TABLE entity_search;
";

/// The contentless index, the queue and the triggers that fill it, then
/// every existing row indexed. Migration 009 goes back to it.
pub(crate) const SQLITE_BATCHED: &str = "
CREATE VIRTUAL TABLE entity_search USING fts5(
    name, search_text, body,
    content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE entity_search_pending (entity_rowid INTEGER PRIMARY KEY);
CREATE TRIGGER entity_search_insert AFTER INSERT ON entities BEGIN
    INSERT INTO entity_search_pending(entity_rowid) SELECT new.rowid
    WHERE NOT EXISTS (SELECT 1 FROM entity_search_pending WHERE entity_rowid = new.rowid);
END;
CREATE TRIGGER entity_search_delete AFTER DELETE ON entities BEGIN
    INSERT INTO entity_search_pending(entity_rowid) SELECT old.rowid
    WHERE NOT EXISTS (SELECT 1 FROM entity_search_pending WHERE entity_rowid = old.rowid);
END;
CREATE TRIGGER entity_search_update AFTER UPDATE OF name, search_text, body ON entities BEGIN
    INSERT INTO entity_search_pending(entity_rowid) SELECT new.rowid
    WHERE NOT EXISTS (SELECT 1 FROM entity_search_pending WHERE entity_rowid = new.rowid);
END;
INSERT INTO entity_search(rowid, name, search_text, body)
    SELECT rowid, name, search_text, body FROM entities;
";

/// Back to migration 007: the external-content index kept current by
/// triggers in every write.
const SQLITE_IN_EVERY_WRITE: &str = "
DROP TRIGGER entity_search_insert;
DROP TRIGGER entity_search_delete;
DROP TRIGGER entity_search_update;
DROP TABLE entity_search_pending;
DROP TABLE entity_search;
CREATE VIRTUAL TABLE entity_search USING fts5(
    name, search_text, body,
    content='entities', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER entity_search_insert AFTER INSERT ON entities BEGIN
    INSERT INTO entity_search(rowid, name, search_text, body)
    VALUES (new.rowid, new.name, new.search_text, new.body);
END;
CREATE TRIGGER entity_search_delete AFTER DELETE ON entities BEGIN
    INSERT INTO entity_search(entity_search, rowid, name, search_text, body)
    VALUES ('delete', old.rowid, old.name, old.search_text, old.body);
END;
CREATE TRIGGER entity_search_update AFTER UPDATE OF name, search_text, body ON entities BEGIN
    INSERT INTO entity_search(entity_search, rowid, name, search_text, body)
    VALUES ('delete', old.rowid, old.name, old.search_text, old.body);
    INSERT INTO entity_search(rowid, name, search_text, body)
    VALUES (new.rowid, new.name, new.search_text, new.body);
END;
INSERT INTO entity_search(entity_search) VALUES ('rebuild');
";

/// Runs `sql` on SQLite; PostgreSQL has nothing to change (migration 009
/// changes SQLite alone too).
pub(crate) async fn on_sqlite(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() == DbBackend::Sqlite {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_sqlite(manager, SQLITE_DROP_INDEX_IN_EVERY_WRITE).await?;
        on_sqlite(manager, SQLITE_BATCHED).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_sqlite(manager, SQLITE_IN_EVERY_WRITE).await
    }
}
