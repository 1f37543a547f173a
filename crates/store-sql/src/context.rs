//! Per-request transactions. On PostgreSQL every transaction first switches
//! to the `studiobrain_app` role (which row-level security applies to), sets
//! the `app.*` settings the policies read and asks for custom query plans,
//! all transaction-local.

use crate::SqlStore;
use crate::error::DbFailure;
use async_trait::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseExecutor, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QuerySelect, Select, Selector, SelectorTrait, Statement, TransactionTrait,
};
use studiobrain_kernel::{TenantId, UserId};

/// Which rows a transaction may see under row-level security.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope<'a> {
    /// Tenant-less tables only (users, tenants, sessions, one-time tokens).
    Global,
    /// One tenant's rows.
    Tenant(&'a TenantId),
    /// A user's memberships across tenants (sign-in).
    User(&'a UserId),
    /// The API key or invite with this secret hash, before its tenant is known.
    Hash(&'a str),
}

impl Scope<'_> {
    /// Values of `app.tenant_id`, `app.user_id` and `app.lookup_hash`;
    /// empty means "none".
    fn settings(self) -> [String; 3] {
        let mut values: [String; 3] = Default::default();
        match self {
            Scope::Global => {}
            Scope::Tenant(tenant) => values[0] = tenant.as_str().to_owned(),
            Scope::User(user) => values[1] = user.as_str().to_owned(),
            Scope::Hash(hash) => values[2] = hash.to_owned(),
        }
        values
    }
}

impl SqlStore {
    /// Begins a transaction running in `scope` on the writer.
    pub(crate) async fn begin(&self, scope: Scope<'_>) -> Result<DatabaseTransaction, DbFailure> {
        self.begin_on(&self.db, scope).await
    }

    /// Begins a read-only unit of work running in `scope` on the reader
    /// pool. It MUST NOT write: on SQLite the connection is read-only.
    pub(crate) async fn begin_read(
        &self,
        scope: Scope<'_>,
    ) -> Result<DatabaseTransaction, DbFailure> {
        self.begin_on(&self.reader, scope).await
    }

    /// A read-only executor in `scope` for a unit of work whose statements
    /// need no common snapshot (one statement, or independent ones): on
    /// SQLite a reader connection itself (each statement reads its own
    /// snapshot, and there is no row-level security to set up: two round
    /// trips to the connection fewer than a transaction), elsewhere a
    /// transaction as [`Self::begin_read`] opens. End it with [`finish`].
    pub(crate) async fn single_read(
        &self,
        scope: Scope<'_>,
    ) -> Result<DatabaseExecutor<'_>, DbFailure> {
        if self.backend == DbBackend::Sqlite {
            Ok(DatabaseExecutor::Connection(&self.reader))
        } else {
            Ok(DatabaseExecutor::OwnedTransaction(
                self.begin_read(scope).await?,
            ))
        }
    }

    /// Begins a read-only unit of work in `scope` that reads large parts
    /// of the database, on the scanner pool. It MUST NOT write.
    pub(crate) async fn begin_scan(
        &self,
        scope: Scope<'_>,
    ) -> Result<DatabaseTransaction, DbFailure> {
        self.begin_on(&self.scanner, scope).await
    }

    /// Begins a transaction on `pool` and switches it to `scope`.
    async fn begin_on(
        &self,
        pool: &DatabaseConnection,
        scope: Scope<'_>,
    ) -> Result<DatabaseTransaction, DbFailure> {
        let txn = pool.begin().await?;
        self.enter(&txn, scope).await?;
        Ok(txn)
    }

    /// Switches an open transaction to `scope` (PostgreSQL only; SQLite has
    /// no roles and relies on the queries' tenant filters).
    pub(crate) async fn enter(
        &self,
        txn: &DatabaseTransaction,
        scope: Scope<'_>,
    ) -> Result<(), DbFailure> {
        if self.backend != DbBackend::Postgres {
            return Ok(());
        }
        let [tenant, user, hash] = scope.settings();
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            // Custom plans: a generic plan cached while a table was still
            // small (a fresh import) would keep scanning it once it is not.
            "SELECT set_config('role', 'studiobrain_app', true), \
                    set_config('app.tenant_id', $1, true), \
                    set_config('app.user_id', $2, true), \
                    set_config('app.lookup_hash', $3, true), \
                    set_config('plan_cache_mode', 'force_custom_plan', true)",
            [tenant.into(), user.into(), hash.into()],
        ))
        .await?;
        Ok(())
    }
}

/// Ends the unit of work of `executor` (commits its transaction, if it
/// has one) and hands back `value`, the result of its work, in the
/// calling port's error type.
pub(crate) async fn finish<T, E: From<DbFailure>>(
    executor: DatabaseExecutor<'_>,
    value: T,
) -> Result<T, E> {
    if let DatabaseExecutor::OwnedTransaction(txn) = executor {
        return commit(txn, value).await;
    }
    Ok(value)
}

/// Commits `txn` and hands back `value`, the result of its work, in the
/// calling port's error type.
pub(crate) async fn commit<T, E: From<DbFailure>>(
    txn: DatabaseTransaction,
    value: T,
) -> Result<T, E> {
    txn.commit().await.map_err(DbFailure)?;
    Ok(value)
}

/// Reads the row a unique key selects, if any, without a `LIMIT`: use it
/// where `one` would read a row by a unique key.
///
/// Not `Select::one`, which adds `LIMIT ?` and binds 1 to it: SQLite plans
/// around the value of a bound `LIMIT`, so binding it marks the statement
/// for preparing again, and every lookup parsed and planned its statement
/// anew (about one re-prepare per one-field update, some 4 % of the
/// server's CPU, measured with a uprobe on `sqlite3Reprepare`). A unique
/// key selects one row at most without it.
#[async_trait]
pub(crate) trait UniqueRow {
    /// What a row is read as.
    type Row;

    /// The row, if the key names one.
    async fn unique_row<C>(self, db: &C) -> Result<Option<Self::Row>, DbErr>
    where
        C: ConnectionTrait + Sync;
}

#[async_trait]
impl<S> UniqueRow for Selector<S>
where
    S: SelectorTrait + Send + Sync,
{
    type Row = S::Item;

    async fn unique_row<C>(self, db: &C) -> Result<Option<S::Item>, DbErr>
    where
        C: ConnectionTrait + Sync,
    {
        Ok(self.all(db).await?.into_iter().next())
    }
}

#[async_trait]
impl<E> UniqueRow for Select<E>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    type Row = E::Model;

    async fn unique_row<C>(self, db: &C) -> Result<Option<E::Model>, DbErr>
    where
        C: ConnectionTrait + Sync,
    {
        self.into_model::<E::Model>().unique_row(db).await
    }
}

/// Selects a page of rows by offset and count. Both databases bind them as
/// signed 64-bit integers, and sea-query's SQLite binding panics on a
/// larger `u64`: a count past `i64::MAX` is bound as `i64::MAX`, which
/// skips or takes every row just the same.
pub(crate) trait Paged: QuerySelect {
    /// `OFFSET offset LIMIT limit`.
    fn page(self, offset: u64, limit: u64) -> Self {
        let bindable = |count: u64| count.min(i64::MAX.unsigned_abs());
        self.offset(bindable(offset)).limit(bindable(limit))
    }
}

impl<Query: QuerySelect> Paged for Query {}
