//! Context for AI prompts: an entity and its neighbours, each summed up in
//! a few facts and an excerpt, fitted into a token budget (estimated at
//! four characters a token), as structured data and as one Markdown block.
//! The entity itself is always included; neighbours are added in the order
//! given (closest first) while they fit.

use std::fmt::Write as _;
use studiobrain_entity::Entity;
use studiobrain_entity::search::tokens;

/// Frontmatter keys that are bookkeeping, not facts.
const BOOKKEEPING: [&str; 9] = [
    "id",
    "name",
    "status",
    "entity_type",
    "template_version",
    "template_category",
    "created_date",
    "last_updated",
    "field_config",
];

/// Most facts per entity.
const MAX_FACTS: usize = 12;
/// Longest fact value, in characters.
const MAX_FACT_CHARS: usize = 160;
/// Most words of an excerpt.
const EXCERPT_WORDS: usize = 60;

/// An entity summed up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Its scalar and short list fields, in file order.
    pub facts: Vec<(String, String)>,
    /// The start of its body's prose.
    pub excerpt: String,
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// A field value as a fact, if it is one: text, numbers, flags and lists
/// of those.
fn fact(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => return None,
    };
    (!text.is_empty()).then(|| clip(&text, MAX_FACT_CHARS))
}

/// The first [`EXCERPT_WORDS`] words of the prose of `body` (headings,
/// tables and blank lines skipped).
fn excerpt(body: &str) -> String {
    let prose: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with('|'))
        .collect();
    let words: Vec<&str> = prose
        .iter()
        .flat_map(|line| line.split_whitespace())
        .collect();
    let mut text = words[..words.len().min(EXCERPT_WORDS)].join(" ");
    if words.len() > EXCERPT_WORDS {
        text.push('…');
    }
    text
}

/// The summary of `entity`.
pub fn summarize(entity: &Entity) -> Summary {
    let facts = entity
        .fields
        .iter()
        .filter(|(key, _)| !BOOKKEEPING.contains(&key.as_str()))
        .filter_map(|(key, value)| Some((key.clone(), fact(value)?)))
        .take(MAX_FACTS)
        .collect();
    Summary {
        entity_type: entity.entity_type.to_string(),
        id: entity.id.to_string(),
        name: entity.name.clone(),
        status: entity.status.clone(),
        facts,
        excerpt: excerpt(&entity.body),
    }
}

/// A neighbour of the entity in context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    /// Summed up.
    pub summary: Summary,
    /// How it relates, e.g. `faction (field faction)` or `via Iron Hand`.
    pub relation: String,
    /// Steps from the entity.
    pub depth: u8,
}

/// An entity in context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The entity.
    pub focus: Summary,
    /// The neighbours that fit.
    pub neighbours: Vec<Neighbour>,
    /// Neighbours left out by the budget.
    pub omitted: usize,
    /// Estimated tokens of [`Self::markdown`].
    pub tokens: usize,
    /// The budget.
    pub max_tokens: usize,
    /// The context as one Markdown block.
    pub markdown: String,
}

/// Estimated tokens of `text`: a token per four characters.
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// The Markdown block of one summary under `heading` level `###`.
fn render(summary: &Summary, relation: Option<&str>) -> String {
    let mut out = format!(
        "### {}: {} (`{}`)\n",
        summary.entity_type, summary.name, summary.id
    );
    if let Some(relation) = relation {
        let _ = writeln!(out, "_Relation: {relation}_");
    }
    if !summary.status.is_empty() {
        let _ = writeln!(out, "- status: {}", summary.status);
    }
    for (key, value) in &summary.facts {
        let _ = writeln!(out, "- {key}: {value}");
    }
    if !summary.excerpt.is_empty() {
        let _ = writeln!(out, "\n{}", summary.excerpt);
    }
    out.push('\n');
    out
}

/// The context of `focus` with as many of `candidates` (closest first) as
/// fit in `max_tokens`.
pub fn assemble(focus: Summary, candidates: Vec<Neighbour>, max_tokens: usize) -> Context {
    let mut markdown = format!("## Context: {}\n\n{}", focus.name, render(&focus, None));
    let mut neighbours = Vec::new();
    let mut omitted = 0;
    let mut related_heading = false;
    for candidate in candidates {
        let mut block = String::new();
        if !related_heading {
            block.push_str("## Related\n\n");
        }
        block.push_str(&render(&candidate.summary, Some(&candidate.relation)));
        if estimate_tokens(&markdown) + estimate_tokens(&block) > max_tokens {
            omitted += 1;
            continue;
        }
        related_heading = true;
        markdown.push_str(&block);
        neighbours.push(candidate);
    }
    let markdown = markdown.trim_end().to_owned() + "\n";
    Context {
        tokens: estimate_tokens(&markdown),
        focus,
        neighbours,
        omitted,
        max_tokens,
        markdown,
    }
}

/// The text an entity is compared by: its name, facts and body words.
pub fn comparable_text(entity: &Entity) -> String {
    let summary = summarize(entity);
    let facts: Vec<&str> = summary.facts.iter().map(|(_, v)| v.as_str()).collect();
    let body: Vec<String> = tokens(&entity.body).collect();
    format!("{} {} {}", entity.name, facts.join(" "), body.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, words: usize) -> Summary {
        Summary {
            entity_type: "character".into(),
            id: id.into(),
            name: id.to_uppercase(),
            status: "active".into(),
            facts: vec![("age".into(), "34".into())],
            excerpt: "word ".repeat(words).trim_end().to_owned(),
        }
    }

    #[test]
    fn neighbours_are_added_while_they_fit() {
        let near = Neighbour {
            summary: summary("bo", 10),
            relation: "friends".into(),
            depth: 1,
        };
        let big = Neighbour {
            summary: summary("cy", 400),
            relation: "rivals".into(),
            depth: 1,
        };
        let far = Neighbour {
            summary: summary("dee", 5),
            relation: "via BO".into(),
            depth: 2,
        };
        let context = assemble(summary("ana", 20), vec![near, big, far], 200);
        let ids: Vec<_> = context
            .neighbours
            .iter()
            .map(|n| n.summary.id.as_str())
            .collect();
        assert_eq!(ids, ["bo", "dee"]);
        assert_eq!(context.omitted, 1);
        assert!(context.tokens <= 200, "{}", context.tokens);
        assert!(
            context
                .markdown
                .starts_with("## Context: ANA\n\n### character: ANA (`ana`)\n")
        );
        assert!(context.markdown.contains("## Related\n\n### character: BO (`bo`)\n_Relation: friends_\n- status: active\n- age: 34\n"));
        assert_eq!(context.markdown.matches("## Related").count(), 1);
    }

    #[test]
    fn summaries_keep_facts_and_prose_only() {
        let fields = serde_json::json!({
            "id": "ana", "name": "Ana", "age": 34, "traits": ["brave", "", "kind"],
            "family": [{"relation": "sister"}], "notes": "x".repeat(300)
        });
        let entity = Entity {
            entity_type: studiobrain_entity::EntityType::parse("character").expect("type"),
            id: studiobrain_entity::EntityId::parse("ana").expect("id"),
            name: "Ana".into(),
            status: "active".into(),
            fields: fields.as_object().cloned().expect("object"),
            body: "# Ana\n\n| a | b |\nShe keeps the mill.\n\nShe sings.".into(),
            path: String::new(),
            content_hash: String::new(),
            revision: 1,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
            parse_error: None,
            links: Vec::new(),
        };
        let summary = summarize(&entity);
        let keys: Vec<_> = summary.facts.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["age", "traits", "notes"]);
        assert_eq!(summary.facts[1].1, "brave, kind");
        assert_eq!(summary.facts[2].1.chars().count(), MAX_FACT_CHARS + 1);
        assert_eq!(summary.excerpt, "She keeps the mill. She sings.");
    }
}
