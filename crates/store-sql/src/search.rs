//! [`SearchIndex`] on each database's own full-text engine, over the rows
//! of `entities` (see migrations 006, 008 and 009): FTS5 with bm25 on SQLite
//! (in a file of its own, brought up to date before each query,
//! [`crate::search_index`]), the
//! weighted `search_vector` with `ts_rank` on PostgreSQL. Name, field text
//! and body weigh 10 : 4 : 1 on SQLite and A : B : C on PostgreSQL.
//!
//! Queries are built from [`SearchTerms`], whose words hold only letters
//! and digits, and are always bound as parameters. Snippets are cut in
//! Rust from the page's stored texts ([`snippet`]), alike on every backend.

use crate::SqlStore;
use crate::context::{Scope, commit};
use crate::entity_index::corrupt;
use crate::error::DbFailure;
use crate::links::{NodeOrder, node_condition};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{DbBackend, FromQueryResult, Statement, Value};
use std::collections::HashMap;
use studiobrain_entity::links::{Node, NodeFilter};
use studiobrain_entity::search::{
    SearchHit, SearchIndex, SearchPage, SearchRequest, SearchTerms, Term, snippet,
};
use studiobrain_entity::{EntityId, EntityResult, EntityType};
use studiobrain_kernel::TenantId;

/// The FTS5 query of `terms`: words `"word"`, prefixes `"word"*`,
/// phrases `"a b"`, all required.
fn fts5_query(terms: &SearchTerms) -> String {
    terms
        .terms()
        .iter()
        .map(|term| match term {
            Term::Word(word) => format!("\"{word}\""),
            Term::Prefix(word) => format!("\"{word}\"*"),
            Term::Phrase(words) => format!("\"{}\"", words.join(" ")),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The `tsquery` text of `terms`: words `'word'`, prefixes `'word':*`,
/// phrases `('a' <-> 'b')`, all required.
fn ts_query(terms: &SearchTerms) -> String {
    terms
        .terms()
        .iter()
        .map(|term| match term {
            Term::Word(word) => format!("'{word}'"),
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
    /// No values yet.
    fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

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

    /// The statement of `sql` with the values bound so far.
    fn statement(&self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values.clone())
    }
}

/// A ranked hit as the page query selects it, with the total of matches.
#[derive(Debug, FromQueryResult)]
struct RankedRow {
    /// The SQLite row id (0 on PostgreSQL).
    id: i64,
    entity_type: String,
    entity_id: String,
    name: String,
    status: String,
    updated_at: DateTime<Utc>,
    score: f64,
    total: i64,
    /// The text of the fields (PostgreSQL; fetched afterwards on SQLite).
    search_text: String,
    /// The body (idem).
    body: String,
}

/// The texts of one SQLite row, for its snippet.
#[derive(Debug, FromQueryResult)]
struct TextRow {
    id: i64,
    search_text: String,
    body: String,
}

/// The count a query selects.
#[derive(Debug, FromQueryResult)]
struct CountRow {
    total: i64,
}

/// The statements of a search: the page (with the total) and the count
/// alone (for a page past the end).
struct SearchStatements {
    page: Statement,
    count: Statement,
}

/// SQLite: the full-text match is materialised first and joined to the
/// live rows of the tenant in that order (`CROSS JOIN` fixes it: otherwise
/// SQLite may walk every row of the tenant and probe the matches), ranked
/// by bm25; the texts for snippets are read for the page's rows only.
fn sqlite_search(tenant: &TenantId, request: &SearchRequest) -> SearchStatements {
    let mut params = Params::new(DbBackend::Sqlite);
    let matching = params.bind(fts5_query(&request.terms));
    let tenant = params.bind(tenant.as_str());
    let filters = params.filters(&request.filter);
    let from = format!(
        "WITH hits AS MATERIALIZED (SELECT rowid AS id, bm25(entity_search, 10.0, 4.0, 1.0) AS rank \
         FROM entity_search WHERE entity_search MATCH {matching}) \
         SELECT {{}} FROM hits CROSS JOIN entities e ON e.rowid = hits.id \
         WHERE e.tenant_id = {tenant} AND e.deleted_at IS NULL{filters}"
    );
    let count = params.statement(from.replace("{}", "count(*) AS total"));
    let limit = params.bind(i64::try_from(request.limit).unwrap_or(i64::MAX));
    let offset = params.bind(i64::try_from(request.offset).unwrap_or(i64::MAX));
    let page = params.statement(format!(
        "{} ORDER BY hits.rank, e.entity_type, e.entity_id LIMIT {limit} OFFSET {offset}",
        from.replace(
            "{}",
            "e.rowid AS id, e.entity_type, e.entity_id, e.name, e.status, e.updated_at, \
             -hits.rank AS score, count(*) OVER () AS total, '' AS search_text, '' AS body"
        )
    ));
    SearchStatements { page, count }
}

/// SQLite: the texts of the rows `ids`.
fn sqlite_texts(ids: &[i64]) -> Statement {
    let mut params = Params::new(DbBackend::Sqlite);
    let list: Vec<String> = ids.iter().map(|id| params.bind(*id)).collect();
    params.statement(format!(
        "SELECT rowid AS id, search_text, body FROM entities WHERE rowid IN ({})",
        list.join(", ")
    ))
}

/// PostgreSQL: the matches found through the GIN index (the query written
/// inline so the planner can use it), ranked by `ts_rank`, then the page's
/// rows joined back for their texts.
fn postgres_search(tenant: &TenantId, request: &SearchRequest) -> SearchStatements {
    let mut params = Params::new(DbBackend::Postgres);
    let query = params.bind(ts_query(&request.terms));
    let tenant = params.bind(tenant.as_str());
    let filters = params.filters(&request.filter);
    let q = format!("to_tsquery('simple', {query})");
    let from = format!(
        "FROM entities e WHERE e.tenant_id = {tenant} AND e.deleted_at IS NULL \
         AND e.search_vector @@ {q}{filters}"
    );
    let count = params.statement(format!("SELECT count(*) AS total {from}"));
    let limit = params.bind(i64::try_from(request.limit).unwrap_or(i64::MAX));
    let offset = params.bind(i64::try_from(request.offset).unwrap_or(i64::MAX));
    let page = params.statement(format!(
        "WITH ranked AS ( \
           SELECT e.entity_type, e.entity_id, ts_rank(e.search_vector, {q})::float8 AS score, \
                  count(*) OVER () AS total \
           {from} ORDER BY score DESC, e.entity_type, e.entity_id LIMIT {limit} OFFSET {offset}) \
         SELECT 0::int8 AS id, r.entity_type, r.entity_id, e.name, e.status, e.updated_at, \
                r.score, r.total, e.search_text, e.body \
         FROM ranked r JOIN entities e ON e.tenant_id = {tenant} \
           AND e.entity_type = r.entity_type AND e.entity_id = r.entity_id \
         ORDER BY r.score DESC, r.entity_type, r.entity_id"
    ));
    SearchStatements { page, count }
}

/// The hit a row holds, its snippet cut for `terms`.
fn hit_from(row: RankedRow, terms: &SearchTerms) -> EntityResult<SearchHit> {
    let (snippet, _) = snippet([&row.name, &row.search_text, &row.body], terms);
    Ok(SearchHit {
        entity_type: EntityType::parse(&row.entity_type).map_err(corrupt)?,
        id: EntityId::parse(&row.entity_id).map_err(corrupt)?,
        name: row.name,
        status: row.status,
        updated_at: row.updated_at,
        score: row.score,
        snippet,
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
        let sqlite = self.backend != DbBackend::Postgres;
        let statements = if sqlite {
            sqlite_search(tenant, request)
        } else {
            postgres_search(tenant, request)
        };
        self.catch_up_search().await?;
        let txn = self.begin_scan(Scope::Tenant(tenant)).await?;
        let mut rows = RankedRow::find_by_statement(statements.page)
            .all(&txn)
            .await
            .map_err(DbFailure)?;
        let total = match rows.first() {
            Some(row) => row.total,
            None if request.offset == 0 => 0,
            None => CountRow::find_by_statement(statements.count)
                .one(&txn)
                .await
                .map_err(DbFailure)?
                .map_or(0, |row| row.total),
        };
        if sqlite && !rows.is_empty() {
            let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
            let texts = TextRow::find_by_statement(sqlite_texts(&ids))
                .all(&txn)
                .await
                .map_err(DbFailure)?;
            let mut by_id: HashMap<i64, TextRow> = texts.into_iter().map(|t| (t.id, t)).collect();
            for row in &mut rows {
                if let Some(text) = by_id.remove(&row.id) {
                    row.search_text = text.search_text;
                    row.body = text.body;
                }
            }
        }
        let hits = rows
            .into_iter()
            .map(|row| hit_from(row, &request.terms))
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
        let terms = SearchTerms::parse(r#"lamp "old mill" drag"#);
        assert_eq!(fts5_query(&terms), r#""lamp" AND "old mill" AND "drag"*"#);
        assert_eq!(ts_query(&terms), "'lamp' & ('old' <-> 'mill') & 'drag':*");
    }
}
