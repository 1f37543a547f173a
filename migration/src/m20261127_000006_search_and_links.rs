//! Search and relationships, both derived from `entities` rows in the same
//! write so neither is a second source of truth:
//! - `entities.search_text` (the text of the fields, written by the index
//!   adapter) and `entities.links` (the links of the file, JSON);
//! - the full-text index: on SQLite an external-content FTS5 table
//!   `entity_search` over `name`, `search_text` and `body`, kept current by
//!   triggers; on PostgreSQL a generated, weighted `search_vector` column
//!   with a GIN index that row-level security lets queries use (see
//!   [`POSTGRES_LEAKPROOF_MATCH`]);
//! - indexes of entities by tenant and id alone (links may name no type)
//!   and by tenant and time of change (recent changes of every type);
//! - `entity_links`: one row per link of a live entity (source, target,
//!   field, label, origin), indexed by source and by target, tenant-owned
//!   with forced row-level security on PostgreSQL.

use crate::m20261126_000001_create_identity::tenant_fk;
use crate::rls::{grant_app_role, isolate_tenant};
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

/// Adds the search and link columns, the full-text index and `entity_links`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Entities {
    Table,
    TenantId,
    EntityId,
    UpdatedAt,
    SearchText,
    Links,
}

#[derive(DeriveIden)]
enum EntityLinks {
    Table,
    TenantId,
    SourceType,
    SourceId,
    Position,
    TargetType,
    TargetId,
    Field,
    Label,
    Origin,
}

/// The link table's name, as the PostgreSQL hardening spells it.
const LINKS: &str = "entity_links";

/// SQLite: the field text of the existing rows, then the FTS5 index over
/// the live and deleted rows of `entities` (queries join back and keep live
/// rows), built from them and kept current by triggers on every insert,
/// update and delete.
const SQLITE_FTS: &str = "
UPDATE entities SET search_text = COALESCE(
    (SELECT group_concat(value, char(10)) FROM json_tree(entities.fields) WHERE type = 'text'), '');
CREATE VIRTUAL TABLE entity_search USING fts5(
    name, search_text, body,
    content='entities', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2', prefix='2 3'
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

/// PostgreSQL: the weighted document of a row (name A, fields B, body C)
/// and its GIN index; existing rows get their field text.
const POSTGRES_FTS: &str = "
UPDATE entities SET search_text = COALESCE(
    (SELECT string_agg(v #>> '{}', E'\\n') FROM jsonb_path_query(fields, 'strict $.**') AS v
     WHERE jsonb_typeof(v) = 'string'), '');
ALTER TABLE entities ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', name), 'A') ||
    setweight(to_tsvector('simple', search_text), 'B') ||
    setweight(to_tsvector('simple', body), 'C')
) STORED;
CREATE INDEX idx_entities_search_vector ON entities USING GIN (search_vector);
";

/// PostgreSQL: lets the GIN index serve `@@` under row-level security. The
/// planner may only use a user's condition below a policy when its function
/// is leakproof, and `ts_match_vq` is not marked so, although it returns a
/// boolean and raises no error that depends on the row: without the mark
/// every search scans the tenant's rows. The policy still filters every
/// row returned. Changing a function's mark needs a superuser; another
/// migrating role leaves it (search works, more slowly) with a notice.
/// The mark is kept in this database's catalog only.
const POSTGRES_LEAKPROOF_MATCH: &str = "
DO $$ BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
  ELSE
    RAISE NOTICE 'not a superuser: full-text search under row-level security cannot use its index';
  END IF;
END $$;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Entities::Table)
                    .add_column(text(Entities::SearchText).default(""))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Entities::Table)
                    .add_column(json_binary(Entities::Links).default("[]"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EntityLinks::Table)
                    .col(string(EntityLinks::TenantId))
                    .col(string(EntityLinks::SourceType))
                    .col(string(EntityLinks::SourceId))
                    .col(integer(EntityLinks::Position))
                    // Empty when the link names only an id.
                    .col(string(EntityLinks::TargetType))
                    .col(string(EntityLinks::TargetId))
                    .col(string(EntityLinks::Field))
                    .col(string_null(EntityLinks::Label))
                    .col(string(EntityLinks::Origin))
                    .primary_key(
                        Index::create()
                            .col(EntityLinks::TenantId)
                            .col(EntityLinks::SourceType)
                            .col(EntityLinks::SourceId)
                            .col(EntityLinks::Position),
                    )
                    .foreign_key(&mut tenant_fk(EntityLinks::Table))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_entity_links_target")
                    .table(EntityLinks::Table)
                    .col(EntityLinks::TenantId)
                    .col(EntityLinks::TargetId)
                    .take(),
            )
            .await?;
        // Links name entities by id alone (wikilinks, file links): found by
        // tenant and id.
        manager
            .create_index(
                Index::create()
                    .name("idx_entities_tenant_id_entity_id")
                    .table(Entities::Table)
                    .col(Entities::TenantId)
                    .col(Entities::EntityId)
                    .take(),
            )
            .await?;
        // Recent changes across types.
        manager
            .create_index(
                Index::create()
                    .name("idx_entities_tenant_id_updated_at")
                    .table(Entities::Table)
                    .col(Entities::TenantId)
                    .col(Entities::UpdatedAt)
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(POSTGRES_FTS).await?;
            db.execute_unprepared(POSTGRES_LEAKPROOF_MATCH).await?;
            grant_app_role(manager, &[LINKS]).await?;
            isolate_tenant(manager, LINKS, None).await?;
        } else {
            db.execute_unprepared(SQLITE_FTS).await?;
        }
        // Links need the templates, which only the server has: forgetting
        // every row's content hash makes the next reconcile read each file
        // again and store its links.
        db.execute_unprepared("UPDATE entities SET content_hash = ''")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "DROP INDEX idx_entities_search_vector; \
                 ALTER TABLE entities DROP COLUMN search_vector",
            )
            .await?;
            db.execute_unprepared(
                &POSTGRES_LEAKPROOF_MATCH.replace(" LEAKPROOF;", " NOT LEAKPROOF;"),
            )
            .await?;
        } else {
            db.execute_unprepared(
                "DROP TRIGGER entity_search_insert; DROP TRIGGER entity_search_delete; \
                 DROP TRIGGER entity_search_update; DROP TABLE entity_search",
            )
            .await?;
        }
        manager
            .drop_table(Table::drop().table(EntityLinks::Table).take())
            .await?;
        for index in [
            "idx_entities_tenant_id_entity_id",
            "idx_entities_tenant_id_updated_at",
        ] {
            manager
                .drop_index(Index::drop().name(index).table(Entities::Table).to_owned())
                .await?;
        }
        for column in [Entities::SearchText, Entities::Links] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Entities::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
