//! SQLite: the full-text index `entity_search`, in a database file of its
//! own, brought up to date in batches beside the entity writer (migration
//! 009).
//!
//! Every connection of the store attaches the index file as `search`
//! ([`attach_index`]), so queries name `entity_search` as if it were in
//! the main database. Triggers on `entities` queue every row whose name,
//! field text or body changed in `entity_search_pending`, in the writing
//! transaction, with a sequence number a row queued again takes anew.
//! Indexing the queue is what costs (tokenising every text of the row,
//! and FTS5's segment merges), so it is done for many rows at once, by a
//! connection of its own ([`SearchIndexer`]) that writes only the index
//! file, under that file's lock: the entity writer never waits for it. A
//! batch starts once the writes of this process take the queue past
//! [`ROWS_PER_BATCH`] and before every full-text query, which therefore
//! reads an index that holds every write committed before it.
//!
//! A batch copies the queued rows into a temporary table (one short read
//! of the main database), indexes them in one transaction on the index
//! file, then deletes from the queue, on the entity writer, only the rows
//! it indexed (sequence up to the largest it copied): a row queued again
//! meanwhile keeps its place. Commits of the index file are not fsynced
//! (`synchronous = NORMAL` in WAL mode: a power cut may lose the last
//! batches, never corrupt the file), because the file can be rebuilt from
//! the rows: `entity_search_state` in the main database names the
//! database (`generation`) and how far the queue was emptied
//! (`indexed_through`), the index file records the same of itself, and an
//! index file of another database, one that is behind, or none at all is
//! rebuilt before its first batch ([`SearchIndexer`] checks once).
//!
//! PostgreSQL computes its `search_vector` in the row itself: nothing is
//! queued there, and the store has no indexer.

use anyhow::Context as _;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sea_orm::sqlx::{self, Connection as _, SqliteConnection};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Mutex;

/// Rows queued (counted from the writes this process made) after which a
/// batch starts. The larger, the less each row costs (rows written again
/// meanwhile are indexed once, and FTS5 writes fewer and larger segments)
/// and the longer the first search after a burst of writes waits for the
/// batch: about 0.2 ms a row.
const ROWS_PER_BATCH: usize = 512;

/// Rows one batch takes at most: what a lagging indexer copies into its
/// batch table and FTS5 holds pending at once (1 to 4 KB each).
const ROWS_PER_BATCH_AT_MOST: i64 = 2048;

/// Version of the index file's tables: a file of another version is
/// emptied and rebuilt.
const INDEX_FILE_VERSION: i64 = 1;

/// Bytes of the index file's write-ahead log kept when the log starts
/// over: a rebuild's log is cut back to 16 MiB.
const INDEX_WAL_KEPT: &str = "PRAGMA search.journal_size_limit = 16777216";

/// Page caches of the indexer's connection: it reads each queued row of
/// the main database once, and its batch table once; 1 MiB each instead
/// of SQLite's 2 MiB.
const SMALL_CACHES: &str = "PRAGMA main.cache_size = -1024; PRAGMA temp.cache_size = -1024;";

/// Reads the index file's version.
const READ_VERSION: &str = "PRAGMA search.user_version";

/// The index file's tables, created when its version differs.
const CREATE_INDEX_FILE: &str = "
DROP TABLE IF EXISTS search.entity_search;
DROP TABLE IF EXISTS search.search_state;
CREATE VIRTUAL TABLE search.entity_search USING fts5(
    name, search_text, body,
    content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE search.search_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BLOB NOT NULL,
    indexed_through INTEGER NOT NULL
);
";

/// The rows a batch indexes, copied out of the main database so that no
/// snapshot of it stays open while the index is written.
const CREATE_BATCH_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS search_batch (
    seq INTEGER, entity_rowid INTEGER PRIMARY KEY, present INTEGER NOT NULL,
    name TEXT, search_text TEXT, body TEXT
)";

/// Copies the oldest queued rows (a deleted entity: its id alone) into
/// the batch table, in one read of the main database.
const TAKE_QUEUED: &str = "INSERT INTO temp.search_batch
    SELECT p.seq, p.entity_rowid, e.rowid IS NOT NULL, e.name, e.search_text, e.body
    FROM entity_search_pending p LEFT JOIN entities e ON e.rowid = p.entity_rowid
    ORDER BY p.seq LIMIT ?";

/// Copies the next rows of `entities` after a rowid (a rebuild).
const TAKE_ROWS_AFTER: &str = "INSERT INTO temp.search_batch
    SELECT NULL, rowid, 1, name, search_text, body
    FROM entities WHERE rowid > ? ORDER BY rowid LIMIT ?";

/// The batch's extent: the largest sequence (none in a rebuild), the
/// largest rowid and the row count.
const BATCH_EXTENT: &str = "SELECT max(seq), max(entity_rowid), count(*) FROM temp.search_batch";

/// Deletes the batch's rows from the index (a contentless index allows
/// several entries with one id, so the old one always goes first).
const UNINDEX_BATCH: &str =
    "DELETE FROM entity_search WHERE rowid IN (SELECT entity_rowid FROM temp.search_batch)";

/// Indexes the batch's rows that still exist.
const INDEX_BATCH: &str = "INSERT INTO entity_search(rowid, name, search_text, body)
    SELECT entity_rowid, name, search_text, body FROM temp.search_batch WHERE present";

/// The database's state and, when it has one, the index file's.
const STATES: &str = "SELECT d.generation, d.indexed_through, s.generation, s.indexed_through
    FROM entity_search_state d LEFT JOIN search_state s ON s.id = 1";

/// The largest sequence queued now.
const LAST_QUEUED: &str = "SELECT max(seq) FROM entity_search_pending";

/// Deletes what a batch indexed from the queue and records how far (on
/// the entity writer).
const DEQUEUE_INDEXED: &str = "DELETE FROM entity_search_pending WHERE seq <= ?;
UPDATE entity_search_state SET indexed_through = ?";

/// The index file of the database file `database`: `<name>-search`.
pub(crate) fn index_file_of(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-search");
    PathBuf::from(name)
}

/// Attaches the index at `location` (a file, see [`index_file_of`], or
/// `:memory:`) as `search` to a new connection of any pool: read-only
/// connections attach it read-only.
///
/// # Errors
/// When the file cannot be opened (a read-only connection cannot create
/// it: the indexer's pool is made first).
pub(crate) async fn attach_index(
    connection: &mut SqliteConnection,
    location: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("ATTACH DATABASE ? AS search")
        .bind(location)
        .execute(connection)
        .await?;
    Ok(())
}

/// Prepares the indexer's connection: the index file's journal, its
/// tables in the current version, and the batch table.
async fn prepare_indexer(connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    // In memory the journal stays `memory`: the pragma then changes nothing.
    sqlx::query("PRAGMA search.journal_mode = WAL")
        .execute(&mut *connection)
        .await?;
    sqlx::query("PRAGMA search.synchronous = NORMAL")
        .execute(&mut *connection)
        .await?;
    sqlx::query(INDEX_WAL_KEPT)
        .execute(&mut *connection)
        .await?;
    sqlx::raw_sql(SMALL_CACHES)
        .execute(&mut *connection)
        .await?;
    let version: i64 = sqlx::query_scalar(READ_VERSION)
        .fetch_one(&mut *connection)
        .await?;
    if version != INDEX_FILE_VERSION {
        sqlx::raw_sql(CREATE_INDEX_FILE)
            .execute(&mut *connection)
            .await?;
        // A constant integer: a pragma takes no bound parameters.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA search.user_version = {INDEX_FILE_VERSION}"
        )))
        .execute(&mut *connection)
        .await?;
    }
    sqlx::query(CREATE_BATCH_TABLE)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// The connection that writes the full-text index, and what this process
/// knows about the index's state.
#[derive(Debug)]
pub(crate) struct SearchIndexer {
    /// One connection: the main database (read) with the index attached
    /// (written). In memory, the store's only connection.
    pool: SqlitePool,
    /// Held by whoever indexes, so batches run one at a time; `true` once
    /// the index file was checked against the database (and rebuilt if it
    /// had to be).
    turn: Mutex<bool>,
    /// Rows written since the last batch started (an upper bound: a row
    /// written twice counts twice).
    written: AtomicUsize,
}

impl SearchIndexer {
    /// The indexer of the database `options` opens, writing the index at
    /// `location`: a pool of one connection, never closed for age or
    /// idleness (so it is prepared once).
    ///
    /// # Errors
    /// When the connection cannot be made or the index file prepared.
    pub(crate) async fn connect(
        options: SqliteConnectOptions,
        location: String,
    ) -> anyhow::Result<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .after_connect(move |connection, _| {
                let location = location.clone();
                Box::pin(async move {
                    attach_index(connection, &location).await?;
                    prepare_indexer(connection).await
                })
            })
            .connect_with(options)
            .await
            .context("opening the full-text index")?;
        Ok(Self::over(pool))
    }

    /// The indexer of an in-memory database: `pool` is the store's only
    /// connection, which must attach the index (`:memory:`) and run
    /// [`prepare`](Self::prepare_in_memory) when made.
    pub(crate) fn over(pool: SqlitePool) -> Self {
        Self {
            pool,
            turn: Mutex::new(false),
            written: AtomicUsize::new(0),
        }
    }

    /// What an in-memory store's only connection runs when made: attach
    /// an in-memory index and prepare it.
    ///
    /// # Errors
    /// When a statement fails.
    pub(crate) async fn prepare_in_memory(
        connection: &mut SqliteConnection,
    ) -> Result<(), sqlx::Error> {
        attach_index(connection, ":memory:").await?;
        prepare_indexer(connection).await
    }

    /// Notes that `rows` rows were written; whether that takes the queue
    /// past [`ROWS_PER_BATCH`] (the count then starts over).
    fn batch_due(&self, rows: usize) -> bool {
        let written = self.written.fetch_add(rows, Ordering::Relaxed) + rows;
        if written < ROWS_PER_BATCH {
            return false;
        }
        self.written.store(0, Ordering::Relaxed);
        true
    }

    /// Indexes every row queued when it is called, in batches, deleting
    /// each batch from the queue on `writer`. Checks the index file
    /// first, once per process.
    async fn index_queued(&self, writer: &DatabaseConnection) -> anyhow::Result<()> {
        let mut checked = self.turn.lock().await;
        self.check_once(&mut checked).await?;
        let last = sqlx::query_scalar::<_, Option<i64>>(LAST_QUEUED)
            .fetch_one(&self.pool)
            .await?;
        let Some(last) = last else {
            return Ok(());
        };
        // The connection goes back to its pool between a batch and its
        // dequeue: in memory, the writer is that same connection.
        loop {
            let started = std::time::Instant::now();
            let Some(extent) = index_batch(&self.pool, Batch::Queued).await? else {
                break;
            };
            let indexed = started.elapsed();
            let Some(through) = extent.last_seq else {
                break;
            };
            dequeue(writer, through).await?;
            tracing::debug!(
                rows = extent.rows,
                indexed_ms = indexed.as_millis(),
                dequeued_ms = (started.elapsed() - indexed).as_millis(),
                "full-text batch"
            );
            if through >= last {
                break;
            }
        }
        sqlx::query("PRAGMA shrink_memory")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Checks the index file against the database unless this process
    /// did already ([`Self::check`]).
    async fn check_once(&self, checked: &mut bool) -> anyhow::Result<()> {
        if !*checked {
            self.check().await?;
            *checked = true;
        }
        Ok(())
    }

    /// Rebuilds the index from every row when it is not this database's
    /// or lost batches the queue no longer holds.
    async fn check(&self) -> anyhow::Result<()> {
        let (generation, emptied_through, index_generation, indexed_through): (
            Vec<u8>,
            i64,
            Option<Vec<u8>>,
            Option<i64>,
        ) = sqlx::query_as(STATES)
            .fetch_one(&self.pool)
            .await
            .context("reading the full-text index's state")?;
        let current = index_generation.as_ref() == Some(&generation)
            && indexed_through.is_some_and(|indexed| indexed >= emptied_through);
        if current {
            return Ok(());
        }
        tracing::info!("rebuilding the full-text index from the entity rows");
        let mut txn = self.pool.begin().await?;
        sqlx::query("INSERT INTO entity_search(entity_search) VALUES ('delete-all')")
            .execute(&mut *txn)
            .await?;
        sqlx::query("DELETE FROM search_state")
            .execute(&mut *txn)
            .await?;
        txn.commit().await?;
        let mut after = 0;
        while let Some(extent) = index_batch(&self.pool, Batch::RowsAfter(after)).await? {
            after = extent.last_rowid;
        }
        // Every row queued now has a sequence above `emptied_through`
        // (only batches, which wait for this one, move it): the batches
        // after this one index them.
        sqlx::query("INSERT INTO search_state (id, generation, indexed_through) VALUES (1, ?, ?)")
            .bind(generation)
            .bind(emptied_through)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Which rows a batch takes.
#[derive(Clone, Copy)]
enum Batch {
    /// The oldest queued rows.
    Queued,
    /// The rows of `entities` after this rowid (a rebuild).
    RowsAfter(i64),
}

/// What a batch indexed.
struct Extent {
    /// The largest sequence (a batch of the queue).
    last_seq: Option<i64>,
    /// The largest rowid.
    last_rowid: i64,
    /// How many rows.
    rows: i64,
}

/// Indexes one batch in one transaction on the index file, on one
/// connection of `pool` (the batch table is the connection's own); `None`
/// when there was nothing to index.
async fn index_batch(pool: &SqlitePool, batch: Batch) -> anyhow::Result<Option<Extent>> {
    let mut connection = pool.acquire().await?;
    sqlx::query("DELETE FROM temp.search_batch")
        .execute(&mut *connection)
        .await?;
    // One statement: one short snapshot of the main database.
    match batch {
        Batch::Queued => sqlx::query(TAKE_QUEUED).bind(ROWS_PER_BATCH_AT_MOST),
        Batch::RowsAfter(rowid) => sqlx::query(TAKE_ROWS_AFTER)
            .bind(rowid)
            .bind(ROWS_PER_BATCH_AT_MOST),
    }
    .execute(&mut *connection)
    .await
    .context("reading the rows of a full-text batch")?;
    let (last_seq, last_rowid, rows): (Option<i64>, Option<i64>, i64) =
        sqlx::query_as(BATCH_EXTENT)
            .fetch_one(&mut *connection)
            .await?;
    let Some(last_rowid) = last_rowid.filter(|_| rows > 0) else {
        return Ok(None);
    };
    // Deferred: the transaction writes (and so locks) the index file
    // alone; `BEGIN IMMEDIATE` would lock the main database too.
    let mut txn = connection.begin().await?;
    sqlx::query(UNINDEX_BATCH).execute(&mut *txn).await?;
    sqlx::query(INDEX_BATCH).execute(&mut *txn).await?;
    if let Some(seq) = last_seq {
        sqlx::query("UPDATE search_state SET indexed_through = ?")
            .bind(seq)
            .execute(&mut *txn)
            .await?;
    }
    txn.commit().await.context("writing a full-text batch")?;
    Ok(Some(Extent {
        last_seq,
        last_rowid,
        rows,
    }))
}

/// Deletes what a batch indexed from the queue, on the entity writer.
async fn dequeue(writer: &DatabaseConnection, through: i64) -> anyhow::Result<()> {
    let txn = writer.begin().await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        DEQUEUE_INDEXED,
        [through.into(), through.into()],
    ))
    .await
    .context("emptying the full-text queue")?;
    txn.commit().await?;
    Ok(())
}

impl crate::SqlStore {
    /// Notes that `rows` rows were written; once that takes the queue past
    /// [`ROWS_PER_BATCH`], starts a batch in the background. The rows are
    /// committed already: a batch that fails is logged and leaves the
    /// queue for the next batch or query, which fails in turn if the
    /// failure lasts.
    pub(crate) fn index_search_if_due(&self, rows: usize) {
        let Some(indexer) = &self.search else {
            return;
        };
        if !indexer.batch_due(rows) {
            return;
        }
        let (indexer, writer) = (indexer.clone(), self.db.clone());
        tokio::spawn(async move {
            if let Err(failure) = indexer.index_queued(&writer).await {
                tracing::warn!(error = format!("{failure:#}"), "a full-text batch failed");
            }
        });
    }

    /// Checks the full-text index file against the database and rebuilds
    /// it from the rows if it is missing, behind or another database's (a
    /// moment for every 1,000 rows). Run once the migrations are applied.
    ///
    /// # Errors
    /// When the state cannot be read or the index rebuilt.
    pub(crate) async fn check_search_index(&self) -> anyhow::Result<()> {
        match &self.search {
            Some(indexer) => {
                let mut checked = indexer.turn.lock().await;
                indexer.check_once(&mut checked).await
            }
            None => Ok(()),
        }
    }

    /// Closes the indexer's connection (SQLite).
    pub(crate) async fn close_search_index(&self) {
        if let Some(indexer) = &self.search {
            indexer.pool.close().await;
        }
    }

    /// Makes the full-text index hold every committed write: indexes what
    /// is queued. Called before a full-text query; nothing on PostgreSQL.
    ///
    /// # Errors
    /// When the queue cannot be read or indexed.
    pub(crate) async fn catch_up_search(&self) -> anyhow::Result<()> {
        match &self.search {
            Some(indexer) => indexer.index_queued(&self.db).await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Batch, dequeue, index_batch, index_file_of};
    use crate::SqlStore;
    use sea_orm::sqlx;
    use std::path::Path;

    /// A row queued again while a batch indexed its older version keeps
    /// its place in the queue: the batch dequeues only what it read.
    #[tokio::test]
    async fn a_row_queued_again_during_a_batch_stays_queued() {
        let store = SqlStore::connect("sqlite::memory:").await.expect("store");
        store.migrate().await.expect("migrate");
        let pool = &store.search.as_ref().expect("an indexer on SQLite").pool;
        sqlx::raw_sql("INSERT INTO entity_search_pending (entity_rowid) VALUES (1), (2)")
            .execute(pool)
            .await
            .expect("queue");
        let batch = index_batch(pool, Batch::Queued)
            .await
            .expect("batch")
            .expect("two queued rows");
        assert_eq!((batch.last_seq, batch.last_rowid), (Some(2), 2));
        // What the triggers do when row 1 is written again.
        sqlx::raw_sql(
            "DELETE FROM entity_search_pending WHERE entity_rowid = 1;
             INSERT INTO entity_search_pending (entity_rowid) VALUES (1)",
        )
        .execute(pool)
        .await
        .expect("queue again");
        dequeue(&store.db, 2).await.expect("dequeue");
        let left: Vec<(i64, i64)> =
            sqlx::query_as("SELECT seq, entity_rowid FROM entity_search_pending")
                .fetch_all(pool)
                .await
                .expect("queue");
        assert_eq!(
            left,
            [(3, 1)],
            "row 1, queued again, waits for the next batch"
        );
    }

    #[test]
    fn the_index_file_sits_beside_the_database() {
        assert_eq!(
            index_file_of(Path::new("/data/studiobrain.db")),
            Path::new("/data/studiobrain.db-search")
        );
    }
}
