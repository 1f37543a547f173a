//! SeaORM adapters of StudioBrain's ports for SQLite (desktop) and
//! PostgreSQL (cloud).
//!
//! [`SqlStore`] implements every storage port of the identity domain and the
//! entity domain's index (`EntityIndex`, over the `entities` table) with
//! its full-text search (`SearchIndex`) and links (`LinkIndex`). Each
//! port call runs in its own transaction that, on PostgreSQL, first switches
//! to the non-owning `studiobrain_app` role and sets the request's tenant
//! context, so forced row-level security confines it even if a query forgot
//! its tenant filter. Queries filter by tenant as well (defence in depth).

mod activity_log;
mod context;
mod entities;
mod entity_index;
mod error;
mod event_bus;
mod group_commit;
mod identity;
mod links;
mod search;
mod search_index;

use anyhow::Context as _;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use std::sync::Arc;
use std::time::Duration;
use studiobrain_kernel::TenantId;

pub use event_bus::PgEventBus;
use studiobrain_migration::{Migrator, MigratorTrait};

/// Tables [`SqlStore::count_rows_unfiltered_as_tenant`] accepts.
const TENANT_TABLES: [&str; 9] = [
    "memberships",
    "api_keys",
    "invites",
    "teams",
    "permission_templates",
    "provider_connections",
    "entities",
    "activity",
    "entity_links",
];

/// What a checkpoint of SQLite's write-ahead log found and did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalCheckpoint {
    /// Frames (pages written) in the log.
    pub log_frames: i64,
    /// Frames of the log now copied into the database file.
    pub copied_frames: i64,
}

/// A connection pool to the StudioBrain database, SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct SqlStore {
    /// The pool that writes (SQLite: the single writer connection).
    db: DatabaseConnection,
    /// The pool that serves read-only port calls. On a SQLite file, WAL lets
    /// several readers run beside the writer; elsewhere it is `db` itself.
    reader: DatabaseConnection,
    /// The pool that serves read-only port calls reading large parts of
    /// the database (full-text search, a whole tenant's graph). On a SQLite
    /// file, read-only connections that map the file, so those pages are
    /// read in place; elsewhere `reader` itself.
    scanner: DatabaseConnection,
    /// On a SQLite file, a connection of its own that copies the
    /// write-ahead log back into the database ([`Self::checkpoint_wal`]),
    /// so that the writer seldom has to.
    checkpointer: Option<DatabaseConnection>,
    backend: DbBackend,
    /// Single-entity upserts waiting for SQLite's one writer, written in
    /// groups ([`group_commit`]).
    upserts: Arc<group_commit::UpsertQueue>,
    /// SQLite: the connection that writes the full-text index, a file of
    /// its own ([`search_index`]); `None` on PostgreSQL.
    search: Option<Arc<search_index::SearchIndexer>>,
}

/// Reader connections of a SQLite file database.
const SQLITE_READERS: u32 = 4;

/// Scanner connections of a SQLite file database.
const SQLITE_SCANNERS: u32 = 2;

/// Bytes of a SQLite file each scanner connection maps into memory: pages
/// are read in place (shared with the OS cache) instead of copied per read.
/// Only scanners map: a connection that maps must map again whenever the
/// file grows, which makes every read after a write dearer, and the writer
/// would keep every page it ever touched resident.
const SQLITE_MMAP_BYTES: &str = "1073741824";

/// Page cache of the SQLite writer, in KiB (negative: a size, not a page
/// count). The writer does not map the file: every page of the B-trees and
/// full-text segments a write walks comes from this cache or a read from
/// the OS. 16 MiB instead of SQLite's 2 MiB: measured on 10,000 entities,
/// one-field updates took 1.4 to 1.6 ms of CPU each instead of 1.85 to 2.1.
const SQLITE_WRITER_CACHE_KIB: &str = "-16384";

/// Pages of write-ahead log after which the SQLite writer checkpoints
/// itself (SQLite's default is 1,000). A server also calls
/// [`SqlStore::checkpoint_wal`] from a task of its own every 250 ms, which
/// copies the log back without stopping the writer; but under sustained
/// writes the log only starts over after a checkpoint that copied all of
/// it, which only the writer itself can guarantee (no write can land in
/// between). Its own checkpoint then copies just the tail the task has not
/// copied yet. 4,096 pages of 4 KiB: the log stays within about 16 MiB,
/// also in processes without that task (the command line, embedders).
const SQLITE_WRITER_CHECKPOINT_PAGES: &str = "4096";

/// Bytes of write-ahead log file kept when the log starts over: a log
/// that grew past this (a start-up index of a large project) is cut back.
const SQLITE_WAL_KEPT_BYTES: &str = "16777216";

/// Where the SQLite writer keeps its temporary data: statement journals
/// (a multi-row upsert that may need to undo just itself keeps one) and
/// sorts. `memory` instead of a new, at once unlinked file in `/var/tmp`
/// per such statement: that was three system calls and a file per round
/// of writes. They are small and last one statement.
const SQLITE_WRITER_TEMP_STORE: &str = "memory";

/// How long a PostgreSQL connection may sit idle in its pool before it is
/// pinged when handed out: one that idled longer may have been dropped by
/// the server or a proxy. A busy connection is handed out unpinged, without
/// the extra round trip that a ping on every checkout (sqlx's default)
/// costs.
const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// Options shared by every SQLite connection.
fn sqlite_options(sqlite: SqliteConnectOptions) -> SqliteConnectOptions {
    sqlite
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
}

impl SqlStore {
    /// Connects to `url` (`sqlite://path?mode=rwc`, `sqlite::memory:` or
    /// `postgres://...`). SQLite databases use WAL, enforce foreign keys and
    /// wait up to 5 s for locks; one connection writes and, for a file
    /// database, two small pools of read-only connections read beside it:
    /// readers for single rows and pages, scanners (which map the file)
    /// for searches and whole graphs.
    ///
    /// # Errors
    /// When the URL is malformed or the database is unreachable.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let connect = |options: ConnectOptions| async move {
            Database::connect(options)
                .await
                .with_context(|| format!("connecting to {}", redact(url)))
        };
        let mut options = ConnectOptions::new(url);
        options.sqlx_logging(false);
        if !url.starts_with("sqlite:") {
            options
                .max_connections(16)
                .test_before_acquire_if_idle_for(POSTGRES_PING_AFTER_IDLE);
            let db = connect(options).await?;
            let backend = db.get_database_backend();
            return Ok(Self {
                reader: db.clone(),
                scanner: db.clone(),
                db,
                checkpointer: None,
                backend,
                upserts: Arc::default(),
                search: None,
            });
        }
        // A SQLite connection lives in this process and cannot be dropped
        // from outside, so none is pinged on checkout: that ping was a
        // round trip to the connection's thread before every query.
        options.test_before_acquire(false);
        options.max_connections(1).map_sqlx_sqlite_opts(|sqlite| {
            sqlite_options(sqlite)
                .pragma("cache_size", SQLITE_WRITER_CACHE_KIB)
                .pragma("wal_autocheckpoint", SQLITE_WRITER_CHECKPOINT_PAGES)
                .pragma("journal_size_limit", SQLITE_WAL_KEPT_BYTES)
                .pragma("temp_store", SQLITE_WRITER_TEMP_STORE)
        });
        if url.contains(":memory:") {
            // Every connection to `:memory:` is a database of its own: the
            // one connection also holds the index and indexes it.
            options.map_sqlx_sqlite_pool_opts(|pool| {
                pool.after_connect(|connection, _| {
                    Box::pin(search_index::SearchIndexer::prepare_in_memory(connection))
                })
            });
            let db = connect(options).await?;
            let indexer =
                search_index::SearchIndexer::over(db.get_sqlite_connection_pool().clone());
            return Ok(Self {
                reader: db.clone(),
                scanner: db.clone(),
                db,
                checkpointer: None,
                backend: DbBackend::Sqlite,
                upserts: Arc::default(),
                search: Some(Arc::new(indexer)),
            });
        }
        let db = connect(options).await?;
        let database: SqliteConnectOptions = url
            .parse()
            .with_context(|| format!("reading {}", redact(url)))?;
        let index = search_index::index_file_of(database.get_filename())
            .to_string_lossy()
            .into_owned();
        // The indexer creates the index file (a connection attaches files
        // with its own flags), which the read-only pools then attach. Its
        // batch table lives in a temporary file (the OS caches it), not
        // in this process's memory.
        let indexer = search_index::SearchIndexer::connect(
            sqlite_options(database).create_if_missing(true),
            index.clone(),
        )
        .await?;
        // The other pools must not create the database file before the
        // writer migrates it.
        let existing = url.replace("mode=rwc", "mode=rw");
        let pool = |connections: u32, tune: fn(SqliteConnectOptions) -> SqliteConnectOptions| {
            let mut options = ConnectOptions::new(&existing);
            options
                .sqlx_logging(false)
                .test_before_acquire(false)
                .max_connections(connections)
                .map_sqlx_sqlite_opts(move |sqlite| tune(sqlite_options(sqlite)));
            options
        };
        // Readers attach the index file: full-text queries read it.
        let reading = |connections, tune| {
            let mut options = pool(connections, tune);
            let index = index.clone();
            options.map_sqlx_sqlite_pool_opts(move |pool| {
                let index = index.clone();
                pool.after_connect(move |connection, _| {
                    let index = index.clone();
                    Box::pin(async move { search_index::attach_index(connection, &index).await })
                })
            });
            connect(options)
        };
        Ok(Self {
            db,
            reader: reading(SQLITE_READERS, |sqlite| {
                sqlite.pragma("mmap_size", "0").read_only(true)
            })
            .await?,
            scanner: reading(SQLITE_SCANNERS, |sqlite| {
                sqlite
                    .pragma("mmap_size", SQLITE_MMAP_BYTES)
                    .read_only(true)
            })
            .await?,
            // Not attached: it copies back the main database's log alone
            // (the indexer checkpoints the index file's when it commits).
            checkpointer: Some(connect(pool(1, |sqlite| sqlite)).await?),
            backend: DbBackend::Sqlite,
            upserts: Arc::default(),
            search: Some(Arc::new(indexer)),
        })
    }

    /// Copies what it can of SQLite's write-ahead log back into the database
    /// file without waiting for the writer or readers (a passive
    /// checkpoint), on a connection of its own; once the whole log is
    /// copied the next write starts it over, so the log stays bounded.
    /// `None` on PostgreSQL and in-memory SQLite, which have no such log.
    ///
    /// # Errors
    /// When the checkpoint fails.
    pub async fn checkpoint_wal(&self) -> anyhow::Result<Option<WalCheckpoint>> {
        let Some(checkpointer) = &self.checkpointer else {
            return Ok(None);
        };
        let row = checkpointer
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA main.wal_checkpoint(PASSIVE)",
            ))
            .await
            .and_then(|row| {
                let row = row.ok_or_else(|| sea_orm::DbErr::RecordNotFound("no result".into()))?;
                Ok(WalCheckpoint {
                    log_frames: row.try_get_by_index(1)?,
                    copied_frames: row.try_get_by_index(2)?,
                })
            })
            .context("checkpointing the SQLite write-ahead log")?;
        Ok(Some(row))
    }

    /// Applies every pending migration; then, on SQLite, checks the
    /// full-text index file and rebuilds it from the rows if it is
    /// missing, behind or another database's.
    ///
    /// # Errors
    /// When a migration fails (it is rolled back where the backend allows)
    /// or the index cannot be rebuilt.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.db, None)
            .await
            .context("running migrations")?;
        self.check_search_index().await
    }

    /// Closes every connection and waits until they are closed: on SQLite
    /// the last one copies the write-ahead logs back into their files.
    /// Calls after this fail.
    ///
    /// # Errors
    /// When a pool fails to close.
    pub async fn close(&self) -> anyhow::Result<()> {
        // Read-only connections cannot copy a log back: the indexer and
        // then the writer close last, so each file's log is copied back.
        for pool in [&self.reader, &self.scanner] {
            pool.close_by_ref().await.context("closing the database")?;
        }
        self.close_search_index().await;
        for pool in self.checkpointer.iter().chain([&self.db]) {
            pool.close_by_ref().await.context("closing the database")?;
        }
        Ok(())
    }

    /// Name of the latest applied migration, `None` on a fresh database.
    ///
    /// # Errors
    /// When the migration table cannot be read.
    pub async fn migration_version(&self) -> anyhow::Result<Option<String>> {
        let applied = Migrator::get_applied_migrations(&self.db)
            .await
            .context("reading applied migrations")?;
        Ok(applied.last().map(|migration| migration.name().to_owned()))
    }

    /// Checks that the database answers.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.db.ping().await.context("pinging the database")
    }

    /// Counts every row of a tenant-owned `table` as a request of `tenant`
    /// would see it, WITHOUT an application-level tenant filter: on
    /// PostgreSQL only row-level security confines the count. Test support
    /// for proving RLS.
    ///
    /// # Errors
    /// For a table that is not tenant-owned or a database failure.
    #[doc(hidden)]
    pub async fn count_rows_unfiltered_as_tenant(
        &self,
        table: &str,
        tenant: &TenantId,
    ) -> anyhow::Result<i64> {
        anyhow::ensure!(
            TENANT_TABLES.contains(&table),
            "unknown tenant table '{table}'"
        );
        let txn = self.begin(context::Scope::Tenant(tenant)).await?;
        let row = txn
            .query_one_raw(Statement::from_string(
                self.backend,
                format!("SELECT count(*) AS n FROM {table}"),
            ))
            .await?
            .context("count(*) returned no row")?;
        let count = row.try_get::<i64>("", "n")?;
        txn.commit().await?;
        Ok(count)
    }
}

/// `url` without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact("postgres://app:secret@db:5432/sb"),
            "postgres://app:***@db:5432/sb"
        );
        assert_eq!(redact("postgres://app@db/sb"), "postgres://app@db/sb");
        assert_eq!(
            redact("sqlite://data/sb.db?mode=rwc"),
            "sqlite://data/sb.db?mode=rwc"
        );
    }
}
