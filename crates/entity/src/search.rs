//! Full-text search: the query language, the text an entity is found by,
//! and the [`SearchIndex`] port the database's own engine implements (FTS5
//! on SQLite, `tsvector` on PostgreSQL) from the same rows as the entity
//! index, so search is never a second source of truth.
//!
//! A query is words and `"quoted phrases"`; an entity matches when every
//! one of them occurs in its name, the text of its fields or its body.
//! Words match as prefixes (`drag` finds `dragon`); phrases match their
//! words in order. Text is compared as lowercase runs of letters and digits,
//! so `iron_hand` and `iron-hand` are the phrase `iron hand`.

use crate::error::EntityResult;
use crate::ids::{EntityId, EntityType};
use crate::links::{Node, NodeFilter};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use studiobrain_kernel::TenantId;

/// Marks the start of a matched word in a snippet an adapter builds; turned
/// into `<mark>` by [`highlight`].
pub const MARK_START: char = '\u{E000}';
/// Marks the end of a matched word in a snippet an adapter builds.
pub const MARK_END: char = '\u{E001}';

/// Most terms a query may have (more are ignored).
const MAX_TERMS: usize = 16;

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    /// A word matched as a prefix of a word of the text.
    Prefix(String),
    /// Words that must follow each other, the last one whole too.
    Phrase(Vec<String>),
}

/// A parsed query: every term must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SearchTerms {
    terms: Vec<Term>,
}

impl SearchTerms {
    /// Parses `query`: quoted parts are phrases, other words prefixes; a
    /// word that splits into several (`iron_hand`) is a phrase. Characters
    /// other than letters and digits only separate words.
    pub fn parse(query: &str) -> Self {
        let mut terms = Vec::new();
        for (index, part) in query.split('"').enumerate() {
            let quoted = index % 2 == 1;
            if quoted {
                let words: Vec<String> = tokens(part).collect();
                if !words.is_empty() {
                    terms.push(Term::Phrase(words));
                }
                continue;
            }
            for word in part.split_whitespace() {
                let mut words: Vec<String> = tokens(word).collect();
                match words.len() {
                    0 => {}
                    1 => terms.push(Term::Prefix(words.remove(0))),
                    _ => terms.push(Term::Phrase(words)),
                }
            }
        }
        terms.truncate(MAX_TERMS);
        Self { terms }
    }

    /// The terms, in query order.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Whether the query has nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether a text split by [`tokens`] into `words` matches every term.
    pub fn matches(&self, words: &[String]) -> bool {
        !self.is_empty() && self.terms.iter().all(|term| term.count_in(words) > 0)
    }
}

impl Term {
    /// How many times the term occurs in `words`.
    pub fn count_in(&self, words: &[String]) -> usize {
        match self {
            Term::Prefix(prefix) => words.iter().filter(|w| w.starts_with(prefix)).count(),
            Term::Phrase(phrase) => words
                .windows(phrase.len())
                .filter(|window| window == &phrase.as_slice())
                .count(),
        }
    }
}

/// The words of `text`: lowercase runs of letters and digits.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
}

/// The searchable text of an entity's fields: every string value at any
/// depth (list items and nested maps included), one per line, in order.
pub fn field_text(fields: &Map<String, Value>) -> String {
    fn walk(value: &Value, out: &mut String) {
        match value {
            Value::String(s) if !s.trim().is_empty() => {
                out.push_str(s);
                out.push('\n');
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            Value::Object(map) => map.values().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    fields.values().for_each(|value| walk(value, &mut out));
    out
}

/// A snippet whose matches are wrapped in [`MARK_START`] and [`MARK_END`],
/// as HTML: the text escaped, the matches in `<mark>` elements.
pub fn highlight(marked: &str) -> String {
    let mut out = String::with_capacity(marked.len() + 16);
    for c in marked.chars() {
        match c {
            MARK_START => out.push_str("<mark>"),
            MARK_END => out.push_str("</mark>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// What to look for (never empty when sent to an index).
    pub terms: SearchTerms,
    /// Only these types (all when empty).
    pub filter: NodeFilter,
    /// Hits to skip.
    pub offset: u64,
    /// Most hits to return.
    pub limit: u64,
}

/// One entity found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// Type.
    pub entity_type: EntityType,
    /// Id.
    pub id: EntityId,
    /// Display name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Relevance: higher is better (comparable within one search only).
    pub score: f64,
    /// A short passage around the matches, HTML-escaped, matches in
    /// `<mark>` (see [`highlight`]).
    pub snippet: String,
}

/// One page of hits, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// Matching entities in all pages.
    pub total: u64,
    /// This page.
    pub hits: Vec<SearchHit>,
}

/// Full-text search over the live entities of a tenant, ranked (name
/// before fields before body), and their recent changes.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// The page of hits for `request`. MUST only return `tenant`'s live
    /// entities.
    async fn search(&self, tenant: &TenantId, request: &SearchRequest) -> EntityResult<SearchPage>;
    /// The `limit` live entities `filter` selects that changed last, most
    /// recent first.
    async fn recent(
        &self,
        tenant: &TenantId,
        filter: &NodeFilter,
        limit: u64,
    ) -> EntityResult<Vec<Node>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokens(text).collect()
    }

    #[test]
    fn queries_split_into_prefixes_and_phrases() {
        let terms = SearchTerms::parse(r#"Drag "old  Mill" iron_hand -- é"#);
        assert_eq!(
            terms.terms(),
            [
                Term::Prefix("drag".into()),
                Term::Phrase(vec!["old".into(), "mill".into()]),
                Term::Phrase(vec!["iron".into(), "hand".into()]),
                Term::Prefix("é".into()),
            ]
        );
        assert!(SearchTerms::parse(r#"" " -- !"#).is_empty());
        assert_eq!(
            SearchTerms::parse(&"a ".repeat(40)).terms().len(),
            MAX_TERMS
        );
    }

    #[test]
    fn every_term_must_match() {
        let text = words("The Dragon of the Old Mill; iron-hand guild");
        assert!(SearchTerms::parse("drag mill").matches(&text));
        assert!(SearchTerms::parse("\"old mill\" iron_hand").matches(&text));
        assert!(!SearchTerms::parse("\"mill old\"").matches(&text));
        assert!(!SearchTerms::parse("dragon castle").matches(&text));
        assert!(!SearchTerms::parse("").matches(&text));
    }

    #[test]
    fn field_text_takes_every_string_at_any_depth() {
        let fields = serde_json::json!({
            "name": "Ana", "age": 3, "tags": ["brave", ""],
            "family": [{"relation": "sister", "character_id": "bo"}]
        });
        let text = field_text(fields.as_object().expect("object"));
        assert_eq!(text, "Ana\nbrave\nsister\nbo\n");
    }

    #[test]
    fn snippets_are_escaped_html_with_marks() {
        let marked = format!("a <b> & {MARK_START}dragon{MARK_END}\n\"x\"");
        assert_eq!(
            highlight(&marked),
            "a &lt;b&gt; &amp; <mark>dragon</mark> &quot;x&quot;"
        );
    }
}
