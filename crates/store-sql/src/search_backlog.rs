//! SQLite: the full-text index `entity_search` brought up to date in
//! batches (migration 008).
//!
//! Triggers on `entities` queue the id of every row whose name, field
//! text or body changed in `entity_search_pending`, in the writing
//! transaction; indexing the queue is what costs (tokenising every text
//! of the row), so it is done for many rows at once: after a write that
//! takes the queue past [`ROWS_PER_BATCH`], and before every full-text
//! query, which therefore always reads an index that holds every
//! committed write. A row written many times in between is indexed once.
//! The queue lives in the database: a crash loses none of it, and the
//! next query or batch indexes what a stopped process left.
//!
//! PostgreSQL computes its `search_vector` in the row itself: nothing is
//! queued there and every call here returns at once.

use crate::SqlStore;
use crate::error::DbFailure;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Rows queued (counted from the writes this process made) after which a
/// write indexes the queue. The larger, the less each row costs (rows
/// written again meanwhile are indexed once, and FTS5 writes fewer and
/// larger segments), and the longer the first search after a burst of
/// writes waits for the batch: about 0.3 ms a row.
const ROWS_PER_BATCH: usize = 512;

/// Indexes every queued row, then empties the queue. A contentless index
/// allows several entries with one id, so the old entry is always deleted
/// first; a deleted row (or one whose id was never indexed) only deletes.
const INDEX_QUEUED_ROWS: &str = "
DELETE FROM entity_search WHERE rowid IN (SELECT entity_rowid FROM entity_search_pending);
INSERT INTO entity_search(rowid, name, search_text, body)
    SELECT rowid, name, search_text, body FROM entities
    WHERE rowid IN (SELECT entity_rowid FROM entity_search_pending);
DELETE FROM entity_search_pending;
";

/// Whether anything is queued.
const ANY_QUEUED: &str = "SELECT EXISTS (SELECT 1 FROM entity_search_pending)";

/// What this process wrote to the queue since it last indexed it.
#[derive(Debug, Default)]
pub(crate) struct SearchBacklog {
    /// Rows written since the last batch (an upper bound: a row written
    /// twice counts twice).
    written: AtomicUsize,
}

impl SqlStore {
    /// Notes that `rows` rows were written; indexes the queue when that
    /// takes it past [`ROWS_PER_BATCH`]. The rows are committed already: a
    /// batch that fails is logged and leaves the queue for the next batch
    /// or query, which fails in turn if the failure lasts.
    pub(crate) async fn index_search_if_due(&self, rows: usize) {
        if self.backend != DbBackend::Sqlite {
            return;
        }
        let written = self
            .search_backlog
            .written
            .fetch_add(rows, Ordering::Relaxed)
            + rows;
        if written < ROWS_PER_BATCH {
            return;
        }
        if let Err(failure) = self.index_queued_search().await {
            tracing::warn!(error = %failure, "indexing the queued full-text rows failed");
        }
    }

    /// Makes the full-text index hold every committed write: indexes the
    /// queue if anything is queued. Called before a full-text query.
    ///
    /// # Errors
    /// When the queue cannot be read or indexed.
    pub(crate) async fn catch_up_search(&self) -> Result<(), DbFailure> {
        if self.backend != DbBackend::Sqlite {
            return Ok(());
        }
        let queued = self
            .reader
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, ANY_QUEUED))
            .await?
            .map(|row| row.try_get_by_index::<bool>(0))
            .transpose()?
            .unwrap_or(false);
        if queued {
            self.index_queued_search().await?;
        }
        Ok(())
    }

    /// Indexes the queue in one transaction on the writer.
    async fn index_queued_search(&self) -> Result<(), DbFailure> {
        self.search_backlog.written.store(0, Ordering::Relaxed);
        let txn = self.db.begin().await?;
        txn.execute_unprepared(INDEX_QUEUED_ROWS).await?;
        txn.commit().await?;
        Ok(())
    }
}
