//! [`SearchIndex`] on each database's own full-text engine, over the rows
//! of `entities` (see migration 006): FTS5 with bm25 on SQLite, the
//! weighted `search_vector` with `ts_rank` on PostgreSQL. Name, field text
//! and body weigh 10 : 4 : 1 on SQLite and A : B : C on PostgreSQL.
//!
//! Queries are built from [`SearchTerms`], whose words hold only letters
//! and digits, and are always bound as parameters.

use crate::SqlStore;
use crate::context::{Scope, commit};
use crate::entity_index::corrupt;
use crate::error::DbFailure;
use crate::links::{NodeOrder, node_condition};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{DbBackend, FromQueryResult, Statement, Value};
use studiobrain_entity::links::{Node, NodeFilter};
use studiobrain_entity::search::{
    MARK_END, MARK_START, SearchHit, SearchIndex, SearchPage, SearchRequest, SearchTerms, Term,
    highlight,
};
use studiobrain_entity::{EntityId, EntityResult, EntityType};
use studiobrain_kernel::TenantId;

/// Words of context a snippet shows.
const SNIPPET_WORDS: u32 = 16;

/// The FTS5 query of `terms`: prefixes `"word"*`, phrases `"a b"`, all
/// required.
fn fts5_query(terms: &SearchTerms) -> String {
    terms
        .terms()
        .iter()
        .map(|term| match term {
            Term::Prefix(word) => format!("\"{word}\"*"),
            Term::Phrase(words) => format!("\"{}\"", words.join(" ")),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The `tsquery` text of `terms`: prefixes `'word':*`, phrases
/// `('a' <-> 'b')`, all required.
fn ts_query(terms: &SearchTerms) -> String {
    terms
        .terms()
        .iter()
        .map(|term| match term {
            Term::Prefix(word) => format!("'{word}':*"),
            Term::Phrase(words) => format!(
                "({})",
                words
                    .iter()
                    .map(|word| format!("'{word}'"))
                    .collect::<Vec<_>>()
                    .join(" <-> ")
            ),
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The condition "this `entities` row matches `terms`" (for entity lists).
pub(crate) fn matches_terms(backend: DbBackend, terms: &SearchTerms) -> Expr {
    if backend == DbBackend::Postgres {
        Expr::cust_with_values(
            "search_vector @@ to_tsquery('simple', $1)",
            [ts_query(terms)],
        )
    } else {
        Expr::cust_with_values(
            "entities.rowid IN (SELECT rowid FROM entity_search WHERE entity_search MATCH ?)",
            [fts5_query(terms)],
        )
    }
}

/// Bound values of a statement and their placeholders in the backend's
/// style.
struct Params {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Params {
    /// The placeholder of a newly bound `value`.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        if self.backend == DbBackend::Postgres {
            format!("${}", self.values.len())
        } else {
            "?".to_owned()
        }
    }

    /// The `AND ...` clauses of the type and status filters on `e`.
    fn filters(&mut self, filter: &NodeFilter) -> String {
        let mut sql = String::new();
        if !filter.types.is_empty() {
            let list: Vec<String> = filter.types.iter().map(|t| self.bind(t.as_str())).collect();
            sql.push_str(&format!(" AND e.entity_type IN ({})", list.join(", ")));
        }
        if let Some(status) = &filter.status {
            let status = self.bind(status.as_str());
            sql.push_str(&format!(" AND e.status = {status}"));
        }
        sql
    }
}

/// A hit as the queries select it.
#[derive(Debug, FromQueryResult)]
struct HitRow {
    entity_type: String,
    entity_id: String,
    name: String,
    status: String,
    updated_at: DateTime<Utc>,
    score: f64,
    snippet: String,
}

/// The count a query selects.
#[derive(Debug, FromQueryResult)]
struct CountRow {
    total: i64,
}

/// The SQLite statements (page, count) of a search.
fn sqlite_search(tenant: &TenantId, request: &SearchRequest) -> (Statement, Statement) {
    let mut params = Params {
        backend: DbBackend::Sqlite,
        values: Vec::new(),
    };
    let matching = params.bind(fts5_query(&request.terms));
    let tenant = params.bind(tenant.as_str());
    let filters = params.filters(&request.filter);
    let from = format!(
        "FROM entity_search JOIN entities e ON e.rowid = entity_search.rowid \
         WHERE entity_search MATCH {matching} AND e.tenant_id = {tenant} \
         AND e.deleted_at IS NULL{filters}"
    );
    let count = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!("SELECT count(*) AS total {from}"),
        params.values.clone(),
    );
    let limit = params.bind(i64::try_from(request.limit).unwrap_or(i64::MAX));
    let offset = params.bind(i64::try_from(request.offset).unwrap_or(i64::MAX));
    let page = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!(
            "SELECT e.entity_type, e.entity_id, e.name, e.status, e.updated_at, \
             -bm25(entity_search, 10.0, 4.0, 1.0) AS score, \
             snippet(entity_search, -1, char({start}), char({end}), '…', {SNIPPET_WORDS}) AS snippet \
             {from} ORDER BY bm25(entity_search, 10.0, 4.0, 1.0), e.entity_type, e.entity_id \
             LIMIT {limit} OFFSET {offset}",
            start = u32::from(MARK_START),
            end = u32::from(MARK_END),
        ),
        params.values,
    );
    (page, count)
}

/// The PostgreSQL statements (page, count) of a search: ranked first, the
/// headline made for the page's rows only.
fn postgres_search(tenant: &TenantId, request: &SearchRequest) -> (Statement, Statement) {
    let mut params = Params {
        backend: DbBackend::Postgres,
        values: Vec::new(),
    };
    let query = params.bind(ts_query(&request.terms));
    let tenant = params.bind(tenant.as_str());
    let filters = params.filters(&request.filter);
    let from = format!(
        "FROM entities e, to_tsquery('simple', {query}) q \
         WHERE e.tenant_id = {tenant} AND e.deleted_at IS NULL \
         AND e.search_vector @@ q{filters}"
    );
    let count = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("SELECT count(*) AS total {from}"),
        params.values.clone(),
    );
    let limit = params.bind(i64::try_from(request.limit).unwrap_or(i64::MAX));
    let offset = params.bind(i64::try_from(request.offset).unwrap_or(i64::MAX));
    let options = params.bind(format!(
        "StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, MinWords=6, \
         MaxFragments=1, FragmentDelimiter=\" … \""
    ));
    let page = Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "WITH hits AS ( \
               SELECT e.entity_type, e.entity_id, e.name, e.status, e.updated_at, \
                      e.search_text, e.body, q, ts_rank(e.search_vector, q)::float8 AS score \
               {from} ORDER BY score DESC, e.entity_type, e.entity_id \
               LIMIT {limit} OFFSET {offset}) \
             SELECT entity_type, entity_id, name, status, updated_at, score, \
                    ts_headline('simple', name || E'\\n' || search_text || E'\\n' || body, q, \
                                {options}) AS snippet \
             FROM hits ORDER BY score DESC, entity_type, entity_id"
        ),
        params.values,
    );
    (page, count)
}

/// The hit a row holds.
fn hit_from(row: HitRow) -> EntityResult<SearchHit> {
    Ok(SearchHit {
        entity_type: EntityType::parse(&row.entity_type).map_err(corrupt)?,
        id: EntityId::parse(&row.entity_id).map_err(corrupt)?,
        name: row.name,
        status: row.status,
        updated_at: row.updated_at,
        score: row.score,
        snippet: highlight(&row.snippet),
    })
}

#[async_trait]
impl SearchIndex for SqlStore {
    async fn search(&self, tenant: &TenantId, request: &SearchRequest) -> EntityResult<SearchPage> {
        if request.terms.is_empty() {
            return Ok(SearchPage {
                total: 0,
                hits: Vec::new(),
            });
        }
        let (page, count) = if self.backend == DbBackend::Postgres {
            postgres_search(tenant, request)
        } else {
            sqlite_search(tenant, request)
        };
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let total = CountRow::find_by_statement(count)
            .one(&txn)
            .await
            .map_err(DbFailure)?
            .map_or(0, |row| row.total);
        let rows = HitRow::find_by_statement(page)
            .all(&txn)
            .await
            .map_err(DbFailure)?;
        let hits = rows
            .into_iter()
            .map(hit_from)
            .collect::<EntityResult<_>>()?;
        commit(
            txn,
            SearchPage {
                total: u64::try_from(total).unwrap_or_default(),
                hits,
            },
        )
        .await
    }

    async fn recent(
        &self,
        tenant: &TenantId,
        filter: &NodeFilter,
        limit: u64,
    ) -> EntityResult<Vec<Node>> {
        self.nodes_where(
            tenant,
            node_condition(filter),
            NodeOrder::RecentFirst(limit),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_render_for_both_engines() {
        let terms = SearchTerms::parse(r#"drag "old mill""#);
        assert_eq!(fts5_query(&terms), r#""drag"* AND "old mill""#);
        assert_eq!(ts_query(&terms), "'drag':* & ('old' <-> 'mill')");
    }
}
