//! Full-text search: the query language, the text an entity is found by,
//! and the [`SearchIndex`] port the database's own engine implements (FTS5
//! on SQLite, `tsvector` on PostgreSQL) from the same rows as the entity
//! index, so search is never a second source of truth.
//!
//! A query is words and `"quoted phrases"`; an entity matches when every
//! one of them occurs in its name, the text of its fields or its body.
//! Words match whole, except the last word of the query, which matches as a
//! prefix (`old drag` finds "old dragon": search as you type); phrases
//! match their words in order. Text is compared as lowercase runs of
//! letters and digits, so `iron_hand` and `iron-hand` are the phrase
//! `iron hand`. Snippets are cut from the stored text here ([`snippet`]),
//! the same on every backend.

use crate::error::EntityResult;
use crate::ids::{EntityId, EntityType};
use crate::links::{Node, NodeFilter};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::ops::Range;
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
    /// A word matched whole.
    Word(String),
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
    /// Parses `query`: quoted parts are phrases, other words whole words
    /// but the last, a prefix; a word that splits into several
    /// (`iron_hand`) is a phrase. Characters other than letters and digits
    /// only separate words; terms past the sixteenth are dropped from the
    /// front.
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
                    1 => terms.push(Term::Word(words.remove(0))),
                    _ => terms.push(Term::Phrase(words)),
                }
            }
        }
        let ends_with_word = !query.trim_end().ends_with('"');
        if let (true, Some(Term::Word(last))) = (ends_with_word, terms.last_mut()) {
            let last = std::mem::take(last);
            terms.pop();
            terms.push(Term::Prefix(last));
        }
        if terms.len() > MAX_TERMS {
            terms.drain(..terms.len() - MAX_TERMS);
        }
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
            Term::Word(whole) => words.iter().filter(|w| *w == whole).count(),
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

/// Whether the lowercase `word` is part of a match of `terms` (words of
/// phrases count on their own).
fn marks(terms: &SearchTerms, word: &str) -> bool {
    terms.terms().iter().any(|term| match term {
        Term::Word(whole) => word == whole,
        Term::Prefix(prefix) => word.starts_with(prefix.as_str()),
        Term::Phrase(words) => words.iter().any(|w| w == word),
    })
}

/// The byte spans of the words of `text` (runs of letters and digits).
fn word_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                spans.push(s..at);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push(s..text.len());
    }
    spans
}

/// Words of context a snippet shows.
const SNIPPET_WORDS: usize = 16;

/// A passage of `text` around its first match, matches wrapped in
/// [`MARK_START`] and [`MARK_END`].
fn passage(text: &str, terms: &SearchTerms) -> String {
    let spans = word_spans(text);
    let lower: Vec<String> = spans
        .iter()
        .map(|s| text[s.clone()].to_lowercase())
        .collect();
    let first = lower.iter().position(|w| marks(terms, w)).unwrap_or(0);
    let start = first.saturating_sub(SNIPPET_WORDS / 4);
    let end = (start + SNIPPET_WORDS).min(spans.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    for index in start..end {
        if index > start {
            out.push_str(&text[spans[index - 1].end..spans[index].start]);
        }
        let word = &text[spans[index].clone()];
        if marks(terms, &lower[index]) {
            out.push(MARK_START);
            out.push_str(word);
            out.push(MARK_END);
        } else {
            out.push_str(word);
        }
    }
    if end < spans.len() {
        out.push('…');
    } else if let Some(last) = spans.last() {
        out.push_str(text[last.end..].trim_end());
    }
    out
}

/// The snippet of a hit: a passage of the part (name, field text, body)
/// with the most matches, as HTML ([`highlight`]); also how often the
/// terms occur in each part, name first.
pub fn snippet(parts: [&str; 3], terms: &SearchTerms) -> (String, [usize; 3]) {
    let mut counts = [0; 3];
    let mut best = 0;
    for (index, text) in parts.iter().enumerate() {
        let words: Vec<String> = tokens(text).collect();
        counts[index] = terms.terms().iter().map(|term| term.count_in(&words)).sum();
        if counts[index] > counts[best] {
            best = index;
        }
    }
    (highlight(&passage(parts[best], terms)), counts)
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
    fn queries_split_into_words_phrases_and_a_last_prefix() {
        let terms = SearchTerms::parse(r#"Drag "old  Mill" iron_hand -- é"#);
        assert_eq!(
            terms.terms(),
            [
                Term::Word("drag".into()),
                Term::Phrase(vec!["old".into(), "mill".into()]),
                Term::Phrase(vec!["iron".into(), "hand".into()]),
                Term::Prefix("é".into()),
            ]
        );
        let quoted_last = SearchTerms::parse(r#"drag "old mill""#);
        assert_eq!(quoted_last.terms()[0], Term::Word("drag".into()));
        assert!(SearchTerms::parse(r#"" " -- !"#).is_empty());
        let many = SearchTerms::parse(&format!("{}last", "a ".repeat(40)));
        assert_eq!(many.terms().len(), MAX_TERMS);
        assert_eq!(many.terms().last(), Some(&Term::Prefix("last".into())));
    }

    #[test]
    fn every_term_must_match() {
        let text = words("The Dragon of the Old Mill; iron-hand guild");
        assert!(SearchTerms::parse("mill drag").matches(&text));
        assert!(
            !SearchTerms::parse("drag mill").matches(&text),
            "only the last word is a prefix"
        );
        assert!(SearchTerms::parse(r#""old mill" iron_hand"#).matches(&text));
        assert!(!SearchTerms::parse(r#""mill old""#).matches(&text));
        assert!(!SearchTerms::parse("dragon castle").matches(&text));
        assert!(!SearchTerms::parse("").matches(&text));
    }

    #[test]
    fn snippets_come_from_the_part_with_most_matches() {
        let terms = SearchTerms::parse("drag");
        let body = "one two three four five six seven the Dragon's lair, dragons & <more>";
        let (html, counts) = snippet(["Ana", "dragon rider", body], &terms);
        assert_eq!(counts, [0, 1, 2]);
        assert_eq!(
            html,
            "…five six seven the <mark>Dragon</mark>&#39;s lair, <mark>dragons</mark> &amp; &lt;more&gt;"
        );
        let (name_only, _) = snippet(["Dragon", "", ""], &terms);
        assert_eq!(name_only, "<mark>Dragon</mark>");
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
