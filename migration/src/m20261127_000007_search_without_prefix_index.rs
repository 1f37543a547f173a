//! SQLite: the full-text index `entity_search` without its prefix indexes.
//!
//! The prefix indexes (`prefix='2 3'`) stored every word three times (the
//! word, its first two and its first three letters), so each write of an
//! entity cost FTS5 three times the tokens to delete and insert, and three
//! times the merging. A prefix query now reads the range of words that
//! start with it from the one index instead (see BENCHMARKS.md, "Fifth
//! session", for what that costs short prefixes). The triggers of migration
//! 006 name the table only, so they serve the new one unchanged.
//! PostgreSQL has no such index: nothing changes there.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

/// Rebuilds `entity_search` without prefix indexes (SQLite).
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index as migration 006 made it, but for the prefix indexes; `{prefix}`
/// is replaced by the option (empty, or `, prefix='2 3'` to go back).
const SQLITE_FTS_TABLE: &str = "
DROP TABLE entity_search;
CREATE VIRTUAL TABLE entity_search USING fts5(
    name, search_text, body,
    content='entities', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'{prefix}
);
INSERT INTO entity_search(entity_search) VALUES ('rebuild');
";

/// Recreates the SQLite index with `prefix` as its prefix option.
async fn recreate(manager: &SchemaManager<'_>, prefix: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() == DbBackend::Sqlite {
        manager
            .get_connection()
            .execute_unprepared(&SQLITE_FTS_TABLE.replace("{prefix}", prefix))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        recreate(manager, "").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        recreate(manager, ", prefix='2 3'").await
    }
}
